"""Readers' evidence, for the owner to review: questions, and the paragraphs readers showed answer them.

A reader who taps a paragraph offered beside an answer, taps a suggested
section after giving the answer 👎, or gives an answer 👍, says which
paragraph answers their question; a 👎 says the answer did not. The store
counts those readers per (question, paragraph) pair (`Storage.reader_evidence`),
each once however often they tapped. Nothing of it reaches the ranking: the
bot answers from the content folder alone, so one reader, or many taps of
one, cannot change what anyone else is answered. A pair takes effect when the
owner accepts it (`python -m bot learn --accept ID`), which writes it into
`questions.yml` as any lesson is written (`content.teaching`), or, if the
owner asks for it (`--accept-confirmed N`), when N distinct readers confirmed
it and fewer spoke against it. A rejected pair is not offered again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..content.articles import HIGHLIGHTS, KnowledgeBase, Located
from ..content.quotes import place_name
from ..content.taught import ParagraphRef, locate, opening_of, words_of
from ..content.teaching import Lesson, Outcome, TeachingError, counted, current_taught, merge, write_merged
from ..storage import Storage
from ..storage.records import Evidence, StoreError


@dataclass(frozen=True)
class Pair:
    """A pair readers confirmed, as the owner reviews it."""

    id: str
    """Short and stable: the same pair has the same id in every review (`pair_id`)."""
    evidence: Evidence
    target: Located | None
    """The paragraph in today's content; None when it is there no longer (its article or section changed)."""
    taught_elsewhere: bool = False
    """`questions.yml` teaches the question another paragraph already: accepting leaves that as it is."""


def pair_id(evidence: Evidence) -> str:
    """Eight hex digits naming the pair: its question's words and its paragraph, whoever confirmed it."""
    named = "\0".join(map(str, (evidence.question_key, evidence.article_key, evidence.article_lang, evidence.section, evidence.paragraph)))
    return hashlib.blake2b(named.encode(), digest_size=4).hexdigest()


async def pairs_to_review(store: Storage, kb: KnowledgeBase) -> list[Pair]:
    """The pairs readers confirmed that the owner has neither decided on nor taught already, the most confirmed first.

    Raises `StoreError` when the store cannot be read."""
    taught = {" ".join(words_of(pair.question)): pair.target for pair in kb.taught}
    pairs = []
    for evidence in await store.reader_evidence():
        target = _located(kb, evidence)
        key = " ".join(words_of(evidence.question))
        if key in taught and target is not None and taught[key] == target:
            continue
        pairs.append(Pair(pair_id(evidence), evidence, target, key in taught))
    return pairs


def _located(kb: KnowledgeBase, evidence: Evidence) -> Located | None:
    """The paragraph the store names in today's content: by its opening words, as `questions.yml` finds one, wherever
    edits have moved it and not where another paragraph took its place; by its section and place in it where the log
    kept no opening (entries written before it did)."""
    if evidence.opening:
        found = locate(ParagraphRef(evidence.article_key, evidence.article_lang, evidence.section, evidence.opening), kb)
        return found if isinstance(found, Located) else None
    article = kb.article(evidence.article_key, evidence.article_lang)
    if article is None:
        return None
    if evidence.paragraph < 0:  # the key points, as the log names them
        found = bool(article.highlights) and evidence.section == article.highlights_heading
        return Located(article.key, article.lang, HIGHLIGHTS, 0) if found else None
    for index, section in enumerate(article.sections):
        if section.heading == evidence.section and 0 <= evidence.paragraph < len(section.paragraphs):
            return Located(article.key, article.lang, index, evidence.paragraph)
    return None


def review_lines(kb: KnowledgeBase, pairs: list[Pair], limit: int) -> list[str]:
    """The pairs as a table: id, readers for and against, the question, and under it the paragraph (its opening words)."""
    lines = [f"{'id':8}  {'for':>4}  {'against':>7}  question → paragraph"]
    indent = " " * 25
    for pair in pairs[:limit]:
        evidence = pair.evidence
        lines.append(
            f"{pair.id:8}  {evidence.readers_for:>4}  {evidence.readers_against:>7}  {evidence.question} [{evidence.language or '?'}]"
        )
        if pair.target is None:
            where = f"{evidence.article_key} [{evidence.article_lang}] § {evidence.section}"
            lines.append(f"{indent}→ {where}: no longer in the content (edited since); reject it")
            continue
        lines.append(f"{indent}→ {place_name(kb, pair.target)}: {_opening(kb, pair.target)}")
        if pair.taught_elsewhere:
            lines.append(f"{indent}  questions.yml teaches this question another paragraph: accepting leaves that; edit it by hand")
    if len(pairs) > limit:
        lines.append(f"{counted(len(pairs) - limit, 'more pair')}: --limit shows them")
    return lines


def _opening(kb: KnowledgeBase, place: Located) -> str:
    article = kb.article(place.article, place.lang)
    assert article is not None, place
    if place.section == HIGHLIGHTS:
        return opening_of(article.highlights[0])
    return opening_of(article.sections[place.section].paragraphs[place.paragraph])


def chosen(pairs: list[Pair], ids: list[str]) -> list[Pair] | str:
    """The pairs `ids` name, or why not all of them can be decided on: an id no pair has."""
    by_id = {pair.id: pair for pair in pairs}
    unknown = [given for given in ids if given.lower() not in by_id]
    if unknown:
        return f"no pair to review has the id {', '.join(unknown)}: `python -m bot learn --review` lists them; nothing done"
    return list({given.lower(): by_id[given.lower()] for given in ids}.values())


def confirmed(pairs: list[Pair], readers: int) -> list[Pair]:
    """The pairs at least `readers` distinct readers confirmed and fewer spoke against, that can be taught as they are."""
    return [
        pair
        for pair in pairs
        if pair.target is not None
        and not pair.taught_elsewhere
        and pair.evidence.readers_for >= readers
        and pair.evidence.readers_for > pair.evidence.readers_against
    ]


async def accept(store: Storage, kb: KnowledgeBase, content_dir: Path, max_bytes: int, pairs: list[Pair]) -> Outcome:
    """`pairs` written into `questions.yml` (all or none), then kept as accepted so that review no longer lists them."""
    gone = [pair.id for pair in pairs if pair.target is None]
    if gone:
        return Outcome([f"{', '.join(gone)}: the paragraph is no longer in the content, so it cannot be taught; reject it. Nothing done"], False)
    try:
        current = current_taught(content_dir, max_bytes)
    except TeachingError as error:
        return Outcome([str(error)], False)
    lessons = [Lesson(pair.evidence.question, pair.evidence.language, pair.target) for pair in pairs]
    merged = merge(current.entries, kb, lessons)
    written = write_merged(content_dir, kb, merged, current, max_bytes, len(merged.known))
    if not written.ok:
        return written
    refused = {id(lesson): why for lesson, why in merged.refused}
    lines = [f"{pair.id}: not taught: {refused[id(lesson)]}" for pair, lesson in zip(pairs, lessons, strict=True) if id(lesson) in refused]
    taught = [pair.evidence for pair, lesson in zip(pairs, lessons, strict=True) if id(lesson) not in refused]
    try:
        await store.decide(taught, accepted=True)
    except StoreError as error:
        return Outcome([*lines, *written.lines, f"the pairs are taught, but the store did not keep the verdict: {error}"], False)
    return Outcome([*lines, *written.lines], not refused)


async def reject(store: Storage, pairs: list[Pair]) -> Outcome:
    """`pairs` kept as rejected: review no longer lists them, whoever confirms them again."""
    try:
        await store.decide([pair.evidence for pair in pairs], accepted=False)
    except StoreError as error:
        return Outcome([f"nothing rejected: {error}"], False)
    return Outcome([f"{counted(len(pairs), 'pair')} rejected: {', '.join(pair.id for pair in pairs)}"], True)
