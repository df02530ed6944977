"""Settings from the environment, resolved once, with the defaults a local checkout needs."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

_PACKAGE_SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _default_content_dir() -> Path:
    """`seeds/` of the working directory, else of the checkout this package was installed from."""
    local = Path.cwd() / "seeds"
    return local if local.is_dir() or not _PACKAGE_SEEDS.is_dir() else _PACKAGE_SEEDS


TELEGRAM_API = "https://api.telegram.org/bot"

DEFAULT_MAX_ARTICLE_BYTES = 2_000_000
"""Largest content file read, in bytes: some 200 times the longest seed article, and still seconds to index."""


class SettingsError(ValueError):
    """A setting with a value the bot cannot use; the message names the variable and what is valid."""


@dataclass(frozen=True)
class FloodLimit:
    """At most `messages` per user in any `seconds`; zero messages switches the limit off."""

    messages: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> FloodLimit:
        text = text.strip().lower()
        if text in {"", "off", "0"}:
            return cls(0, 0.0)
        count, _, seconds = text.partition("/")
        try:
            limit = cls(int(count), float(seconds))
        except ValueError:
            limit = cls(-1, 0.0)
        if limit.messages < 1 or limit.seconds <= 0:
            raise SettingsError(f"FLOOD_LIMIT={text!r}: expected MESSAGES/SECONDS such as 20/60, or off")
        return limit


def _integer(env: dict[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise SettingsError(f"{name}={raw!r}: expected a whole number of at least {minimum}")
    return value


_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _webhook_secret(raw: str) -> str:
    """Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ and -; anything else would fail only at setWebhook."""
    if raw and not _SECRET.fullmatch(raw):
        raise SettingsError("TELEGRAM_WEBHOOK_SECRET: use 1 to 256 characters from A-Z, a-z, 0-9, _ and -")
    return raw


def _user_ids(raw: str) -> frozenset[int]:
    items = [item.strip() for item in raw.replace(";", ",").split(",") if item.strip()]
    if not all(item.lstrip("-").isdigit() for item in items):
        raise SettingsError(f"ADMIN_USER_IDS={raw!r}: expected numeric Telegram user ids separated by commas")
    return frozenset(int(item) for item in items)


@dataclass(frozen=True)
class Settings:
    content_dir: Path
    cache_dir: Path | None
    default_language: str
    log_level: str
    telegram_token: str = field(default="", repr=False)
    """Secret: kept out of `repr` and, by the log filter, out of every log line."""
    telegram_api_base_url: str = TELEGRAM_API
    database_path: Path = Path("data/bot.sqlite3")
    admin_user_ids: frozenset[int] = frozenset()
    flood_limit: FloodLimit = FloodLimit(20, 60.0)
    max_messages_per_second: int = 30
    """Outgoing messages per second, all chats together (Telegram allows about 30)."""
    concurrent_updates: int = 32
    content_check_seconds: int = 60
    """How often to look for edited content files; 0: only on SIGHUP or /reload."""
    webhook_url: str = ""
    webhook_secret: str = field(default="", repr=False)
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    max_article_bytes: int = DEFAULT_MAX_ARTICLE_BYTES
    """Content files (articles, synonyms.yml) larger than this are skipped with a warning naming them."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Settings from `environ` (default: `.env` in the working directory, overridden by the real environment)."""
        if environ is None:
            environ = {**{k: v for k, v in dotenv_values(".env").items() if v is not None}, **os.environ}
        env = environ
        cache = env.get("CACHE_DIR", "data/cache")
        return cls(
            content_dir=Path(env["CONTENT_DIR"]) if env.get("CONTENT_DIR") else _default_content_dir(),
            cache_dir=Path(cache) if cache else None,
            default_language=env.get("DEFAULT_LANGUAGE", "en").strip().lower() or "en",
            log_level=env.get("LOG_LEVEL", "WARNING").upper(),
            telegram_token=env.get("TELEGRAM_BOT_TOKEN", "").strip(),
            telegram_api_base_url=env.get("TELEGRAM_API_BASE_URL", "").strip() or TELEGRAM_API,
            database_path=Path(env.get("DATABASE_PATH") or "data/bot.sqlite3"),
            admin_user_ids=_user_ids(env.get("ADMIN_USER_IDS", "")),
            flood_limit=FloodLimit.parse(env.get("FLOOD_LIMIT", "20/60")),
            max_messages_per_second=_integer(env, "MAX_MESSAGES_PER_SECOND", 30, minimum=1),
            concurrent_updates=_integer(env, "CONCURRENT_UPDATES", 32, minimum=1),
            content_check_seconds=_integer(env, "CONTENT_CHECK_SECONDS", 60),
            webhook_url=env.get("TELEGRAM_WEBHOOK_URL", "").strip(),
            webhook_secret=_webhook_secret(env.get("TELEGRAM_WEBHOOK_SECRET", "").strip()),
            webhook_listen=env.get("WEBHOOK_LISTEN", "").strip() or "127.0.0.1",
            webhook_port=_integer(env, "WEBHOOK_PORT", 8443, minimum=1),
            max_article_bytes=_integer(env, "MAX_ARTICLE_BYTES", DEFAULT_MAX_ARTICLE_BYTES, minimum=1),
        )
