"""Content that could take the bot down: huge files, YAML alias bombs, and a build that runs out of memory."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.chat.reload import ContentReloader
from bot.cli import main
from bot.config import DEFAULT_BUILD_TIMEOUT_SECONDS, DEFAULT_MAX_ARTICLE_BYTES, Settings, SettingsError
from bot.content import files
from bot.content.parsing import load_knowledge_base
from bot.search import loading
from bot.search.index_cache import IndexBuildError, load_index
from bot.search.loading import load_searcher

from .conftest import ROOT, SEEDS, WriteFile

ARTICLE = "---\ntitle: Tè\n---\n## Infusione\nIl tè verde si lascia in infusione tre minuti.\n## In breve\n- Tre minuti.\n"

BOMB = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""
"""Nine lines that stand for 387 million strings: more than 6 GB once turned into text."""

SMALL_BOMB = "a: &a [stipendio, salario]\nb: [*a, *a]\n"
"""The same construction, small enough to expand harmlessly if it ever were expanded."""


COMMAND_SECONDS = 60
"""Time allowed to one `python -m bot` command over the seeds and one hostile file: it needs a few seconds."""


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A copy of the seed articles, for a hostile file to be added to."""
    return Path(shutil.copytree(SEEDS, tmp_path / "content"))


def bot_command(*argv: str, content: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGV` over `content`, as a content owner runs it; fails the test past `COMMAND_SECONDS`."""
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "CONTENT_DIR": str(content), "SEMANTIC": "off", **env}
    return subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        cwd=content.parent,
        env=environ,
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
    )


def no_guess(text: str) -> None:
    """The language guess of articles that name theirs; a module function, so a build child can be handed it."""
    return None


def issues(content: Path, **limits: int) -> list[str]:
    return [str(issue) for issue in load_knowledge_base(content, no_guess, **limits).issues]


def test_an_article_over_the_size_limit_is_skipped_naming_it_and_the_limit(write: WriteFile, content: Path) -> None:
    write("tea.it.md", ARTICLE)
    write("huge.it.md", ARTICLE + "Il tè. " * 2000)
    kb = load_knowledge_base(content, no_guess, max_bytes=5000)
    assert [article.path.name for article in kb.articles] == ["tea.it.md"]
    assert [str(issue) for issue in kb.issues] == [
        f"{content / 'huge.it.md'}: skipped: larger than the limit of 5,000 bytes (MAX_ARTICLE_BYTES)"
    ]


def test_the_default_limit_lets_real_articles_in_and_keeps_a_50_mb_one_out(write: WriteFile, content: Path) -> None:
    write("tea.it.md", ARTICLE.replace("Il tè verde", "Il tè verde. " * 20_000))
    huge = write("huge.it.md", ARTICLE)
    with huge.open("a", encoding="utf-8") as handle:
        handle.write("Il tè verde. " * 4_000_000)
    started = time.monotonic()
    kb = load_knowledge_base(content, no_guess)
    assert time.monotonic() - started < 5
    assert [article.path.name for article in kb.articles] == ["tea.it.md"]
    assert [issue.path.name for issue in kb.issues] == ["huge.it.md"]
    assert f"{DEFAULT_MAX_ARTICLE_BYTES:,} bytes" in str(kb.issues[0])


@pytest.mark.parametrize("front_matter", [BOMB, SMALL_BOMB, "title: &t Tè\nkeywords: [*t]\n", "base: &m {lang: it}\n<<: *m\n"])
def test_front_matter_with_yaml_aliases_is_refused(write: WriteFile, content: Path, front_matter: str) -> None:
    write("bomb.it.md", f"---\n{front_matter}---\n## Infusione\nIl tè verde.\n")
    write("tea.it.md", ARTICLE)
    started = time.monotonic()
    found = issues(content)
    assert time.monotonic() - started < 5
    assert len(found) == 1
    assert found[0].startswith(f"{content / 'bomb.it.md'}: skipped: YAML aliases are not allowed (line ")
    assert found[0].endswith(") in front matter")


def test_anchors_without_aliases_and_bodies_with_rules_still_load(write: WriteFile, content: Path) -> None:
    write(
        "anchor.it.md",
        ARTICLE.replace("title: Tè", "title: &t Tè").replace("\n## In breve", "\n\n---\n\nTre minuti.\n## In breve"),
    )
    write("rule.it.md", "Intro.\n\n---\n\n" + ARTICLE.split("---\n", 2)[2])
    kb = load_knowledge_base(content, no_guess)
    assert sorted(article.title for article in kb.articles) == ["Tè", "rule"]


def test_synonyms_with_aliases_or_over_the_size_limit_are_refused_naming_the_file(write: WriteFile, content: Path) -> None:
    write("tea.it.md", ARTICLE)
    synonyms = write("synonyms.yml", BOMB)
    assert issues(content) == [f"{synonyms}: skipped: YAML aliases are not allowed (line 2)"]
    write("synonyms.yml", "it:\n  - " + ", ".join(f"parola{i}" for i in range(2_000_000)) + "\n")
    assert synonyms.stat().st_size > 20_000_000
    started = time.monotonic()
    assert issues(content) == [f"{synonyms}: skipped: larger than the limit of 2,000,000 bytes (MAX_ARTICLE_BYTES)"]
    assert time.monotonic() - started < 5


def test_check_reports_refused_files_and_honours_the_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, write: WriteFile, content: Path
) -> None:
    write("tea.it.md", ARTICLE)
    write("synonyms.yml", SMALL_BOMB)
    monkeypatch.setenv("CONTENT_DIR", str(content))
    monkeypatch.setenv("MAX_ARTICLE_BYTES", "50")
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "tea.it.md: skipped: larger than the limit of 50 bytes (MAX_ARTICLE_BYTES)" in out
    assert "synonyms.yml: skipped: YAML aliases are not allowed (line 2)" in out
    monkeypatch.setenv("MAX_ARTICLE_BYTES", "-1")
    assert main(["check"]) == 2
    assert "MAX_ARTICLE_BYTES='-1'" in capsys.readouterr().err


def test_max_article_bytes_setting() -> None:
    assert Settings.from_env({}).max_article_bytes == DEFAULT_MAX_ARTICLE_BYTES
    assert Settings.from_env({"MAX_ARTICLE_BYTES": "10000000"}).max_article_bytes == 10_000_000
    with pytest.raises(SettingsError, match="MAX_ARTICLE_BYTES"):
        Settings.from_env({"MAX_ARTICLE_BYTES": "2MB"})


def test_a_cached_index_follows_a_changed_size_limit(write: WriteFile, content: Path, tmp_path: Path) -> None:
    write("tea.it.md", ARTICLE)
    write("long.it.md", ARTICLE.replace("Il tè verde", "Il caffè. " * 100))
    small = load_index(content, tmp_path / "cache", no_guess, max_article_bytes=500)
    large = load_index(content, tmp_path / "cache", no_guess, max_article_bytes=5000)
    assert (len(small.articles), len(large.articles)) == (1, 2)


def greedy_guesser(text: str) -> str:
    """A language guess that asks for 6 GB, as a runaway parse of some unforeseen content would."""
    bytes(6 * 1024**3)
    return "it"


def test_a_build_that_runs_out_of_memory_fails_alone_naming_the_file(write: WriteFile, content: Path, tmp_path: Path) -> None:
    write("tea.it.md", ARTICLE)
    write("runaway.md", ARTICLE)
    with pytest.raises(IndexBuildError) as failure:
        load_index(content, tmp_path / "cache", greedy_guesser)
    assert str(failure.value) == f"building the index failed while reading {content / 'runaway.md'}: out of memory"


def endless_guesser(text: str) -> str:
    """A language guess that does not end, as a build stuck on some unforeseen content or a read that never returns."""
    time.sleep(3600)
    return "it"


@pytest.mark.slow  # runs the real `python -m bot` command, or waits on a real time limit
def test_a_build_over_its_time_limit_is_stopped_naming_the_file(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    write: WriteFile,
    content: Path,
    tmp_path: Path,
) -> None:
    write("tea.it.md", ARTICLE)
    settings = Settings(content, tmp_path / "cache", "it", "WARNING", semantic=False, build_timeout_seconds=2)
    serving = load_searcher(settings)
    endless = write("endless.md", ARTICLE.replace("verde", "nero"))
    failure = f"building the index failed while reading {endless}: took longer than the limit of 2 s (BUILD_TIMEOUT_SECONDS)"
    monkeypatch.setattr(loading, "guess_article_language", endless_guesser)

    monkeypatch.setenv("CONTENT_DIR", str(content))
    monkeypatch.setenv("CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SEMANTIC", "off")
    monkeypatch.setenv("BUILD_TIMEOUT_SECONDS", "2")
    assert main(["ask", "tè"]) == 1
    assert capsys.readouterr().err == f"{failure}\n"

    reloader = ContentReloader(settings, serving)
    with caplog.at_level(logging.ERROR):
        outcome = asyncio.run(reloader.reload())
    assert outcome.status == "failed" and reloader.searcher is serving
    assert [record.getMessage() for record in caplog.records] == [
        f"content reload failed, {failure}; still answering from the previous index"
    ]
    endless.unlink()
    write("more.it.md", ARTICLE.replace("verde", "nero"))
    assert asyncio.run(reloader.reload()).status == "reloaded"  # the build's lock was let go


def test_build_timeout_setting() -> None:
    assert Settings.from_env({}).build_timeout_seconds == DEFAULT_BUILD_TIMEOUT_SECONDS
    assert Settings.from_env({"BUILD_TIMEOUT_SECONDS": "3600"}).build_timeout_seconds == 3600
    for wrong in ("0", "15m", "-1"):
        with pytest.raises(SettingsError, match="BUILD_TIMEOUT_SECONDS"):
            Settings.from_env({"BUILD_TIMEOUT_SECONDS": wrong})


def test_a_failed_build_is_one_line_at_start_and_keeps_the_old_index_on_reload(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    write: WriteFile,
    content: Path,
    tmp_path: Path,
) -> None:
    write("tea.it.md", ARTICLE)
    settings = Settings(content, tmp_path / "cache", "it", "WARNING")
    serving = load_searcher(settings)
    failure = IndexBuildError(f"building the index failed while reading {content / 'runaway.md'}: out of memory")

    def fail(*args: object, **kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(loading, "load_index", fail)
    monkeypatch.setenv("CONTENT_DIR", str(content))
    assert main(["ask", "tè"]) == 1
    assert capsys.readouterr().err == f"{failure}\n"

    write("more.it.md", ARTICLE.replace("verde", "nero"))
    reloader = ContentReloader(settings, serving)
    with caplog.at_level(logging.ERROR):
        outcome = asyncio.run(reloader.reload())
    assert outcome.status == "failed" and reloader.searcher is serving
    assert [record.getMessage() for record in caplog.records] == [
        f"content reload failed, {failure}; still answering from the previous index"
    ]
    assert all(record.exc_info is None for record in caplog.records)


UNCLOSED = ("`a ", "*a ", "**a ", "__a ", "[a ", "![a ", "<http:a")
"""Marks that open and never close. Each used to send the parser looking for its closing mark over the rest of the
paragraph, once per mark: a 35 KB paragraph of backticks took `check` 3 s, and 150 KB of each of these hours."""


@pytest.mark.slow  # runs the real `python -m bot` command, or waits on a real time limit
def test_a_file_of_unclosed_marks_and_long_headings_is_read_in_seconds(seeds_copy: Path) -> None:
    size = 150_000
    paragraphs = "".join(f"## Segni {n}\n{mark * (size // len(mark))}](\n\n" for n, mark in enumerate(UNCLOSED))
    heading = "## Spazi" + " " * size + "fine\nTesto.\n\n"
    continued = "## Elenco\n- voce\n" + "  segue\n" * (size // 9) + "\n"
    (seeds_copy / "segni.it.md").write_text(
        f"---\ntitle: Segni\n---\n{paragraphs}{heading}{continued}## In breve\n- Fine.\n", encoding="utf-8"
    )
    done = bot_command("check", content=seeds_copy)
    assert done.returncode == 0, done.stdout + done.stderr
    report = done.stdout.splitlines()
    listed = report.index("segni [it] 'Segni' (content/segni.it.md)")
    assert [line.rpartition(" (")[0] for line in report[listed + 1 : listed + 11]] == [
        *(f"    § Segni {n}" for n in range(len(UNCLOSED))),
        "    § Spazi fine",
        "    § Elenco",
        "    ★ In breve",
    ]


def summary(report: list[str]) -> str:
    """`check`'s summary line ("5 articles, 1 topic, ..."); the problems found are the last lines, after the vectors'."""
    return next(line for line in report if re.match(r"\d+ articles?, ", line))


@pytest.mark.slow  # runs the real `python -m bot` command, or waits on a real time limit
def test_front_matter_or_synonyms_nested_thousands_deep_cost_that_file_only(seeds_copy: Path, tmp_path: Path) -> None:
    nested = "[" * 3000 + "tè" + "]" * 3000
    (seeds_copy / "deep.it.md").write_text(f"---\ntitle: {nested}\n---\n## Infusione\nIl tè verde.\n", encoding="utf-8")
    (seeds_copy / "synonyms.yml").write_text(f"it: {nested}\n", encoding="utf-8")
    deep = "is nested too deeply to read (brackets or indentation hundreds of levels deep)"
    reasons = {"deep.it.md": f"front matter {deep}", "synonyms.yml": f"the YAML {deep}"}

    checked = bot_command("check", content=seeds_copy)
    assert checked.returncode == 1
    report = checked.stdout.splitlines()
    assert summary(report).startswith("5 articles, ")
    assert report[-2:] == [f"content/{name}: skipped: {reason}" for name, reason in reasons.items()]

    asked = bot_command("ask", "--lang", "tr", "maaş aralığı nedir", content=seeds_copy, CACHE_DIR=str(tmp_path / "cache"))
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.startswith("[tr] Muhasebe Müdürü")
    assert asked.stderr.splitlines() == [
        f"WARNING bot.search.index_cache: {seeds_copy / name}: skipped: {reason}" for name, reason in reasons.items()
    ]


@pytest.mark.slow  # runs the real `python -m bot` command, or waits on a real time limit
def test_links_out_of_the_content_folder_are_not_read(seeds_copy: Path, tmp_path: Path) -> None:
    """`env.da.md -> /proc/self/environ` was served as an article: the bot's token for the asking."""
    outside = tmp_path.resolve() / "outside"
    outside.mkdir()
    (outside / "secret.it.md").write_text(ARTICLE.replace("Il tè verde", "La parola segreta"), encoding="utf-8")
    (seeds_copy / "env.da.md").symlink_to("/proc/self/environ")
    (seeds_copy / "secret.it.md").symlink_to(outside / "secret.it.md")
    (seeds_copy / "shared").symlink_to(outside, target_is_directory=True)
    (seeds_copy / "synonyms.yml").unlink()
    (seeds_copy / "synonyms.yml").symlink_to(outside / "secret.it.md")
    (seeds_copy / "copy.it.md").symlink_to("account-manager.it.md")
    secret = {"KB_TEST_SECRET": "hunter2-do-not-serve"}

    checked = bot_command("check", content=seeds_copy, **secret)
    assert checked.returncode == 1
    report = checked.stdout.splitlines()
    assert "copy [it] 'Account Manager' (content/copy.it.md)" in report  # a link within the folder is harmless
    env = report[-4]
    assert env.startswith("content/env.da.md: skipped: a link to /proc/"), env
    assert env.endswith("/environ, outside the content folder"), env
    assert summary(report).startswith("6 articles, ")
    assert report[-4:] == [
        env,
        f"content/secret.it.md: skipped: a link to {outside / 'secret.it.md'}, outside the content folder",
        f"content/shared: skipped: a link to {outside}, outside the content folder",
        f"content/synonyms.yml: skipped: a link to {outside / 'secret.it.md'}, outside the content folder",
    ]

    cache = str(tmp_path / "cache")
    for lang, question in (("da", "KB_TEST_SECRET"), ("it", "parola segreta")):
        asked = bot_command("ask", "--json", "--lang", lang, question, content=seeds_copy, CACHE_DIR=cache, **secret)
        assert asked.returncode == 0, asked.stderr
        answer = json.loads(asked.stdout)
        assert answer["kind"] == "none" and "hunter2" not in answer["text"] and "segreta" not in answer["text"], answer
        assert "env.da.md: skipped: a link to /proc/" in asked.stderr


@pytest.mark.slow  # runs the real `python -m bot` command, or waits on a real time limit
def test_a_named_pipe_or_a_link_to_a_folder_is_named_not_waited_on(seeds_copy: Path) -> None:
    os.mkfifo(seeds_copy / "pipe.it.md")
    (seeds_copy / "sub").mkdir()
    (seeds_copy / "sub" / "tea.it.md").write_text(ARTICLE, encoding="utf-8")
    (seeds_copy / "again").symlink_to("sub", target_is_directory=True)
    checked = bot_command("check", content=seeds_copy)
    assert checked.returncode == 1
    report = checked.stdout.splitlines()
    assert summary(report).startswith("6 articles, ")
    assert report[-2:] == [
        "content/again: skipped: a link to a folder; links to folders are not followed",
        "content/pipe.it.md: skipped: a named pipe, not a regular file",
    ]


def test_a_file_swapped_for_a_link_while_being_read_is_not_followed(
    monkeypatch: pytest.MonkeyPatch, write: WriteFile, content: Path, tmp_path: Path
) -> None:
    """The link is checked before the file is opened; a link put in its place in between is refused at the open."""
    secret = tmp_path / "secret.md"
    secret.write_text(ARTICLE.replace("Il tè verde", "La parola segreta"), encoding="utf-8")
    tea = write("tea.it.md", ARTICLE)
    open_file = os.open

    def swap_then_open(name: str, flags: int, *args: object, **kwargs: object) -> int:
        if name == "tea.it.md":
            tea.unlink()
            tea.symlink_to(secret)
        return open_file(name, flags, *args, **kwargs)

    monkeypatch.setattr(files.os, "open", swap_then_open)
    kb = load_knowledge_base(content, no_guess)
    assert [str(issue) for issue in kb.issues] == [f"{tea}: skipped: cannot be read: Too many levels of symbolic links"]
    assert not kb.articles
