"""How to keep unit vectors and compare a question with them: speed, memory, and whether any answer changes.

    python benchmarks/bench_similarity.py               # speed of each way, 22,000 and 110,000 units, one core
    python benchmarks/bench_similarity.py --answers     # and the question sets answered with int8 vectors

The ways, over random unit vectors (the cost does not depend on what they
say), each a question's similarity to every unit, on one core:

- float32 in memory: what every process held before (`matrix @ question`);
- float16, numpy: `matrix @ question` on the float16 matrix (numpy converts it whole first);
- float16, served: `similarity.UnitVectors`, what the bot does now (exact: checked against the float32 product);
- int8, a scale per row: a quarter of float32's memory, converted a slab at a time like the served float16.

Then the five most similar units, by a stable sort of all (before) and by a
partition (`reading.most_similar`, now). With `--answers`, every question set
of `ablation.py` is answered with everything on, once as the bot does and
once with each language's vectors rounded to int8 (a scale per row, one
scale for all, or a scale per row after subtracting the language's mean
vector), and the answers that differ are counted and listed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.search.embedding import DIMENSIONS  # noqa: E402
from bot.search.reading import most_similar  # noqa: E402
from bot.search.similarity import SLAB_ROWS, UnitVectors, scaled  # noqa: E402


def median_ms(run: Callable[[], object], repeats: int = 30) -> float:
    run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)[len(times) // 2]


class Int8Rows:
    """Vectors rounded to int8 with a scale per row (and, if given, a mean vector subtracted first)."""

    def __init__(self, vectors: np.ndarray, how: str = "row") -> None:
        self.mean = vectors.mean(axis=0).astype(np.float32) if how == "centred" else None
        rest = vectors - self.mean if self.mean is not None else vectors
        largest = np.abs(rest).max() if how == "global" else np.abs(rest).max(axis=1)
        self.scale = np.broadcast_to(np.float32(largest / 127), (len(vectors),)).astype(np.float32)
        self.rows = np.round(rest / self.scale[:, None]).astype(np.int8)
        self.digest = f"int8 {how}"

    def __len__(self) -> int:
        return len(self.rows)

    def similarity(self, question: np.ndarray) -> np.ndarray:
        out = np.empty(len(self.rows), dtype=np.float32)
        slab = np.empty((min(SLAB_ROWS, len(self.rows)), self.rows.shape[1]), dtype=np.float32)
        for start in range(0, len(self.rows), SLAB_ROWS):
            part = self.rows[start : start + SLAB_ROWS]
            np.copyto(slab[: len(part)], part)
            np.matmul(slab[: len(part)], question, out=out[start : start + len(part)])
        out *= self.scale
        if self.mean is not None:
            out += np.float32(self.mean @ question)
        return out


def speed_row(count: int, rng: np.random.Generator) -> str:
    """One row of the table: each way's median time for `count` units, and what they take in memory."""
    vectors = rng.standard_normal((count, DIMENSIONS), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    halves = vectors.astype(np.float16)
    exact = halves.astype(np.float32)
    served, rounded = UnitVectors(scaled(halves), "speed"), Int8Rows(exact)
    questions = iter(list(vectors[:64]) * 100)  # a new question each time: the served block keeps the last one's
    assert all(np.array_equal(served.similarity(q), exact @ q) for q in vectors[64:72]), "not the float32 product"
    similarity = exact @ vectors[0]
    cells = [
        median_ms(lambda: exact @ next(questions)),
        median_ms(lambda: halves @ next(questions), repeats=5),
        median_ms(lambda: served.similarity(next(questions))),
        median_ms(lambda: rounded.similarity(next(questions))),
        median_ms(lambda: np.argsort(-similarity, kind="stable")[:5]),
        median_ms(lambda: most_similar(similarity, 5)),
    ]
    memory = f"{exact.nbytes / 2**20:.0f} / {halves.nbytes / 2**20:.0f} / {rounded.rows.nbytes / 2**20:.0f} MiB"
    return f"| {count:,} | {memory} | " + " | ".join(f"{ms:.2f} ms" for ms in cells) + " |"


def speed() -> None:
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    rng = np.random.default_rng(22)
    print(
        "| units | float32 / float16 / int8 | float32 in memory | float16, numpy | float16, served | int8, a scale per row "
        "| stable sort, top 5 | partition, top 5 |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for count in (22_000, 110_000):
        print(speed_row(count, rng))


def answers() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import ablation

    from bot.search.tuning import RankingConfig

    corpora = [ablation.seed_corpus(ROOT / "benchmarks" / "eval"), ablation.multi_corpus(ROOT / "benchmarks" / "eval")]
    served = {id(c): {lang: idx.unit_vectors for lang, idx in c.index.by_lang.items()} for c in corpora}

    def answered() -> tuple[list[dict], int]:
        out: list[dict] = []
        right = sum(sum(ablation.right_answers(c, RankingConfig(), out).values()) for c in corpora)
        return out, right

    base, right = answered()
    print(f"float16, served: {right} right of {len(base)}")
    for how in ("row", "global", "centred"):
        for corpus in corpora:
            for lang, idx in corpus.index.by_lang.items():
                kept = served[id(corpus)][lang]
                if kept is not None:
                    idx.unit_vectors = Int8Rows(kept.vectors(), how)  # type: ignore[assignment]
        now, right = answered()
        moved = [(a, b) for a, b in zip(base, now, strict=True) if (a["article"], a["section"]) != (b["article"], b["section"])]
        scores = sum(a["score"] != b["score"] for a, b in zip(base, now, strict=True))
        print(f"int8, scale per {how}: {right} right; {len(moved)} answers moved, {scores} scores changed")
        for a, b in moved:
            print(f"  [{a['set']}] {a['question']}: {a['article']} / {a['section']} -> {b['article']} / {b['section']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", action="store_true", help="also answer the question sets with int8 vectors")
    args = parser.parse_args()
    speed()
    if args.answers:
        answers()
    return 0


if __name__ == "__main__":
    sys.exit(main())
