"""What both backends share: the records they keep and give back, the errors they raise, and how they count questions.

Everything above storage (the conversation, the CLI, the Telegram side) sees
the database through these types and the `Storage` interface, never through
a backend's rows.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Literal

_WORDS = re.compile(r"\w+")

SWEEP_EVERY = 1000
"""Admissions (and deliveries) between deletions of idle users' flood rows of that scope (and of forgotten deliveries)."""


@dataclass(frozen=True)
class ChatState:
    article_key: str | None
    article_lang: str | None
    language: str | None
    """Language of the chat's last question."""


@dataclass(frozen=True)
class LoggedQuestion:
    chat_id: int | None
    user_id: int | None
    question: str
    language: str | None
    kind: str
    article_key: str | None
    section: str | None
    score: float
    paragraph: int | None = None
    """The answer's place in its section, from 0 (-1: the article's key points; None: no answer), so that a reader's
    👍 or 👎 names the paragraph it is about."""
    opening: str | None = None
    """The answer's paragraph as `questions.yml` names it (`content.taught.reference`): its place may hold another
    paragraph by the time the owner reviews the readers' evidence."""

    def row(
        self,
    ) -> tuple[
        int | None, int | None, str, str | None, str, str | None, str | None, float, bool, int | None, int | None, str | None
    ]:
        """The log entry's columns after `asked_at`, in `questions` order, as both backends insert them (the answer's
        article language, which `record_answer` takes beside it, follows)."""
        return (
            self.chat_id,
            self.user_id,
            self.question,
            self.language,
            self.kind,
            self.article_key,
            self.section,
            self.score,
            self.kind != "none",
            question_key(self.question),
            self.paragraph,
            self.opening,
        )


Offer = Literal["alternative", "suggestion"]
"""How a tapped paragraph was offered: among the alternatives of an answer (or a "no answer"), or among the sections
suggested under it, which count as the reader's choice only after their 👎 on the answer."""


@dataclass(frozen=True)
class Choice:
    """The paragraph a reader tapped among those offered with an answer or a "no answer": what they were looking for."""

    article_key: str
    article_lang: str
    section: str
    """The section's heading, as the question log names the section that answered."""
    paragraph: int
    """The paragraph's place in its section, from 0 (-1: the article's key points)."""
    offered: Offer = "alternative"
    opening: str | None = None
    """The paragraph as `questions.yml` names it, as `LoggedQuestion.opening`."""

    def row(self) -> tuple[str, str, str, int, str, str | None]:
        """Its columns in `choices` after the question and the reader, as both backends insert them."""
        return (self.article_key, self.article_lang, self.section, self.paragraph, self.offered, self.opening)


@dataclass(frozen=True)
class Evidence:
    """What readers said of one pair: a question (by its words, `question_key`) and a paragraph that may answer it.

    For: each reader who tapped the paragraph among the alternatives offered
    for the question, tapped it among the suggestions after their 👎 on the
    answer, or gave 👍 to it as the answer. Against: each reader who gave it 👎
    as the answer, or as the paragraph they had tapped (a tap to look is no
    confirmation once the reader says it did not help). Readers are counted
    once however often they tapped.
    """

    question_key: int
    article_key: str
    article_lang: str
    section: str
    """The section's heading, as the question log names it."""
    paragraph: int
    """The paragraph's place in its section, from 0 (-1: the article's key points)."""
    question: str
    """The question as last typed with these words."""
    language: str | None
    """The language it was read in."""
    readers_for: int
    readers_against: int
    opening: str | None = None
    """The paragraph as `questions.yml` names it (its opening words), when the log kept it: what finds it in today's
    content wherever it has moved, and tells that another paragraph took its place."""


@dataclass(frozen=True)
class Tally:
    asked: int
    answered: int

    @property
    def share(self) -> int:
        """Percentage answered, rounded."""
        return round(100 * self.answered / self.asked) if self.asked else 0


@dataclass(frozen=True)
class QuestionStats:
    """What a content owner wants to know: how much is asked, how much is answered, and what is missing."""

    day: Tally
    week: Tally
    by_language: dict[str, Tally]
    """Last 7 days, per language of the question."""
    unanswered: list[tuple[str, int]]
    """The most frequent unanswered questions of the last 7 days, with their counts.

    Questions differing only in case, spacing or punctuation count as one, shown as most recently typed.
    """
    votes: Tally = Tally(0, 0)
    """Readers' votes on answers in the last 7 days: `asked` votes, of which `answered` said "helpful"."""
    unhelpful: list[Unhelpful] = field(default_factory=list)
    """The answers most often marked unhelpful in the last 7 days: (question, section answered, votes)."""


Unhelpful = tuple[str, str, int]
"""(question, section it was answered with, "not helpful" votes)."""


def question_key(question: str) -> int | None:
    """What questions differing only in case, spacing or punctuation share, so the database counts them as one.

    A 64-bit hash of the question's words, casefolded: the log's unanswered
    questions are counted by `GROUP BY` on it, in the database, never by
    reading the questions back (a busy week's log is gigabytes). None for a
    question without a word ("🙂🙂🙂"), which is not counted.
    """
    words = " ".join(_WORDS.findall(question.casefold()))
    if not words:
        return None
    return int.from_bytes(hashlib.blake2b(words.encode(), digest_size=8).digest(), "big", signed=True)


def shown(question: str) -> str:
    """A question as `/stats` lists it: its spacing collapsed."""
    return " ".join(question.split())



FloodScope = Literal["message", "inline"]
"""What a flood window counts: a user's messages, or their inline queries (Telegram sends one per pause in typing)."""
FloodOutcome = Literal["answer", "notify", "drop"]
"""Answer the update; tell the user once that they are over the limit; drop it silently (see `telegram.flood`)."""


class StoreError(Exception):
    """The database cannot be used, or a write did not happen; the message names the file and what to do."""


class StoreUnavailable(StoreError):
    """The database did not answer (stopped, unreachable, starting up): unlike a wrong password or a damaged file,
    waiting may mend it, so a webhook worker that meets it at a restart is started again later (`telegram.app.serve`)."""


EVIDENCE = """
WITH said AS (
    SELECT c.question_id, c.user_id, c.article_key, c.article_lang, c.section, c.paragraph, c.opening,
        coalesce(c.helpful, TRUE) AS agrees
    FROM choices c
    WHERE c.offered = 'alternative'
       OR EXISTS (SELECT 1 FROM votes v WHERE v.question_id = c.question_id AND v.user_id = c.user_id AND NOT v.helpful)
    UNION ALL
    SELECT v.question_id, v.user_id, q.article_key, q.article_lang, q.section, q.paragraph, q.opening, v.helpful
    FROM votes v JOIN questions q ON q.id = v.question_id
    WHERE q.paragraph IS NOT NULL AND q.article_lang IS NOT NULL AND q.section IS NOT NULL
), pairs AS (
    SELECT q.question_key, s.article_key, s.article_lang, s.section, s.paragraph, max(s.opening) AS opening,
        count(DISTINCT CASE WHEN s.agrees THEN s.user_id END) AS readers_for,
        count(DISTINCT CASE WHEN NOT s.agrees THEN s.user_id END) AS readers_against,
        max(s.question_id) AS last
    FROM said s JOIN questions q ON q.id = s.question_id WHERE q.question_key IS NOT NULL
    GROUP BY q.question_key, s.article_key, s.article_lang, s.section, s.paragraph
)
SELECT p.question_key, p.article_key, p.article_lang, p.section, p.paragraph, q.question, q.language,
    p.readers_for, p.readers_against, p.opening
FROM pairs p JOIN questions q ON q.id = p.last
WHERE p.readers_for > 0 AND NOT EXISTS (
    SELECT 1 FROM taught_verdicts t WHERE t.question_key = p.question_key AND t.article_key = p.article_key
    AND t.article_lang = p.article_lang AND t.section = p.section AND t.paragraph = p.paragraph
)
ORDER BY p.readers_for - p.readers_against DESC, p.readers_for DESC, p.last DESC
"""
"""Readers' evidence (`reader_evidence` of either store): each reader's word on a pair (`said`), counted per pair;
written in the SQL both SQLite and PostgreSQL read alike (`TRUE`, `count(DISTINCT CASE ...)`). A pair is a place, as
the owner's verdicts name it, so that readers who tapped before the log kept openings and after count together; its
opening words, where any reader's tap kept them, find the paragraph in today's content (`chat.review`)."""
