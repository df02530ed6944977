"""Settings from the environment: defaults, and a clear error naming any value the bot cannot use."""

from __future__ import annotations

import pytest

from bot.config import FloodLimit, Settings, SettingsError


def test_defaults_need_only_the_token() -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": "x"})
    assert settings.flood_limit == FloodLimit(20, 60.0)
    assert settings.admin_user_ids == frozenset()
    assert settings.max_messages_per_second == 30
    assert settings.webhook_listen == "127.0.0.1" and settings.webhook_port == 8443


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
    ],
)
def test_bad_values_are_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})
