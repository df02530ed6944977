"""Matching one question word to the index terms it stands for, strictest first.

A word a reader types may be the content's word exactly, the same word without
its diacritics ("araligi" for "aralığı"), a different inflection of the same
stem ("diplo" for "diploma"), a word built on one of the content's words
("memnuniyeti", satisfaction, on "memnun", satisfied), a misspelling within a
budget that grows with the word's length ("yönetcisi"), or a synonym the
content owner listed ("guadagna" for "stipendio"). Each way of matching has a
strength (`RankingConfig`), so looser matches count for less when answers are ranked.
"""

from __future__ import annotations

from bisect import bisect_left

from ..language.analysis import Analyzer, Token
from ..language.spelling import typo_budget
from .index import LanguageIndex, TermLookup
from .tuning import DEFAULT, RankingConfig

Matches = list[tuple[int, float]]
"""(index term id, strength) pairs."""


def term_typo_budget(term: str) -> int:
    """Meilisearch's budget (one edit from 5 letters, two from 9), a letter stricter than `typo_budget`.

    Terms are stems: short, and many alike, so a looser budget pairs words
    that only look alike.
    """
    return typo_budget(len(term) - 1)


class TermMatcher:
    """Resolves question words to the index terms of one language."""

    def __init__(self, index: LanguageIndex, analyzer: Analyzer, config: RankingConfig = DEFAULT) -> None:
        self.index = index
        self.analyzer = analyzer
        self.config = config
        self._vocabulary = index.term_lookup or TermLookup([*index.terms, *index.aliases])

    def knows(self, token: Token) -> bool:
        """Whether the content has this word, as typed or without its diacritics."""
        return token.term in self.index.terms or self.analyzer.folded_term(token.surface) in self.index.aliases

    def resolve(self, token: Token) -> Matches:
        """Index terms `token` stands for, with how strictly it matched them.

        Synonyms stand in fully for a word the content lacks: they exist for
        readers' words. A word the content has ("salgsteamet") gets its
        synonyms only weakly: enough to reach the content's other forms of it
        ("راتب", salary, and its broken plural "رواتب") and to break ties, not
        to outrank the word itself; so does a word that the content has
        inflected ("отдел", department, in "отделом") or that only shares a
        stem with the content's, unless the content owner listed it: "tjener"
        (earns) stems like "tjenester" (services), but the owner listed it
        with "løn" (pay), which is what a reader means by it.
        """
        config = self.config
        found = dict(self._resolve_word(token))
        listed_apart = token.folded in self.index.kept_words and not self._inflected_in_content(token.surface)
        strength = config.synonym if not found or max(found.values()) < config.alias or listed_apart else config.weak_synonym
        for term_id, factor in self.synonyms(token).items():
            found.setdefault(term_id, strength * factor)
        return list(found.items())

    def _inflected_in_content(self, word: str) -> bool:
        """Whether the content has `word` itself or an inflection of it that begins with it ("отделом" for "отдел")."""
        surfaces = self.index.surfaces
        at = bisect_left(surfaces, word)
        return at < len(surfaces) and surfaces[at].startswith(word)

    def synonyms(self, token: Token) -> dict[int, float]:
        """Index terms the content owner listed as meaning the same as `token`, inflections included.

        A reader's derivation of a listed word ("laureati", "продажниками")
        is found by the listed word it begins with, as written: a shared stem
        alone is not enough ("principali", main, shares "princip" with
        "principiante", beginner).
        """
        table = self.index.synonyms
        if not table:
            return {}
        keys = [token.term, self.analyzer.folded_term(token.surface)]
        if not any(key in table for key in keys):
            cuts = range(len(token.folded) - 1, self.config.min_prefix - 1, -1)
            keys = [next((token.folded[:cut] for cut in cuts if token.folded[:cut] in self.index.kept_words), "")]
        found: dict[int, float] = {}
        for key in keys:
            for term_id, factor in table.get(key, ()):
                found[term_id] = max(found.get(term_id, 0.0), factor)
        return found

    def _resolve_word(self, token: Token) -> Matches:
        idx, config = self.index, self.config
        term_id = idx.terms.get(token.term)
        if term_id is not None:
            return [(term_id, config.exact)]
        key = self.analyzer.folded_term(token.surface)
        found = {t: config.alias for t in idx.aliases.get(key, ())}
        if key in idx.terms:
            found[idx.terms[key]] = config.alias
        if found:
            return list(found.items())
        shortest = config.min_proclitic_word
        for proclitic in self.analyzer.proclitics:
            cut = len(proclitic)
            rests = [token.term[cut:]] if token.term.startswith(proclitic) and len(token.term) >= shortest else []
            if token.surface.startswith(proclitic) and len(token.surface) >= shortest:
                rests.append(self.analyzer.term(token.surface[cut:]))
            for rest in rests:
                if rest in idx.terms:
                    return [(idx.terms[rest], config.alias)]
        budget = min(term_typo_budget(token.folded), term_typo_budget(token.term))
        if budget:
            keys, distance = self._vocabulary.nearest(token.term, budget)
            if keys:
                return self._term_ids(keys, config.typo_strength[distance - 1])
        if len(token.term) < config.min_prefix:
            return []
        return self.relatives(token.term) or self._shorter_word(token)

    def relatives(self, term: str) -> Matches:
        """Terms that extend `term`, and the longest one it extends: inflections a stemmer left apart."""
        min_prefix = self.config.min_prefix
        if len(term) < min_prefix:
            return []
        longer = self._vocabulary.extensions(term, self.config.max_extensions)
        shorter = [term[:cut] for cut in range(len(term) - 1, min_prefix - 1, -1) if term[:cut] in self.index.terms]
        return self._term_ids(longer + shorter[:1], self.config.prefix)

    def _shorter_word(self, token: Token) -> Matches:
        """The longest word of the content that begins the question word ("memnun" in "memnuniyeti").

        A stemmer can cut a word and its derivation to different stems
        (Snowball gives "memn" for "memnun", "memnuniyet" for
        "memnuniyeti"), so this compares words as written, folded.
        """
        for cut in range(len(token.folded) - 1, self.config.min_prefix, -1):
            word = token.folded[:cut]
            if self.index.has_surface(word):
                found = self._term_ids([self.analyzer.term(word), self.analyzer.folded_term(word)], self.config.prefix)
                if found:
                    return found
        return []

    def _term_ids(self, keys: list[str], strength: float) -> Matches:
        resolved: dict[int, float] = {}
        for key in keys:
            for term_id in [self.index.terms[key]] if key in self.index.terms else self.index.aliases.get(key, ()):
                resolved[term_id] = strength
        return list(resolved.items())
