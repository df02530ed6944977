"""The taught signal: a question the content owner taught moves the answer, in every language, and "no answer" too."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.chat.messages import available
from bot.cli import answer_json, main
from bot.content.taught import TAUGHT_FILE
from bot.language.langdetect import guess_article_language
from bot.search.background import EmbeddingJob, embed_job
from bot.search.embedding import MODEL_NAME, E5Embedder
from bot.search.index_cache import Semantic, load_index
from bot.search.searcher import Conversation, Searcher
from bot.search.taught import BY_MEANING, TaughtQuestions
from bot.search.tuning import RankingConfig
from bot.search.vectors import VectorStore, coverage

from .conftest import DATA, SEEDS, SHARED_VECTORS, WriteFile
from .test_background import CAFFE, KAFFE

SALARY_DA = """\
- article: account-manager
  lang: da
  section: Eksempler på Account Manager-roller
  paragraph: Ifølge Indeed.com er lønintervallet for kontoadministratorer i USA
  questions:
    - hvad får man i hånden
"""
"""What does one get in hand (take-home pay): no word of the salary paragraph, which the untaught bot cannot answer."""

SCHOOL_TR = """\
- article: account-manager
  lang: tr
  paragraph: highlights
  questions:
    - hangi okulu bitirmeliyim
"""
"""Which school should I finish, taught in Turkish with the key points (where the degree is named)."""

TAX_EXEMPT = """\
- no answer: true
  questions:
    - {question: hesap yöneticisi maaşı vergiden muaf mı, lang: tr}
"""
"""Is an account manager's salary tax-exempt: the articles name the salary, not taxes."""


@pytest.fixture
def taught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the seeds with an index cache of its own; the paragraphs' vectors from the shared store."""
    folder = tmp_path / "content"
    shutil.copytree(SEEDS, folder)
    monkeypatch.setenv("CONTENT_DIR", str(folder))
    monkeypatch.setenv("CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("EMBEDDINGS_DIR", str(SHARED_VECTORS))
    return folder


def ask(capsys: pytest.CaptureFixture[str], *questions: str) -> list[dict]:
    assert main(["ask", "--json", *questions]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def teach(folder: Path, text: str) -> None:
    (folder / TAUGHT_FILE).write_text(text, encoding="utf-8")


def test_a_taught_question_is_answered_with_its_paragraph_by_ask(capsys, taught: Path) -> None:
    """Untaught, "hvad får man i hånden" has no answer; taught with the salary paragraph, `ask` answers it with that."""
    (before,) = ask(capsys, "hvad får man i hånden")
    assert before["kind"] == "none"
    teach(taught, SALARY_DA)
    (after,) = ask(capsys, "hvad får man i hånden")
    assert after["kind"] == "paragraph" and after["language"] == "da"
    assert after["section"] == "Eksempler på Account Manager-roller" and "45.000" in after["text"]


def test_a_question_taught_in_one_language_answers_its_translation_in_another(capsys, taught: Path) -> None:
    """Taught in Turkish with the key points, the same question in Italian gets the Italian key points."""
    (before,) = ask(capsys, "quale scuola devo fare")
    assert before["kind"] == "none"
    teach(taught, SCHOOL_TR)
    (after,) = ask(capsys, "quale scuola devo fare")
    assert (after["kind"], after["language"], after["section"]) == ("highlights", "it", "Mette in risalto")


def test_a_question_taught_to_have_no_answer_gets_none(capsys, taught: Path) -> None:
    (before,) = ask(capsys, "hesap yöneticisi maaşı vergiden muaf mı")
    assert before["kind"] == "paragraph"
    teach(taught, TAX_EXEMPT)
    (after,) = ask(capsys, "hesap yöneticisi maaşı vergiden muaf mı")
    assert after["kind"] == "none" and after["language"] == "tr"


HELP_DESK_EN = """\
- article: account-manager
  lang: tr
  paragraph: highlights
  questions:
    - {question: which school should I finish, lang: en}
- no answer: true
  questions:
    - {question: is an account manager's salary tax free, lang: en}
"""
"""An owner's English help-desk history over articles with no English: which school to finish (the key points name the
degree), and a question the articles cannot answer."""


def test_questions_taught_in_a_language_the_content_lacks_answer_its_readers(capsys, taught: Path) -> None:
    """English readers of Turkish, Danish, ... articles: untaught, "which school should I finish" has no answer and the
    tax question gets the salary paragraph; taught, the first gets the key points (read as English), asked again or in
    other words, and the second "no answer"."""
    questions = ("which school should I finish", "which school do I have to finish", "is an account manager's salary tax free")
    before = [ask(capsys, question)[0] for question in questions]
    assert [b["kind"] for b in before] == ["none", "none", "paragraph"]
    teach(taught, HELP_DESK_EN)
    after = [ask(capsys, question)[0] for question in questions]
    assert [(a["kind"], a["section"]) for a in after[:2]] == [("highlights", "Öne çıkanlar")] * 2
    assert after[2]["kind"] == "none" and after[2]["language"] == "en"


def test_an_untaught_bot_answers_as_with_the_taught_signal_switched_off(searcher: Searcher) -> None:
    """Without `questions.yml` the taught signal changes nothing: every answer, and all that comes with it, is the same."""
    off = Searcher(
        searcher.index,
        detector=searcher.detector,
        reply_languages=available(),
        config=RankingConfig(disabled=frozenset({"taught"})),
        embedder=searcher.embedder,
    )
    questions = [json.loads(line)["question"] for path in sorted(DATA.glob("questions*.jsonl")) for line in path.open()]
    on_conversation, off_conversation = Conversation(), Conversation()
    for question in questions:
        on = answer_json(searcher.answer(question, conversation=on_conversation))
        assert on == answer_json(off.answer(question, conversation=off_conversation)), question


COFFEE_TAUGHT = """\
- article: kaffe
  lang: da
  section: Pris
  paragraph: Et kilo gode bønner koster
  questions:
    - hvad skal jeg give for en pose
- no answer: true
  questions:
    - {question: hvor ligger den nærmeste café, lang: da}
"""


@pytest.fixture
def coffee(write: WriteFile, content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Coffee in Danish and Italian, two questions taught, with an index cache and a vector store of their own."""
    write("kaffe.da.md", KAFFE)
    write("caffe.it.md", CAFFE)
    write(TAUGHT_FILE, COFFEE_TAUGHT)
    monkeypatch.setenv("CONTENT_DIR", str(content))
    monkeypatch.setenv("CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("EMBEDDINGS_DIR", str(tmp_path / "vectors"))
    return content


def test_taught_questions_are_embedded_once_and_counted_by_check_and_embed(capsys, coffee: Path) -> None:
    assert main(["check"]) == 0
    assert capsys.readouterr().out.splitlines()[-2] == (
        "vectors: 0/10 paragraphs and taught questions (0%): da 0/4, it 0/4, taught questions 0/2"
    )
    assert main(["embed"]) == 0
    assert capsys.readouterr().out.startswith("10 paragraphs and taught questions embedded, 0 already were; ")
    assert main(["check"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "vectors: 10/10 paragraphs and taught questions (100%): da 4/4, it 4/4, taught questions 2/2"
    )


class Recording(E5Embedder):
    """The real model, remembering what it embedded as a question."""

    def __init__(self) -> None:
        super().__init__()
        self.questions: list[str] = []

    def query(self, text: str) -> np.ndarray:
        self.questions.append(text)
        return super().query(text)


def test_the_background_job_embeds_the_taught_questions_first_and_the_index_attaches_them(coffee: Path, tmp_path: Path) -> None:
    vectors = tmp_path / "vectors"
    embedder = Recording()
    assert embed_job(EmbeddingJob(coffee, None, vectors, 1 << 20, "da", 0), lambda line: None, embedder) == 0
    assert embedder.questions == ["hvad skal jeg give for en pose", "hvor ligger den nærmeste café"]
    index = load_index(coffee, None, guess_article_language, semantic=Semantic(vectors, embed_limit=0))
    assert coverage(index, VectorStore(vectors, MODEL_NAME)).questions == (2, 2)
    assert index.taught_vectors is not None and len(index.taught_vectors) == 2


ITALIAN_SPLIT = """\
---
title: Caffè
translationKey: kaffe
---
# Caffè
## Prezzo
Un chilo di buoni chicchi costa circa quaranta euro nei negozi.

In un bar un espresso costa un euro.

## Conservazione
Il caffè macinato resta fresco per una settimana in un barattolo ermetico.

Il frigorifero non è un buon posto: l'umidità rovina l'aroma dei chicchi.
"""
DANISH_JOINED = """\
---
title: Kaffe
translationKey: kaffe
---
# Kaffe
## Pris
Et kilo gode bønner koster omkring tre hundrede kroner i butikkerne. På en café koster en espresso tyve kroner.

## Opbevaring
Malet kaffe holder sig frisk en uge i en lufttæt dåse.

Køleskabet er ikke et godt sted: fugten ødelægger bønnernes aroma.
"""
KEEPING_IT = """\
- article: kaffe
  lang: it
  section: Conservazione
  paragraph: Il frigorifero non è un buon posto
  questions:
    - posso tenere il caffè in frigo
"""


def test_a_translation_shaped_otherwise_is_pointed_to_its_paragraph_nearest_in_meaning(
    write: WriteFile, content: Path, tmp_path: Path
) -> None:
    """The Danish price section has one paragraph where the Italian has two: the taught Italian paragraph's place names
    no Danish one, and the Danish paragraph nearest in meaning stands in."""
    write("caffe.it.md", ITALIAN_SPLIT)
    write("kaffe.da.md", DANISH_JOINED)
    write(TAUGHT_FILE, KEEPING_IT)
    index = load_index(content, None, guess_article_language, semantic=Semantic(tmp_path / "vectors", embed_limit=100))
    searcher = Searcher(index, reply_languages=available())
    taught = searcher.rankers["da"].taught
    assert taught is not None and int(taught.targets["da"][0]) == BY_MEANING
    unit = taught.target(0, "da")
    idx = index.by_lang["da"]
    assert (int(idx.unit_section[unit]), int(idx.unit_paragraph[unit])) == (1, 1)


def test_a_question_taught_in_the_readers_language_must_stand_out_further_than_one_taught_in_another() -> None:
    """Two taught questions of one subject, 0.06 apart in similarity to the reader's: the nearest counts fully when
    they were taught in another language, a half when in the reader's own, where the model crowds one subject's
    questions as near as paraphrases (taught half the public set, its other half lost 15 answers to them)."""
    config = RankingConfig()
    taught = object.__new__(TaughtQuestions)
    taught.config = config
    taught.none = np.array([False, False])
    taught.targets = {"da": np.array([7, 9])}
    similarity, members = np.array([0.93, 0.87]), np.array([0, 1])
    place = lambda i: int(taught.targets["da"][i])  # noqa: E731
    own = taught._nearest_by_meaning(place, similarity, members, config.taught_floor, config.taught_own_margin)
    across = taught._nearest_by_meaning(
        place, similarity, members, config.taught_floor - config.taught_across, config.taught_margin
    )
    assert own == (7, pytest.approx(0.5)) and across == (7, 1.0)
