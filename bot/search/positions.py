"""A paragraph's place in every translation: what a question in a language the content lacks is matched against.

Translations are parallel: the same (article key, section, paragraph) holds the
same paragraph in each language the article is written in. A question whose
language the content lacks is compared by meaning with all of them, and a
position is as near as the mean of its translations' similarities (drawn
towards the question's average where few translations hold it). The mean
rather than the best of them: the multilingual model rates some language pairs
nearer than others and has a spread in each, so the best translation is often a
chance high; the translations together are a steadier reading of one meaning
(docs/accuracy.md measures the two).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .index import SearchIndex
from .taught import Position


@dataclass(frozen=True)
class Positions:
    """Every paragraph position of a knowledge base, and which unit of each language's index holds it."""

    ids: dict[str, np.ndarray]
    """Per language, each unit's position (an index into `keys`)."""
    keys: list[Position]
    """Per position, its article's key, section and paragraph."""
    counts: dict[str, np.ndarray]
    """Per language, how many of its units each position has (0 or 1, more only for a malformed article): worked out
    once, not per question."""

    @classmethod
    def of(cls, index: SearchIndex) -> Positions:
        """The positions of `index`, worked out once per index: one `np.unique` over every unit."""
        article_keys = index.articles.keys
        numbered = {key: number for number, key in enumerate(dict.fromkeys(article_keys))}
        key_of_article = np.fromiter((numbered[key] for key in article_keys), dtype=np.int64, count=len(article_keys))
        langs = list(index.by_lang)
        rows = [
            np.stack(
                [key_of_article[idx.unit_article], idx.unit_section.astype(np.int64), idx.unit_paragraph.astype(np.int64)],
                axis=1,
            )
            for idx in (index.by_lang[lang] for lang in langs)
        ]
        if not rows or not sum(len(row) for row in rows):
            empty = np.zeros(0, dtype=np.int64)
            return cls(dict.fromkeys(langs, empty), [], dict.fromkeys(langs, empty))
        unique, inverse = np.unique(np.concatenate(rows), axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        names = list(numbered)
        ends = np.cumsum([len(row) for row in rows])
        ids = dict(zip(langs, np.split(inverse, ends[:-1]), strict=True))
        counts = {lang: np.bincount(units, minlength=len(unique)) for lang, units in ids.items()}
        return cls(ids, [(names[int(k)], int(s), int(p)) for k, s, p in unique], counts)

    def mean_similarity(self, similarities: dict[str, np.ndarray], prior: float, average: float) -> np.ndarray:
        """Per position, the mean of its translations' similarities (`similarities`: per language with vectors, each
        unit's), counting `prior` translations more at `average`, the question's mean similarity to every unit
        (`mean_with_prior`); -inf where no language with vectors has it."""
        absent = np.full(len(self.keys), -np.inf)
        if not self.keys or not any(len(similarity) for similarity in similarities.values()):
            return absent
        total = np.zeros(len(self.keys))
        count = np.zeros(len(self.keys))
        for lang, similarity in similarities.items():
            total += np.bincount(self.ids[lang], weights=similarity, minlength=len(self.keys))
            count += self.counts[lang]
        return np.divide(total + prior * average, count + prior, out=absent, where=count > 0)

    def best_translations(self, chosen: np.ndarray, similarities: dict[str, np.ndarray]) -> dict[int, tuple[str, int]]:
        """For each of the `chosen` positions, its most similar translation (language, unit): where a reply shows it
        from unless the reader's language has it."""
        best: dict[int, tuple[float, str, int]] = {}
        for lang, similarity in similarities.items():
            units = np.flatnonzero(np.isin(self.ids[lang], chosen))
            for unit in units.tolist():
                position, value = int(self.ids[lang][unit]), float(similarity[unit])
                if position not in best or value > best[position][0]:
                    best[position] = (value, lang, unit)
        return {position: (lang, unit) for position, (_, lang, unit) in best.items()}


def mean_with_prior(values: Sequence[float], prior: float, average: float) -> float:
    """The mean of a position's translations' similarities, counting `prior` translations more at `average`.

    Translations are not always parallel: one may have a paragraph the others
    lack, or an article may be written in one language only. A position one
    translation holds is then as near as that one similarity, with none of the
    others to temper a chance high, and would come first for the very reason
    the mean is taken. Counting some translations at the question's average
    (empirical Bayes, as a rating with few votes is drawn towards the average)
    draws such a position towards it, and leaves the order of positions every
    language holds as it is.
    """
    return (sum(values) + prior * average) / (len(values) + prior)
