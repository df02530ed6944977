"""Settings from the environment, resolved once, with the defaults a local checkout needs."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

_PACKAGE_SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _default_content_dir() -> Path:
    """`seeds/` of the working directory, else of the checkout this package was installed from."""
    local = Path.cwd() / "seeds"
    return local if local.is_dir() or not _PACKAGE_SEEDS.is_dir() else _PACKAGE_SEEDS


TELEGRAM_API = "https://api.telegram.org/bot"


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
        )
