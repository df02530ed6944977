"""Settings from the environment: defaults, and a clear error naming any value the bot cannot use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import FloodLimit, Settings, SettingsError

from .conftest import ROOT


def test_defaults_need_only_the_token() -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": "x"})
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


BAD_SETTINGS = [
    ("LOG_LEVEL", "LOUD", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("LOG_LEVEL", "VERBOSE", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("LOG_LEVEL", "10", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("ADMIN_USER_IDS", "--5", "positive whole numbers"),
    ("ADMIN_USER_IDS", "-5", "positive whole numbers"),
    ("ADMIN_USER_IDS", "٤٢", "digits 0-9"),
    ("ADMIN_USER_IDS", "12,0", "positive whole numbers"),
    ("WEBHOOK_PORT", "70000", "from 1 to 65535"),
    ("WEBHOOK_PORT", "0", "from 1 to 65535"),
    ("WEBHOOK_PORT", "８４４３", "digits 0-9"),
    ("WEBHOOK_WORKERS", "0", "from 1 to 16"),
    ("WEBHOOK_WORKERS", "17", "from 1 to 16"),
    ("CONCURRENT_UPDATES", "٣٢", "digits 0-9"),
    ("MAX_MESSAGES_PER_SECOND", "3e1", "digits 0-9"),
    ("CONTENT_CHECK_SECONDS", "-1", "of at least 0"),
    ("FLOOD_LIMIT", "5/nan", "positive number of seconds"),
    ("FLOOD_LIMIT", "5/inf", "positive number of seconds"),
    ("FLOOD_LIMIT", "5/-1", "positive number of seconds"),
    ("FLOOD_LIMIT", "5/1e400", "positive number of seconds"),
    ("FLOOD_LIMIT", "٥/60", "positive number of seconds"),
    ("INLINE_FLOOD_LIMIT", "many", "positive number of seconds"),
    ("DEFAULT_LANGUAGE", "english please", "ISO 639-1"),
    ("TELEGRAM_API_BASE_URL", "api.telegram.org", "https://"),
    ("TELEGRAM_WEBHOOK_URL", "bot.example.com/telegram", "https://"),
    ("QUESTION_LOG_DAYS", "-1", "from 0 to 36500"),
    ("QUESTION_LOG_DAYS", "forever", "digits 0-9"),
]


@pytest.mark.parametrize(("name", "value", "valid"), BAD_SETTINGS)
def test_every_unusable_value_is_one_line_naming_the_variable_and_what_is_valid(
    name: str, value: str, valid: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    for command in (["ask", "maaş aralığı nedir"], ["run"]):
        assert main(command) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert err.count("\n") == 1 and err.startswith(f"{name}=") and valid in err, err


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


def test_database_url_picks_postgresql_and_stays_out_of_repr() -> None:
    settings = Settings.from_env({"DATABASE_URL": " postgresql://bot:hunter2@db:5432/kb "})
    assert settings.database_url == "postgresql://bot:hunter2@db:5432/kb"
    assert "hunter2" not in repr(settings)
    assert Settings.from_env({}).database_url == ""
