"""What each ranking signal and adjustment earns: right answers with it switched off, on every question set.

    python benchmarks/ablation.py [--eval benchmarks/eval] [--only NAME ...] [--set FIELD=VALUE ...] [--answers FILE]

Each signal or adjustment named in `searcher.SWITCHES` is switched off in
turn (`RankingConfig.disabled`) and every question set is answered again, in
this process, exactly as `python -m bot ask --json` answers it (one
conversation per set, the app's reply languages, English by default). Answers
are judged by the evaluation's own scorers, imported from `--eval`: the seed
sets (`tests/data/*.jsonl` and `dev.jsonl`) against `seeds/` with `score.py`,
the multi-article sets (the evaluation's public one and the blind ones in
`benchmarks/data/`) against `multi/kb` with `multi/score_multi.py`, and the
English questions over it with `score_across.py` (any language counts).

Units are embedded as the bot embeds them (the vector store under
`--vectors`, the bot's default, filled on first use), and each question once
for all variants. `--set` changes a `RankingConfig` number for every row, to
try a value before it goes into `tuning.py`.

Prints a markdown table: one row per switch, one column per question set, each
cell the right answers and, in brackets, the change against everything on.
`--answers FILE` also writes every answer with everything on, one JSON line per
question, so two runs (before and after a change to how vectors are stored,
say) can be compared answer by answer with `diff`, not only by count.

The multi-article sets are asked again of a copy of `multi/kb` taught
`questions.jsonl` (`teaching.py`, written under `benchmarks/out/taught/`):
those columns end in `+taught`, and the `taught` row says what the taught
signal earns there (`multi+taught` is the taught questions asked again).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from score_across import ENGLISH, right_across
from teaching import teach

from bot.chat.messages import available
from bot.cli import answer_json
from bot.language.langdetect import QuestionLanguageDetector, guess_article_language
from bot.search.embedding import E5Embedder
from bot.search.index import SearchIndex
from bot.search.index_cache import Semantic, load_index
from bot.search.searcher import SWITCHES, Conversation, Searcher
from bot.search.tuning import RankingConfig

ROOT = Path(__file__).resolve().parent.parent
ALL_ON = "(all on)"

Judge = Callable[[dict, dict], bool]
"""Whether one `ask --json` answer to one question case is right."""


@dataclass(frozen=True)
class QuestionSet:
    name: str
    cases: list[dict]
    judge: Judge


@dataclass(frozen=True)
class Corpus:
    """A knowledge base, indexed once, and the question sets asked of it."""

    index: SearchIndex
    detector: QuestionLanguageDetector
    sets: list[QuestionSet]


def load_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_cases(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class RememberingEmbedder(E5Embedder):
    """Embeds each question once for all the variants measured."""

    def __init__(self) -> None:
        super().__init__()
        self.query = lru_cache(maxsize=None)(super().query)  # type: ignore[method-assign]


EMBEDDER = RememberingEmbedder()
VECTORS = ROOT / "data" / "cache" / "embeddings"


def corpus(content: Path, sets: list[QuestionSet]) -> Corpus:
    index = load_index(content, None, guess_article_language, semantic=Semantic(VECTORS, embed_limit=10**9))
    return Corpus(index, QuestionLanguageDetector(sorted(index.by_lang)), sets)


def seed_corpus(eval_dir: Path) -> Corpus:
    """The seed articles, asked the project's question sets and the evaluation's dev set."""
    scorer = load_module(eval_dir / "score.py")
    units = scorer.load_units(ROOT / "seeds")

    def judge(case: dict, out: dict) -> bool:
        return scorer.judge(case, out["text"], units)[0]

    paths = [*sorted((ROOT / "tests" / "data").glob("questions*.jsonl")), eval_dir / "dev.jsonl"]
    paths.remove(ENGLISH)
    return corpus(ROOT / "seeds", [QuestionSet(path.stem.removeprefix("questions_"), read_cases(path), judge) for path in paths])


MULTI_BLIND = sorted((ROOT / "benchmarks" / "data").glob("questions_multi_blind*.jsonl"))
"""The blind question sets over the multi-article knowledge base, each written after the method it was scored on."""


def multi_sets(eval_dir: Path) -> tuple[list[QuestionSet], Callable[[dict], list[str]]]:
    """The question sets over the multi-article knowledge base: its public set, later readers' wording of it, the blind
    sets and the English questions; and each labelled case's expected units, as the evaluation names them."""
    folder = eval_dir / "multi"
    scorer = load_module(folder / "score_multi.py")
    kb, units = scorer.load_kb(folder / "kb"), scorer.load_units(folder / "kb")
    labelled = {"multi": read_cases(folder / "questions.jsonl"), "later": read_cases(folder / "later.jsonl")}
    labelled.update((path.stem.removeprefix("questions_"), read_cases(path)) for path in MULTI_BLIND)
    expects = {case["id"]: scorer.normalize_expect(case, kb) for cases in labelled.values() for case in cases}

    def judge(case: dict, out: dict) -> bool:
        return scorer.judge(case, expects[case["id"]], out, units)[0]

    def across(case: dict, out: dict) -> bool:
        return right_across(case, out, scorer.found_units(out.get("text") or "", units))

    sets = [QuestionSet(name, cases, judge) for name, cases in labelled.items()]
    return [*sets, QuestionSet("english", read_cases(ENGLISH), across)], lambda case: expects[case["id"]]


def multi_corpus(eval_dir: Path) -> Corpus:
    """The multi-article knowledge base and every question set over it."""
    return corpus(eval_dir / "multi" / "kb", multi_sets(eval_dir)[0])


TAUGHT = "+taught"
"""What the name of a question set asked of a taught knowledge base ends with."""
TAUGHT_COPIES = ROOT / "benchmarks" / "out" / "taught"
"""Where the taught copies of the multi-article knowledge base are written (`teaching.py`)."""


def taught_corpus(eval_dir: Path, teach_langs: Collection[str] | None = None, ask_langs: Collection[str] | None = None) -> Corpus:
    """The multi-article knowledge base taught its public set (`questions.jsonl`, the questions in `teach_langs`), asked
    every set over it (the questions in `ask_langs`): the taught set itself asked again, later readers' wording of the
    same needs, the blind sets and the English questions, each named with `TAUGHT`."""
    sets, expect = multi_sets(eval_dir)
    public = next(s for s in sets if s.name == "multi").cases
    name = "all" if teach_langs is None else "-".join(sorted(teach_langs))
    folder = teach(
        eval_dir / "multi" / "kb",
        [c for c in public if teach_langs is None or c["lang"] in teach_langs],
        expect,
        TAUGHT_COPIES / name,
    )
    asked = [
        QuestionSet(s.name + TAUGHT, [c for c in s.cases if ask_langs is None or c["lang"] in ask_langs], s.judge) for s in sets
    ]
    return corpus(folder, [s for s in asked if s.cases])


def right_answers(corpus: Corpus, config: RankingConfig, answered: list[dict] | None = None) -> dict[str, int]:
    """Per question set, how many questions a searcher with `config` answers right; each answer appended to `answered`."""
    searcher = Searcher(corpus.index, detector=corpus.detector, reply_languages=available(), config=config, embedder=EMBEDDER)
    scores = {}
    for questions in corpus.sets:
        conversation = Conversation()
        answers = [
            json.loads(answer_json(searcher.answer(case["question"], conversation=conversation))) for case in questions.cases
        ]
        if answered is not None:
            answered.extend(
                {"set": questions.name, "question": case["question"], **out}
                for case, out in zip(questions.cases, answers, strict=True)
            )
        scores[questions.name] = sum(questions.judge(case, out) for case, out in zip(questions.cases, answers, strict=True))
    return scores


def table(results: dict[str, dict[str, int]], sizes: dict[str, int]) -> str:
    """Markdown: a row per switch, a column per question set plus the total, cells "right (change)"."""
    names = list(sizes)
    base = results[ALL_ON]
    lines = [
        "| off | " + " | ".join(f"{name} ({sizes[name]})" for name in names) + f" | total ({sum(sizes.values())}) |",
        "|---|" + "---:|" * (len(names) + 1),
    ]
    for switch, scores in results.items():
        cells = [*(scores[name] for name in names), sum(scores.values())]
        before = [*(base[name] for name in names), sum(base.values())]
        shown = [str(now) if switch == ALL_ON else f"{now} ({now - was:+d})" for now, was in zip(cells, before, strict=True)]
        lines.append(f"| {switch} | " + " | ".join(shown) + " |")
    return "\n".join(lines)


def tuned(settings: list[str]) -> RankingConfig:
    """The default configuration with `FIELD=VALUE` numbers changed."""
    types = {f.name: f.type for f in fields(RankingConfig)}
    changes = {}
    for setting in settings:
        name, _, value = setting.partition("=")
        if types.get(name) not in ("float", "int"):
            raise SystemExit(f"--set {setting}: not a number of RankingConfig")
        changes[name] = float(value) if types[name] == "float" else int(value)
    return replace(RankingConfig(), **changes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", type=Path, default=ROOT / "benchmarks" / "eval", help="folder of score.py and multi/")
    parser.add_argument("--only", nargs="*", choices=SWITCHES, default=list(SWITCHES), help="switches to measure")
    parser.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE", help="RankingConfig numbers for every row")
    parser.add_argument("--answers", type=Path, help="write every answer with everything on here, a JSON line each")
    args = parser.parse_args()
    base = tuned(args.set)
    started = time.perf_counter()
    corpora = [seed_corpus(args.eval), multi_corpus(args.eval), taught_corpus(args.eval)]
    sizes = {s.name: len(s.cases) for c in corpora for s in c.sets}
    results: dict[str, dict[str, int]] = {}
    answered: list[dict] = []
    for switch in [ALL_ON, *args.only]:
        config = base if switch == ALL_ON else replace(base, disabled=frozenset({switch}))
        kept = answered if switch == ALL_ON else None
        results[switch] = {name: right for c in corpora for name, right in right_answers(c, config, kept).items()}
        print(f"{switch}: {sum(results[switch].values())} right", file=sys.stderr)
    if args.answers:
        args.answers.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in answered), encoding="utf-8")
    print(table(results, sizes))
    print(f"\n{len(results)} variants in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
