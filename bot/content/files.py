"""Which files of the content folder are content, and reading one without leaving the folder.

The folder is often a checkout or a mount that others write to, and a link
in it was followed anywhere: `env.da.md -> /proc/self/environ` made the bot
serve its own environment, token and `DATABASE_URL` included, as an article
to anyone who asked. So a file is read only where it really lies inside the
folder (a link to another file of the folder is harmless: it reads as a copy
would), only when it is a regular file (a named pipe would block the read
for ever; a device is not content), and through a path opened one folder at
a time without following links, so that a file swapped for a link after the
check is refused too rather than read. Links to folders are never followed:
their files are either in the folder already or outside it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class Unreadable(Exception):
    """Why a content file was not read, worded for the content owner."""


def content_files(content_dir: Path) -> list[Path]:
    """Every markdown file below `content_dir`, and every link to a folder, hidden ones excepted, in a stable order.

    The links to folders are listed so that reading them says why they are not followed.
    """
    found: list[Path] = []
    for folder, folders, files in os.walk(content_dir):
        folders[:] = [name for name in folders if not name.startswith(".")]
        found += (Path(folder, name) for name in folders if os.path.islink(os.path.join(folder, name)))
        found += (Path(folder, name) for name in files if name.endswith(".md") and not name.startswith("."))
    return sorted(found)


_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
"""Never through a link; and a named pipe opens at once rather than waiting for a writer, to be refused."""

_KINDS = {stat.S_IFDIR: "a folder", stat.S_IFIFO: "a named pipe", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device"}
"""What a content file may be instead of a regular file (a socket cannot be opened at all)."""


def read_content(content_dir: Path, path: Path, limit: int) -> bytes:
    """The bytes of the content file `path`, at most `limit` + 1 of them; raises `Unreadable` or `OSError`."""
    root = os.path.realpath(content_dir)
    real = os.path.realpath(path)
    if os.path.commonpath([root, real]) != root:
        raise Unreadable(f"a link to {real}, outside the content folder")
    parts = Path(real).relative_to(root).parts
    if not parts:
        raise Unreadable("a link to a folder; links to folders are not followed")
    folder = os.open(root, _DIRECTORY)
    try:
        for part in parts[:-1]:
            inner = os.open(part, _DIRECTORY, dir_fd=folder)
            os.close(folder)
            folder = inner
        fd = os.open(parts[-1], _FILE, dir_fd=folder)
    finally:
        os.close(folder)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise Unreadable(_not_a_file(path, mode))
        with open(fd, "rb", closefd=False) as handle:
            return handle.read(limit + 1)
    finally:
        os.close(fd)


def read_text(content_dir: Path, path: Path, max_bytes: int) -> str:
    """The content file's text; refused unread beyond `max_bytes`, so its size alone costs neither time nor memory.

    Raises `Unreadable` for what the owner can fix and `OSError` for what the system refused."""
    data = read_content(content_dir, path, max_bytes)
    if len(data) > max_bytes:
        raise Unreadable(f"larger than the limit of {max_bytes:,} bytes (MAX_ARTICLE_BYTES)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Unreadable(f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})") from None


def _not_a_file(path: Path, mode: int) -> str:
    if stat.S_ISDIR(mode) and path.is_symlink():
        return "a link to a folder; links to folders are not followed"
    return f"{_KINDS.get(stat.S_IFMT(mode), 'a special file')}, not a regular file"
