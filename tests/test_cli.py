"""The `ask` and `check` commands as scripts and people use them."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.chat.messages import message
from bot.cli import main
from bot.storage.records import LoggedQuestion
from bot.storage.sqlite import Store

from .conftest import ROOT, SEEDS, SHARED_CACHE, SHARED_VECTORS, WriteFile
from .test_background import CAFFE, DANISH_PARAPHRASE, KAFFE

KEYS = {"question", "language", "kind", "text", "article", "section", "score", "suggestions", "alternatives"}


@pytest.fixture(autouse=True)
def seeds_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The seeds, their index from the session's cache and their vectors from the shared store: built once, not per test."""
    monkeypatch.setenv("CONTENT_DIR", str(SEEDS))
    monkeypatch.setenv("CACHE_DIR", str(SHARED_CACHE))
    monkeypatch.setenv("EMBEDDINGS_DIR", str(SHARED_VECTORS))


def run(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_json_answers_each_stdin_line_in_order(capsys, monkeypatch) -> None:
    code, out, _ = run(capsys, "ask", "--json", stdin="maaş aralığı nedir\nрецепт пиццы\n\nriassunto\n", monkeypatch=monkeypatch)
    assert code == 0
    answers = [json.loads(line) for line in out.splitlines()]
    assert [a["question"] for a in answers] == ["maaş aralığı nedir", "рецепт пиццы", "", "riassunto"]
    assert all(set(a) == KEYS for a in answers)
    assert [a["kind"] for a in answers] == ["paragraph", "none", "none", "highlights"]
    assert [a["language"] for a in answers[:2]] == ["tr", "ru"]
    first = answers[0]
    assert first["article"] == "Muhasebe Müdürü" and first["section"] == "Hesap Yöneticisi Rolleri Örnekleri"
    assert "45.000 ila 85.000" in first["text"]
    assert answers[1]["suggestions"] and answers[1]["article"] is None


def test_ask_json_offers_two_paragraphs_for_a_near_tie_and_none_for_a_decisive_question(capsys, monkeypatch) -> None:
    """ "Alternatives": best first, each as the reader sees it after the tap (the paragraph itself)."""
    stdin = "di cosa si occupa un account manager\nfascia di stipendio\n"
    code, out, _ = run(capsys, "ask", "--json", stdin=stdin, monkeypatch=monkeypatch)
    assert code == 0
    near, decisive = (json.loads(line) for line in out.splitlines())
    assert near["section"] == "Capire cosa fa un account manager"
    assert [(a["article"], a["section"]) for a in near["alternatives"]] == [
        ("Account Manager", "Che cos'è un account manager?"),
        ("Account Manager", "Capire cosa fa un account manager"),
    ]
    assert near["alternatives"][0]["text"].startswith("Un account manager è")
    assert len({near["text"], *(a["text"] for a in near["alternatives"])}) == 3
    assert decisive["kind"] == "paragraph" and decisive["alternatives"] == []


def test_plain_ask_prints_the_offered_paragraphs_under_the_answer(capsys) -> None:
    code, out, _ = run(capsys, "ask", "di", "cosa", "si", "occupa", "un", "account", "manager")
    assert code == 0
    lines = out.splitlines()
    offered = lines.index(message("it", "did_you_mean"))
    assert lines[offered + 1] == "  - Account Manager › Che cos'è un account manager?"
    assert lines[offered + 2].startswith("    Un account manager è")
    assert lines[offered + 3] == "  - Account Manager › Capire cosa fa un account manager"


def test_ask_with_arguments_prints_a_readable_answer(capsys) -> None:
    code, out, _ = run(capsys, "ask", "fascia", "di", "stipendio")
    assert code == 0
    assert out.startswith("[it] Account Manager › Esempi di ruoli di Account Manager")
    assert "$ 45.000" in out


def test_ask_lang_settles_ambiguous_questions_and_rejects_unknown_codes(capsys) -> None:
    code, out, _ = run(capsys, "ask", "--json", "--lang", "da", "account manager")
    assert code == 0 and json.loads(out)["language"] == "da"
    code, out, _ = run(capsys, "ask", "--json", "--lang", "DA", "account manager")
    assert code == 0 and json.loads(out)["language"] == "da"
    code, _, err = run(capsys, "ask", "--lang", "xx", "account manager")
    assert code == 2
    assert "ar, da, it, ru, tr" in err


def test_ask_says_no_answer_to_a_question_in_no_language_in_the_readers_language(capsys, monkeypatch) -> None:
    """lingua calls "blorf quux" Danish; `--lang` is the reader's language, else DEFAULT_LANGUAGE, which the content may lack."""
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    code, out, _ = run(capsys, "ask", "--lang", "it", "blorf quux")
    assert code == 0
    assert out.startswith(f"[it] {message('it', 'no_answer')}\n{message('it', 'try_asking')}\n  - ")
    code, out, _ = run(capsys, "ask", "blorf quux")
    assert out.splitlines()[:3] == [f"[en] {message('en', 'no_answer')}", message("en", "content_languages"), "  - ar (العربية)"]


def test_ask_shows_that_an_english_question_was_read_as_english(capsys) -> None:
    """The content has no English: the answer comes from an article in another language, and the reader is told so."""
    code, out, _ = run(capsys, "ask", "--lang", "da", "how much does an account manager earn")
    assert code == 0
    header, note, text = out.splitlines()[:3]
    assert header.startswith("[da] ") and note == message("da", "read_as_en") and "45.000" in text


def test_ask_uses_and_survives_the_index_cache(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CACHE_DIR", str(tmp_path / "cache"))
    for _ in range(2):
        code, out, _ = run(capsys, "ask", "--json", "maas araligi")
        assert code == 0 and json.loads(out)["kind"] == "paragraph"
    assert list((tmp_path / "cache").glob("index-*.pickle"))


def test_check_lists_sections_and_highlights(capsys) -> None:
    code, out, _ = run(capsys, "check")
    assert code == 0
    assert "account-manager [tr] 'Muhasebe Müdürü'" in out
    assert "    § Hesap Yöneticisi Nedir? (1 paragraph)\n" in out
    assert "★ Öne çıkanlar (3 highlights)" in out
    assert re.search(
        r"\n5 articles, 1 topic, languages: ar, da, it, ru, tr\n"
        r"vectors: \d+/55 paragraphs \(\d+%\): ar \d+/11, da \d+/11, it \d+/11, ru \d+/11, tr \d+/11\n",
        out,
    )


def test_check_fails_and_names_the_broken_file(capsys, caplog, monkeypatch, write: WriteFile, content: Path) -> None:
    """Named once, in the report: not again in the log lines over it."""
    write("ok.it.md", "---\ntitle: Buono\n---\n## S\nTesto.\n")
    write("bad.it.md", "---\ntitle: [oops\n---\n## S\nTesto.\n")
    monkeypatch.setenv("CONTENT_DIR", str(content))
    code, out, _ = run(capsys, "check")
    assert code == 1
    assert out.count("bad.it.md") == 1 and "bad.it.md: skipped: front matter is not valid YAML" in out
    assert "bad.it.md" not in caplog.text
    assert "\n1 article, 1 topic, language: it\n" in out


def test_check_tells_the_owner_which_content_languages_the_bot_has_no_messages_or_cues_for(
    capsys, monkeypatch, write: WriteFile, content: Path
) -> None:
    """A Finnish article is answered, but its readers would get English menus: the owner learns it, and how to add them."""
    write("kahvi.fi.md", "---\ntitle: Kahvi\n---\n# Kahvi\n## Paahto\nKahvipavut paahdetaan kuumassa rummussa.\n")
    write("caffe.it.md", "---\ntitle: Caffè\n---\n# Caffè\n## Tostatura\nI chicchi si tostano in un tamburo caldo.\n")
    monkeypatch.setenv("CONTENT_DIR", str(content))
    code, out, _ = run(capsys, "check")
    assert code == 0
    assert "bot messages in English for: fi (no catalogue of their own: add bot/locales/LANG.json" in out
    assert "key-point requests, question words, greetings and thanks read in English only for: fi (" in out
    assert "for: fi, it" not in out and "for: it" not in out


def test_settings_read_dot_env_but_the_environment_wins(tmp_path: Path, monkeypatch) -> None:
    from bot.config import Settings

    (tmp_path / ".env").write_text("DEFAULT_LANGUAGE=da\nLOG_LEVEL=debug\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOG_LEVEL", "ERROR")
    settings = Settings.from_env()
    assert settings.default_language == "da"
    assert settings.log_level == "ERROR"


def test_check_shows_paths_as_typed_from_the_project_folder(capsys, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, _ = run(capsys, "check")
    assert code == 0
    assert "account-manager [tr] 'Muhasebe Müdürü' (seeds/account-manager.tr.md)" in out
    assert str(ROOT) not in out


def test_content_dir_works_after_the_command_too(capsys, monkeypatch, write: WriteFile, content: Path) -> None:
    write("ok.it.md", "---\ntitle: Buono\n---\n## S\nTesto.\n")
    monkeypatch.delenv("CONTENT_DIR")
    for argv in (["check", "--content-dir", str(content)], ["--content-dir", str(content), "check"]):
        code, out, _ = run(capsys, *argv)
        assert code == 0 and "    § S (1 paragraph)\n1 article, 1 topic, language: it\n" in out


def test_a_folder_without_articles_is_told_what_an_article_is(capsys, tmp_path: Path, monkeypatch) -> None:
    empty = tmp_path / "articles"
    empty.mkdir()
    monkeypatch.setenv("EMBEDDINGS_DIR", str(tmp_path / "vectors"))
    told = f"no articles in {empty}: an article is a markdown file named SLUG.LANG.md, such as account-manager.it.md"
    code, out, _ = run(capsys, "check", "--content-dir", str(empty))
    assert (code, out) == (1, f"0 articles, 0 topics, languages: none\n{told}\n")
    for command in ("embed", "ask"):
        assert run(capsys, command, "--content-dir", str(empty), stdin="", monkeypatch=monkeypatch) == (1, "", f"{told}\n")


def test_embed_counts_in_english(capsys, tmp_path: Path, monkeypatch, write: WriteFile, content: Path) -> None:
    write("ok.it.md", "---\ntitle: Buono\n---\n## S\nTesto.\n")
    monkeypatch.setenv("EMBEDDINGS_DIR", str(tmp_path / "vectors"))
    _, first, _ = run(capsys, "embed", "--content-dir", str(content))
    _, again, _ = run(capsys, "embed", "--content-dir", str(content))
    assert first.startswith("1 paragraph embedded, 0 already were; ")
    assert again.startswith("0 paragraphs embedded, 1 already was; ")


@pytest.fixture
def coffee(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write: WriteFile, content: Path) -> Path:
    """Coffee in Danish and Italian, four paragraphs each, with an index cache and a vector store of their own."""
    write("kaffe.da.md", KAFFE)
    write("caffe.it.md", CAFFE)
    monkeypatch.setenv("CONTENT_DIR", str(content))
    monkeypatch.setenv("CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("EMBEDDINGS_DIR", str(tmp_path / "vectors"))
    monkeypatch.setenv("DEFAULT_LANGUAGE", "da")
    return content


def test_check_counts_the_paragraphs_that_have_vectors_per_language(capsys, coffee: Path) -> None:
    code, out, _ = run(capsys, "check")
    assert code == 0
    assert out.splitlines()[-2:] == [
        "vectors: 0/8 paragraphs (0%): da 0/4, it 0/4",
        "  a language gets the semantic signal once all its paragraphs have vectors; a running bot embeds them in the "
        "background, `python -m bot embed` here",
    ]
    assert run(capsys, "embed")[0] == 0
    assert run(capsys, "check")[1].splitlines()[-1] == "vectors: 8/8 paragraphs (100%): da 4/4, it 4/4"


def test_ask_says_once_what_embedding_would_take_else_embeds_a_few_paragraphs_itself(
    capsys, coffee: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More paragraphs lacking vectors than EMBED_AT_BUILD: answered on the words, with one line on stderr saying what
    `embed` would take; at most that many (here with the index already cached, as a running bot leaves it): embedded
    first, in seconds."""
    monkeypatch.setenv("EMBED_AT_BUILD", "7")
    code, out, err = run(capsys, "ask", "--json", stdin=f"{DANISH_PARAPHRASE}\n{DANISH_PARAPHRASE}\n", monkeypatch=monkeypatch)
    assert code == 0 and [json.loads(line)["kind"] for line in out.splitlines()] == ["none", "none"]
    assert err.count("8 of 8 paragraphs have no vector yet (da 4, it 4), more than EMBED_AT_BUILD (7)") == 1
    assert "`python -m bot embed` embeds them in about " in err
    monkeypatch.setenv("EMBED_AT_BUILD", "8")
    code, out, err = run(capsys, "ask", "--json", DANISH_PARAPHRASE)
    assert code == 0 and json.loads(out)["section"] == "Pris" and "no vector" not in err
    assert run(capsys, "check")[1].splitlines()[-1] == "vectors: 8/8 paragraphs (100%): da 4/4, it 4/4"


def test_each_command_says_what_it_does_in_its_own_help(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["embed", "--help"])
    out, _ = capsys.readouterr()
    assert "Embed the paragraphs the semantic signal still lacks" in out and "EMBED_AT_BUILD" in out
    with pytest.raises(SystemExit):
        main(["--help"])
    assert ".env.example lists them all" in capsys.readouterr().out


@pytest.fixture
def question_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A question log as the bot leaves it, oldest first: two questions unanswered, then two answered, one voted down."""
    database = tmp_path / "bot.sqlite3"

    async def write() -> None:
        store = await Store.open(database)
        for question, kind, section in [
            ("blorf quux", "none", None),
            ("hvad koster en pizza", "none", None),
            ("maaş aralığı nedir", "paragraph", "Hesap Yöneticisi Rolleri Örnekleri"),
            ("riassunto", "highlights", "Mette in risalto"),
        ]:
            entry = LoggedQuestion(1, 1, question, "it", kind, "account-manager" if section else None, section, 0.9)
            logged = await store.record_answer(entry, None)
        await store.vote(logged, 1, 1, False)
        await store.close()

    asyncio.run(write())
    monkeypatch.setenv("DATABASE_PATH", str(database))
    return database


def test_log_names_its_columns_in_each_mode(capsys, question_log: Path) -> None:
    code, out, _ = run(capsys, "log")
    assert code == 0
    assert out.splitlines() == [
        "answer     question",
        "highlights riassunto",
        "paragraph  maaş aralığı nedir",
        "none       hvad koster en pizza",
        "none       blorf quux",
    ]
    _, out, _ = run(capsys, "log", "--unhelpful")
    assert out.splitlines() == ["not helpful  question → section that answered it", "         1×  riassunto → Mette in risalto"]


def test_log_limit_counts_the_lines_shown(capsys, question_log: Path) -> None:
    """--unanswered --limit 1 is the latest unanswered question, not the latest question if it went unanswered."""
    _, out, _ = run(capsys, "log", "--unanswered", "--limit", "1")
    assert out.splitlines() == ["answer     question", "none       hvad koster en pizza"]
    for argv in (["--limit", "0"], ["--limit", "-5"], ["--limit", "9" * 30], ["--unanswered", "--unhelpful"]):
        with pytest.raises(SystemExit) as refused:
            main(["log", *argv])
        assert refused.value.code == 2


def test_log_says_where_questions_come_from_and_when_there_are_none(capsys, tmp_path: Path, monkeypatch) -> None:
    database = tmp_path / "bot.sqlite3"
    monkeypatch.setenv("DATABASE_PATH", str(database))
    code, _, err = run(capsys, "log")
    assert code == 1 and "the bot (`run`) logs the questions people ask it; `ask` does not" in err

    async def empty() -> None:
        await (await Store.open(database)).close()

    asyncio.run(empty())
    assert run(capsys, "log") == (0, "answer     question\n", "no questions yet\n")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_ask_on_a_terminal_says_what_it_waits_for(capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", Terminal("maaş aralığı nedir\n"))
    assert main(["ask"]) == 0
    out, err = capsys.readouterr()
    assert err == "Type a question and press Enter (one per line); Ctrl-D ends.\n"
    assert out.startswith("[tr] ")


def command_env() -> dict[str, str]:
    """The environment of a `python -m bot` process: the seeds, with the session's index cache and vectors."""
    return {
        **os.environ,
        "CONTENT_DIR": str(SEEDS),
        "CACHE_DIR": str(SHARED_CACHE),
        "EMBEDDINGS_DIR": str(SHARED_VECTORS),
        "PYTHONPATH": str(ROOT),
    }


@pytest.mark.slow
def test_ask_piped_into_head_ends_without_a_traceback(tmp_path: Path) -> None:
    """A real pipe closed by `head`: only a separate process meets the broken pipe."""
    env = command_env()
    questions = "maaş aralığı nedir\n" * 2000
    shell = f"{sys.executable} -m bot ask --json | head -1"
    done = subprocess.run(
        ["sh", "-c", shell], input=questions, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert json.loads(done.stdout)["language"] == "tr"
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr


@pytest.mark.slow
def test_the_ask_command_speaks_the_chosen_language_and_says_how_it_read_english(tmp_path: Path) -> None:
    """`python -m bot ask --lang it`, as the README has a newcomer type it: no Danish for gibberish, the note for English."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--lang", "it"],
        input="blorf quux\nhow much does an account manager earn\n",
        env={**command_env(), "DEFAULT_LANGUAGE": "en"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"[it] {message('it', 'no_answer')}"
    english = lines.index(message("it", "read_as_en"))
    assert lines[english - 1].startswith("[it] Account Manager › ") and "45.000" in lines[english + 1]


@pytest.mark.slow
def test_the_ask_command_tells_an_out_of_scope_english_question_there_is_no_answer(tmp_path: Path) -> None:
    """Issue 25's example, once answered with a paragraph on pay: a question on a neighbouring subject, in a language
    the content lacks, whose meaning is near the articles without being in them."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json"],
        input="whats the average 30 year fixed mortgage rate right now\nwhat's the savings account interest rate at Chase right now\n",
        env=command_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(a["language"], a["kind"], a["alternatives"]) for a in answers] == [("en", "none", [])] * 2
