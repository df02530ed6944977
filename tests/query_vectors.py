"""The engine's vectors of the questions the tests ask, kept from one run to the next.

The question sets alone ask some five hundred questions of the seed searcher,
and embedding a question costs about 40 ms here: most of the quick tests'
time, spent computing the same vectors as the run before. The seed paragraphs'
vectors are kept the same way (`SHARED_VECTORS`). What is kept is exactly what
the engine returned (float32, unlike the store's float16), keyed by the model's
name and the question, so the ranking sees the same numbers either way; a
question not seen before is embedded by the engine, and a fresh machine embeds
them all.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

from bot.search.embedding import E5Embedder


class RememberedQueries(E5Embedder):
    """E5, reading a question's vector from `path` when an earlier run embedded it; `save` adds the new ones."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._known = self._read()
        self._new: dict[str, np.ndarray] = {}

    def _read(self) -> dict[str, np.ndarray]:
        try:
            with np.load(self.path, allow_pickle=False) as stored:
                return dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))
        except (OSError, ValueError, KeyError):
            return {}

    def query(self, text: str) -> np.ndarray:
        # Keyed by a digest, not the text: numpy's string arrays drop trailing NULs, and tests ask odd questions.
        key = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
        vector = self._known.get(key)
        if vector is None:
            vector = self._known[key] = self._new[key] = super().query(text)
        return vector.copy()

    def save(self) -> None:
        """Merge the questions embedded here into the file, under a lock: test sessions may run side by side."""
        if not self._new:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            merged = {**self._read(), **self._new}
            with tempfile.NamedTemporaryFile(dir=self.path.parent, delete=False, suffix=".npz") as handle:
                np.savez(handle, keys=np.array(list(merged)), vectors=np.stack(list(merged.values())))
            os.replace(handle.name, self.path)
        self._new.clear()
