"""A benchmark knowledge base whose vocabulary grows as real text does.

    python benchmarks/corpus.py --sizes 1000 10000 30000      # distinct words per language, nothing written
    python benchmarks/corpus.py --write 10000 benchmarks/out/realistic-10000

Real knowledge bases follow Heaps' law: the number of distinct words keeps
growing with the amount of text, so every cost that grows with the vocabulary
(spellers, term tables, typo lookups) must be measured on text that does the
same. Each generated article draws its words, per language (tr, ar, it, da,
ru), from a fixed vocabulary of `VOCABULARY` ranks:

- the language's commonest words in wordfreq's order (its `large` list where
  wordfreq has one for the language, else `best`: Turkish has 61,000 usable
  words, Danish 29,000); only words of letters are kept;
- the `HEAD` commonest words with their real frequencies, every rarer rank r
  with Zipf's law continued from there (p ∝ 1/r), so the rare words come up
  as often as rare words do in real text and the vocabulary keeps growing;
- where wordfreq's list is shorter than `VOCABULARY`, the remaining ranks are
  word forms built from listed words as the language builds them: Turkish
  stems with suffix chains in vowel harmony, Danish compounds with an
  inflection ending.

Articles have the seed format (front matter with title, description, keywords
and translationKey; `# title`; four `##` sections of two or three paragraphs of
40-80 words in sentences; a closing `##` highlights list), are grouped in
fives (one per language) under one translationKey, and each is generated from
its own random stream (`seed`, article number): a corpus of N articles is the
first N articles of any larger one, and the same arguments always give the
same files. The five seed articles and `seeds/synonyms.yml` are copied in, so
real questions still have answers: N generated articles make N + 5 files.

Distinct words are counted per language with the bot's own normaliser
(`bot.language.textnorm.normalize`: cleaned and lowered, not folded or
stemmed) over every title, description, heading, paragraph and highlight.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from functools import cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
LANGS = ("tr", "ar", "it", "da", "ru")
VOCABULARY = 200_000
"""Ranks drawn from per language: at 10,000 articles about 140,000 of them occur, at 30,000 about 190,000."""
HEAD = 3_000
"""The commonest words keep their real frequencies; rarer ranks follow Zipf's law from there."""
FORMAT = 2
"""Bump when the generated text changes, so a corpus on disk is regenerated."""
CATEGORIES = ("Careers", "Finance", "Investing", "Economy", "Business", "Banking")
HIGHLIGHTS = {"tr": "Öne çıkanlar", "ar": "يسلط الضوء", "it": "Punti salienti", "da": "Højdepunkter", "ru": "Особенности"}

# Turkish: suffixes with an archiphoneme (E: e/a, I: i/ı/u/ü), chained after a stem in vowel harmony.
_TR_SUFFIXES = ("lEr", "dE", "dEn", "In", "I", "E", "sI", "nIn", "lE", "dIr")
_TR_SUFFIXES += ("mIz", "InIz", "ydI", "ylE", "ki", "ncI", "lIk", "sIz", "cI")
_TR_VOWELS = "aeıioöuü"


def _tr_suffixed(stem: str, suffixes: list[str]) -> str:
    word = stem
    for suffix in suffixes:
        last = next((c for c in reversed(word) if c in _TR_VOWELS), "e")
        back, rounded = last in "aıou", last in "oöuü"
        e = "a" if back else "e"
        i = ("u" if rounded else "ı") if back else ("ü" if rounded else "i")
        piece = suffix.replace("E", e).replace("I", i)
        if piece[0] == "y" and word[-1] not in _TR_VOWELS:
            piece = piece[1:]
        elif piece[0] in _TR_VOWELS and word[-1] in _TR_VOWELS:
            piece = ("n" if suffix in ("In", "InIz") else "y") + piece
        word += piece
    return word


_DA_LINKS = ("", "", "s", "e")
_DA_ENDINGS = ("", "", "en", "et", "er", "erne", "ene", "s")


def _built_forms(lang: str, words: list[str], count: int, taken: set[str], rng: np.random.Generator) -> list[str]:
    """`count` new word forms made from `words` the way `lang` makes them (Turkish suffixes, Danish compounds)."""
    stems = [w for w in words[200:30_000] if len(w) >= 3]
    forms: list[str] = []
    while len(forms) < count:
        if lang == "tr":
            chain = [_TR_SUFFIXES[k] for k in rng.integers(0, len(_TR_SUFFIXES), rng.integers(1, 4))]
            form = _tr_suffixed(stems[rng.integers(len(stems))], chain)
        else:
            first, second = stems[rng.integers(len(stems))], stems[rng.integers(len(stems))]
            form = first + _DA_LINKS[rng.integers(4)] + second + _DA_ENDINGS[rng.integers(len(_DA_ENDINGS))]
        if form not in taken:
            taken.add(form)
            forms.append(form)
    return forms


@cache
def vocabulary(lang: str, size: int = VOCABULARY, head: int = HEAD) -> tuple[list[str], np.ndarray]:
    """The language's `size` words in rank order, and the cumulative probability of drawing each."""
    import wordfreq

    wordlist = "large" if lang in wordfreq.available_languages("large") else "best"
    frequencies = wordfreq.get_frequency_dict(lang, wordlist=wordlist)
    ranked = sorted(((f, w) for w, f in frequencies.items() if w.isalpha()), key=lambda pair: (-pair[0], pair[1]))[:size]
    words = [w for _, w in ranked]
    if len(words) < size:
        built = _built_forms(lang, words, size - len(words), set(words), np.random.default_rng([FORMAT, LANGS.index(lang)]))
        words += built
    real = np.array([f for f, _ in ranked[:head]])
    ranks = np.arange(head + 1, size + 1, dtype=float)
    weights = np.concatenate([real, real[-1] * head / ranks])
    cumulative = np.cumsum(weights)
    return words, cumulative / cumulative[-1]


def _upper_first(word: str, lang: str) -> str:
    first = {"i": "İ", "ı": "I"}.get(word[0], word[0].upper()) if lang == "tr" else word[0].upper()
    return first + word[1:]


class _Writer:
    """Text for one article from its own random stream."""

    def __init__(self, lang: str, rng: np.random.Generator) -> None:
        self.lang, self.rng = lang, rng
        self.words, self.cumulative = vocabulary(lang)

    def draw(self, count: int) -> list[str]:
        picks = np.searchsorted(self.cumulative, self.rng.random(count), side="right")
        return [self.words[min(k, len(self.words) - 1)] for k in picks]

    def figure(self) -> str:
        kind = self.rng.integers(3)
        if kind == 0:
            return str(self.rng.integers(1950, 2025))
        if kind == 1:
            share = int(self.rng.integers(1, 100))
            return f"%{share}" if self.lang == "tr" else f"{share}%"
        return f"{self.rng.integers(2, 999)}.000"

    def sentence(self, count: int, end: str = ".") -> str:
        words = self.draw(count)
        for k in range(count):
            if self.rng.random() < 0.015:
                words[k] = self.figure()
            elif k < count - 1 and self.rng.random() < 0.07:
                words[k] += "،" if self.lang == "ar" else ","
        words[0] = _upper_first(words[0], self.lang)
        return " ".join(words) + end

    def paragraph(self) -> str:
        left, sentences = int(self.rng.integers(40, 81)), []
        while left > 0:
            count = min(left, int(self.rng.integers(6, 19)))
            if 0 < left - count < 4:
                count = left
            sentences.append(self.sentence(count))
            left -= count
        return " ".join(sentences)

    def phrase(self, low: int, high: int) -> str:
        return self.sentence(int(self.rng.integers(low, high + 1)), end="")


def article(number: int, seed: int = 7) -> tuple[str, str, list[str]]:
    """The file name, the file text and the texts a reader sees of generated article `number`."""
    lang, topic = LANGS[number % len(LANGS)], f"topic-{number // len(LANGS):05d}"
    writer = _Writer(lang, np.random.default_rng([seed, number]))
    title, description = writer.phrase(2, 5), writer.sentence(int(writer.rng.integers(12, 25)))
    texts = [title, description]
    lines = [
        "---",
        f"title: {json.dumps(title, ensure_ascii=False)}",
        f"description: {json.dumps(description, ensure_ascii=False)}",
        f"keywords: {CATEGORIES[number // len(LANGS) % len(CATEGORIES)]}",
        f"translationKey: {topic}",
        "---",
        "",
        f"# {title}",
    ]
    for _ in range(4):
        heading = writer.phrase(2, 6) + ("?" if writer.rng.random() < 0.3 else "")
        lines += ["", f"## {heading}"]
        texts.append(heading)
        for _ in range(int(writer.rng.integers(2, 4))):
            paragraph = writer.paragraph()
            lines += ["", paragraph]
            texts.append(paragraph)
    lines += ["", f"## {HIGHLIGHTS[lang]}", ""]
    for _ in range(3):
        highlight = writer.sentence(int(writer.rng.integers(10, 21)))
        lines.append(f"- {highlight}")
        texts.append(highlight)
    return f"{topic}.{lang}.md", "\n".join(lines) + "\n", texts


def _seed_texts() -> dict[str, list[str]]:
    from bot.content.parsing import load_knowledge_base

    out: dict[str, list[str]] = {}
    for a in load_knowledge_base(SEEDS, lambda _: None).articles:
        texts = [a.title, a.description, a.highlights_heading, *a.highlights]
        texts += [t for s in a.sections for t in (s.heading, *s.paragraphs)]
        out.setdefault(a.lang, []).extend(texts)
    return out


def distinct_words(sizes: list[int], seed: int = 7, folder: Path | None = None) -> dict[int, dict[str, int]]:
    """Distinct words per language at each size (generated articles plus the seeds); writes the largest into `folder`."""
    from bot.language.textnorm import normalize

    seen: dict[str, set[str]] = {lang: set() for lang in LANGS}
    for lang, texts in _seed_texts().items():
        seen[lang].update(w for t in texts for w in normalize(t, lang))
    counts: dict[int, dict[str, int]] = {}
    for number in range(max(sizes)):
        name, text, texts = article(number, seed)
        lang = LANGS[number % len(LANGS)]
        seen[lang].update(w for t in texts for w in normalize(t, lang))
        if folder is not None:
            (folder / name).write_text(text, encoding="utf-8")
        if number + 1 in sizes:
            counts[number + 1] = {lang: len(words) for lang, words in seen.items()}
    return counts


def write(size: int, folder: Path, seed: int = 7) -> dict[str, int]:
    """The knowledge base of `size` generated articles and the seeds in `folder`; kept if already there.

    Returns the distinct words per language. The folder's `.corpus.json`
    records the arguments, so a folder written with others is rewritten.
    """
    marker = folder / ".corpus.json"
    wanted = {"format": FORMAT, "size": size, "seed": seed, "vocabulary": VOCABULARY, "head": HEAD}
    if marker.is_file():
        recorded = json.loads(marker.read_text(encoding="utf-8"))
        if recorded.get("arguments") == wanted:
            return recorded["distinct_words"]
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for path in sorted(SEEDS.glob("*.md")) + [SEEDS / "synonyms.yml"]:
        shutil.copy(path, folder / path.name)
    counts = distinct_words([size], seed, folder)[size]
    marker.write_text(json.dumps({"arguments": wanted, "distinct_words": counts}, indent=2), encoding="utf-8")
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 30000])
    parser.add_argument("--write", nargs=2, metavar=("SIZE", "FOLDER"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.write:
        print(json.dumps(write(int(args.write[0]), Path(args.write[1]), args.seed)))
        return 0
    counts = distinct_words(sorted(args.sizes), args.seed)
    print("| generated articles (files) | " + " | ".join(LANGS) + " |")
    print("|---:|" + "---:|" * len(LANGS))
    for size, row in counts.items():
        print(f"| {size:,} ({size + 5:,}) | " + " | ".join(f"{row[lang]:,}" for lang in LANGS) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
