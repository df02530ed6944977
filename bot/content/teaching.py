"""Teaching the bot: lessons (a question and the paragraph that answers it, or "no answer") merged into `questions.yml`.

Lessons come from a help desk's history (`read_lessons`: the JSON lines of
`python -m bot learn FILE`, each answer quoted from an article and found by
`quotes`) or from readers' evidence the owner accepted (`chat.review`). Either
way the file is merged, never rebuilt from scratch: its entries stay as the
owner wrote them, a question it already teaches (the same words, `words_of`)
is not taught twice, and one it teaches to another paragraph keeps the file's
answer. So teaching the same lessons again changes nothing, to the byte.

The file is replaced whole or not at all (`write_taught`): the new text goes
to a temporary file beside it, is flushed to disk, and is renamed over the
old one, so a read-only folder, a full disk or a crash leaves the old file as
it was, and a running bot never reads half a file. A file the bot would not
read (over `MAX_ARTICLE_BYTES`), or one that changed meanwhile, is not written.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from ..language.frequencies import APP_LANGUAGE_MARGIN, commoner_in, frequencies_of
from ..language.languages import language_code
from ..language.textnorm import well_formed
from .articles import KnowledgeBase, Located
from .files import Unreadable, read_content
from .quotes import Quoted, QuoteIndex, place_name
from .taught import (
    TAUGHT_FILE,
    Asked,
    ParagraphRef,
    TaughtEntry,
    dump_taught,
    locate_all,
    read_taught,
    reference,
    words_of,
)
from .taught_layout import kept_layout, line_ending, own_comments

NO_ANSWER = '"no answer"'

QUESTION_LIMIT = 4096
"""Characters of a taught question: a Telegram message's, the longest a reader can ask."""


@dataclass(frozen=True)
class Lesson:
    """A question and the paragraph that answers it (None: the knowledge base has no answer)."""

    question: str
    lang: str | None
    """The question's language when known; None: the paragraph's (or, with no answer, the detector's at load)."""
    target: Located | None
    line: int = 0
    """Where it was read (1-based), for messages; 0 for a lesson from readers' evidence."""
    alike: int = 100
    """How alike the quoted answer and the paragraph were (100: word for word)."""
    part: bool = False
    """The answer quoted part of the paragraph, or held it among words of its own."""


@dataclass(frozen=True)
class Skipped:
    """A line of a teaching file that taught nothing, and why."""

    line: int
    kind: str
    """What went wrong, in a few words: lines are summed up by it when many went wrong alike."""
    detail: str = ""


class TeachingError(Exception):
    """`questions.yml` was not written; the message names it, says why and what to do."""


@dataclass
class Merged:
    """What merging lessons into `questions.yml`'s entries gave."""

    entries: list[TaughtEntry]
    added: list[Lesson] = field(default_factory=list)
    known: list[Lesson] = field(default_factory=list)
    """Already taught, to the same paragraph."""
    refused: list[tuple[Lesson, str]] = field(default_factory=list)
    """Taught to another paragraph already (by the file, or an earlier lesson): the reason, naming where."""


@dataclass(frozen=True)
class Current:
    """`questions.yml` as read before teaching: its entries, its bytes (None: no file yet)."""

    entries: list[TaughtEntry]
    data: bytes | None


def current_taught(content_dir: Path, max_bytes: int) -> Current:
    """The folder's `questions.yml` to merge into; `TeachingError` when rewriting it would lose something (an entry
    `read_taught` cannot read, a file it cannot read at all) or it is a link."""
    path = content_dir / TAUGHT_FILE
    if not os.path.lexists(path):
        return Current([], None)
    if os.path.islink(path):
        raise TeachingError(f"{path} is a link: learn replaces only a regular file; copy the file it points to in its place")
    try:
        data = read_content(content_dir, path, max_bytes)
    except (Unreadable, OSError) as error:
        raise TeachingError(f"{path} cannot be read ({getattr(error, 'strerror', None) or error}): nothing written") from error
    entries, issues = read_taught(content_dir, max_bytes)
    if issues:
        problems = "; ".join(issue.reason for issue in issues[:3]) + (f"; and {len(issues) - 3} more" if len(issues) > 3 else "")
        raise TeachingError(
            f"{path}: {problems}. Rewriting it would lose what cannot be read: correct it "
            "(`python -m bot check` lists every problem) and run learn again; nothing written"
        )
    return Current(entries, data)


def merge(entries: list[TaughtEntry], kb: KnowledgeBase, lessons: Iterable[Lesson]) -> Merged:
    """`lessons` added to `entries`: a question to the entry for its paragraph (a new one at the end when none has it),
    unless a question with the same words is taught already."""
    located = iter(locate_all([entry.answer for entry in entries if entry.answer is not None], kb))
    answers: list[Located | None | str] = [None if entry.answer is None else next(located) for entry in entries]
    taught: dict[str, tuple[Located | None | str, str]] = {}
    holder: dict[Located | None, int] = {}
    for index, (entry, answer) in enumerate(zip(entries, answers, strict=True)):
        if not isinstance(answer, str):
            holder.setdefault(answer, index)
        for asked in entry.questions:
            taught.setdefault(_key(asked.text), (answer, f"questions.yml line {entry.line}"))
    questions = [list(entry.questions) for entry in entries]
    merged = Merged(list(entries))
    for lesson in lessons:
        key = _key(lesson.question)
        if key in taught:
            answer, where = taught[key]
            if answer == lesson.target:
                merged.known.append(lesson)
            else:
                merged.refused.append((lesson, f"{where} teaches it {_named(kb, answer)}; kept that"))
            continue
        index = holder.get(lesson.target)
        if index is None:
            index = holder[lesson.target] = len(merged.entries)
            merged.entries.append(TaughtEntry((), _reference(kb, lesson.target)))
            questions.append([])
        own = merged.entries[index].answer
        lang = None if own is not None and lesson.lang == own.lang else lesson.lang
        questions[index].append(Asked(_cleaned(lesson.question), lang))
        taught[key] = (lesson.target, f"line {lesson.line}" if lesson.line else "an earlier pair")
        merged.added.append(lesson)
    merged.entries = [replace(entry, questions=tuple(asked)) for entry, asked in zip(merged.entries, questions, strict=True)]
    return merged


def _key(question: str) -> str:
    return " ".join(words_of(question))


def _reference(kb: KnowledgeBase, target: Located | None) -> ParagraphRef | None:
    if target is None:
        return None
    article = kb.article(target.article, target.lang)
    assert article is not None, target
    return reference(article, target.section, target.paragraph)


def _named(kb: KnowledgeBase, answer: Located | None | str) -> str:
    if answer is None:
        return NO_ANSWER
    if isinstance(answer, str):
        return f"a paragraph that is no longer there ({answer})"
    return f"another paragraph, {place_name(kb, answer)}"


def write_taught(content_dir: Path, text: str, before: bytes | None, max_bytes: int) -> Path:
    """`text` as the folder's `questions.yml`, replacing the file whole, or `TeachingError` and the old file as it was.

    `before` is the file as read before merging (None: there was none): a file
    changed since (the owner editing it, another `learn`) is not overwritten.
    """
    path = content_dir / TAUGHT_FILE
    data = text.encode("utf-8")
    if len(data) > max_bytes:
        raise TeachingError(
            f"{path} would be {len(data):,} bytes, over MAX_ARTICLE_BYTES ({max_bytes:,}), and the bot would not read it: "
            "nothing written; raise MAX_ARTICLE_BYTES, or teach fewer questions"
        )
    if os.path.islink(path):
        raise TeachingError(f"{path} is a link: learn replaces only a regular file; copy the file it points to in its place")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{TAUGHT_FILE}.", suffix=".tmp", dir=content_dir)
    except OSError as error:
        raise TeachingError(f"{path} not written: {error.strerror or error} in {content_dir}; nothing changed") from error
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, _mode(path))
        if _bytes(path, max_bytes) != before:
            raise TeachingError(f"{path} changed while learning (edited, or another learn): nothing written; run learn again")
        os.replace(temporary, path)
    except OSError as error:
        _remove(temporary)
        raise TeachingError(f"{path} not written: {error.strerror or error}; the old file is as it was") from error
    except BaseException:
        _remove(temporary)
        raise
    _sync_folder(content_dir)
    return path


def _mode(path: Path) -> int:
    """The old file's permissions, else a new file's (readable by all, as the articles beside it usually are)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _bytes(path: Path, max_bytes: int) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(max_bytes + 1)
    except FileNotFoundError:
        return None


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _sync_folder(folder: Path) -> None:
    """The rename itself on disk, where the system allows a folder to be synced."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def numbered_lines(stream: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | None]]:
    """Each line of `stream` with its number (1-based); None for one longer than `limit` bytes, read past, never held."""
    number = 0
    while line := stream.readline(limit + 1):
        number += 1
        if len(line) > limit and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = stream.readline(limit + 1)
            yield number, None
        else:
            yield number, line


def read_lessons(
    lines: Iterable[tuple[int, bytes | None]],
    quotes: QuoteIndex,
    limit: int,
    language: Callable[[str, str | None], str | None] = lambda question, read_in: None,
) -> Iterator[Lesson | Skipped]:
    """A lesson for each line `{"question": ..., "language": ... (optional), "answer": TEXT or null}`, else why not.

    TEXT is the answer as an article has it (a paragraph, or the key points'
    bullet lines), markdown included; null says the knowledge base has no
    answer. Blank lines are passed over. `language` names the language of a
    question the line gives none for, from the question and its answer's
    language (None: the answer's, or the detector's at load).
    """
    for number, raw in lines:
        if raw is None:
            yield Skipped(number, "too long", f"longer than {limit:,} bytes (MAX_ARTICLE_BYTES)")
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            yield Skipped(number, "not UTF-8", f"byte {error.start + 1} is not UTF-8 text")
            continue
        text = text.removeprefix("\ufeff") if number == 1 else text
        if not text.strip():
            continue
        yield _lesson(number, text, quotes, language)


def question_language(question: str, read_in: str | None, others: Sequence[str]) -> str | None:
    """The language of a question taught without one, when it is one of `others` (languages the bot speaks but the
    content lacks): `read_in` itself (a "no answer" question, read by lingua among every language), or the one its
    words are clearly commoner in than in `read_in` (its answer's). An English help desk over Danish articles exports
    its questions without a language, and taken for Danish they would be compared with Danish readers' words."""
    if read_in is None or not others:
        return None
    if read_in in others:
        return read_in
    return commoner_in(question, frequencies_of(read_in).zipf, others, APP_LANGUAGE_MARGIN)


def _lesson(number: int, text: str, quotes: QuoteIndex, language: Callable[[str, str | None], str | None]) -> Lesson | Skipped:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return Skipped(number, "not JSON", f"{error.msg} at column {error.colno}")
    except RecursionError:
        return Skipped(number, "not JSON", "nested too deeply")
    if not isinstance(value, dict):
        return Skipped(number, "not an object", 'expected {"question": ..., "answer": ...}')
    question = value.get("question")
    if not isinstance(question, str):
        return Skipped(number, "no question", '"question" should be text')
    question = _cleaned(question)
    if not words_of(question):
        return Skipped(number, "no question", "the question has no words")
    if len(question) > QUESTION_LIMIT:
        return Skipped(number, "no question", f"the question is longer than {QUESTION_LIMIT:,} characters")
    lang = value.get("language")
    if lang is not None:
        code = language_code(lang) if isinstance(lang, str) else None
        if code is None:
            return Skipped(number, "bad language", f'"language" {lang!r} is not a language code such as "tr"')
        lang = code
    if "answer" not in value:
        return Skipped(number, "no answer", '"answer" is missing: the answer\'s text, or null for "no answer"')
    answer = value["answer"]
    if answer is None:
        return Lesson(question, lang or language(question, None), None, number)
    if not isinstance(answer, str):
        return Skipped(number, "no answer", '"answer" should be the answer\'s text, or null for "no answer"')
    found = quotes.find(answer, lang)
    if isinstance(found, Quoted):
        lang = lang or language(question, found.target.lang)
        return Lesson(question, lang, found.target, number, found.alike, found.part)
    return Skipped(number, "no paragraph" if "matches no" in found else "several paragraphs", found)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _cleaned(question: str) -> str:
    """A question as `questions.yml` keeps it: one line, no control characters, no lone surrogates (from JSON escapes)."""
    text = _CONTROL.sub(" ", well_formed(question))
    return " ".join(text.split())


LISTED = 50
"""Lines of one kind (not taught for one reason, quoted with edits) listed one by one; the rest are summed up with
their line numbers, so a file of 100,000 bad lines gives a report one can read."""


@dataclass
class Outcome:
    """What `learn` did, as the lines it prints, and whether all went well (every line taught, the file written)."""

    lines: list[str]
    ok: bool


def learn_file(
    stream: BinaryIO,
    source: str,
    content_dir: Path,
    kb: KnowledgeBase,
    guess_language: Callable[[str], str | None],
    max_bytes: int,
    spoken: Collection[str] = (),
) -> Outcome:
    """The lessons of a teaching file (`read_lessons`) merged into the folder's `questions.yml`, and what was done.

    Nothing is read from `stream` when `questions.yml` could not be rewritten
    without loss (`current_taught`). A line over `max_bytes` is passed over.
    `spoken` are the languages the bot speaks: a question without a language,
    written in one of them the content lacks, is taught as in that language
    (`question_language`).
    """
    try:
        current = current_taught(content_dir, max_bytes)
    except TeachingError as error:
        return Outcome([str(error)], False)
    quotes = QuoteIndex(kb, guess_language)
    lessons: list[Lesson] = []
    skipped: list[Skipped] = []
    others = sorted(set(spoken) - set(kb.languages))

    def language(question: str, read_in: str | None) -> str | None:
        return question_language(question, read_in or guess_language(question), others)

    for item in read_lessons(numbered_lines(stream, max_bytes), quotes, max_bytes, language):
        if isinstance(item, Lesson):
            lessons.append(item)
        else:
            skipped.append(item)
    merged = merge(current.entries, kb, lessons)
    skipped += [Skipped(lesson.line, "taught already", why) for lesson, why in merged.refused]
    lines = _listed(
        [
            (
                lesson.line,
                "taught, quoted in part" if lesson.part else "taught, quoted with edits",
                f"{lesson.alike}% alike to {place_name(kb, lesson.target)}",
            )
            for lesson in lessons
            if lesson.target is not None and (lesson.part or lesson.alike < 100)
        ]
    )
    lines += _listed([(item.line, item.kind, item.detail) for item in sorted(skipped, key=lambda item: item.line)])
    targets = [lesson.target for lesson in merged.added + merged.known]
    paragraphs = len({target for target in targets if target is not None})
    lines.append(
        f"{source}: {counted(len(lessons) + len(skipped) - len(merged.refused), 'line')} read: "
        f"{len(targets):,} taught ({len(targets) - targets.count(None):,} to {counted(paragraphs, 'paragraph')}, "
        f"{targets.count(None):,} to {NO_ANSWER}), {len(skipped):,} not{' (listed above with why)' if skipped else ''}"
    )
    lines += _added(kb, merged.added)
    written = write_merged(content_dir, kb, merged, current, max_bytes, len(merged.known))
    return Outcome(lines + written.lines, written.ok and not skipped)


def write_merged(content_dir: Path, kb: KnowledgeBase, merged: Merged, current: Current, max_bytes: int, known: int) -> Outcome:
    """`questions.yml` written when `merged` added a question, and the lines that say so."""
    path = content_dir / TAUGHT_FILE
    already = f"; {known:,} taught already" if known else ""
    if not merged.added:
        return Outcome([f"{path}: unchanged, nothing new to teach{already}"], True)
    comments = own_comments(current.data)
    before = current.data.decode("utf-8") if current.data else ""
    kept = kept_layout(before, current.entries, merged.entries) if comments else None
    text, count = kept or (dump_taught(merged.entries).replace("\n", line_ending(before)), len(merged.entries))
    try:
        write_taught(content_dir, text, current.data, max_bytes)
    except TeachingError as error:
        return Outcome([str(error)], False)
    entries = "1 entry" if count == 1 else f"{count:,} entries"
    lines = [f"{path}: {counted(len(merged.added), 'question')} added{already}; {entries} in all"]
    if kept:
        lines.append(
            f"note: your comments and layout are kept: new questions are at the end of your entry for their paragraph "
            f"where it lists one question a line, the others in entries at the end of {TAUGHT_FILE}"
        )
    elif comments:
        lines.append(
            f"note: learn wrote {TAUGHT_FILE} in its own layout (adding after your text would not have read as a list of "
            f"entries), so the comments that were on {'line' if len(comments) == 1 else 'lines'} {_ranges(comments)} are gone "
            "(the version before is in your history)"
        )
    return Outcome(lines, True)


def _added(kb: KnowledgeBase, added: list[Lesson]) -> list[str]:
    """Per paragraph that gained questions, how many, in the order first taught; `LISTED` of them, then a count."""
    gained: dict[Located | None, int] = {}
    for lesson in added:
        gained[lesson.target] = gained.get(lesson.target, 0) + 1
    lines = [
        f"  +{count} {NO_ANSWER if target is None else place_name(kb, target)}"
        for target, count in list(gained.items())[:LISTED]
    ]
    if len(gained) > LISTED:
        lines.append(f"  and {len(gained) - LISTED:,} more paragraphs")
    return lines


def _listed(items: list[tuple[int, str, str]]) -> list[str]:
    """`(line, kind, detail)` one a line, at most `LISTED` of each kind; the rest of a kind on one line with their numbers."""
    shown: dict[str, int] = {}
    rest: dict[str, list[int]] = {}
    lines = []
    for line, kind, detail in items:
        if shown.get(kind, 0) < LISTED:
            shown[kind] = shown.get(kind, 0) + 1
            lines.append(f"line {line}: {kind}: {detail}" if detail else f"line {line}: {kind}")
        else:
            rest.setdefault(kind, []).append(line)
    lines += [f"{counted(len(numbers), 'more line')} {kind}: {_ranges(numbers)}" for kind, numbers in rest.items()]
    return lines


def _ranges(numbers: list[int]) -> str:
    """1, 2, 3, 7, 9, 10 → "1-3, 7, 9-10"."""
    spans: list[list[int]] = []
    for number in numbers:
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def counted(count: int, noun: str) -> str:
    """ "1 line", "3 lines": the commands speak English."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"
