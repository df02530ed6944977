"""Taught questions: what readers asked, and the paragraph that answers each, kept in the content folder.

They are content, not data the bot keeps to itself: `questions.yml` lies
beside the articles, is versioned and reviewed with them, and every instance
that reads the folder answers alike. A file such as

    - article: personal-budget
      lang: tr
      section: Acil durum fonu
      paragraph: Acil durum fonu, beklenmedik giderleri karşılamak için ayrılan…
      questions:
        - kara gün parası ne kadar olmalı
        - {question: how big should the emergency fund be, lang: en}
    - no answer: true
      questions:
        - bugünkü konut kredisi faizi ne

names a paragraph by its article (`translationKey` or slug), its language,
its section's heading and its opening words, so that it is still found after
the paragraphs around it move or its later sentences are edited; `paragraph:
highlights` names the article's key points. A question is in the entry's
language unless it says otherwise. An entry with `no answer: true` says the
knowledge base does not answer its questions.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from rapidfuzz import fuzz

from ..language.languages import language_code
from .articles import HIGHLIGHTS, Article, KnowledgeBase, LoadIssue, Located, TaughtPair
from .yaml_files import TOO_DEEP, read_yaml_list

TAUGHT_FILE = "questions.yml"

HIGHLIGHTS_NAME = "highlights"
"""What `paragraph:` says to name an article's key points rather than one paragraph."""

OPENING_WORDS = 12
"""Words of a paragraph written to name it: enough to tell it from its neighbours, few enough to read at a glance."""

CLOSE_OPENING = 85
"""How alike (rapidfuzz's ratio, 0 to 100) an edited opening must still be to name its paragraph: a word changed in
twelve, not a different paragraph that happens to start the same way."""


@dataclass(frozen=True)
class Asked:
    """One taught question, as a reader typed it."""

    text: str
    lang: str | None = None
    """Its language where it differs from the paragraph's (or where the entry has no paragraph); else None."""


@dataclass(frozen=True)
class ParagraphRef:
    """A paragraph as the content owner names it in `questions.yml`."""

    article: str
    lang: str
    section: str
    opening: str
    """The paragraph's opening words, or `HIGHLIGHTS_NAME`."""


@dataclass(frozen=True)
class TaughtEntry:
    """Questions and where their answer is; `answer` None means the knowledge base has none."""

    questions: tuple[Asked, ...]
    answer: ParagraphRef | None
    line: int = 0
    """Where the entry starts in `questions.yml` (1-based), for messages; 0 when not read from a file."""


def words_of(text: str) -> list[str]:
    """A text's words, compared case-, width- and markup-blind: how an opening or an answer is matched to content."""
    return re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold())


def opening_of(text: str) -> str:
    """The words `questions.yml` names a paragraph by: its first `OPENING_WORDS`, marked when cut."""
    words = text.split()
    return " ".join(words[:OPENING_WORDS]) + ("…" if len(words) > OPENING_WORDS else "")


def reference(article: Article, section: int, paragraph: int) -> ParagraphRef:
    """How `questions.yml` names the paragraph at (`section`, `paragraph`) of `article`."""
    if section == HIGHLIGHTS:
        return ParagraphRef(article.key, article.lang, article.highlights_heading, HIGHLIGHTS_NAME)
    heading = article.sections[section].heading
    return ParagraphRef(article.key, article.lang, heading, opening_of(article.sections[section].paragraphs[paragraph]))


def locate(ref: ParagraphRef, kb: KnowledgeBase) -> Located | str:
    """The paragraph `ref` names, or why none is: its section is a hint, its opening words decide."""
    return locate_all([ref], kb)[0]


def locate_all(refs: Sequence[ParagraphRef], kb: KnowledgeBase) -> list[Located | str]:
    """`locate` for each of `refs`, each article's paragraphs read once however many entries name them: one at a time,
    58,000 entries over 10,000 articles took 21 s, each reading its article's every paragraph again."""
    found: list[Located | str] = [""] * len(refs)
    by_article: dict[tuple[str, str], list[int]] = {}
    for index, ref in enumerate(refs):
        by_article.setdefault((ref.article, ref.lang), []).append(index)
    for (key, lang), indexes in by_article.items():
        article = kb.article(key, lang)
        if article is None:
            for index in indexes:
                found[index] = f"no article {key!r} in language {lang!r}"
            continue
        paragraphs = [((s, p), words_of(text)) for s, section in enumerate(article.sections) for p, text in enumerate(section.paragraphs)]
        for index in indexes:
            found[index] = _locate(refs[index], article, paragraphs)
    return found


def _locate(ref: ParagraphRef, article: Article, paragraphs: list[tuple[tuple[int, int], list[str]]]) -> Located | str:
    """The paragraph of `article` that `ref` names, given each paragraph's place and words."""
    opening = words_of(ref.opening)
    if opening == [HIGHLIGHTS_NAME]:
        if not article.highlights:
            return f"{article.path.name} has no highlights"
        return Located(article.key, article.lang, HIGHLIGHTS, 0)
    if not opening:
        return "the paragraph's opening words are empty"
    same = [place for place, words in paragraphs if words[: len(opening)] == opening]
    if not same:
        same = _closest(paragraphs, opening)
    if len(same) > 1:
        heading = words_of(ref.section)
        same = [(s, p) for s, p in same if words_of(article.sections[s].heading) == heading] or same
    if len(same) == 1:
        return Located(article.key, article.lang, *same[0])
    if same:
        return f"{len(same)} paragraphs of {article.path.name} begin {ref.opening!r}; quote more of its opening words"
    return f"no paragraph of {article.path.name} begins {ref.opening!r}"


def _closest(paragraphs: list[tuple[tuple[int, int], list[str]]], opening: list[str]) -> list[tuple[int, int]]:
    """The paragraphs whose opening is, after an edit, still most like `opening`: all that tie at the best."""
    wanted = " ".join(opening)
    scored = [(fuzz.ratio(wanted, " ".join(words[: len(opening)])), place) for place, words in paragraphs]
    best = max((score for score, _ in scored), default=0)
    return [place for score, place in scored if score == best] if best >= CLOSE_OPENING else []


def load_taught(content_dir: Path, kb: KnowledgeBase, max_bytes: int) -> tuple[list[TaughtPair], list[LoadIssue]]:
    """The folder's taught questions resolved against `kb`; an entry that names no paragraph is a warning that says
    which line and what to do, and costs nothing else."""
    path = content_dir / TAUGHT_FILE
    if not os.path.lexists(path):
        return [], []
    entries, issues = read_taught(content_dir, max_bytes)
    located = iter(locate_all([entry.answer for entry in entries if entry.answer is not None], kb))
    pairs: list[TaughtPair] = []
    for entry in entries:
        target: Located | None = None
        if entry.answer is not None:
            found = next(located)
            if isinstance(found, str):
                issues.append(LoadIssue(path, f"line {entry.line}: {found}; correct the entry or remove it", skipped=False))
                continue
            target = found
        fallback = entry.answer.lang if entry.answer else None
        pairs += [TaughtPair(asked.text, asked.lang or fallback, target) for asked in entry.questions]
    return pairs, issues


def read_taught(content_dir: Path, max_bytes: int) -> tuple[list[TaughtEntry], list[LoadIssue]]:
    """The entries of the folder's `questions.yml` as written; a malformed entry is left out with a warning."""
    path = content_dir / TAUGHT_FILE
    if not os.path.lexists(path):
        return [], []
    items, refused = read_yaml_list(content_dir, path, max_bytes, "expected a list of entries, each with its questions")
    if refused:
        return [], [refused]
    entries: list[TaughtEntry] = []
    issues: list[LoadIssue] = []
    for line, item in items:
        try:
            entry = entry_of(item, line)
        except RecursionError:  # the repr of a question nested hundreds of lists deep, for the message
            entry = TOO_DEEP.format("the entry")
        if isinstance(entry, str):
            issues.append(LoadIssue(path, f"line {line}: {entry}; entry ignored", skipped=False))
            continue
        entries.append(entry)
        if unknown := sorted(map(str, set(item) - ENTRY_KEYS)) if isinstance(item, dict) else []:
            named = ", ".join(f"`{key}`" for key in unknown)
            issues.append(LoadIssue(path, f"line {line}: {named} ignored: an entry has {KNOWN_KEYS}", skipped=False))
    return entries, issues


ENTRY_KEYS = frozenset({"article", "lang", "section", "paragraph", "questions", "no answer"})
"""What an entry of `questions.yml` may say: a misspelt key (`question:`, `questions2:`) would otherwise be dropped
without a word, and with it the questions the owner meant to teach."""
KNOWN_KEYS = "`questions` and either `article`, `lang`, `section`, `paragraph` or `no answer`"


def entry_of(value: object, line: int) -> TaughtEntry | str:
    """The entry an item of `questions.yml` (read at `line`) holds, or what is wrong with it."""
    if not isinstance(value, dict):
        return f"expected a mapping with {KNOWN_KEYS}"
    questions = value.get("questions")
    if not isinstance(questions, list) or not questions:
        return "`questions` should be a list of at least one question"
    asked: list[Asked] = []
    for question in questions:
        if isinstance(question, dict) and isinstance(question.get("question"), str):
            asked.append(Asked(question["question"].strip(), language_code(question.get("lang"))))
        elif isinstance(question, (str, int, float)) and str(question).strip():
            asked.append(Asked(str(question).strip()))
        else:
            return f"question {question!r} is neither text nor `{{question: TEXT, lang: CODE}}`"
    if value.get("no answer") is True:
        return TaughtEntry(tuple(asked), None, line)
    missing = [key for key in ("article", "lang", "paragraph") if not str(value.get(key) or "").strip()]
    if missing:
        return f"missing {', '.join(missing)} (or `no answer: true`)"
    lang = language_code(value["lang"])
    if lang is None:
        return f"lang {value['lang']!r} is not a language code"
    ref = ParagraphRef(str(value["article"]).strip(), lang, str(value.get("section") or "").strip(), str(value["paragraph"]).strip())
    return TaughtEntry(tuple(asked), ref, line)


HEADER = """\
# Questions readers asked, and the paragraph that answers each: the bot answers them, and questions like them, in
# every language of the article. Written by `python -m bot learn`; edit by hand as you would an article.
# An entry names a paragraph by article (translationKey or slug), lang, section heading and opening words
# (`paragraph: highlights` for the key points); `no answer: true` says the knowledge base does not answer its
# questions. A question in another language than the paragraph's is written {question: ..., lang: xx}.
"""


def dump_taught(entries: list[TaughtEntry]) -> str:
    """`questions.yml`'s text for `entries`, in a stable layout so that writing the same entries changes nothing."""
    return HEADER + (dump_entries(entries) if entries else "[]\n")


def dump_entries(entries: list[TaughtEntry]) -> str:
    """`entries` as the items of `questions.yml`'s list, without its header: what `learn` adds after an owner's own."""
    items: list[dict[str, object]] = []
    for entry in entries:
        item: dict[str, object] = {}
        if entry.answer is None:
            item["no answer"] = True
        else:
            ref = entry.answer
            item.update(article=ref.article, lang=ref.lang, section=ref.section, paragraph=ref.opening)
        fallback = entry.answer.lang if entry.answer else None
        item["questions"] = [_question_value(asked, fallback) for asked in entry.questions]
        items.append(item)
    return "".join(_dumped(item) for item in items)


def dumped_question(asked: Asked, fallback: str | None) -> str:
    """One question as an item of an entry's list is written, without its dash, on one line: its text, or `{question:
    TEXT, lang: CODE}` when its language is not the entry's (`fallback`)."""
    value = _question_value(asked, fallback)
    # flow style for the mapping alone: a list of one text in flow style would be `[TEXT]`
    return _dumped(value, flow=None if isinstance(value, dict) else False).removeprefix("- ").rstrip("\n")


def _question_value(asked: Asked, fallback: str | None) -> str | dict[str, str]:
    return asked.text if asked.lang in (None, fallback) else {"question": asked.text, "lang": asked.lang}


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
"""Characters beyond the Basic Multilingual Plane (emoji): libyaml's emitter writes them as escapes, `\\U0001F600`."""


def _dumped(item: object, flow: bool | None = False) -> str:
    """One entry (or question) as an item of a YAML list: one at a time, since the whole list at once held the
    representation of every entry (200 MB more for 100,000 questions); with libyaml's emitter, 7 times as fast as
    PyYAML's and the same text, except for an entry with an emoji, which PyYAML's writes as the reader typed it."""
    readable = _ASTRAL.search(repr(item)) is not None or not hasattr(yaml, "CSafeDumper")
    dumper = yaml.SafeDumper if readable else yaml.CSafeDumper
    return yaml.dump([item], Dumper=dumper, allow_unicode=True, sort_keys=False, width=1_000_000, default_flow_style=flow)
