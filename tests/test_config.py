"""Settings from the environment: defaults, and a clear error naming any value the bot cannot use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import FloodLimit, Settings, SettingsError, database_address

from .conftest import ROOT


def test_defaults_need_only_the_token() -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": "123:abc"})
    assert settings.flood_limit == FloodLimit(20, 60.0)
    assert settings.admin_user_ids == frozenset()
    assert settings.max_messages_per_second == 30
    assert settings.webhook_listen == "127.0.0.1" and settings.webhook_port == 8443
    assert settings.question_log_days == 30


@pytest.mark.parametrize(("value", "days"), [("90", 90), ("0", 0), (" 7 ", 7)])
def test_the_question_log_is_kept_for_the_days_set_or_for_ever(value: str, days: int) -> None:
    assert Settings.from_env({"QUESTION_LOG_DAYS": value}).question_log_days == days


def test_admins_flood_limit_and_webhook_are_read() -> None:
    settings = Settings.from_env(
        {"ADMIN_USER_IDS": "12, 34;56", "FLOOD_LIMIT": "5/10", "WEBHOOK_PORT": "8080", "TELEGRAM_WEBHOOK_SECRET": "abc"}
    )
    assert settings.admin_user_ids == {12, 34, 56}
    assert settings.flood_limit == FloodLimit(5, 10.0)
    assert settings.webhook_port == 8080
    assert "abc" not in repr(settings)


@pytest.mark.parametrize("value", ["off", "0", ""])
def test_flood_limit_can_be_switched_off(value: str) -> None:
    assert Settings.from_env({"FLOOD_LIMIT": value}).flood_limit.messages == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FLOOD_LIMIT", "lots"),
        ("FLOOD_LIMIT", "5/0"),
        ("ADMIN_USER_IDS", "@alice"),
        ("WEBHOOK_PORT", "http"),
        ("CONCURRENT_UPDATES", "0"),
        ("TELEGRAM_WEBHOOK_SECRET", "has spaces!"),
        ("DATABASE_URL", "mysql://db/kb"),
    ],
)
def test_bad_values_are_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


HUGE = "9" * 5000
"""More digits than Python converts (4,300) without an error of its own."""

BAD_SETTINGS = [
    ("LOG_LEVEL", "LOUD", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("LOG_LEVEL", "VERBOSE", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("LOG_LEVEL", "10", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("ADMIN_USER_IDS", "--5", "positive whole numbers"),
    ("ADMIN_USER_IDS", "-5", "positive whole numbers"),
    ("ADMIN_USER_IDS", "٤٢", "digits 0-9"),
    ("ADMIN_USER_IDS", "12,0", "positive whole numbers"),
    ("ADMIN_USER_IDS", HUGE, "up to 4503599627370495"),
    ("ADMIN_USER_IDS", "12, 4503599627370496", "up to 4503599627370495"),
    ("WEBHOOK_PORT", "70000", "from 1 to 65535"),
    ("WEBHOOK_PORT", "0", "from 1 to 65535"),
    ("WEBHOOK_PORT", "８４４３", "digits 0-9"),
    ("WEBHOOK_PORT", HUGE, "from 1 to 65535"),
    ("WEBHOOK_WORKERS", "0", "from 1 to 16"),
    ("WEBHOOK_WORKERS", "17", "from 1 to 16"),
    ("WEBHOOK_WORKERS", HUGE, "from 1 to 16"),
    ("CONCURRENT_UPDATES", "٣٢", "digits 0-9"),
    ("CONCURRENT_UPDATES", "0", "from 1 to 1024"),
    ("CONCURRENT_UPDATES", "1025", "from 1 to 1024"),
    ("MAX_MESSAGES_PER_SECOND", "3e1", "digits 0-9"),
    ("MAX_MESSAGES_PER_SECOND", "0", "from 1 to 1000"),
    ("MAX_MESSAGES_PER_SECOND", "99999999999999999999", "from 1 to 1000"),
    ("CONTENT_CHECK_SECONDS", "-1", "from 0 to 86400"),
    ("CONTENT_CHECK_SECONDS", "86401", "from 0 to 86400"),
    ("CONTENT_CHECK_SECONDS", HUGE, "from 0 to 86400"),
    ("SEND_RETRY_SECONDS", "-1", "from 0 to 3600"),
    ("SEND_RETRY_SECONDS", "3601", "from 0 to 3600"),
    ("SEND_RETRY_SECONDS", "1.5", "from 0 to 3600"),
    ("EMBED_AT_BUILD", "-1", "from 0 to 10000000"),
    ("EMBED_AT_BUILD", "all", "from 0 to 10000000"),
    ("EMBED_AT_BUILD", HUGE, "from 0 to 10000000"),
    ("MAX_ARTICLE_BYTES", "0", "from 1 to 100000000"),
    ("MAX_ARTICLE_BYTES", "2MB", "from 1 to 100000000"),
    ("MAX_ARTICLE_BYTES", "100000001", "from 1 to 100000000"),
    ("BUILD_TIMEOUT_SECONDS", "0", "from 1 to 86400"),
    ("BUILD_TIMEOUT_SECONDS", "86401", "from 1 to 86400"),
    ("BUILD_TIMEOUT_SECONDS", HUGE, "from 1 to 86400"),
    ("FLOOD_LIMIT", "lots", "positive number of seconds"),
    ("FLOOD_LIMIT", "5/0", "positive number of seconds"),
    ("FLOOD_LIMIT", "5/nan", "positive number of seconds"),
    ("FLOOD_LIMIT", "5/inf", "positive number of seconds"),
    ("FLOOD_LIMIT", "5/-1", "positive number of seconds"),
    ("FLOOD_LIMIT", "5/1e400", "positive number of seconds"),
    ("FLOOD_LIMIT", "٥/60", "positive number of seconds"),
    ("FLOOD_LIMIT", f"{HUGE}/60", "from 1 to 10000"),
    ("FLOOD_LIMIT", "10001/60", "from 1 to 10000"),
    ("FLOOD_LIMIT", "5/86401", "up to 86400"),
    ("FLOOD_LIMIT", f"5/{HUGE}", "up to 86400"),
    ("INLINE_FLOOD_LIMIT", "many", "positive number of seconds"),
    ("INLINE_FLOOD_LIMIT", "0/60", "from 1 to 10000"),
    ("DEFAULT_LANGUAGE", "english please", "ISO 639-1"),
    ("SEMANTIC", "maybe", "on or off"),
    ("TELEGRAM_API_BASE_URL", "api.telegram.org", "https://"),
    ("TELEGRAM_API_BASE_URL", "http://127.0.0.1:99999/bot", "port from 1 to 65535"),
    ("TELEGRAM_API_BASE_URL", "http://[::1/bot", "host name or IP address"),
    ("TELEGRAM_WEBHOOK_URL", "bot.example.com/telegram", "https://"),
    ("QUESTION_LOG_DAYS", "-1", "from 0 to 36500"),
    ("QUESTION_LOG_DAYS", "forever", "digits 0-9"),
    ("TELEGRAM_WEBHOOK_URL", "https://bot.example.com:0/telegram", "port from 1 to 65535"),
    ("TELEGRAM_WEBHOOK_URL", "https://999.1.1.1/telegram", "host name or IP address"),
    ("WEBHOOK_LISTEN", "999.1.1.1", "an IP address of this host"),
    ("WEBHOOK_LISTEN", "[::1]", "an IP address of this host"),
    ("WEBHOOK_LISTEN", "0.0.0.0:8443", "an IP address of this host"),
    ("WEBHOOK_LISTEN", "my host", "or a host name"),
]
"""A variable, a value the bot cannot use, and part of what the one line on stderr must say is valid."""


@pytest.mark.parametrize(("name", "value", "valid"), BAD_SETTINGS)
def test_every_unusable_value_is_one_line_naming_the_variable_and_what_is_valid(
    name: str, value: str, valid: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    for command in (["ask", "maaş aralığı nedir"], ["run"], ["run", "--webhook"]):
        assert main(command) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert err.count("\n") == 1 and err.startswith(f"{name}=") and valid in err, err
        assert len(err) < 400, err
    assert list(tmp_path.iterdir()) == []


PASSWORD = "Hu2nter"
"""Each bad URL below holds it, split around the character that makes the URL unreadable: neither half may be shown."""

SECRET_SETTINGS = [
    ("DATABASE_URL", f"postgresql://bot:{PASSWORD}#x9@db:5432/kb", "postgresql://bot@db:5432/kb", "%23"),
    ("DATABASE_URL", f"postgresql://bot:{PASSWORD}/x9@db:5432/kb", "postgresql://bot@db:5432/kb", "%2F"),
    ("DATABASE_URL", f"postgresql://bot:{PASSWORD}?x9@db/kb", "postgresql://bot@db/kb", "%3F"),
    ("DATABASE_URL", f"postgresql://bot:{PASSWORD}@x9@db/kb", "postgresql://bot@db/kb", "%40"),
    ("DATABASE_URL", f"postgresql://bot:{PASSWORD}@db:99999/kb", "postgresql://bot@***/kb", "each port 1-65535"),
    ("DATABASE_URL", f"postgresql://bot:{PASSWORD}@db/kb?port=0", "postgresql://bot@db/kb", "each port 1-65535"),
    ("DATABASE_URL", f"postgresql://bot:{PASSWORD}@db/kb?sslmode", "postgresql://bot@db/kb", "name=value"),
    ("DATABASE_URL", f"postgresql://bot:{PASSWORD}/kb", "postgresql://***/kb", "percent-encode"),
    ("DATABASE_URL", f"mysql://bot:{PASSWORD}@db/kb", "mysql://bot@db/kb", "expected postgresql://"),
    ("DATABASE_URL", PASSWORD, "(not shown)", "expected postgresql://"),
    ("TELEGRAM_BOT_TOKEN", f"{PASSWORD}/x9", "(not shown)", "as @BotFather gives it"),
    ("TELEGRAM_BOT_TOKEN", f"123:{PASSWORD}?x9", "(not shown)", "as @BotFather gives it"),
]
"""A variable holding a secret, a bad value, the value as the line shows it, and part of what the line says is valid."""


@pytest.mark.parametrize(("name", "value", "shown", "valid"), SECRET_SETTINGS)
def test_an_unusable_secret_is_one_line_without_the_secret(
    name: str, value: str, shown: str, valid: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A `#`, `/` or `?` left unencoded in the password made `urllib.parse` raise a `ValueError` quoting part of it."""
    monkeypatch.setenv(name, value)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(name) and shown in err and valid in err, err
    assert "Hu2" not in err and "nter" not in err and "x9" not in err, err


def through_the_environment(cases: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The first case of each variable, and every value that is not ASCII: what can differ between `main` in this
    process and the real command is how a value reaches it, through the process's environment and its encoding."""
    first = {name: (name, value, valid) for name, value, valid in reversed(cases)}
    return [case for case in cases if case in first.values() or not case[1].isascii()]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "value", "valid"),
    through_the_environment([*BAD_SETTINGS, *((name, value, valid) for name, value, _, valid in SECRET_SETTINGS)]),
)
def test_every_unusable_value_stops_the_real_command_in_one_line(name: str, value: str, valid: str, tmp_path: Path) -> None:
    """`python -m bot run --webhook` as an operator starts it: status 2 and one line, never a traceback, before any
    network: the Bot API named here does not exist, and neither index nor database is touched.

    Every value is read by `main` in process above; here the real command runs once per variable and for each value
    that is not ASCII: a process adds only how a value reaches it, at a third of a second of imports each.
    """
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",
        "TELEGRAM_WEBHOOK_URL": "https://bot.example.com/telegram",
        name: value,
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--webhook"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith(name) and valid in done.stderr, done.stderr
    assert "Hu2" not in done.stderr and "nter" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_env_file_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"TELEGRAM_BOT_TOKEN=123:abc\nLOG_LEVEL=\xff\xfe\n")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [".env is not UTF-8 text (at byte 38): save it as UTF-8"]


def test_a_database_path_naming_a_folder_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path))
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("DATABASE_PATH=") and "is a folder" in err


@pytest.mark.parametrize("command", [["run"], ["ask", "x"]])
def test_no_traceback_through_python_dash_m(command: list[str], tmp_path: Path) -> None:
    """The same through the real entry point, as an operator sees it."""
    env = {**os.environ, "LOG_LEVEL": "LOUD", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bot", *command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == ["LOG_LEVEL='LOUD': expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL"]


@pytest.mark.parametrize(("value", "level"), [("debug", "DEBUG"), ("Info", "INFO"), ("", "WARNING"), ("critical", "CRITICAL")])
def test_log_levels_are_case_insensitive(value: str, level: str) -> None:
    assert Settings.from_env({"LOG_LEVEL": value}).log_level == level


def test_good_numbers_still_read() -> None:
    settings = Settings.from_env(
        {"FLOOD_LIMIT": "5/0.5", "WEBHOOK_PORT": "65535", "ADMIN_USER_IDS": "7, 1234567890123", "WEBHOOK_WORKERS": "4"}
    )
    assert settings.webhook_workers == 4
    assert settings.flood_limit == FloodLimit(5, 0.5)
    assert settings.webhook_port == 65535
    assert settings.admin_user_ids == {7, 1234567890123}
    edges = Settings.from_env(
        {
            "ADMIN_USER_IDS": "4503599627370495",
            "FLOOD_LIMIT": "10000/86400",
            "WEBHOOK_PORT": "008443",
            "CONTENT_CHECK_SECONDS": "0",
        }
    )
    assert edges.admin_user_ids == {2**52 - 1} and edges.flood_limit == FloodLimit(10_000, 86_400.0)
    assert edges.webhook_port == 8443 and edges.content_check_seconds == 0


@pytest.mark.parametrize("address", ["127.0.0.1", "0.0.0.0", "::", "::1", "localhost", "bot-host.internal"])
def test_listen_addresses_an_operator_uses_are_read(address: str) -> None:
    assert Settings.from_env({"WEBHOOK_LISTEN": address}).webhook_listen == address


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://bot:p%23ss%2Fw%3Fd@db.example.com:5432/kb",
        "postgres://bot@[::1]:5432/kb",
        "postgresql:///kb",
        "postgresql://bot:pw@h1:5432,h2:5433/kb?sslmode=require&target_session_attrs=read-write",
        "postgresql://bot:pw@%2Frun%2Fpostgresql/kb",
        "postgresql://bot@db/kb?password=p@ss&port=5433",
    ],
)
def test_database_urls_asyncpg_reads_are_accepted(url: str) -> None:
    assert Settings.from_env({"DATABASE_URL": url}).database_url == url


def test_database_url_picks_postgresql_and_stays_out_of_repr() -> None:
    settings = Settings.from_env({"DATABASE_URL": " postgresql://bot:hunter2@db:5432/kb "})
    assert settings.database_url == "postgresql://bot:hunter2@db:5432/kb"
    assert "hunter2" not in repr(settings)
    assert Settings.from_env({}).database_url == ""


def test_a_database_address_never_shows_the_password_or_the_parameters() -> None:
    """What log lines and errors name the database by; several hosts too (`urllib.parse` raised on them)."""
    assert database_address("postgresql://bot:hunter2@h1:5432,h2:5433/kb?password=x") == "postgresql://bot@h1:5432,h2:5433/kb"
    assert database_address("postgresql://db/kb?user=a&password=hun@ter2") == "postgresql://db/kb"
