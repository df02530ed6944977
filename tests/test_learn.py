"""`python -m bot learn FILE`: a help desk's history taught into the content folder's `questions.yml`, as an owner runs it."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bot.cli import main
from bot.content.articles import HIGHLIGHTS, KnowledgeBase, Located
from bot.content.parsing import load_knowledge_base
from bot.content.quotes import Quoted, QuoteIndex
from bot.content.taught import TAUGHT_FILE
from bot.storage.records import Choice, LoggedQuestion
from bot.storage.sqlite import Store

from .conftest import ROOT, SEEDS
from .test_storage_faults import read_only

TR = SEEDS / "account-manager.tr.md"
LINKED = next(line for line in TR.read_text(encoding="utf-8").splitlines() if "](/returnoninvestment)" in line)
"""A paragraph as its file has it: a markdown link in it, which the reader sees as the link's text."""
SALARY = next(line for line in TR.read_text(encoding="utf-8").splitlines() if line.startswith("Indeed.com"))
KEY_POINTS = TR.read_text(encoding="utf-8").split("##Öne çıkanlar", 1)[1].strip()
"""The key points as written: bullet lines with blank lines between them."""
EVAL = ROOT / "benchmarks" / "eval" / "multi"


@pytest.fixture
def content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the seed articles as the content folder, with no semantic signal (teaching reads words only)."""
    folder = tmp_path / "content"
    shutil.copytree(SEEDS, folder)
    monkeypatch.setenv("CONTENT_DIR", str(folder))
    monkeypatch.setenv("SEMANTIC", "off")
    monkeypatch.setenv("CACHE_DIR", str(tmp_path / "cache"))
    return folder


def lines(*rows: object) -> str:
    return "".join((row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)) + "\n" for row in rows)


def learn(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str | bytes, *options: str) -> tuple[int, str, str]:
    source = tmp_path / "teach.jsonl"
    source.write_bytes(text.encode() if isinstance(text, str) else text)
    code = main(["learn", str(source), *options])
    out, err = capsys.readouterr()
    return code, out, err


def taught(folder: Path) -> KnowledgeBase:
    return load_knowledge_base(folder, lambda _: None)


def test_learn_teaches_each_line_its_paragraph_and_a_second_run_changes_nothing(capsys, tmp_path: Path, content: Path) -> None:
    teaching = lines(
        {"question": "ne kadar kazanırım", "language": "tr", "answer": SALARY},
        {"question": "how much does it pay", "language": "en", "answer": SALARY},
        {"question": "neden müşteriyi elde tutmak", "answer": LINKED},
        {"question": "özetle", "answer": KEY_POINTS},
        {"question": "konut kredisi faizi bugün ne", "language": "tr", "answer": None},
    )
    code, out, _ = learn(capsys, tmp_path, teaching)
    assert code == 0, out
    assert "5 lines read: 5 taught (4 to 3 paragraphs, 1 to \"no answer\"), 0 not" in out
    assert f"{content / TAUGHT_FILE}: 5 questions added; 4 entries in all" in out
    kb = taught(content)
    assert kb.issues == []
    roles = Located("account-manager", "tr", 2, 4)
    assert [(pair.question, pair.lang, pair.target) for pair in kb.taught] == [
        ("ne kadar kazanırım", "tr", roles),
        ("how much does it pay", "en", roles),
        ("neden müşteriyi elde tutmak", "tr", Located("account-manager", "tr", 2, 0)),
        ("özetle", "tr", Located("account-manager", "tr", HIGHLIGHTS, 0)),
        ("konut kredisi faizi bugün ne", "tr", None),
    ]
    written = (content / TAUGHT_FILE).read_bytes()
    code, out, _ = learn(capsys, tmp_path, teaching)
    assert code == 0 and "unchanged, nothing new to teach; 5 taught already" in out
    assert (content / TAUGHT_FILE).read_bytes() == written


def test_learn_reads_standard_input_and_skips_blank_lines(capsys, content: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(("\ufeff" + lines({"question": "maaş aralığı", "answer": SALARY}) + "\n\n").encode()))
    monkeypatch.setattr("sys.stdin", stdin)
    assert main(["learn", "-"]) == 0
    out = capsys.readouterr().out
    assert "standard input: 1 line read: 1 taught" in out
    assert [pair.question for pair in taught(content).taught] == ["maaş aralığı"]


def test_learn_finds_a_paragraph_rewrapped_stripped_of_markdown_or_with_a_word_changed(capsys, tmp_path: Path, content: Path) -> None:
    words = LINKED.replace("[", "").replace("](/returnoninvestment)", "").split()
    rewrapped = "\n".join(" ".join(words[i : i + 6]) for i in range(0, len(words), 6))
    edited = SALARY.replace("takip eder", "izler")
    code, out, _ = learn(
        capsys,
        tmp_path,
        lines({"question": "elde tutmak neden ucuz", "answer": rewrapped}, {"question": "maaş ne kadar", "answer": edited}),
    )
    assert code == 0, out
    assert "line 2: taught, quoted with edits: 9" in out and "alike to account-manager [tr] § Hesap Yöneticisi Rolleri Örnekleri ¶5" in out
    assert [pair.target for pair in taught(content).taught] == [
        Located("account-manager", "tr", 2, 0),
        Located("account-manager", "tr", 2, 4),
    ]


def test_learn_finds_the_paragraph_an_answer_quotes_in_part_or_wraps_in_words_of_its_own(capsys, tmp_path: Path, content: Path) -> None:
    """Help-desk answers quote only the sentence that answered, or put a greeting around the paragraph: each is taught
    its paragraph and listed "quoted in part"; a fragment of a few words, which many paragraphs could hold, is not."""
    sentence = SALARY.split(". ")[1] + "."  # from the middle of the paragraph: cities, not the salary's first words
    greeted = (
        "Merhaba, sorunuz için çok teşekkürler, bu konuyu sık sık soruyorlar, makalemizde şöyle anlatılıyor: "
        f"{LINKED} Başka sorunuz olursa bize her zaman yazabilirsiniz, iyi çalışmalar dileriz. Destek ekibi"
    )
    code, out, _ = learn(
        capsys,
        tmp_path,
        lines(
            {"question": "en çok iş hangi şehirlerde", "answer": sentence},
            {"question": "elde tutmak neden önemli", "answer": greeted},
            {"question": "hangi şehirlerde", "answer": "New York'ta bulunur"},
        ),
    )
    assert "line 1: taught, quoted in part: 100% alike to account-manager [tr] § Hesap Yöneticisi Rolleri Örnekleri ¶5" in out
    assert "line 2: taught, quoted in part" in out and "line 3: no paragraph" in out
    assert [(pair.question, pair.target) for pair in taught(content).taught] == [
        ("en çok iş hangi şehirlerde", Located("account-manager", "tr", 2, 4)),
        ("elde tutmak neden önemli", Located("account-manager", "tr", 2, 0)),
    ]


def test_a_question_without_a_language_written_in_one_the_content_lacks_is_taught_as_in_it(capsys, tmp_path: Path, content: Path) -> None:
    """An English help desk's export over Turkish articles, no "language" on its lines: the English questions are taught
    as English (so English readers' words meet them), a Turkish one as the answer's language."""
    code, out, _ = learn(
        capsys,
        tmp_path,
        lines(
            {"question": "how much does an account manager earn in the United States", "answer": SALARY},
            {"question": "what is the mortgage rate today", "answer": None},
            {"question": "yıllık maaş ne kadar", "answer": SALARY},
        ),
    )
    assert code == 0, out
    languages = {pair.question: pair.lang for pair in taught(content).taught}
    assert languages == {
        "how much does an account manager earn in the United States": "en",
        "what is the mortgage rate today": "en",
        "yıllık maaş ne kadar": "tr",
    }


def test_learn_names_each_line_it_could_not_teach_and_why_and_teaches_the_rest(capsys, tmp_path: Path, content: Path) -> None:
    teaching = (
        lines(
            {"question": "maaş aralığı", "answer": SALARY},
            '{"question": "broken", "answer": ',
            '["a", "list"]',
            {"question": "no answer key"},
            {"question": "pizza tarifi", "answer": "Hamuru yoğurun, domatesi ekleyin ve fırında on dakika pişirin."},
            {"question": "!!!", "answer": SALARY},
            {"question": "terfi", "language": "xx", "answer": SALARY},
            {"question": "maaş aralığı", "answer": None},
        ).encode()
        + b'{"question": "caf\xe9"}\n'
    )
    code, out, _ = learn(capsys, tmp_path, teaching)
    assert code == 1
    assert "line 2: not JSON: Expecting value at column" in out
    assert 'line 3: not an object: expected {"question": ..., "answer": ...}' in out
    assert "line 4: no answer: \"answer\" is missing: the answer's text, or null for \"no answer\"" in out
    assert "line 5: no paragraph: the answer matches no paragraph" in out
    assert "line 6: no question: the question has no words" in out
    assert "line 7: bad language: \"language\" 'xx' is not a language code" in out
    assert "line 8: taught already: line 1 teaches it another paragraph, account-manager [tr] § Hesap Yöneticisi Rolleri Örnekleri ¶5; kept that" in out
    assert "line 9: not UTF-8: byte 18 is not UTF-8 text" in out
    assert "9 lines read: 1 taught" in out and "8 not (listed above with why)" in out
    assert [pair.question for pair in taught(content).taught] == ["maaş aralığı"]


def test_a_paragraph_two_articles_share_is_taught_in_the_language_asked_or_not_at_all(tmp_path: Path) -> None:
    shared = "ISO 9001 ve ISO 14001 sertifikaları."
    for name, lang in (("iso.tr.md", "tr"), ("iso.it.md", "it")):
        (tmp_path / name).write_text(f"# ISO\n\n## {lang.upper()}\n\n{shared}\n\nAltro testo {lang}.\n", encoding="utf-8")
    kb = load_knowledge_base(tmp_path, lambda _: None)
    quotes = QuoteIndex(kb, lambda _: None)
    assert quotes.find(shared, "it") == Quoted(Located("iso", "it", 0, 0), 100)
    assert quotes.find(shared) == "the answer is, word for word, in 2 paragraphs: iso [it] § IT ¶1; iso [tr] § TR ¶1; teach it by hand in questions.yml"
    assert QuoteIndex(kb, lambda _: "tr").find(shared) == Quoted(Located("iso", "tr", 0, 0), 100)


def test_a_very_long_line_is_passed_over_without_being_held(capsys, tmp_path: Path, content: Path, monkeypatch) -> None:
    monkeypatch.setenv("MAX_ARTICLE_BYTES", "100000")
    teaching = lines({"question": "x " * 60_000, "answer": None}, {"question": "maaş", "answer": SALARY})
    code, out, _ = learn(capsys, tmp_path, teaching)
    assert code == 1
    assert "line 1: too long: longer than 100,000 bytes (MAX_ARTICLE_BYTES)" in out
    assert [pair.question for pair in taught(content).taught] == ["maaş"]


def test_a_hundred_bad_lines_are_summed_up_with_their_numbers(capsys, tmp_path: Path, content: Path) -> None:
    code, out, _ = learn(capsys, tmp_path, "not json\n" * 120)
    assert code == 1
    assert out.count(": not JSON:") == 50
    assert "70 more lines not JSON: 51-120" in out
    assert not (content / TAUGHT_FILE).exists()


def test_learn_keeps_the_owners_entries_and_merges_into_them(capsys, tmp_path: Path, content: Path) -> None:
    (content / TAUGHT_FILE).write_text(
        "- article: account-manager\n  lang: tr\n  section: Maaş\n  paragraph: Indeed.com'a göre\n  questions:\n    - ne kazanırım\n",
        encoding="utf-8",
    )
    code, out, _ = learn(
        capsys,
        tmp_path,
        lines({"question": "Ne kazanırım?", "answer": SALARY}, {"question": "yıllık maaş", "answer": SALARY}),
    )
    assert code == 0, out
    assert "1 question added; 1 taught already; 1 entry in all" in out
    text = (content / TAUGHT_FILE).read_text(encoding="utf-8")
    assert "  section: Maaş\n  paragraph: Indeed.com'a göre\n  questions:\n  - ne kazanırım\n  - yıllık maaş\n" in text


OWNERS = """\
# Salary questions: checked with HR in March, ask Ayşe before changing.
- article: account-manager
  lang: tr
  section: Maaş
  paragraph: Indeed.com'a göre
  questions:
    - ne kazanırım   # the most asked one
"""
"""An owner's `questions.yml` with comments of theirs, in their own indentation."""


def test_learn_adds_to_the_owners_entries_in_their_layout_and_keeps_their_comments(capsys, tmp_path: Path, content: Path) -> None:
    """A file with the owner's comments is not rewritten: a question for a paragraph they have an entry for goes at
    the end of its list, in their indentation, one for another paragraph in an entry at the end; every one is taught,
    and running learn again changes nothing."""
    (content / TAUGHT_FILE).write_text(OWNERS, encoding="utf-8")
    teaching = lines(
        {"question": "yıllık maaş", "answer": SALARY},
        {"question": "how much does it pay", "language": "en", "answer": SALARY},
        {"question": "konut kredisi faizi bugün ne", "language": "tr", "answer": None},
    )
    code, out, _ = learn(capsys, tmp_path, teaching)
    assert code == 0, out
    assert "3 questions added; 2 entries in all" in out and "your comments and layout are kept" in out
    text = (content / TAUGHT_FILE).read_text(encoding="utf-8")
    assert text == (
        OWNERS
        + "    - yıllık maaş\n    - {question: how much does it pay, lang: en}\n"
        + "- no answer: true\n  questions:\n  - question: konut kredisi faizi bugün ne\n    lang: tr\n"
    )
    pairs = {(pair.question, pair.lang, pair.target) for pair in taught(content).taught}
    salary = Located("account-manager", "tr", 2, 4)
    assert pairs == {
        ("ne kazanırım", "tr", salary),
        ("yıllık maaş", "tr", salary),
        ("how much does it pay", "en", salary),
        ("konut kredisi faizi bugün ne", "tr", None),
    }
    code, out, _ = learn(capsys, tmp_path, teaching)
    assert code == 0 and "unchanged, nothing new to teach; 3 taught already" in out
    assert (content / TAUGHT_FILE).read_text(encoding="utf-8") == text


@pytest.mark.parametrize(
    "owners",
    [
        "# Questions we were asked at the fair; more to come.\n",
        "- article: account-manager\n  lang: tr\n  section: Maaş\n  paragraph: Indeed.com'a göre\n  questions:\n"
        "    - ne kazanırım  # the most asked one",
    ],
    ids=["comments only", "a comment after a value, no newline at the end"],
)
def test_learn_keeps_comments_in_any_place_of_the_owners_file(capsys, tmp_path: Path, content: Path, owners: str) -> None:
    (content / TAUGHT_FILE).write_text(owners, encoding="utf-8")
    code, out, _ = learn(capsys, tmp_path, lines({"question": "yıllık maaş", "answer": SALARY}))
    assert code == 0 and "your comments and layout are kept" in out, out
    assert (content / TAUGHT_FILE).read_text(encoding="utf-8").startswith(owners)
    assert "yıllık maaş" in {pair.question for pair in taught(content).taught}


def test_a_file_written_on_windows_keeps_its_line_endings(capsys, tmp_path: Path, content: Path) -> None:
    owners = OWNERS.replace("\n", "\r\n")
    (content / TAUGHT_FILE).write_bytes(owners.encode())
    teaching = lines({"question": "yıllık maaş", "answer": SALARY}, {"question": "pizza", "language": "tr", "answer": None})
    code, out, _ = learn(capsys, tmp_path, teaching)
    assert code == 0 and "your comments and layout are kept" in out, out
    data = (content / TAUGHT_FILE).read_bytes()
    assert data.startswith(owners.encode()) and data.count(b"\n") == data.count(b"\r\n")
    assert {pair.question for pair in taught(content).taught} == {"ne kazanırım", "yıllık maaş", "pizza"}


def test_a_byte_order_mark_stays_and_the_question_joins_the_owners_entry(capsys, tmp_path: Path, content: Path) -> None:
    """Some editors open a UTF-8 file with a byte-order mark; the parser's positions do not count it."""
    (content / TAUGHT_FILE).write_text("\ufeff" + OWNERS, encoding="utf-8")
    code, out, _ = learn(capsys, tmp_path, lines({"question": "yıllık maaş", "answer": SALARY}))
    assert code == 0 and "1 question added; 1 entry in all" in out, out
    assert (content / TAUGHT_FILE).read_text(encoding="utf-8") == "\ufeff" + OWNERS + "    - yıllık maaş\n"


def test_a_question_goes_to_the_owners_entry_that_lists_one_question_a_line(capsys, tmp_path: Path, content: Path) -> None:
    """The owner wrote two entries for the salary paragraph, the first as a flow list: the new question joins the second,
    and teaching more later adds to it again rather than making entries of their own."""
    flow = OWNERS.replace("  questions:\n    - ne kazanırım   # the most asked one\n", "  questions: [maaş ne kadar]\n")
    (content / TAUGHT_FILE).write_text(flow + OWNERS.partition("\n")[2], encoding="utf-8")
    code, out, _ = learn(capsys, tmp_path, lines({"question": "yıllık maaş", "answer": SALARY}))
    assert code == 0 and "1 question added; 2 entries in all" in out, out
    code, out, _ = learn(capsys, tmp_path, lines({"question": "ayda kaç para", "answer": SALARY}))
    assert code == 0 and "1 question added; 2 entries in all" in out, out
    text = (content / TAUGHT_FILE).read_text(encoding="utf-8")
    assert text.endswith("    - ne kazanırım   # the most asked one\n    - yıllık maaş\n    - ayda kaç para\n")


def test_a_file_without_comments_keeps_its_windows_line_endings_when_rewritten(capsys, tmp_path: Path, content: Path) -> None:
    (content / TAUGHT_FILE).write_bytes(OWNERS.partition("\n")[2].replace("   # the most asked one", "").replace("\n", "\r\n").encode())
    code, out, _ = learn(capsys, tmp_path, lines({"question": "yıllık maaş", "answer": SALARY}))
    assert code == 0, out
    data = (content / TAUGHT_FILE).read_bytes()
    assert "yıllık maaş" in data.decode() and data.count(b"\n") == data.count(b"\r\n")


def test_an_entry_whose_questions_are_one_flow_list_gets_its_new_ones_in_an_entry_after_the_owners_text(
    capsys, tmp_path: Path, content: Path
) -> None:
    """`questions: [a, b]` cannot take a line: the new question for its paragraph follows the file as an entry."""
    owners = OWNERS.replace("  questions:\n    - ne kazanırım   # the most asked one\n", "  questions: [ne kazanırım]  # the most asked one\n")
    (content / TAUGHT_FILE).write_text(owners, encoding="utf-8")
    code, out, _ = learn(capsys, tmp_path, lines({"question": "yıllık maaş", "answer": SALARY}))
    assert code == 0 and "1 question added; 2 entries in all" in out, out
    text = (content / TAUGHT_FILE).read_text(encoding="utf-8")
    assert text.startswith(owners) and text.endswith("  questions:\n  - yıllık maaş\n")
    assert {pair.question for pair in taught(content).taught} == {"ne kazanırım", "yıllık maaş"}


def test_a_flow_list_with_comments_is_rewritten_and_the_report_names_the_lost_lines(capsys, tmp_path: Path, content: Path) -> None:
    """Written as one `[...]` list, the owner's file cannot be added to: learn writes its own layout and says which
    lines held comments."""
    (content / TAUGHT_FILE).write_text(
        "# mine\n[{article: account-manager, lang: tr, section: Maaş, paragraph: Indeed.com'a göre, questions: [ne kazanırım]}]\n",
        encoding="utf-8",
    )
    code, out, _ = learn(capsys, tmp_path, lines({"question": "yıllık maaş", "answer": SALARY}))
    assert code == 0 and "comments that were on line 1 are gone" in out
    assert {pair.question for pair in taught(content).taught} == {"ne kazanırım", "yıllık maaş"}


def test_learn_rewrites_no_file_it_cannot_read_whole(capsys, tmp_path: Path, content: Path) -> None:
    broken = "- article: account-manager\n  questions: [a]\n- no answer: true\n  questions:\n    - pizza\n"
    (content / TAUGHT_FILE).write_text(broken, encoding="utf-8")
    code, out, _ = learn(capsys, tmp_path, lines({"question": "maaş", "answer": SALARY}))
    assert code == 1
    assert "line 1: missing lang, paragraph (or `no answer: true`)" in out and "nothing written" in out
    assert (content / TAUGHT_FILE).read_text(encoding="utf-8") == broken


def test_learn_writes_no_file_the_bot_would_refuse_to_read(capsys, tmp_path: Path, content: Path, monkeypatch) -> None:
    monkeypatch.setenv("MAX_ARTICLE_BYTES", "9000")
    code, out, _ = learn(capsys, tmp_path, lines(*({"question": f"soru {n}", "answer": SALARY} for n in range(1000))))
    assert code == 1
    assert "bytes, over MAX_ARTICLE_BYTES (9,000), and the bot would not read it: nothing written" in out
    assert not (content / TAUGHT_FILE).exists()


def test_a_failed_write_leaves_the_old_file_as_it_was(capsys, tmp_path: Path, content: Path, monkeypatch) -> None:
    (content / TAUGHT_FILE).write_text("- no answer: true\n  questions:\n    - pizza\n", encoding="utf-8")
    before = sorted(os.listdir(content))

    def full_disk(source: str, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("bot.content.teaching.os.replace", full_disk)
    code, out, _ = learn(capsys, tmp_path, lines({"question": "maaş", "answer": SALARY}))
    assert code == 1
    assert "questions.yml not written: No space left on device; the old file is as it was" in out
    assert (content / TAUGHT_FILE).read_text(encoding="utf-8") == "- no answer: true\n  questions:\n    - pizza\n"
    assert sorted(os.listdir(content)) == before


def test_learn_into_a_read_only_folder_says_so_and_changes_nothing(capsys, tmp_path: Path, content: Path) -> None:
    source = tmp_path / "teach.jsonl"
    source.write_text(lines({"question": "maaş", "answer": SALARY}), encoding="utf-8")
    with read_only(content):
        code = main(["learn", str(source)])
    out = capsys.readouterr().out
    assert code == 1
    assert "questions.yml not written: Read-only file system" in out and "nothing changed" in out
    assert not (content / TAUGHT_FILE).exists()


def test_check_names_a_taught_question_whose_paragraph_was_deleted(capsys, tmp_path: Path, content: Path) -> None:
    assert learn(capsys, tmp_path, lines({"question": "ne kadar kazanırım", "answer": SALARY}))[0] == 0
    TR_COPY = content / TR.name
    TR_COPY.write_text(TR_COPY.read_text(encoding="utf-8").replace(SALARY + "\n", ""), encoding="utf-8")
    code = main(["check"])
    out = capsys.readouterr().out
    assert code == 0
    (warning,) = [line for line in out.splitlines() if TAUGHT_FILE in line]
    assert warning.startswith(f"{content / TAUGHT_FILE}: warning: line 6: no paragraph of account-manager.tr.md begins")
    assert warning.endswith("correct the entry or remove it")


def test_the_eval_teaching_file_is_taught_whole(tmp_path: Path) -> None:
    """`reach.py teach` over the eval set's 200 questions: every line finds its paragraph (or "no answer")."""
    kb = tmp_path / "kb"
    shutil.copytree(EVAL / "kb", kb)
    teaching = subprocess.run(
        [sys.executable, str(EVAL / "reach.py"), "teach", str(EVAL / "questions.jsonl"), "--seeds", str(EVAL / "kb")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    env = {**os.environ, "SEMANTIC": "off", "CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "learn", "--content-dir", str(kb), "-"],
        input=teaching,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'standard input: 200 lines read: 200 taught (180 to 177 paragraphs, 20 to "no answer"), 0 not' in done.stdout
    assert len(load_knowledge_base(kb, lambda _: None).taught) == 200


# -- readers' evidence: `learn --review`, `--accept`, `--reject`, `--accept-confirmed` ------------------------------

ROLES = "Hesap Yöneticisi Rolleri Örnekleri"
PAY = Choice("account-manager", "tr", ROLES, 4)
"""The salary paragraph, as the log names a paragraph a reader tapped."""
WHAT = "Hesap Yöneticisi Nedir?"


@pytest.fixture
def database(tmp_path: Path, content: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "bot.sqlite3"
    monkeypatch.setenv("DATABASE_PATH", str(path))
    return path


def readers_said(database: Path, *said: tuple[int, str, Choice | bool, ...]) -> None:
    """Each (reader, question, what they did with the answer, the first paragraph of "what is it"): tapped a paragraph
    offered beside it, or voted on it."""

    async def write() -> None:
        store = await Store.open(database)
        try:
            for user, question, *words in said:
                entry = LoggedQuestion(user, user, question, "tr", "paragraph", "account-manager", WHAT, 0.6, paragraph=0)
                logged = await store.record_answer(entry, "tr")
                for word in words:
                    if isinstance(word, Choice):
                        await store.record_choice(logged, user, user, word)
                    else:
                        await store.vote(logged, user, user, word)
        finally:
            await store.close()

    asyncio.run(write())


def review(capsys: pytest.CaptureFixture[str], *options: str) -> tuple[int, list[str]]:
    code = main(["learn", *options])
    return code, capsys.readouterr().out.splitlines()


def ids(rows: list[str]) -> dict[str, str]:
    """The question of each pair listed, by its id."""
    return {row.split()[0]: row.split(None, 3)[3] for row in rows[1:] if not row.startswith(" ")}


def test_review_lists_what_readers_confirmed_and_accept_teaches_it(capsys, content: Path, database: Path) -> None:
    readers_said(
        database,
        (1, "ne kadar kazanırım", PAY),
        (1, "ne kadar kazanırım", PAY),
        (2, "Ne kadar kazanırım?", PAY),
        (3, "ne kadar kazanırım", Choice("account-manager", "tr", ROLES, 4, "suggestion"), False),
        (4, "hesap yöneticisi ne demek", True),
        (5, "hesap yöneticisi ne demek", False),
    )
    code, rows = review(capsys, "--review")
    assert code == 0
    assert rows[0] == "id         for  against  question → paragraph"
    assert re.fullmatch(r"[0-9a-f]{8}     3        0  ne kadar kazanırım \[tr\]", rows[1])
    assert rows[2] == f"{' ' * 25}→ account-manager [tr] § {ROLES} ¶5: Indeed.com'a göre, ABD'deki hesap yöneticileri için maaş aralığı yılda 45.000 ila 85.000…"
    assert re.fullmatch(r"[0-9a-f]{8}     1        1  hesap yöneticisi ne demek \[tr\]", rows[3])
    assert rows[4].endswith(f"→ account-manager [tr] § {WHAT} ¶1: Hesap yöneticisi, bir işletmedeki belirli bir müşterinin hesabının günlük yönetiminden sorumlu olan,…")
    pay = rows[1].split()[0]
    code, out = review(capsys, "--accept", pay)
    assert code == 0 and out == [f"{content / TAUGHT_FILE}: 1 question added; 1 entry in all"]
    assert [(p.question, p.target) for p in taught(content).taught] == [("ne kadar kazanırım", Located("account-manager", "tr", 2, 4))]
    assert list(ids(review(capsys, "--review")[1]).values()) == ["hesap yöneticisi ne demek [tr]"]


def test_a_rejected_pair_does_not_come_back(capsys, content: Path, database: Path) -> None:
    readers_said(database, (1, "maaş", PAY))
    (pair,) = ids(review(capsys, "--review")[1])
    assert review(capsys, "--reject", pair) == (0, [f"1 pair rejected: {pair}"])
    readers_said(database, (2, "maaş", PAY), (3, "maaş", PAY))
    code, rows = review(capsys, "--review")
    assert code == 0 and rows == ["no pairs to review: readers' taps and votes on answers are listed here as they come"]
    assert not (content / TAUGHT_FILE).exists()


def test_an_unknown_id_decides_nothing(capsys, content: Path, database: Path) -> None:
    readers_said(database, (1, "maaş", PAY))
    (pair,) = ids(review(capsys, "--review")[1])
    code, rows = review(capsys, "--accept", pair, "0badc0de")
    assert code == 1 and rows == ["no pair to review has the id 0badc0de: `python -m bot learn --review` lists them; nothing done"]
    assert not (content / TAUGHT_FILE).exists()
    assert list(ids(review(capsys, "--review")[1])) == [pair]


def test_one_reader_however_often_they_tap_is_never_enough_to_accept_confirmed_pairs(capsys, content: Path, database: Path) -> None:
    readers_said(database, *((7, "maaş", PAY) for _ in range(5)))
    assert review(capsys, "--accept-confirmed", "2") == (0, ["no pair confirmed by 2 readers or more to accept"])
    assert not (content / TAUGHT_FILE).exists()
    readers_said(database, (8, "maaş", PAY))
    code, rows = review(capsys, "--accept-confirmed", "2")
    assert code == 0 and rows == [f"{content / TAUGHT_FILE}: 1 question added; 1 entry in all"]
    assert [p.question for p in taught(content).taught] == ["maaş"]


def test_a_pair_whose_paragraph_was_edited_away_is_shown_so_and_cannot_be_accepted(capsys, content: Path, database: Path) -> None:
    readers_said(database, (1, "maaş", Choice("account-manager", "tr", "Eski bölüm", 0)))
    code, rows = review(capsys, "--review")
    assert rows[2].endswith("→ account-manager [tr] § Eski bölüm: no longer in the content (edited since); reject it")
    (pair,) = ids(rows)
    code, rows = review(capsys, "--accept", pair)
    assert code == 1 and rows == [f"{pair}: the paragraph is no longer in the content, so it cannot be taught; reject it. Nothing done"]


PAY_OPENING = "Indeed.com'a göre, ABD'deki hesap yöneticileri için maaş aralığı yılda 45.000 ila 85.000…"
"""The salary paragraph as the bot logs a tap on it: as `questions.yml` names it."""


def test_a_pair_follows_its_paragraph_when_an_edit_moves_it_and_not_its_old_place(capsys, content: Path, database: Path) -> None:
    """Readers tapped the salary paragraph; the owner then put a paragraph above it. Its old place (¶5) now holds
    another paragraph, which accepting must not teach: the pair names the salary paragraph where it is now."""
    readers_said(database, (1, "maaş", replace(PAY, opening=PAY_OPENING)))
    article = content / "account-manager.tr.md"
    text = article.read_text(encoding="utf-8")
    article.write_text(text.replace(f"## {ROLES}\n\n", f"## {ROLES}\n\nYeni bir giriş paragrafı.\n\n"), encoding="utf-8")
    code, rows = review(capsys, "--review")
    assert code == 0 and rows[2].endswith(f"§ {ROLES} ¶6: {PAY_OPENING}")
    assert review(capsys, "--accept", rows[1].split()[0])[0] == 0
    assert [p.target for p in taught(content).taught] == [Located("account-manager", "tr", 2, 5)]


def test_a_pair_whose_paragraph_was_deleted_is_not_its_neighbours(capsys, content: Path, database: Path) -> None:
    readers_said(database, (1, "maaş", replace(PAY, opening=PAY_OPENING)))
    article = content / "account-manager.tr.md"
    paragraphs = article.read_text(encoding="utf-8").split("\n\n")
    article.write_text("\n\n".join(p for p in paragraphs if not p.startswith("Indeed.com")), encoding="utf-8")
    code, rows = review(capsys, "--review")
    assert rows[2].endswith(f"→ account-manager [tr] § {ROLES}: no longer in the content (edited since); reject it")


def test_review_without_a_database_says_where_evidence_comes_from(capsys, content: Path, database: Path) -> None:
    code = main(["learn", "--review"])
    assert code == 1
    assert capsys.readouterr().err == f"no readers' evidence yet: {database} does not exist (the bot, `run`, keeps it)\n"


def test_learn_takes_a_file_or_one_decision(capsys, content: Path) -> None:
    assert main(["learn"]) == 2
    assert main(["learn", "x.jsonl", "--review"]) == 2
    assert capsys.readouterr().err.count("learn takes one of FILE, --review, --accept, --reject and --accept-confirmed") == 2
