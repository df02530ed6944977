"""What the bot says back, given who asks and what: the conversation rules, free of Telegram types.

Handlers turn an update into an `Asker` and some text, call one method here,
and send the `Reply`; everything a reader would call "the bot's behaviour"
(which language to use, what the chat was about, what a button does, what
gets logged) is decided here, on top of the search core and the store.

The store may fail (`outage`): what cannot be read counts as never stored (no
chosen language, no chat context), what cannot be written is lost, and the
reader gets their answer all the same. Only a reader who asked for a write
(a language choice, a vote) or to see what is stored is told.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial

from ..content.taught import TAUGHT_FILE, reference
from ..language.languages import profile
from ..language.textnorm import well_formed
from ..metrics import QUESTIONS
from ..search.searcher import Answer, Conversation, Searcher
from ..search.vectors import attached
from ..storage import Storage
from ..storage.records import ChatState, Choice, LoggedQuestion, StoreError
from .callbacks import AUTOMATIC, Choose, SetLanguage, ShowHighlights, ShowParagraph, Vote, decode
from .messages import message
from .outage import StoreWatch
from .reload import ContentReloader, ReloadOutcome
from .render import (
    SMALL_TALK,
    Button,
    Reply,
    alternative_buttons,
    answer_reply,
    language_menu,
    noted,
    other_languages_reply,
    plain,
    reader_language,
    shortened,
    shown_text,
    vote_buttons,
)

log = logging.getLogger(__name__)

NOTHING_STORED = ChatState(None, None, None)


INLINE_RESULTS = 5
"""Results offered to an inline query: the answer and the nearest sections, few enough to choose from."""
INLINE_PREVIEW = 120
"""Characters of a paragraph shown under its title in the list of inline results."""


@dataclass(frozen=True)
class Asker:
    chat_id: int
    user_id: int | None
    language_code: str | None
    """The language Telegram says the user's app is in: only a hint."""

    @property
    def hint(self) -> str | None:
        return self.language_code.split("-")[0].lower() if self.language_code else None


@dataclass(frozen=True)
class Shared:
    """One result of an inline query: what the reader picks from, and the message it posts in their chat."""

    key: str
    """Unique among one query's results, at most 64 bytes, as Telegram wants."""
    title: str
    description: str
    text: str
    """The message, formatted as the bot's own chat shows the answer (Telegram HTML)."""


@dataclass(frozen=True)
class Pressed:
    """The outcome of a button: an optional reply, and the short notice Telegram shows on the button."""

    reply: Reply | None
    notice: str | None = None
    votes: tuple[Button, ...] | None = None
    """The answer's vote buttons as they should now read (the reader's vote marked), to replace the old ones; empty
    where they stay as they are (a group's message, which every member sees); None for a press that was no vote."""


class Dialogue:
    def __init__(
        self,
        content: ContentReloader,
        store: Storage,
        default_language: str,
        admin_user_ids: frozenset[int] = frozenset(),
        watch: StoreWatch | None = None,
    ) -> None:
        self.content = content
        self.store = store
        self.watch = watch or StoreWatch()
        """Every store call goes through it: bounded in time, and skipped while the database is failing."""
        self.default_language = default_language
        self.admin_user_ids = admin_user_ids
        self._search_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="search")
        """Searching is CPU work: on the event loop one long question would hold every other reader's
        update, so it runs here, one question at a time (the stemmers are not safe to share between threads)."""

    async def _answer(self, searcher: Searcher, question: str, **preferences: object) -> Answer:
        """`searcher.answer` off the event loop, so network I/O for everyone else goes on meanwhile."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._search_thread, partial(searcher.answer, question, **preferences))

    @property
    def searcher(self) -> Searcher:
        """The current searcher, which the reloader owns; each call reads it once and keeps that one."""
        return self.content.searcher

    def is_admin(self, asker: Asker) -> bool:
        return asker.user_id is not None and asker.user_id in self.admin_user_ids

    async def _stored_choice(self, asker: Asker) -> str | None:
        """The language the reader chose, if the content still has it; `StoreError` when it cannot be read."""
        if asker.user_id is None:
            return None
        chosen = await self.watch.read(self.store.user_language, asker.user_id)
        return chosen if chosen in self.searcher.languages else None

    async def chosen_language(self, asker: Asker) -> str | None:
        """The reader's choice; none when the database cannot say."""
        try:
            return await self._stored_choice(asker)
        except StoreError:
            return None

    async def _chat_state(self, asker: Asker) -> ChatState:
        """What the chat was about; nothing when the database cannot say, and the reader is answered without it."""
        try:
            return await self.watch.read(self.store.chat_state, asker.chat_id)
        except StoreError as error:
            log.debug("chat %s: answered without its context: %s", asker.chat_id, error)
            return NOTHING_STORED

    async def ui_language(self, asker: Asker) -> str:
        """The explicit choice, else the language of the last question, else Telegram's, else the default."""
        chosen = await self.chosen_language(asker)
        if chosen:
            return chosen
        last = (await self._chat_state(asker)).language
        return last or self.unstored_language(asker)

    def unstored_language(self, asker: Asker) -> str:
        """The reply language from the update alone, Telegram's else the default: for the error handler, which must
        be able to answer when the database is the trouble."""
        if asker.hint in self.searcher.languages:
            return asker.hint
        return self.default_language

    async def help(self, asker: Asker) -> Reply:
        return plain(message(await self.ui_language(asker), "help"))

    async def ask(self, asker: Asker, question: str) -> Reply:
        """The answer to a question; a lone surrogate in it is replaced first, or logging and sending it would fail."""
        question = well_formed(question)
        searcher = self.searcher
        state = await self._chat_state(asker)
        conversation = Conversation(state.language, searcher.article_id(state.article_key, state.article_lang))
        chosen = await self.chosen_language(asker)
        answer = await self._answer(searcher, question, language=chosen, hint=asker.hint, conversation=conversation)
        if answer.kind in SMALL_TALK:
            return plain(shown_text(answer))
        article = answer.article
        asked_in = answer.read_as or answer.language
        QUESTIONS.labels(language=asked_in or "?", outcome="unanswered" if answer.kind == "none" else "answered").inc()
        logged = None
        try:
            logged = await self.watch.write(
                "question log",
                self.store.record_answer,
                LoggedQuestion(
                    asker.chat_id,
                    asker.user_id,
                    question,
                    asked_in,
                    answer.kind,
                    article.key if article else None,
                    answer.section_heading,
                    answer.score,
                    _place(answer),
                    _opening(answer),
                ),
                article.lang if article else None,
            )
        except StoreError as error:
            log.debug("chat %s: the question was answered but not logged: %s", asker.chat_id, error)
        return self._render(searcher, answer, reader_language(answer, chosen), logged)

    async def _remember(self, asker: Asker, article_key: str, article_lang: str, language: str | None) -> None:
        """The chat's context; losing it costs a follow-up question its context, never the reply at hand."""
        try:
            await self.watch.write("chat context", self.store.remember_chat, asker.chat_id, article_key, article_lang, language)
        except StoreError as error:
            log.debug("chat %s: its context was not saved: %s", asker.chat_id, error)

    async def highlights(self, asker: Asker, topic: str) -> Reply:
        """Key points of the article named by `topic`, else of the chat's article, else of the main one; a topic no
        article answers is said to be unknown above the key points shown instead, so the reader does not take them
        for the topic's."""
        searcher = self.searcher
        topic = well_formed(topic).strip()
        lang = await self.ui_language(asker)
        found = await self._answer(searcher, topic, language=await self.chosen_language(asker), hint=asker.hint) if topic else None
        article_id = found.article_id if found else None
        if article_id is None:
            state = await self._chat_state(asker)
            article_id = searcher.article_id(state.article_key, state.article_lang)
        for fallback in (lang, self.default_language, *searcher.languages):
            if article_id is None:
                article_id = searcher.main_article(fallback)
        if article_id is None:
            return plain(message(lang, "no_answer"))
        translated = searcher.translation(article_id, lang)
        article_id = article_id if translated is None else translated
        answer = searcher.highlights(article_id)
        article = answer.article
        await self._remember(asker, article.key, article.lang, None)
        reply = self._render(searcher, answer, lang)
        if found and found.article_id is None:
            return noted(message(lang, "highlights_unknown_topic", topic=shortened(topic)), reply)
        return reply

    async def share(self, asker: Asker, query: str) -> list[Shared]:
        """Inline mode (`@bot question` in any chat): the answer, the paragraphs offered with it, then the sections
        nearest it, at most `INLINE_RESULTS`; for a "no answer", the paragraphs it offers, if any.

        An empty query offers the key points of the main article. Nothing is
        remembered or logged: the reader is in someone else's chat, and may
        only be typing.
        """
        searcher = self.searcher
        lang = await self.ui_language(asker)
        chosen = await self.chosen_language(asker)
        query = well_formed(query).strip()
        if not query:
            article_id = next((searcher.main_article(fallback) for fallback in (lang, *searcher.languages)), None)
            answers = [searcher.highlights(article_id)] if article_id is not None else []
        else:
            found = await self._answer(searcher, query, language=chosen, hint=asker.hint)
            offered = [searcher.paragraph(a.article_id, a.section, max(a.paragraph, 0)) for a in found.alternatives]
            if found.kind == "none" or found.article is None:
                answers = offered
            else:
                nearest = [searcher.paragraph(s.article_id, s.section) for s in found.suggestions]
                answers = [found, *offered, *nearest]
        shared, keys = [], set()
        for answer in answers:
            key = f"{searcher.index.generation}:{answer.article_id}:{answer.section}:{answer.paragraph}"
            if key in keys or len(shared) == INLINE_RESULTS:
                continue
            keys.add(key)
            reply = self._render(searcher, answer, reader_language(answer, chosen))
            title = answer.section_heading or answer.article.title
            shared.append(Shared(key, title, " ".join(answer.text.split())[:INLINE_PREVIEW], reply.texts[0]))
        return shared

    async def language(self, asker: Asker, code: str | None) -> Reply:
        """`/lang`: the menu, or a change when a code is given."""
        if code:
            return await self._set_language(asker, well_formed(code).strip().lower())
        try:
            chosen = await self._stored_choice(asker)
        except StoreError:
            return plain(message(await self.ui_language(asker), "lang_unreadable"))
        lang = await self.ui_language(asker)
        if chosen:
            text = message(lang, "lang_current", name=profile(chosen).native_name)
        else:
            text = message(lang, "lang_current_auto")
        return language_menu(text, chosen, self.searcher.languages, lang)

    async def _set_language(self, asker: Asker, code: str) -> Reply:
        """A language change, confirmed only once it is stored."""
        if code == AUTOMATIC:
            if asker.user_id is not None and not await self._store_choice(asker, None):
                return plain(message(await self.ui_language(asker), "lang_not_saved"))
            return plain(message(await self.ui_language(asker), "lang_set_auto"))
        if code not in self.searcher.languages or asker.user_id is None:
            codes = ", ".join(f"{lang} ({profile(lang).native_name})" for lang in self.searcher.languages)
            return plain(message(await self.ui_language(asker), "lang_unknown", code=code, codes=codes))
        if not await self._store_choice(asker, code):
            return plain(message(code, "lang_not_saved"))
        return plain(message(code, "lang_set", name=profile(code).native_name))

    async def _store_choice(self, asker: Asker, code: str | None) -> bool:
        assert asker.user_id is not None
        try:
            await self.watch.write("language choice", self.store.set_user_language, asker.user_id, code)
        except StoreError as error:
            log.debug("chat %s: the language choice %s was not saved: %s", asker.chat_id, code or AUTOMATIC, error)
            return False
        return True

    async def press(self, asker: Asker, data: str | None) -> Pressed:
        """What a button does; unknown or outdated buttons say so instead of guessing."""
        searcher = self.searcher
        action = decode(data)
        if isinstance(action, SetLanguage):
            return Pressed(await self._set_language(asker, action.code))
        if isinstance(action, Vote):
            return await self._vote(asker, action)
        if isinstance(action, Choose):
            return await self._choose(asker, action)
        if isinstance(action, ShowParagraph | ShowHighlights):
            outdated = action.generation != searcher.index.generation or not 0 <= action.article_id < len(searcher.index.articles)
            if outdated:
                return Pressed(None, message(await self.ui_language(asker), "outdated_button"))
            if isinstance(action, ShowHighlights):
                answer = searcher.highlights(action.article_id)
            else:
                answer = searcher.paragraph(action.article_id, action.section, action.paragraph)
            article = answer.article
            await self._remember(asker, article.key, article.lang, article.lang)
            return Pressed(self._render(searcher, answer, article.lang))
        return Pressed(None, message(await self.ui_language(asker), "outdated_button"))

    async def press_on_shared(self, asker: Asker) -> Pressed:
        """A button on a message shared in inline mode, in a chat the bot may not be in: it does nothing.

        `share` gives those messages a link to the bot and no button of its
        own: a press there would change the message for everyone in someone
        else's chat, and no answer was logged there to vote on. So the data is
        forged or from elsewhere, and gets what an outdated button gets.
        """
        return Pressed(None, message(await self.ui_language(asker), "outdated_button"))

    async def _choose(self, asker: Asker, choice: Choose) -> Pressed:
        """A paragraph offered with an answer: shown as an answer is, and the reader's choice kept with the question's log entry.

        The question is read back from the log to emphasise its words, only
        when it was asked in this chat (`record_choice`, bound to the chat as
        votes are): a forged button shows the paragraph, which is public, and
        neither records anything nor reveals another chat's question.
        """
        searcher = self.searcher
        if choice.generation != searcher.index.generation or not 0 <= choice.article_id < len(searcher.index.articles):
            return Pressed(None, message(await self.ui_language(asker), "outdated_button"))
        answer = searcher.paragraph(choice.article_id, choice.section, max(choice.paragraph, 0))
        article = answer.article
        place = _place(answer)
        assert article is not None and place is not None
        question = None
        if asker.user_id is not None:
            chosen = Choice(article.key, article.lang, answer.section_heading or "", place, choice.offered, _opening(answer))
            try:
                question = await self.watch.write(
                    "choice", self.store.record_choice, choice.question_id, asker.chat_id, asker.user_id, chosen
                )
            except StoreError as error:
                log.debug("chat %s: a choice was not saved: %s", asker.chat_id, error)
        if question:
            answer = replace(answer, question=question, matched_terms=searcher.matched(question, article.lang))
        await self._remember(asker, article.key, article.lang, article.lang)
        return Pressed(self._render(searcher, answer, article.lang, chosen_for=choice.question_id if question else None))

    async def _vote(self, asker: Asker, vote: Vote) -> Pressed:
        """ "Helpful" or "not helpful": stored with the answer's log entry, one per reader (a second press changes it);
        on a paragraph the reader tapped, with their choice, so that a tap to look that did not help confirms nothing."""
        lang = await self.ui_language(asker)
        record = self.store.judge_choice if vote.chosen else self.store.vote
        try:
            stored = asker.user_id is not None and await self.watch.write(
                "vote", record, vote.question_id, asker.chat_id, asker.user_id, vote.helpful
            )
        except StoreError as error:
            log.debug("chat %s: a vote was not saved: %s", asker.chat_id, error)
            return Pressed(None, message(lang, "vote_not_saved"))
        if not stored:  # no such answer, or not given in this chat: the same reply, so ids cannot be probed
            return Pressed(None, message(lang, "outdated_button"))
        if asker.chat_id < 0:  # a group: the message is everyone's, and one member's ✓ would read as all of theirs
            return Pressed(None, message(lang, "vote_thanks"), ())
        return Pressed(
            None, message(lang, "vote_thanks"), vote_buttons(vote.question_id, lang, chosen=vote.helpful, on_choice=vote.chosen)
        )

    async def flood_notice(self, asker: Asker) -> Reply:
        return plain(message(await self.ui_language(asker), "flood"))

    async def stats(self, asker: Asker) -> Reply:
        """For admins: how much people ask and how much goes unanswered, so the owner knows what to write next."""
        lang = await self.ui_language(asker)
        try:
            stats = await self.watch.read(self.store.question_stats)
        except StoreError:
            return plain(message(lang, "stats_unavailable"))
        lines = [
            message(lang, "stats_title"),
            message(lang, "stats_day", count=stats.day.asked, share=stats.day.share),
            message(lang, "stats_week", count=stats.week.asked, share=stats.week.share),
            "",
        ]
        for code, tally in sorted(stats.by_language.items(), key=lambda item: -item[1].asked):
            lines.append(message(lang, "stats_language", name=profile(code).native_name, count=tally.asked, share=tally.share))
        lines.append("")
        if stats.unanswered:
            lines.append(message(lang, "stats_unanswered"))
            lines += [f"{count}× {question}" for question, count in stats.unanswered]
        else:
            lines.append(message(lang, "stats_no_unanswered"))
        lines += ["", message(lang, "stats_votes", count=stats.votes.asked, share=stats.votes.share)]
        if stats.unhelpful:
            lines.append(message(lang, "stats_unhelpful"))
            lines += [f"{count}× {question} → {section}" for question, section, count in stats.unhelpful]
        return plain("\n".join(lines + self._embedding_lines(lang)))

    def _embedding_lines(self, lang: str) -> list[str]:
        """For /stats: how far embedding the paragraphs is, and which languages have the semantic signal (none when off)."""
        embedding = self.content.embedding
        if embedding is None or not embedding.units:
            return []
        if not embedding.missing:
            return ["", message(lang, "stats_embedded", total=embedding.units)]
        lines = ["", message(lang, "stats_embedding", done=embedding.embedded, total=embedding.units, share=embedding.percent)]
        on = [profile(code).native_name for code in attached(self.searcher.index)]
        if on:
            lines.append(message(lang, "stats_semantic_on", languages=", ".join(on)))
        return lines

    async def stats_elsewhere(self, asker: Asker) -> Reply:
        """/stats outside a private chat: it lists what readers asked, in private chats too, so it is not posted there."""
        return plain(message(await self.ui_language(asker), "stats_private_only"))

    async def reload(self, asker: Asker) -> Reply:
        """The content read again now, not at the next periodic check, and what came of it in the admin's language."""
        return await self.reload_report(asker, await self.content.reload())

    async def reload_report(self, asker: Asker, outcome: ReloadOutcome) -> Reply:
        lang = await self.ui_language(asker)
        if outcome.status in ("failed", "busy"):
            return plain(message(lang, f"reload_{outcome.status}"))
        key = "reload_done" if outcome.status == "reloaded" else "reload_unchanged"
        lines = [message(lang, key, articles=outcome.articles, languages=outcome.languages)]
        if outcome.taught or TAUGHT_FILE in outcome.problem_files:
            lines.append(message(lang, "reload_taught", count=outcome.taught))
        if outcome.problem_files:
            lines.append(message(lang, "reload_problems", count=len(outcome.problem_files)))
            lines += [f"• {name}" for name in outcome.problem_files]
        return plain("\n".join(lines))

    async def not_text(self, asker: Asker) -> Reply:
        return plain(message(await self.ui_language(asker), "non_text"))

    async def unknown_command(self, asker: Asker) -> Reply:
        return plain(message(await self.ui_language(asker), "unknown_command"))

    def _render(
        self, searcher: Searcher, answer: Answer, ui_lang: str, logged: int | None = None, chosen_for: int | None = None
    ) -> Reply:
        """The reply to an answer; `logged` (its question log id) adds the buttons to vote on it, and makes a press on a
        paragraph offered with it record the reader's choice. `chosen_for`: the answer is the paragraph the reader
        tapped for that question, and the votes are on their choice."""
        generation = searcher.index.generation
        alternatives = alternative_buttons(answer, generation, logged)
        if logged and answer.kind != "none":
            votes = vote_buttons(logged, ui_lang)
        elif chosen_for:
            votes = vote_buttons(chosen_for, ui_lang, on_choice=True)
        else:
            votes = ()
        if answer.kind == "none" and answer.language not in searcher.languages:
            return other_languages_reply(answer, searcher.languages, alternatives)
        translations: dict[str, int] = {}
        if answer.article_id is not None:
            for lang in searcher.languages:
                translated = searcher.translation(answer.article_id, lang)
                if lang != answer.language and translated is not None:
                    translations[lang] = translated
        return answer_reply(
            answer,
            emphasis=searcher.emphasis(answer),
            translations=translations,
            generation=generation,
            ui_lang=ui_lang,
            votes=votes,
            alternatives=alternatives,
            logged=logged if answer.kind != "none" else None,
        )


def _opening(answer: Answer) -> str | None:
    """The answer's paragraph as `questions.yml` names it (`reference`): what finds it when the owner reviews the
    readers' evidence, after edits have moved it or put another paragraph in its place."""
    if answer.kind == "none" or answer.article is None or answer.section is None:
        return None
    return reference(answer.article, answer.section, answer.paragraph or 0).opening


def _place(answer: Answer) -> int | None:
    """Where the answer's paragraph is in its section, as the log keeps it: -1 for the key points, None for no answer."""
    if answer.kind == "none" or answer.section is None:
        return None
    return -1 if answer.paragraph is None else answer.paragraph
