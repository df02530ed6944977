"""Command line: `ask` questions, `check` the content, `embed` it for the semantic signal, `run` the bot, read the `log`,
`learn` questions from a help desk's history or from what readers confirmed.

A thin shell over the search core, so the tests, the benchmarks and a content
owner at a terminal all get exactly the answers the bot would give.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

from .chat import review
from .chat.messages import available, message
from .chat.render import SMALL_TALK, reader_language, shown_text
from .config import MAX_WEBHOOK_WORKERS, Settings, SettingsError
from .content.articles import KnowledgeBase
from .content.parsing import load_knowledge_base
from .content.teaching import Outcome, learn_file
from .language.cues import has_lists
from .language.langdetect import guess_article_language
from .language.languages import profile
from .search.background import duration, expected_rate
from .search.index_cache import IndexBuildError, current_index, embed_missing
from .search.loading import embed_now, load_searcher, semantic_options, vector_coverage
from .search.searcher import Answer, Conversation, Searcher
from .search.vectors import BATCH, TAUGHT_QUESTIONS, coverage, print_progress
from .storage import open_storage
from .storage.records import StoreError


def answer_json(answer: Answer, chosen: str | None = None) -> str:
    """The `ask --json` contract: one object per question, keys fixed; `chosen` is `--lang`."""
    return json.dumps(
        {
            "question": answer.question,
            "language": answer.language,
            "kind": answer.kind,
            "text": shown_text(answer, reader_language(answer, chosen)),
            "article": answer.article.title if answer.article else None,
            "section": answer.section_heading,
            "score": answer.score,
            "suggestions": [s.heading for s in answer.suggestions],
            "alternatives": [{"article": a.article.title, "section": a.heading, "text": a.text} for a in answer.alternatives],
        },
        ensure_ascii=False,
    )


def answer_readable(answer: Answer, languages: list[str], chosen: str | None = None) -> str:
    """The answer as the bot's reply reads, in plain text under a line naming its language, source and score.

    The paragraphs offered one tap away follow it, each under its article and
    section, as the bot's buttons offer them. `languages` are the content's:
    "no answer" in another language (a question in English, which the content
    lacks) names them, as the bot's buttons do. The bot's own words are in the
    reader's language (`reader_language`; `chosen` is `--lang`).
    """
    ui_lang = reader_language(answer, chosen)
    if answer.kind in SMALL_TALK:
        return f"[{answer.language}] {shown_text(answer)}"
    offered = [f"  - {a.article.title} › {a.heading}\n    {' '.join(a.text.split())}" for a in answer.alternatives]
    if answer.kind == "none":
        lines = [f"[{answer.language}] {shown_text(answer)}"]
        if offered:
            lines.append(message(answer.language, "maybe_these"))
            lines += offered
        if answer.language not in languages:
            lines.append(message(answer.language, "content_languages"))
            lines += [f"  - {lang} ({profile(lang).native_name})" for lang in languages]
        elif answer.suggestions:
            lines.append(message(answer.language, "try_asking"))
            lines += [f"  - {s.heading}" for s in answer.suggestions]
        return "\n".join(lines)
    where = f"{answer.article.title} › {answer.section_heading}" if answer.article else ""
    lines = [f"[{answer.language}] {where}  (score {answer.score:.2f})", shown_text(answer, ui_lang)]
    if offered:
        lines.append(message(ui_lang, "did_you_mean"))
        lines += offered
    return "\n".join(lines)


def _questions(args: argparse.Namespace) -> Iterable[str]:
    if args.question:
        yield " ".join(args.question)
        return
    if sys.stdin.isatty():
        print("Type a question and press Enter (one per line); Ctrl-D ends.", file=sys.stderr)
    for line in sys.stdin:
        yield line.rstrip("\n")


def run_ask(args: argparse.Namespace, settings: Settings) -> int:
    searcher = load_searcher(settings, reply_languages=available())
    if not searcher.languages:
        print(NO_ARTICLES.format(folder=shown_path(settings.content_dir)), file=sys.stderr)
        return 1
    if args.lang and args.lang not in searcher.languages:
        print(f"unknown language {args.lang!r}; the content has: {', '.join(searcher.languages)}", file=sys.stderr)
        return 2
    searcher = _with_vectors(settings, searcher)
    conversation = Conversation()
    render = (
        partial(answer_json, chosen=args.lang)
        if args.json
        else partial(answer_readable, languages=searcher.languages, chosen=args.lang)
    )
    for question in _questions(args):
        answer = searcher.answer(question, language=args.lang, conversation=conversation)
        print(render(answer), flush=True)
    return 0


def _with_vectors(settings: Settings, searcher: Searcher) -> Searcher:
    """`ask`'s semantic signal: the paragraphs the store lacks are embedded now when they are few (`EMBED_AT_BUILD`,
    seconds), else the languages lacking some are answered on their words, said once on stderr with what embedding
    them would take."""
    semantic = semantic_options(settings)
    if semantic is None:
        return searcher
    embedding = coverage(searcher.index, semantic.store())
    if not embedding.missing:
        return searcher
    if embedding.missing <= settings.embed_at_build:
        return embed_now(settings, searcher, print_progress(f"embedding {embedding.noun}") if embedding.missing > BATCH else None)
    rate = expected_rate(semantic.store())
    lacking = ", ".join(f"{lang} {count}" for lang, count in embedding.lacking().items())
    print(
        f"{embedding.missing:,} of {embedding.units:,} {embedding.noun} have no vector yet ({lacking}), more than EMBED_AT_BUILD "
        f"({settings.embed_at_build}): questions in those languages are answered on their words alone. "
        f"`python -m bot embed` embeds them in about {duration(embedding.missing / rate)} ({rate:.0f} a second here); "
        "a running bot embeds them by itself, in the background.",
        file=sys.stderr,
    )
    return searcher


def shown_path(path: Path) -> Path:
    """`path` relative to the working directory when it lies under it, as a person would type it.

    The file's own name is kept, not resolved: a link is named as the link, not as where it points.
    """
    try:
        return (path.parent.resolve() / path.name).relative_to(Path.cwd().resolve())
    except ValueError:
        return path


NO_ARTICLES = "no articles in {folder}: an article is a markdown file named SLUG.LANG.md, such as account-manager.it.md"


def counted(count: int, noun: str) -> str:
    """ "1 paragraph", "3 paragraphs": the commands speak English, whose nouns here all take an s."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def check_report(kb: KnowledgeBase, folder: Path, vectors: Sequence[str] = ()) -> list[str]:
    """The articles found, a summary line, `vectors` (`coverage_report`), then every problem found."""
    lines: list[str] = []
    for article in sorted(kb.articles, key=lambda a: (a.key, a.lang)):
        lines.append(f"{article.key} [{article.lang}] {article.title!r} ({shown_path(article.path)})")
        for section in article.sections:
            lines.append(f"    § {section.heading} ({counted(len(section.paragraphs), 'paragraph')})")
        if article.highlights:
            lines.append(f"    ★ {article.highlights_heading} ({counted(len(article.highlights), 'highlight')})")
    topics = {article.key for article in kb.articles}
    languages = "language" if len(kb.languages) == 1 else "languages"
    lines.append(
        f"{counted(len(kb.articles), 'article')}, {counted(len(topics), 'topic')}, {languages}: {', '.join(kb.languages) or 'none'}"
    )
    lines += language_support(kb.languages)
    lines += vectors
    lines += [str(replace(issue, path=shown_path(issue.path))) for issue in kb.issues]
    if not kb.articles and not kb.issues:
        lines.append(NO_ARTICLES.format(folder=shown_path(folder)))
    return lines


def language_support(languages: Sequence[str]) -> list[str]:
    """`check`'s notes on content languages the bot ships no data for: they are answered, but an owner should know how.

    Without a catalogue its readers get the menus and notes in English; without cue lists a request for the key
    points or a question's framing words ("how much") are recognised in English only.
    """
    lines = []
    if unspoken := [lang for lang in languages if lang not in available()]:
        lines.append(
            f"bot messages in English for: {', '.join(unspoken)} (no catalogue of their own: add bot/locales/LANG.json, "
            "with the keys of en.json)"
        )
    if uncued := [lang for lang in languages if not has_lists(lang)]:
        lines.append(
            f"key-point requests, question words, greetings and thanks read in English only for: {', '.join(uncued)} (add "
            "bot/language/cue_lists/LANG.json, as the others)"
        )
    return lines


def coverage_report(settings: Settings) -> list[str]:
    """`check`'s last lines: how many paragraphs have their vectors, per language, and what happens to the others."""
    if not settings.semantic:
        return ["semantic signal: off (SEMANTIC=off)"]
    try:
        index = current_index(settings.content_dir, settings.cache_dir, guess_article_language, settings.max_article_bytes)
    except Exception as error:
        return [f"vectors: not counted, the content could not be indexed ({error or type(error).__name__})"]
    embedding = vector_coverage(settings, index)
    if embedding is None or not embedding.units:
        return []
    languages = ", ".join(f"{lang} {done}/{units}" for lang, (done, units) in embedding.by_lang.items())
    if embedding.questions[1]:
        languages += f", {TAUGHT_QUESTIONS} {embedding.questions[0]}/{embedding.questions[1]}"
    lines = [f"vectors: {embedding.embedded}/{embedding.units} {embedding.noun} ({embedding.percent}%): {languages}"]
    if embedding.missing:
        taught = "; taught questions are compared by meaning once all have theirs" if embedding.questions[1] else ""
        lines.append(
            f"  a language gets the semantic signal once all its paragraphs have vectors{taught}; a running bot embeds them "
            "in the background, `python -m bot embed` here"
        )
    return lines


def run_check(args: argparse.Namespace, settings: Settings) -> int:
    content_log = logging.getLogger("bot.content")
    level = content_log.level
    content_log.setLevel(logging.ERROR)  # the report names each file's problem; the log named it again over it
    try:
        kb = load_knowledge_base(settings.content_dir, guess_article_language, max_bytes=settings.max_article_bytes)
        print("\n".join(check_report(kb, settings.content_dir, coverage_report(settings) if kb.articles else [])))
    finally:
        content_log.setLevel(level)
    skipped = [i for i in kb.issues if i.skipped]
    return 1 if skipped or not kb.articles else 0


def run_embed(args: argparse.Namespace, settings: Settings) -> int:
    semantic = semantic_options(settings)
    if semantic is None:
        print("SEMANTIC is off: nothing to embed.", file=sys.stderr)
        return 2

    def waiting() -> None:
        print(
            "Another process is embedding into this store (a running bot, in the background: its log shows how far it is); "
            "waiting for it to finish.",
            file=sys.stderr,
            flush=True,
        )

    embedded, before = embed_missing(settings.content_dir, guess_article_language, semantic, settings.max_article_bytes, waiting)
    if not before.by_lang:
        print(NO_ARTICLES.format(folder=shown_path(settings.content_dir)), file=sys.stderr)
        return 1
    where = semantic.vectors_dir or "memory (no CACHE_DIR or EMBEDDINGS_DIR: they are lost on exit)"
    units = before.units
    already = "already was" if units - embedded == 1 else "already were"
    what = counted(embedded, "paragraph") if not before.questions[1] else f"{embedded} {before.noun}"
    print(f"{what} embedded, {units - embedded} {already}; vectors in {where}.")
    print("A running bot switches each language's semantic signal on within seconds, by itself.")
    return 0


def run_bot(args: argparse.Namespace, settings: Settings) -> int:
    if args.workers is not None:
        if not args.webhook:
            print("--workers needs --webhook: only one process may poll Telegram for a bot's updates.", file=sys.stderr)
            return 2
        settings = replace(settings, webhook_workers=args.workers)
    if args.webhook and settings.webhook_workers > 1:
        from .telegram.workers import count_across_workers

        count_across_workers()
    # Imported only now: the metrics' way of counting is fixed when prometheus_client is first imported.
    from .telegram.app import run

    return run(settings, webhook=args.webhook)


def _workers(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_WEBHOOK_WORKERS:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to {MAX_WEBHOOK_WORKERS}")
    return int(text)


MAX_LOG_LINES = 1_000_000
"""More lines than anyone reads at a terminal, and a number every database takes as a LIMIT."""


def _log_limit(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_LOG_LINES:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to {MAX_LOG_LINES:,}")
    return int(text)


async def _print_log(settings: Settings, limit: int, unanswered: bool, unhelpful: bool) -> None:
    """The log as a table under a header naming its columns; an empty one says so on stderr."""
    store = await open_storage(settings)
    try:
        if unhelpful:
            rows = [f"{votes:>10}×  {question} → {section}" for question, section, votes in await store.unhelpful_answers(limit)]
            header, empty = "not helpful  question → section that answered it", "no answer marked not helpful yet"
        else:
            rows = [f"{kind:10} {question}" for question, kind, _ in await store.recent_questions(limit, unanswered)]
            header, empty = f"{'answer':10} question", "no unanswered questions" if unanswered else "no questions yet"
    finally:
        await store.close()
    print(header)
    if rows:
        print("\n".join(rows))
    else:
        print(empty, file=sys.stderr)


def run_log(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.database_url and not settings.database_path.exists():
        print(
            f"no question log yet at {settings.database_path}: the bot (`run`) logs the questions people ask it; `ask` does not",
            file=sys.stderr,
        )
        return 1
    try:
        asyncio.run(_print_log(settings, args.limit, args.unanswered, args.unhelpful))
    except StoreError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


def run_learn(args: argparse.Namespace, settings: Settings) -> int:
    asked = [args.file is not None, args.review, bool(args.accept), bool(args.reject), args.accept_confirmed is not None]
    if sum(asked) != 1:
        print("learn takes one of FILE, --review, --accept, --reject and --accept-confirmed", file=sys.stderr)
        return 2
    kb = load_knowledge_base(settings.content_dir, guess_article_language, max_bytes=settings.max_article_bytes)
    if not kb.articles:
        print(NO_ARTICLES.format(folder=shown_path(settings.content_dir)), file=sys.stderr)
        return 1
    folder = shown_path(settings.content_dir)
    if args.file is None:
        if not settings.database_url and not settings.database_path.exists():
            print(f"no readers' evidence yet: {settings.database_path} does not exist (the bot, `run`, keeps it)", file=sys.stderr)
            return 1
        try:
            outcome = asyncio.run(_learn_from_readers(args, settings, kb, folder))
        except StoreError as error:
            outcome = Outcome([str(error)], False)
    elif args.file == "-":
        outcome = learn_file(
            sys.stdin.buffer, "standard input", folder, kb, guess_article_language, settings.max_article_bytes, available()
        )
    else:
        try:
            source = open(args.file, "rb")  # noqa: SIM115 (closed below, after the error message it may need)
        except OSError as error:
            print(f"{args.file}: cannot be read: {error.strerror or error}", file=sys.stderr)
            return 1
        with source:
            outcome = learn_file(
                source, str(args.file), folder, kb, guess_article_language, settings.max_article_bytes, available()
            )
    print("\n".join(outcome.lines))
    return 0 if outcome.ok else 1


async def _learn_from_readers(args: argparse.Namespace, settings: Settings, kb: KnowledgeBase, folder: Path) -> Outcome:
    """`learn --review`, `--accept`, `--reject` or `--accept-confirmed`, over the store's evidence."""
    store = await open_storage(settings)
    try:
        pairs = await review.pairs_to_review(store, kb)
        if args.review:
            if not pairs:
                return Outcome(["no pairs to review: readers' taps and votes on answers are listed here as they come"], True)
            return Outcome(review.review_lines(kb, pairs, args.limit), True)
        if args.accept_confirmed is not None:
            pairs = review.confirmed(pairs, args.accept_confirmed)
            if not pairs:
                return Outcome([f"no pair confirmed by {counted(args.accept_confirmed, 'reader')} or more to accept"], True)
            return await review.accept(store, kb, folder, settings.max_article_bytes, pairs)
        picked = review.chosen(pairs, args.accept or args.reject)
        if isinstance(picked, str):
            return Outcome([picked], False)
        if args.accept:
            return await review.accept(store, kb, folder, settings.max_article_bytes, picked)
        return await review.reject(store, picked)
    finally:
        await store.close()


def _readers(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_LOG_LINES:
        raise argparse.ArgumentTypeError("expected a whole number of readers, 1 or more")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description=__doc__,
        epilog="Settings come from the environment, else a .env file in the working folder: .env.example lists them all.",
    )
    parser.add_argument("--content-dir", type=Path, help="article folder (default: CONTENT_DIR, else ./seeds)")
    # The same option after the command (`check --content-dir X`); SUPPRESS keeps one given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--content-dir", type=Path, default=argparse.SUPPRESS, help="article folder (default: CONTENT_DIR, else ./seeds)"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, summary: str, detail: str = "") -> argparse.ArgumentParser:
        """A command whose own --help opens with what it does, as the list of commands says it, then `detail`."""
        description = f"{summary[0].upper()}{summary[1:]}. {detail}".strip()
        return commands.add_parser(name, parents=[common], help=summary, description=description)

    ask = command("ask", "answer questions (from the arguments, else one per line on stdin), as the bot would")
    ask.add_argument("question", nargs="*", help="the question; omit to read questions from standard input")
    ask.add_argument(
        "--lang",
        type=str.lower,
        help="your language, as /lang sets it in the bot (ISO 639-1): it settles questions too short to tell; "
        'answers read across languages, and "no answer" to gibberish, come in it',
    )
    ask.add_argument("--json", action="store_true", help="one JSON object per answer")
    ask.set_defaults(run=run_ask)
    check = command("check", "validate the content folder and list what was found")
    check.set_defaults(run=run_check)
    embed = command(
        "embed",
        "embed the paragraphs the semantic signal still lacks, with progress",
        "A running bot (`run`) embeds them by itself, in the background, and `ask` when they are at most "
        "EMBED_AT_BUILD (default 500); this is for the rest, or to have them all before the bot starts. "
        "The vectors are kept in EMBEDDINGS_DIR (default: embeddings/ under CACHE_DIR).",
    )
    embed.set_defaults(run=run_embed)
    run = command("run", "run the Telegram bot until SIGINT or SIGTERM (SIGHUP reloads the content)")
    run.add_argument(
        "--webhook", action="store_true", help="receive updates on a webhook (TELEGRAM_WEBHOOK_URL) instead of long polling"
    )
    run.add_argument(
        "--workers",
        type=_workers,
        help="webhook processes sharing one copy of the index in memory (default: WEBHOOK_WORKERS, else 1)",
    )
    run.set_defaults(run=run_bot)
    log = command("log", "the latest questions people asked the bot (not `ask`), newest first")
    log.add_argument("--limit", type=_log_limit, default=50, help="how many lines (default 50)")
    only = log.add_mutually_exclusive_group()
    only.add_argument("--unanswered", action="store_true", help="only the questions that got no answer")
    only.add_argument(
        "--unhelpful", action="store_true", help="the answers readers marked not helpful, most often first (with their section)"
    )
    log.set_defaults(run=run_log)
    learn = command(
        "learn",
        "teach the bot questions and the paragraphs that answer them (questions.yml): from a file, or as readers confirmed",
        'FILE holds JSON lines {"question": ..., "language": ... (optional), "answer": TEXT or null}, TEXT quoted from '
        'an article (markdown included), null meaning "no answer": a help desk\'s history. Running it again changes '
        "nothing. What readers confirmed is listed by --review and taught by --accept. See docs/teaching.md.",
    )
    learn.add_argument("file", nargs="?", help="the JSON lines to learn from; - reads standard input")
    readers = learn.add_mutually_exclusive_group()
    readers.add_argument(
        "--review",
        action="store_true",
        help="list the (question, paragraph) pairs readers confirmed (a tapped alternative, a suggestion tapped after 👎, "
        "a 👍), with the distinct readers for and against each, and its id",
    )
    readers.add_argument("--accept", nargs="+", metavar="ID", help="teach these pairs: write them into questions.yml")
    readers.add_argument("--reject", nargs="+", metavar="ID", help="discard these pairs: review lists them no more")
    readers.add_argument(
        "--accept-confirmed",
        type=_readers,
        metavar="N",
        help="accept every pair that N distinct readers or more confirmed and fewer spoke against (off unless given)",
    )
    learn.add_argument("--limit", type=_log_limit, default=50, help="pairs --review lists (default 50)")
    learn.set_defaults(run=run_learn)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (`python -m bot ask ... | head -1`): stop quietly, as other command-line tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    if args.content_dir:
        settings = replace(settings, content_dir=args.content_dir)
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        return args.run(args, settings)
    except IndexBuildError as error:
        print(error, file=sys.stderr)
        return 1
