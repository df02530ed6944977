"""`python -m bot learn` at scale: 100,000 lines of a help desk's history into a large knowledge base.

    python benchmarks/bench_learn.py                                  # benchmarks/out/realistic-10000, 100,000 lines
    python benchmarks/bench_learn.py --content DIR --lines 100000

The knowledge base is `corpus.py`'s (10,005 files, about 110,000 paragraphs,
written first when missing). The teaching file quotes its paragraphs the way a
help desk's export would: most word for word, some with a word dropped and
another changed, some "no answer" (null), some questions asked twice, and a few
lines that cannot be taught (not JSON, an answer that quotes nothing). Each
command runs as its own process on a copy of the folder, timed, with its peak
resident memory from the kernel (`wait4`):

1. the import with the default MAX_ARTICLE_BYTES, which the file it would write
   exceeds: refused, nothing written;
2. the import with the limit raised: the file written;
3. the same import again: nothing changes (the file's hash is compared);
4. 100,000 lines that are not JSON;
5. `check` over the folder, which reads every taught question back.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bot.content.parsing import load_knowledge_base  # noqa: E402
from bot.content.taught import TAUGHT_FILE  # noqa: E402

DEFAULT_CONTENT = ROOT / "benchmarks" / "out" / "realistic-10000"
RAISED_LIMIT = 100_000_000


def teaching_lines(content: Path, count: int, seed: int = 24) -> list[str]:
    """`count` lines quoting the knowledge base's paragraphs as a help desk's export would."""
    kb = load_knowledge_base(content, lambda _: None, max_bytes=RAISED_LIMIT)
    paragraphs = [(article.lang, text) for article in kb.articles for section in article.sections for text in section.paragraphs]
    rng = random.Random(seed)
    lines: list[str] = []
    for number in range(count):
        draw = rng.random()
        lang, text = rng.choice(paragraphs)
        words = text.split()
        question = f"{' '.join(rng.sample(words, min(4, len(words))))} {number}?"
        if draw < 0.02:
            lines.append('{"question": "broken", "answer": ')
            continue
        if draw < 0.04:
            answer: str | None = " ".join(rng.choice(paragraphs)[1].split()[:5]) + " and more words nobody wrote"
        elif draw < 0.09:
            answer = None
        elif draw < 0.12 and lines:
            lines.append(lines[rng.randrange(len(lines))])
            continue
        elif draw < 0.20 and len(words) > 8:
            edited = list(words)
            del edited[rng.randrange(len(edited))]
            edited[rng.randrange(len(edited))] = "değiştirildi"
            answer = " ".join(edited)
        else:
            answer = text
        lines.append(json.dumps({"question": question, "language": lang, "answer": answer}, ensure_ascii=False))
    return lines


def measured(command: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """(seconds, peak MiB, exit status, the last lines of the output) of one run of `command`."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    tail = "\n    ".join(line[:200] for line in output.splitlines()[-3:])
    return seconds, usage.ru_maxrss / 1024, process.returncode, tail


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else "(none)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--content", type=Path, default=DEFAULT_CONTENT)
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    if not args.content.is_dir():
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "corpus.py"), "--write", "10000", str(args.content)], check=True)
    with tempfile.TemporaryDirectory(prefix="bench-learn-") as work:
        folder = Path(work) / "content"
        shutil.copytree(args.content, folder)
        (folder / TAUGHT_FILE).unlink(missing_ok=True)
        history = Path(work) / "history.jsonl"
        started = time.perf_counter()
        history.write_text("\n".join(teaching_lines(folder, args.lines)) + "\n", encoding="utf-8")
        print(f"teaching file: {args.lines:,} lines, {history.stat().st_size / 2**20:.1f} MiB, "
              f"made in {time.perf_counter() - started:.1f} s")
        garbage = Path(work) / "garbage.jsonl"
        garbage.write_text("this is not JSON\n" * args.lines, encoding="utf-8")
        env = {**os.environ, "SEMANTIC": "off", "CACHE_DIR": str(Path(work) / "cache"), "LOG_LEVEL": "ERROR"}
        raised = {**env, "MAX_ARTICLE_BYTES": str(RAISED_LIMIT)}
        learn = [sys.executable, "-m", "bot", "learn", "--content-dir", str(folder)]
        runs = [
            ("import, default MAX_ARTICLE_BYTES", learn + [str(history)], env),
            ("import, MAX_ARTICLE_BYTES raised", learn + [str(history)], raised),
            ("the same import again", learn + [str(history)], raised),
            (f"{args.lines:,} lines not JSON", learn + [str(garbage)], raised),
            ("check", [sys.executable, "-m", "bot", "check", "--content-dir", str(folder)], raised),
        ]
        for name, command, environment in runs:
            seconds, peak, status, tail = measured(command, environment)
            print(f"{name}: {seconds:.1f} s, peak {peak:.0f} MiB, exit {status}, questions.yml {digest(folder / TAUGHT_FILE)} "
                  f"({(folder / TAUGHT_FILE).stat().st_size if (folder / TAUGHT_FILE).exists() else 0:,} bytes)\n    {tail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
