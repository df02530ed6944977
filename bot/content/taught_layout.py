"""Adding taught questions to an owner's own `questions.yml` without rewriting it: their comments and layout kept.

An owner who annotates the file ("checked with HR in March") expects
`learn` to add to it as they would by hand: a new question for a paragraph
they already have an entry for goes at the end of that entry's list, in
their indentation; only a paragraph no entry names gets an entry of its own,
at the end. The text is edited, never regenerated, and the edit is checked
by reading it back: if it does not read as exactly the merged entries, the
caller falls back to writing the file in `learn`'s own layout and says which
comments that drops.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import yaml

from .taught import HEADER, Asked, TaughtEntry, dump_entries, dumped_question, entry_of
from .yaml_files import list_items

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_ITEM_PREFIX = re.compile(r" *- +")
"""What stands before a question of a block list on its line: the owner's indentation, a dash and a space or more."""


def own_comments(data: bytes | None) -> list[int]:
    """The lines of a `questions.yml` holding a comment of the owner's, on a line of its own or after a value (not
    learn's header): what rewriting the file would drop.

    Comments are what lies between the YAML scanner's tokens, so a `#`
    inside a question ("C# geliştirici maaşı") is not one. A file the
    scanner cannot read has no comments to keep (`current_taught` has
    refused it before).
    """
    if not data:
        return []
    text = data.decode("utf-8", errors="replace")
    header = set(HEADER.splitlines())
    if all(line in header for line in text.splitlines() if "#" in line):
        return []
    found: set[int] = set()
    end = line = 0
    try:
        for token in yaml.scan(text, Loader=_LOADER):
            start = token.start_mark.index
            if start > end:
                gap = text[end:start]
                found.update(line + number + 1 for number, part in enumerate(gap.split("\n")) if "#" in part)
                line += gap.count("\n")
            if token.end_mark.index > max(start, end):
                line += text.count("\n", max(start, end), token.end_mark.index)
            end = max(end, token.end_mark.index)
    except yaml.YAMLError:
        return []
    lines = text.splitlines()
    return sorted(number for number in found if number > len(lines) or lines[number - 1] not in header)


@dataclass(frozen=True)
class _ListEnd:
    """Where a question goes at the end of an entry's block list of questions, and what it starts its line with."""

    at: int
    """Index in the text of the line after the list's last question (the text's length when it has no newline)."""
    prefix: str


def kept_layout(text: str, before: list[TaughtEntry], after: list[TaughtEntry]) -> tuple[str, int] | None:
    """`text` (whose entries are `before`) with the questions `after` adds, and how many entries it then holds; None
    when no edit of `text` reads back as those entries.

    `after` is `before` with questions added to some of its entries, then new
    entries (`teaching.merge`). An entry's new questions go at the end of its
    list when that list is written one question a line, else at the end of
    another entry of the owner's for the same paragraph that is; failing both
    (`questions: [a, b]`) they form an entry of their own at the end, beside
    the new ones. Lines end as the owner's do (`line_ending`), and a byte-order
    mark an editor wrote stays.
    """
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    text = text[len(bom) :]
    ends = _question_list_ends(text)
    if ends is None or len(ends) != len(before):
        return None
    home: dict[object, int] = {}
    for index, (entry, end) in enumerate(zip(before, ends, strict=True)):
        if end is not None:
            home.setdefault(entry.answer, index)
    added: list[list[Asked]] = [[] for _ in before]
    extra: list[TaughtEntry] = []
    for index, (entry, grown) in enumerate(zip(before, after, strict=False)):
        new = grown.questions[len(entry.questions) :]
        to = index if ends[index] is not None else home.get(entry.answer)
        if new and to is None:
            extra.append(TaughtEntry(new, entry.answer))
        elif new:
            added[to] += new
    newline = line_ending(text)
    pieces: list[str] = []
    done = 0
    for index in sorted((i for i, new in enumerate(added) if new), key=lambda i: ends[i].at):
        end, entry = ends[index], before[index]
        fallback = entry.answer.lang if entry.answer else None
        lines = "".join(f"{end.prefix}{dumped_question(asked, fallback)}{newline}" for asked in added[index])
        pieces += [text[done : end.at], "" if end.at == 0 or text[end.at - 1] == "\n" else newline, lines]
        done = end.at
    pieces.append(text[done:])
    edited = "".join(pieces)
    extra += after[len(before) :]
    if extra:
        edited += ("" if not edited or edited.endswith("\n") else newline) + dump_entries(extra).replace("\n", newline)
    expected = [replace(entry, questions=entry.questions + tuple(new)) for entry, new in zip(before, added, strict=True)]
    expected += extra
    return (bom + edited, len(expected)) if _reads_as(edited, expected) else None


def line_ending(text: str) -> str:
    """The line ending most of `text`'s lines have ("\\r\\n" for a file written on Windows), "\\n" when none do."""
    windows = text.count("\r\n")
    return "\r\n" if windows > text.count("\n") - windows else "\n"


def _reads_as(text: str, expected: list[TaughtEntry]) -> bool:
    """Whether `text` reads as exactly these entries' questions and answers, in this order."""
    try:
        items = list_items(text)
    except yaml.YAMLError:
        return False
    if items is None or len(items) != len(expected):
        return False
    entries = [entry_of(item, line) for line, item in items]
    return all(
        isinstance(entry, TaughtEntry) and (entry.questions, entry.answer) == (wanted.questions, wanted.answer)
        for entry, wanted in zip(entries, expected, strict=True)
    )


def _question_list_ends(text: str) -> list[_ListEnd | None] | None:
    """Per top-level entry of `text`, where a question is added to its `questions` list (None where the list is not
    written one question a line); None when the text is not a list of mappings (a document of comments alone is an
    empty list).

    Read from the parser's events, as `yaml_files.list_items` reads the file:
    the depth says where an event is (1: the list, 2: an entry's keys and
    values, 3: a question), and a question ends where its last scalar does, or
    where a question written in flow style (`{question: ..., lang: en}`)
    closes, which may be a line further.
    """
    ends: list[_ListEnd | None] = []
    flows: list[bool] = []
    """Per open collection, whether it is written in flow style: only then does its end mark where it ends."""
    key_expected = in_questions = False
    first: yaml.Mark | None = None
    last_end = 0
    try:
        for event in yaml.parse(text, Loader=_LOADER):
            depth = len(flows)
            if isinstance(event, yaml.StreamStartEvent | yaml.DocumentStartEvent | yaml.DocumentEndEvent | yaml.StreamEndEvent):
                continue
            if isinstance(event, yaml.CollectionEndEvent):
                if in_questions and depth > 3 and flows[-1]:
                    last_end = max(last_end, event.end_mark.index)
                flows.pop()
                if depth == 3:
                    if in_questions and first is not None:
                        ends[-1] = _list_end(text, first, last_end)
                    in_questions, key_expected = False, True
                continue
            if depth == 0:
                if isinstance(event, yaml.ScalarEvent) and event.value == "" and event.implicit[0]:
                    continue
                if not isinstance(event, yaml.SequenceStartEvent):
                    return None
            elif depth == 1:
                if not isinstance(event, yaml.MappingStartEvent):
                    return None
                ends.append(None)
                key_expected = True
            elif depth == 2:
                if key_expected:
                    in_questions = isinstance(event, yaml.ScalarEvent) and event.value == "questions"
                else:
                    in_questions = in_questions and isinstance(event, yaml.SequenceStartEvent) and not event.flow_style
                    first, last_end = None, 0
                key_expected = not key_expected and not isinstance(event, yaml.CollectionStartEvent)
            elif in_questions:
                if depth == 3 and first is None:
                    first = event.start_mark
                if isinstance(event, yaml.ScalarEvent):
                    last_end = max(last_end, event.end_mark.index)
            if isinstance(event, yaml.CollectionStartEvent):
                flows.append(bool(event.flow_style))
    except yaml.YAMLError:
        return None
    return ends


def _list_end(text: str, first: yaml.Mark, last_end: int) -> _ListEnd | None:
    """The place after a block list's last question, and its questions' line prefix (from the first's line)."""
    line_start = text.rfind("\n", 0, first.index) + 1
    prefix = text[line_start : first.index]
    if not _ITEM_PREFIX.fullmatch(prefix):
        return None
    newline = text.find("\n", max(last_end - 1, 0))
    return _ListEnd(len(text) if newline < 0 else newline + 1, prefix)
