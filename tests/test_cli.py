"""The `ask` and `check` commands as scripts and people use them."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.chat.messages import message
from bot.cli import main

from .conftest import ROOT, SEEDS, SHARED_CACHE, SHARED_VECTORS, WriteFile

KEYS = {"question", "language", "kind", "text", "article", "section", "score", "suggestions"}


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


def test_ask_with_arguments_prints_a_readable_answer(capsys) -> None:
    code, out, _ = run(capsys, "ask", "fascia", "di", "stipendio")
    assert code == 0
    assert out.startswith("[it] Account Manager › Esempi di ruoli di Account Manager")
    assert "$ 45.000" in out


def test_ask_lang_settles_ambiguous_questions_and_rejects_unknown_codes(capsys) -> None:
    code, out, _ = run(capsys, "ask", "--json", "--lang", "da", "account manager")
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
    assert "★ Öne çıkanlar (3 highlights)" in out
    assert "5 articles, 1 topics, languages: ar, da, it, ru, tr" in out


def test_check_fails_and_names_the_broken_file(capsys, monkeypatch, write: WriteFile, content: Path) -> None:
    write("ok.it.md", "---\ntitle: Buono\n---\n## S\nTesto.\n")
    write("bad.it.md", "---\ntitle: [oops\n---\n## S\nTesto.\n")
    monkeypatch.setenv("CONTENT_DIR", str(content))
    code, out, _ = run(capsys, "check")
    assert code == 1
    assert "bad.it.md: skipped: front matter is not valid YAML" in out
    assert "1 articles" in out


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
        assert code == 0 and "1 articles, 1 topics, languages: it" in out


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
