"""Settings from the environment, resolved once, with the defaults a local checkout needs."""

from __future__ import annotations

import math
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

DEFAULT_BUILD_TIMEOUT_SECONDS = 900
"""Longest an index build may take before it is stopped: a cold build of 10,000 articles takes about a minute,
and embedding the 500 paragraphs a build may embed (`EMBED_AT_BUILD`) one to three more."""

DEFAULT_QUESTION_LOG_DAYS = 30
"""Days of questions kept: four times what `/stats` reads (7), a month of what readers asked for the owner to read
(`python -m bot log`), and a bound on a flooder's share of the disk (28,800 questions, up to 220 MB, a day each)."""
MAX_QUESTION_LOG_DAYS = 36_500


class SettingsError(ValueError):
    """A setting with a value the bot cannot use; the message names the variable and what is valid."""


@dataclass(frozen=True)
class FloodLimit:
    """At most `messages` per user in any `seconds`; zero messages switches the limit off."""

    messages: int
    seconds: float

    @classmethod
    def parse(cls, text: str, name: str = "FLOOD_LIMIT") -> FloodLimit:
        text = text.strip().lower()
        if text in {"", "off", "0"}:
            return cls(0, 0.0)
        count, _, seconds = text.partition("/")
        count, seconds = count.strip(), seconds.strip()
        limit = cls(-1, 0.0)
        if _DIGITS.fullmatch(count) and _DECIMAL.fullmatch(seconds):
            limit = cls(int(count), float(seconds))
        if limit.messages < 1 or not (limit.seconds > 0 and math.isfinite(limit.seconds)):
            raise SettingsError(
                f"{name}={text!r}: expected MESSAGES/SECONDS with a whole number and a positive number "
                "of seconds, such as 20/60, or off"
            )
        return limit


_DIGITS = re.compile(r"[0-9]+")
"""ASCII digits only: Python's `int` also reads "٤٢" (Arabic-Indic digits) as 42."""
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")
"""A finite decimal number in ASCII digits: no sign, no exponent, no "nan" or "inf"."""
MAX_WEBHOOK_WORKERS = 16
"""More processes than this on one host would only wait on each other's cores and database (and each must be
allowed at least one of the 30 messages a second Telegram allows a bot)."""
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _integer(env: dict[str, str], name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    raw = env.get(name, "").strip()
    value = default if not raw else int(raw) if _DIGITS.fullmatch(raw) else minimum - 1
    if value < minimum or (maximum is not None and value > maximum):
        valid = f"from {minimum} to {maximum}" if maximum is not None else f"of at least {minimum}"
        raise SettingsError(f"{name}={raw!r}: expected a whole number {valid}, in digits 0-9")
    return value


def _switch(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in {"on", "off", "true", "false", "1", "0", "yes", "no"}:
        raise SettingsError(f"{name}={raw!r}: expected on or off")
    return raw in {"on", "true", "1", "yes"}


def _log_level(raw: str) -> str:
    level = raw.strip().upper() or "WARNING"
    if level not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL={raw!r}: expected one of {', '.join(LOG_LEVELS)}")
    return level


def _language(raw: str) -> str:
    code = raw.strip().lower() or "en"
    if not re.fullmatch(r"[a-z]{2,3}", code):
        raise SettingsError(f"DEFAULT_LANGUAGE={raw!r}: expected an ISO 639-1 code such as en, tr or da")
    return code


def _url(env: dict[str, str], name: str, default: str) -> str:
    raw = env.get(name, "").strip()
    if raw and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", raw):
        raise SettingsError(f"{name}={raw!r}: expected an address starting with https:// (or http://)")
    return raw or default


def _database_path(raw: str) -> Path:
    path = Path(raw.strip() or "data/bot.sqlite3")
    if path.is_dir():
        raise SettingsError(f"DATABASE_PATH={raw!r} is a folder: name the database file, such as {path / 'bot.sqlite3'}")
    return path


def _database_url(raw: str) -> str:
    url = raw.strip()
    if url and not re.fullmatch(r"postgres(ql)?://\S+", url):
        raise SettingsError("DATABASE_URL: expected postgresql://user:password@host:port/database, or nothing for SQLite")
    return url


_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _webhook_secret(raw: str) -> str:
    """Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ and -; anything else would fail only at setWebhook."""
    if raw and not _SECRET.fullmatch(raw):
        raise SettingsError("TELEGRAM_WEBHOOK_SECRET: use 1 to 256 characters from A-Z, a-z, 0-9, _ and -")
    return raw


def _user_ids(raw: str) -> frozenset[int]:
    items = [item.strip() for item in raw.replace(";", ",").split(",") if item.strip()]
    if not all(_DIGITS.fullmatch(item) and int(item) > 0 for item in items):
        raise SettingsError(
            f"ADMIN_USER_IDS={raw!r}: expected Telegram user ids (positive whole numbers, digits 0-9) separated by commas"
        )
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
    database_url: str = field(default="", repr=False)
    """postgresql://... to keep everything on a PostgreSQL server (several instances); empty: SQLite at `database_path`.
    Secret (it may hold a password): kept out of `repr`."""
    admin_user_ids: frozenset[int] = frozenset()
    flood_limit: FloodLimit = FloodLimit(20, 60.0)
    inline_flood_limit: FloodLimit = FloodLimit(120, 60.0)
    """Inline queries per user: Telegram sends one as the user types `@bot question`, so they have a budget
    of their own, and a few typed questions never use up the user's messages or their one flood notice."""
    max_messages_per_second: int = 30
    """Outgoing messages per second, all chats together (Telegram allows about 30)."""
    concurrent_updates: int = 32
    content_check_seconds: int = 60
    """How often to look for edited content files; 0: only on SIGHUP or /reload."""
    webhook_url: str = ""
    webhook_secret: str = field(default="", repr=False)
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_workers: int = 1
    """Webhook processes forked from one that loaded the index, sharing one copy of it in memory (`telegram.workers`)."""
    semantic: bool = True
    """Whether a sentence-embedding model's similarity joins the lexical signals (see `search.embedding`)."""
    embed_at_build: int = 500
    """Most new paragraphs a build embeds itself (about 70 ms each); more are left to `python -m bot embed`."""
    vectors_dir: Path | None = None
    """Where paragraph vectors are kept, by model; None: `embeddings` under the cache folder (in memory without one)."""
    send_retry_seconds: int = 60
    """How long a reply that fails (5xx, timeout, dropped connection) keeps being retried."""
    max_article_bytes: int = DEFAULT_MAX_ARTICLE_BYTES
    """Content files (articles, synonyms.yml) larger than this are skipped with a warning naming them."""
    build_timeout_seconds: int = DEFAULT_BUILD_TIMEOUT_SECONDS
    """An index build still running after this long is stopped (see `search.index_cache`)."""
    question_log_days: int = DEFAULT_QUESTION_LOG_DAYS
    """Days the question log (and readers' votes) is kept; 0: for ever (see `chat.retention`)."""

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
            default_language=_language(env.get("DEFAULT_LANGUAGE", "")),
            log_level=_log_level(env.get("LOG_LEVEL", "")),
            telegram_token=env.get("TELEGRAM_BOT_TOKEN", "").strip(),
            telegram_api_base_url=_url(env, "TELEGRAM_API_BASE_URL", TELEGRAM_API),
            database_path=_database_path(env.get("DATABASE_PATH", "")),
            database_url=_database_url(env.get("DATABASE_URL", "")),
            admin_user_ids=_user_ids(env.get("ADMIN_USER_IDS", "")),
            flood_limit=FloodLimit.parse(env.get("FLOOD_LIMIT", "20/60")),
            inline_flood_limit=FloodLimit.parse(env.get("INLINE_FLOOD_LIMIT", "120/60"), "INLINE_FLOOD_LIMIT"),
            max_messages_per_second=_integer(env, "MAX_MESSAGES_PER_SECOND", 30, minimum=1),
            concurrent_updates=_integer(env, "CONCURRENT_UPDATES", 32, minimum=1),
            content_check_seconds=_integer(env, "CONTENT_CHECK_SECONDS", 60),
            webhook_url=_url(env, "TELEGRAM_WEBHOOK_URL", ""),
            webhook_secret=_webhook_secret(env.get("TELEGRAM_WEBHOOK_SECRET", "").strip()),
            webhook_listen=env.get("WEBHOOK_LISTEN", "").strip() or "127.0.0.1",
            webhook_port=_integer(env, "WEBHOOK_PORT", 8443, minimum=1, maximum=65535),
            webhook_workers=_integer(env, "WEBHOOK_WORKERS", 1, minimum=1, maximum=MAX_WEBHOOK_WORKERS),
            semantic=_switch(env, "SEMANTIC", default=True),
            embed_at_build=_integer(env, "EMBED_AT_BUILD", 500),
            vectors_dir=Path(env["EMBEDDINGS_DIR"]) if env.get("EMBEDDINGS_DIR") else None,
            send_retry_seconds=_integer(env, "SEND_RETRY_SECONDS", 60, maximum=3600),
            max_article_bytes=_integer(env, "MAX_ARTICLE_BYTES", DEFAULT_MAX_ARTICLE_BYTES, minimum=1),
            build_timeout_seconds=_integer(env, "BUILD_TIMEOUT_SECONDS", DEFAULT_BUILD_TIMEOUT_SECONDS, minimum=1),
            question_log_days=_integer(env, "QUESTION_LOG_DAYS", DEFAULT_QUESTION_LOG_DAYS, maximum=MAX_QUESTION_LOG_DAYS),
        )
