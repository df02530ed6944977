"""The README's Docker flow, checked without a Docker engine: `cp .env.example .env`, then
`docker run --env-file .env -v kb-data:/data kb-bot` must leave every path the bot writes on the
/data volume (owned by the image's user) and the articles in the image, and webhook mode must
listen on all interfaces. The image is not built here; this reads the Dockerfile as Docker would.
"""

from __future__ import annotations

import re
import shlex
from pathlib import PurePosixPath

import pytest
from dotenv import dotenv_values

from bot.config import Settings

from .conftest import ROOT


def final_stage() -> list[tuple[str, str]]:
    """(instruction, arguments) of the Dockerfile's last stage, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    stage: list[tuple[str, str]] = []
    for line in lines:
        instruction, _, arguments = line.partition(" ")
        if instruction.upper() == "FROM":
            stage = []
        stage.append((instruction.upper(), arguments.strip()))
    return stage


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction, arguments in final_stage():
        if instruction == "ENV":
            env.update(item.split("=", 1) for item in shlex.split(arguments))
    return env


def image_workdir() -> PurePosixPath:
    return PurePosixPath([arguments for instruction, arguments in final_stage() if instruction == "WORKDIR"][-1])


def docker_env_file(text: str) -> dict[str, str]:
    """What `docker run --env-file` sets: KEY=VALUE taken literally; comments and blank lines skipped."""
    env = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    return env


def resolved(path: object) -> PurePosixPath:
    """Where a configured path lands inside the container (relative paths: from the working folder)."""
    return image_workdir() / PurePosixPath(str(path))


def under(path: PurePosixPath, folder: str) -> bool:
    return path.is_relative_to(folder) and ".." not in path.parts


def test_the_image_user_owns_the_data_volume() -> None:
    stage = final_stage()
    runs = " ".join(arguments for instruction, arguments in stage if instruction == "RUN")
    assert "mkdir /data" in runs and "chown bot:bot /data" in runs
    assert ("USER", "bot") in stage
    assert ("VOLUME", '["/data"]') in stage
    assert any(instruction == "COPY" and arguments.endswith("seeds /app/seeds") for instruction, arguments in stage)


def test_the_example_file_means_the_same_to_docker_and_to_python_dotenv() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert docker_env_file(text) == {k: v for k, v in dotenv_values(ROOT / ".env.example").items() if v is not None}


@pytest.mark.parametrize(
    "operator",
    [
        {},
        # An .env from before the example left the paths commented out, or written by hand for a checkout:
        {"DATABASE_PATH": "data/bot.sqlite3", "CACHE_DIR": "data/cache"},
    ],
)
def test_the_example_env_file_keeps_every_path_the_bot_writes_on_the_volume(operator: dict[str, str]) -> None:
    example = docker_env_file((ROOT / ".env.example").read_text(encoding="utf-8"))
    env = {**image_env(), **example, **operator, "TELEGRAM_BOT_TOKEN": "123:abc"}
    settings = Settings.from_env(env)
    assert under(resolved(settings.database_path), "/data")
    assert settings.cache_dir is not None and under(resolved(settings.cache_dir), "/data")
    assert resolved(settings.content_dir) == PurePosixPath("/app/seeds")
    assert settings.webhook_listen == "0.0.0.0"
    assert settings.log_level == "WARNING" and settings.flood_limit.messages == 20


def test_a_checkout_with_the_example_env_file_uses_its_own_folders(tmp_path, monkeypatch) -> None:
    """The same file copied to .env in a checkout: data/ and seeds/ of the project folder, webhook on localhost."""
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "seeds").mkdir()
    monkeypatch.chdir(tmp_path)
    for name in ("CONTENT_DIR", "CACHE_DIR", "DATABASE_PATH", "WEBHOOK_LISTEN"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env()
    assert settings.database_path == PurePosixPath("data/bot.sqlite3")
    assert settings.cache_dir == PurePosixPath("data/cache")
    assert settings.content_dir.resolve() == (tmp_path / "seeds").resolve()
    assert settings.webhook_listen == "127.0.0.1"


def test_large_wheels_are_pinned_to_tested_ranges() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"lingua-language-detector>=2.1.1,<2.2"' in pyproject
    for name in ("numpy", "wordfreq", "rapidfuzz", "python-telegram-bot"):
        assert re.search(rf'"{name}[^"]*<\d', pyproject), name
