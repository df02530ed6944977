"""Settings from the environment, resolved once, with the defaults a local checkout needs."""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

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
and embedding the 500 paragraphs a reload's build may embed (`EMBED_AT_BUILD`) half a minute to a minute more."""
MAX_BUILD_TIMEOUT_SECONDS = 86_400
"""A day: a build that has not ended by then is stuck, and the start or reload waiting for it with it."""

DEFAULT_QUESTION_LOG_DAYS = 30
"""Days of questions kept: four times what `/stats` reads (7), a month of what readers asked for the owner to read
(`python -m bot log`), and a bound on a flooder's share of the disk (28,800 questions, up to 220 MB, a day each)."""
MAX_QUESTION_LOG_DAYS = 36_500


class SettingsError(ValueError):
    """A setting with a value the bot cannot use; the message names the variable and what is valid, never a secret."""


SHOWN_CHARACTERS = 40
"""Most characters of a bad value an error repeats: a value thousands of characters long still makes one readable line."""


def shown(raw: str) -> str:
    """`raw` quoted for an error message, cut short."""
    return repr(raw if len(raw) <= SHOWN_CHARACTERS else raw[:SHOWN_CHARACTERS] + "…")


@dataclass(frozen=True)
class FloodLimit:
    """At most `messages` per user in any `seconds`; zero messages switches the limit off."""

    messages: int
    seconds: float

    MAX_MESSAGES = 10_000
    """Each message in the window is a timestamp kept in the user's row; no reader needs more."""
    MAX_SECONDS = 86_400.0
    """A day: a longer window is no flood limit, and PostgreSQL's interval arithmetic has a range."""

    @classmethod
    def parse(cls, text: str, name: str = "FLOOD_LIMIT") -> FloodLimit:
        text = text.strip().lower()
        if text in {"", "off", "0"}:
            return cls(0, 0.0)
        count, _, seconds = text.partition("/")
        count, seconds = count.strip(), seconds.strip()
        limit = cls(-1, 0.0)
        if _whole(count, cls.MAX_MESSAGES) is not None and _DECIMAL.fullmatch(seconds):
            limit = cls(int(count), float(seconds))
        if not (1 <= limit.messages <= cls.MAX_MESSAGES and 0 < limit.seconds <= cls.MAX_SECONDS):
            raise SettingsError(
                f"{name}={shown(text)}: expected MESSAGES/SECONDS, a whole number from 1 to {cls.MAX_MESSAGES} and a "
                f"positive number of seconds up to {cls.MAX_SECONDS:.0f}, such as 20/60, or off"
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


def _whole(text: str, maximum: int) -> int | None:
    """`text` as a whole number from 0 to `maximum`, else None.

    Its length is checked before `int` reads it: Python refuses to convert more
    than 4,300 digits with a `ValueError` of its own, and a long number is
    out of range anyway.
    """
    if not _DIGITS.fullmatch(text) or len(text.lstrip("0")) > len(str(maximum)):
        return None
    value = int(text)
    return value if value <= maximum else None


def _integer(env: dict[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    value = _whole(raw, maximum)
    if value is None or value < minimum:
        raise SettingsError(f"{name}={shown(raw)}: expected a whole number from {minimum} to {maximum}, in digits 0-9")
    return value


def _switch(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in {"on", "off", "true", "false", "1", "0", "yes", "no"}:
        raise SettingsError(f"{name}={shown(raw)}: expected on or off")
    return raw in {"on", "true", "1", "yes"}


def _log_level(raw: str) -> str:
    level = raw.strip().upper() or "WARNING"
    if level not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL={shown(raw)}: expected one of {', '.join(LOG_LEVELS)}")
    return level


def _language(raw: str) -> str:
    code = raw.strip().lower() or "en"
    if not re.fullmatch(r"[a-z]{2,3}", code):
        raise SettingsError(f"DEFAULT_LANGUAGE={shown(raw)}: expected an ISO 639-1 code such as en, tr or da")
    return code


_HOST = re.compile(r"(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")
"""A host name as DNS has them: dot-separated labels of letters, digits and hyphens."""
_HOST_PORT = re.compile(r"(\[[^\]]*\]|[^:\[\]]*)(?::([^:]*))?")


def _ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _host_and_port(spec: str) -> tuple[str, str] | None:
    """`host`, `host:port` or `[IPv6]:port` as in a URL: the host and the port ("" when absent), or None if malformed.

    Digits and dots alone must make an IPv4 address ("999.1.1.1" is none, though
    a resolver would look it up as a name); a port is 1-65535.
    """
    match = _HOST_PORT.fullmatch(spec)
    if not match:
        return None
    host, port = match[1], match[2] or ""
    if host.startswith("["):
        valid = ":" in host and _ip(host[1:-1])
    elif re.fullmatch(r"[0-9.]+", host):
        valid = _ip(host)
    else:
        valid = bool(_HOST.fullmatch(host))
    return (host, port) if valid and (not port or (_whole(port, 65535) or 0) >= 1) else None


def _url(env: dict[str, str], name: str, default: str) -> str:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    address = re.fullmatch(r"https?://(?:[^\s/?#@]*@)?([^\s/?#@]+)([/?]\S*)?", raw)
    if not address or _host_and_port(address[1]) is None:
        raise SettingsError(
            f"{name}={shown(re.sub(r'//[^/]*@', '//***@', raw))}: expected an address starting with https:// "
            "(or http://), then a host name or IP address, and a port from 1 to 65535 if any"
        )
    return raw


def _listen_address(raw: str) -> str:
    """An IP address or a host name to bind the webhook's port to; whether a name resolves is known only when binding."""
    address = raw.strip() or "127.0.0.1"
    if not (_ip(address) or (":" not in address and _host_and_port(address) == (address, ""))):
        raise SettingsError(
            f"WEBHOOK_LISTEN={shown(raw)}: expected an IP address of this host, such as 127.0.0.1, 0.0.0.0 or ::, or a host name"
        )
    return address


def _database_path(raw: str) -> Path:
    path = Path(raw.strip() or "data/bot.sqlite3")
    if path.is_dir():
        raise SettingsError(f"DATABASE_PATH={raw!r} is a folder: name the database file, such as {path / 'bot.sqlite3'}")
    return path


_DATABASE_FORM = "postgresql://user:password@host:port/database"
_PERCENT_ENCODE = (
    "percent-encode any : / ? # @ or % in the user name or password (# as %23, / as %2F, ? as %3F, @ as %40, : as %3A, % as %25)"
)
_NAME = re.compile(r"[A-Za-z0-9_.%$-]*")


@dataclass(frozen=True)
class _DatabaseURL:
    """The parts of a PostgreSQL URL an error or a log line may name: never the password or the parameters."""

    login: str | None
    """What comes before the `@`, if there is one: the user, then `:` and the password if any."""
    hosts: str
    database: str


def _database_parts(url: str) -> _DatabaseURL | None:
    """The parts of `url` as asyncpg reads them, or None when a URL parser would misread or refuse it."""
    try:
        parts = urlsplit(url)
        query = parse_qs(parts.query, strict_parsing=True) if parts.query else {}
    except ValueError:
        return None
    login, at, hosts = parts.netloc.rpartition("@")
    ports = ",".join(query.get("port", [])).split(",")
    readable = (
        not parts.fragment
        and "@" not in parts.path + login
        and all(_database_host(spec) for spec in hosts.split(",") if hosts)
        and all(_host_and_port(f"localhost:{port}") for port in ports if port)
    )
    return _DatabaseURL(login if at else None, hosts, parts.path.removeprefix("/")) if readable else None


def _database_host(spec: str) -> bool:
    """A host of a PostgreSQL URL: `host[:port]`, `[IPv6][:port]`, or a socket folder percent-encoded (`%2Frun%2Fpostgresql`)."""
    if spec[:3].lower() == "%2f":
        folder, _, port = spec.partition(":")
        return bool(re.fullmatch(r"[A-Za-z0-9_.%-]+", folder)) and (not port or _host_and_port(f"localhost:{port}") is not None)
    return _host_and_port(spec) is not None


def database_address(url: str) -> str:
    """`url` as an error or a log line may show it: without its password or its parameters (`?password=` is one).

    A password with an unencoded `#`, `/`, `?` or `@` moves part of itself into
    what a URL parser takes for the host, port or path. Such a URL is read
    here up to its last `@` (unless that is in a parameter), and the user,
    hosts and database are each shown only when well-formed, else as `***`.
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        return "(not a URL; not shown)"
    parts = _database_parts(url)
    if parts is None:
        login, at, address = rest.rpartition("@")
        hosts, _, database = re.split(r"[?#]", address, maxsplit=1)[0].partition("/")
        if "=" in login:
            return f"{scheme if _NAME.fullmatch(scheme) else '***'}://***"
        parts = _DatabaseURL(login if at else None, hosts, database)
    login = ""
    if parts.login is not None:
        user = parts.login.partition(":")[0]
        login = f"{user if _NAME.fullmatch(user) else '***'}@"
    hosts = ",".join(spec if _database_host(spec) else "***" for spec in parts.hosts.split(",")) if parts.hosts else ""
    database = parts.database if _NAME.fullmatch(parts.database) else "***"
    return f"{scheme if _NAME.fullmatch(scheme) else '***'}://{login}{hosts}/{database}".removesuffix("/")


def _database_url(raw: str) -> str:
    """A URL asyncpg can read, refused here in one line naming what is wrong but never the password.

    asyncpg (through `urllib.parse`) would raise a `ValueError` quoting part of
    a password that holds an unencoded `#`, `/` or `?`, and a port out of range
    as a traceback.
    """
    url = raw.strip()
    if not url:
        return ""
    named = f"DATABASE_URL={database_address(url)!r}" if "://" in url else "DATABASE_URL (not shown)"
    if not re.fullmatch(r"postgres(ql)?://\S*", url):
        raise SettingsError(f"{named}: expected {_DATABASE_FORM}, or nothing for SQLite")
    if _database_parts(url) is None:
        raise SettingsError(f"{named}: cannot be read as {_DATABASE_FORM}?name=value&... (each port 1-65535): {_PERCENT_ENCODE}")
    return url


_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _webhook_secret(raw: str) -> str:
    """Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ and -; anything else would fail only at setWebhook."""
    if raw and not _SECRET.fullmatch(raw):
        raise SettingsError("TELEGRAM_WEBHOOK_SECRET: use 1 to 256 characters from A-Z, a-z, 0-9, _ and -")
    return raw


MAX_USER_ID = 2**52 - 1
"""Telegram's user ids "have at most 52 significant bits" (Bot API, `User.id`)."""


def _user_ids(raw: str) -> frozenset[int]:
    items = [item.strip() for item in raw.replace(";", ",").split(",") if item.strip()]
    ids = [_whole(item, MAX_USER_ID) or 0 for item in items]
    if not all(ids):
        raise SettingsError(
            f"ADMIN_USER_IDS={shown(raw)}: expected Telegram user ids, positive whole numbers up to {MAX_USER_ID} "
            "in digits 0-9, separated by commas"
        )
    return frozenset(ids)


_TOKEN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{1,200}")


def _token(raw: str) -> str:
    """The form @BotFather gives (`123456789:AAF...`); anything else would fail only at Telegram, as a URL error or a 404."""
    token = raw.strip()
    if token and not _TOKEN.fullmatch(token):
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN (not shown): expected the token as @BotFather gives it, digits, a colon, "
            "then letters, digits, _ and -"
        )
    return token


def _dotenv(path: str = ".env") -> dict[str, str]:
    """The settings in `.env`, if there is one; one line (never its content) when it cannot be read."""
    try:
        return {k: v for k, v in dotenv_values(path).items() if v is not None}
    except UnicodeDecodeError as error:
        raise SettingsError(f"{path} is not UTF-8 text (at byte {error.start + 1}): save it as UTF-8") from None
    except OSError as error:
        raise SettingsError(f"{path} cannot be read: {error.strerror or type(error).__name__}") from None


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
    """Most new paragraphs a reload's build, or `ask`, embeds itself (some 40 ms of a core each): a reload's edits
    keep their language's semantic signal. `run` starts without embedding any, and embeds the rest in the background
    (`search.background`)."""
    vectors_dir: Path | None = None
    """Where paragraph vectors are kept, by model; None: `embeddings` under the cache folder (in memory without one)."""
    send_retry_seconds: int = 60
    """How long a reply that fails (5xx, timeout, dropped connection) keeps being retried."""
    max_article_bytes: int = DEFAULT_MAX_ARTICLE_BYTES
    """Content files (articles, synonyms.yml) larger than this are skipped with a warning naming them."""
    build_timeout_seconds: int = DEFAULT_BUILD_TIMEOUT_SECONDS
    """An index build still running after this long is stopped (see `search.index_cache`)."""
    question_log_days: int = DEFAULT_QUESTION_LOG_DAYS
    """Days the question log (and readers' votes) is kept; 0: for ever (see `storage.retention`)."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Settings from `environ` (default: `.env` in the working directory, overridden by the real environment)."""
        if environ is None:
            environ = {**_dotenv(), **os.environ}
        env = environ
        cache = env.get("CACHE_DIR", "data/cache")
        return cls(
            content_dir=Path(env["CONTENT_DIR"]) if env.get("CONTENT_DIR") else _default_content_dir(),
            cache_dir=Path(cache) if cache else None,
            default_language=_language(env.get("DEFAULT_LANGUAGE", "")),
            log_level=_log_level(env.get("LOG_LEVEL", "")),
            telegram_token=_token(env.get("TELEGRAM_BOT_TOKEN", "")),
            telegram_api_base_url=_url(env, "TELEGRAM_API_BASE_URL", TELEGRAM_API),
            database_path=_database_path(env.get("DATABASE_PATH", "")),
            database_url=_database_url(env.get("DATABASE_URL", "")),
            admin_user_ids=_user_ids(env.get("ADMIN_USER_IDS", "")),
            flood_limit=FloodLimit.parse(env.get("FLOOD_LIMIT", "20/60")),
            inline_flood_limit=FloodLimit.parse(env.get("INLINE_FLOOD_LIMIT", "120/60"), "INLINE_FLOOD_LIMIT"),
            max_messages_per_second=_integer(env, "MAX_MESSAGES_PER_SECOND", 30, minimum=1, maximum=1000),
            concurrent_updates=_integer(env, "CONCURRENT_UPDATES", 32, minimum=1, maximum=1024),
            content_check_seconds=_integer(env, "CONTENT_CHECK_SECONDS", 60, minimum=0, maximum=86_400),
            webhook_url=_url(env, "TELEGRAM_WEBHOOK_URL", ""),
            webhook_secret=_webhook_secret(env.get("TELEGRAM_WEBHOOK_SECRET", "").strip()),
            webhook_listen=_listen_address(env.get("WEBHOOK_LISTEN", "")),
            webhook_port=_integer(env, "WEBHOOK_PORT", 8443, minimum=1, maximum=65535),
            webhook_workers=_integer(env, "WEBHOOK_WORKERS", 1, minimum=1, maximum=MAX_WEBHOOK_WORKERS),
            semantic=_switch(env, "SEMANTIC", default=True),
            embed_at_build=_integer(env, "EMBED_AT_BUILD", 500, minimum=0, maximum=10_000_000),
            vectors_dir=Path(env["EMBEDDINGS_DIR"]) if env.get("EMBEDDINGS_DIR") else None,
            send_retry_seconds=_integer(env, "SEND_RETRY_SECONDS", 60, minimum=0, maximum=3600),
            max_article_bytes=_integer(env, "MAX_ARTICLE_BYTES", DEFAULT_MAX_ARTICLE_BYTES, minimum=1, maximum=100_000_000),
            build_timeout_seconds=_integer(
                env, "BUILD_TIMEOUT_SECONDS", DEFAULT_BUILD_TIMEOUT_SECONDS, minimum=1, maximum=MAX_BUILD_TIMEOUT_SECONDS
            ),
            question_log_days=_integer(env, "QUESTION_LOG_DAYS", DEFAULT_QUESTION_LOG_DAYS, minimum=0, maximum=MAX_QUESTION_LOG_DAYS),
        )
