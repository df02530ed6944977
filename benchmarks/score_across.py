"""Score questions asked in a language the content lacks: right when the answer is an expected unit in any language.

    python benchmarks/score_across.py [QUESTIONS.jsonl] [--eval benchmarks/eval] [--show-misses] [--lang CODE]

The multi-article knowledge base has no English; an English question is
answered from whichever translation its meaning finds, in the reader's
language. The evaluation's scorer counts a unit only in the question's own
language, so this one reuses its parsing (`multi/score_multi.py`: units,
labels, how a unit is found in an answer) and accepts an expected unit in any
of the content's languages, at most two units in all, and the one-line note
saying how the question was read. An out-of-scope question is right when the
answer is "none". Each question is answered by `python -m bot ask --json`
against `multi/kb`, as a reader would meet it: `--lang` is the reader's chosen
language (none by default).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = ROOT / "tests" / "data" / "questions_english_multi.jsonl"


def right_across(case: dict, out: dict, found: dict[str, set[str]]) -> bool:
    """Whether an answer found by `score_multi.found_units` is right for a question asked in a language the content lacks."""
    every = {unit for ids in found.values() for unit in ids}
    if not case["expect"]:
        return out["kind"] == "none" and not every
    return bool(every & set(case["expect"])) and sum(map(len, found.values())) <= 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("questions", type=Path, nargs="?", default=ENGLISH)
    parser.add_argument("--eval", type=Path, default=ROOT / "benchmarks" / "eval")
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--lang", help="the reader's chosen language (ask --lang)")
    args = parser.parse_args()
    spec = importlib.util.spec_from_file_location("score_multi", args.eval / "multi" / "score_multi.py")
    assert spec and spec.loader
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    kb_dir = args.eval / "multi" / "kb"
    units = scorer.load_units(kb_dir)
    cases = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    command = [sys.executable, "-m", "bot", "ask", "--json", *(["--lang", args.lang] if args.lang else [])]
    done = subprocess.run(
        command,
        input="\n".join(case["question"] for case in cases) + "\n",
        env={**os.environ, "CONTENT_DIR": str(kb_dir)},
        capture_output=True,
        text=True,
        check=True,
    )
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    right = noted = 0
    for case, out in zip(cases, answers, strict=True):
        found = scorer.found_units(out.get("text") or "", units)
        shown = {lang: sorted(ids) for lang, ids in found.items()}
        ok = right_across(case, out, found)
        noted += bool(case["expect"]) and out["kind"] != "none" and out["language"] != case["lang"]
        right += ok
        if args.show_misses and not ok:
            print(f"MISS {case['id']} {case['question']!r} expect {case['expect']}: {out['kind']} {shown}")
    print(f"answered in a content language: {noted}")
    print(f"score: {right}/{len(cases)} right ({100 * right / len(cases):.0f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
