"""Large tables of words kept as flat numpy arrays rather than Python objects, so a cached index maps them.

A language of 150,000 distinct words held as a dict of strings costs some
10 MB of a process's own heap, made again by every process that loads the
index. Here the words are one array of UTF-8 bytes and one array of where
each word starts, and a lookup by word goes through an open-addressing hash
table that is itself an array. numpy arrays are pickled out of band by the
index cache and memory-mapped read-only when loaded (see
`search.index_cache`), so processes serving one index share these tables
through the page cache and a process touches only the pages its lookups reach.

The hash is CRC32 of the UTF-8 bytes, the same in every process (Python's
`hash` of a str is not).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import overload

import numpy as np

_EMPTY = -1
"""A free slot of the hash table."""


def position(at: int, length: int) -> int:
    """`at` as a place in a sequence of `length`, counting from the end when negative; IndexError outside it."""
    if at < 0:
        at += length
    if not 0 <= at < length:
        raise IndexError(at)
    return at


def _views(blob: np.ndarray, starts: np.ndarray) -> tuple[memoryview, memoryview]:
    """Memoryviews index faster than numpy arrays when read one element at a time, as lookups do."""
    return memoryview(blob).cast("B"), memoryview(starts).cast("B").cast("q")


class PackedStrings(Sequence[str]):
    """Strings in the order given, as one UTF-8 byte array and each string's start; given sorted, it can be bisected."""

    def __init__(self, strings: Iterable[str]) -> None:
        encoded = [s.encode() for s in strings]
        self._blob = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        self._starts = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=self._starts[1:])
        self._bytes, self._at = _views(self._blob, self._starts)

    def __getstate__(self) -> tuple[np.ndarray, np.ndarray]:
        return self._blob, self._starts

    def __setstate__(self, state: tuple[np.ndarray, np.ndarray]) -> None:
        self._blob, self._starts = state
        self._bytes, self._at = _views(self._blob, self._starts)

    def __len__(self) -> int:
        return len(self._starts) - 1

    @overload
    def __getitem__(self, at: int) -> str: ...

    @overload
    def __getitem__(self, at: slice) -> list[str]: ...

    def __getitem__(self, at: int | slice) -> str | list[str]:
        if isinstance(at, slice):
            return [self[i] for i in range(*at.indices(len(self)))]
        at = position(at, len(self))
        return str(self._bytes[self._at[at] : self._at[at + 1]], "utf-8")

    def __iter__(self) -> Iterator[str]:
        text = bytes(self._bytes)
        starts = self._starts.tolist()
        return (str(text[a:b], "utf-8") for a, b in zip(starts, starts[1:], strict=False))

    def equals(self, at: int, encoded: bytes) -> bool:
        """Whether string `at` is `encoded` (UTF-8), compared without decoding it."""
        start, end = self._at[at], self._at[at + 1]
        return end - start == len(encoded) and self._bytes[start:end] == encoded


class StringIds(Mapping[str, int]):
    """Each of distinct strings → its place in the order given: a read-only dict of str to int, in arrays.

    Iterates, as a dict would, in the order the strings were given; `names`
    gives a string by its id.
    """

    def __init__(self, strings: Iterable[str]) -> None:
        self.names = PackedStrings(strings)
        count = len(self.names)
        size = 1 << max(3, (2 * count).bit_length())  # at most half full, so probes stay short
        slots = [_EMPTY] * size
        mask = size - 1
        for i, name in enumerate(self.names):
            at = zlib.crc32(name.encode()) & mask
            while slots[at] != _EMPTY:
                at = (at + 1) & mask
            slots[at] = i
        self._slots = np.asarray(slots, dtype=np.int32)
        self._slot = memoryview(self._slots).cast("B").cast("i")

    def __getstate__(self) -> tuple[PackedStrings, np.ndarray]:
        return self.names, self._slots

    def __setstate__(self, state: tuple[PackedStrings, np.ndarray]) -> None:
        self.names, self._slots = state
        self._slot = memoryview(self._slots).cast("B").cast("i")

    def find(self, key: str) -> int:
        """The id of `key`, -1 if it is not one of the strings."""
        encoded = key.encode()
        slot, names = self._slot, self.names
        mask = len(slot) - 1
        at = zlib.crc32(encoded) & mask
        while (i := slot[at]) != _EMPTY:
            if names.equals(i, encoded):
                return i
            at = (at + 1) & mask
        return -1

    def __getitem__(self, key: str) -> int:
        i = self.find(key) if isinstance(key, str) else -1
        if i < 0:
            raise KeyError(key)
        return i

    def get(self, key: str, default: int | None = None) -> int | None:  # type: ignore[override]
        i = self.find(key)
        return default if i < 0 else i

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.find(key) >= 0

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)


class StringToIds(Mapping[str, tuple[int, ...]]):
    """A read-only dict of str to tuples of ints, in arrays: the keys as `StringIds`, the values one run each."""

    def __init__(self, table: Mapping[str, Sequence[int]]) -> None:
        self._keys = StringIds(table)
        lengths = np.fromiter(map(len, table.values()), dtype=np.int64, count=len(table))
        self._starts = np.zeros(len(table) + 1, dtype=np.int64)
        np.cumsum(lengths, out=self._starts[1:])
        self._values = np.fromiter((v for values in table.values() for v in values), dtype=np.int32, count=int(lengths.sum()))
        self._views()

    def _views(self) -> None:
        self._at = memoryview(self._starts).cast("B").cast("q")
        self._value = memoryview(self._values).cast("B").cast("i")

    def __getstate__(self) -> tuple[StringIds, np.ndarray, np.ndarray]:
        return self._keys, self._starts, self._values

    def __setstate__(self, state: tuple[StringIds, np.ndarray, np.ndarray]) -> None:
        self._keys, self._starts, self._values = state
        self._views()

    def get(self, key: str, default: tuple[int, ...] | None = None) -> tuple[int, ...] | None:  # type: ignore[override]
        i = self._keys.find(key)
        return default if i < 0 else tuple(self._value[self._at[i] : self._at[i + 1]])

    def __getitem__(self, key: str) -> tuple[int, ...]:
        found = self.get(key) if isinstance(key, str) else None
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)
