"""Score questions asked in a language the content lacks: right when the answer is an expected unit in any language.

    python benchmarks/score_across.py [QUESTIONS.jsonl] [--eval benchmarks/eval] [--show-misses] [--lang CODE] [--missing]

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

`--missing` asks a set in the content's languages (`questions.jsonl`,
`later.jsonl`, the blind sets) as readers of a language the knowledge base
lacks would: each language's questions of a copy of `multi/kb` without that
language's articles. The bot speaks all five, so it reads them as written in
a language the content lacks and answers them across languages, as it would
a Russian reader of a knowledge base written in four others.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = ROOT / "tests" / "data" / "questions_english_multi.jsonl"


def right_across(case: dict, out: dict, found: dict[str, set[str]]) -> bool:
    """Whether an answer found by `score_multi.found_units` is right for a question asked in a language the content lacks."""
    every = {unit for ids in found.values() for unit in ids}
    if not case["expect"]:
        return out["kind"] == "none" and not every
    return bool(every & set(case["expect"])) and sum(map(len, found.values())) <= 2


def ask(command: list[str], cases: list[dict], kb_dir: Path) -> list[dict]:
    """`cases` answered by one `ask --json` process over the folder `kb_dir`, one reply per question."""
    done = subprocess.run(
        command,
        input="\n".join(case["question"] for case in cases) + "\n",
        env={**os.environ, "CONTENT_DIR": str(kb_dir)},
        capture_output=True,
        text=True,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("questions", type=Path, nargs="?", default=ENGLISH)
    parser.add_argument("--eval", type=Path, default=ROOT / "benchmarks" / "eval")
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--lang", help="the reader's chosen language (ask --lang)")
    parser.add_argument("--missing", action="store_true", help="ask each language's questions of the knowledge base without it")
    args = parser.parse_args()
    spec = importlib.util.spec_from_file_location("score_multi", args.eval / "multi" / "score_multi.py")
    assert spec and spec.loader
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    kb_dir = args.eval / "multi" / "kb"
    units = scorer.load_units(kb_dir)
    cases = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    command = [sys.executable, "-m", "bot", "ask", "--json", *(["--lang", args.lang] if args.lang else [])]
    if args.missing:
        answers: dict[str, dict] = {}
        for lang in sorted({case["lang"] for case in cases}):
            asked = [case for case in cases if case["lang"] == lang]
            with tempfile.TemporaryDirectory() as folder:
                without = Path(folder) / "kb"
                shutil.copytree(kb_dir, without, ignore=lambda _, names, lang=lang: [n for n in names if n.endswith(f".{lang}.md")])
                answers.update(zip((case["id"] for case in asked), ask(command, asked, without), strict=True))
        replies = [answers[case["id"]] for case in cases]
    else:
        replies = ask(command, cases, kb_dir)
    right = noted = 0
    for case, out in zip(cases, replies, strict=True):
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
