"""A language's unit vectors as they are served: float16, mapped from a file, compared with a question in float32.

At 100,000 paragraphs the vectors take 77 MB as float16 and twice that as
float32, in every process that serves them; kept as float16 in a file that
every process maps (see `vectors.attach`), they cost one copy in the page
cache however many processes and workers serve the index.

numpy has no float16 matrix product: `matrix @ question` converts the whole
matrix first, about 1.2 ns a number here (9 ms for 20,000 units, 54 ms for
100,000). So the rows are kept times 2**10 (`scaled`: exact, as a unit
vector's components are at most 1 and a power of two only moves the exponent,
and it leaves no half subnormal), and `UnitVectors.similarity` turns a few
thousand rows at a time into float32 with three integer operations: the
half's exponent and mantissa shifted into a float's place, the sign kept,
which is the row's value times 2**-112, a normal float. BLAS multiplies each
slab by the question times 2**102; as every product is then exactly the
product of the original numbers, the similarities are those of the float32
matrix to the last bit, and so is the ranking (with subnormal halves the
products differed in the last bits: hence the scale). About 1.6 ms for
22,000 units (a language of 10,000 articles in five) and 9 ms for 110,000 on
one core of this machine, where the float32 matrix took 1 and 5 ms. int8
with a scale per row would halve the memory again and run as fast, but it
moves similarities by up to 0.001, which changed one to five answers of the
question sets (benchmarks/README.md).
"""

from __future__ import annotations

import numpy as np

SCALE = 2.0**10
"""What the rows are kept times: see the module's docstring."""
SLAB_ROWS = 2048
"""Rows turned into float32 at a time (3 MB, within the cache): measured the fastest, against 1,024 to 8,192."""
_EXPONENT_AND_MANTISSA = np.int32(-0x70002000)
"""0x8FFFE000: after the shift, the sign bit and the half's exponent and mantissa, without the sign's copies."""
_QUESTION_SCALE = np.float32(2.0**112 / SCALE)
"""From a half's exponent bias to a float's, less `SCALE`."""


def scaled(vectors: np.ndarray) -> np.ndarray:
    """Unit vectors (float16) as `UnitVectors` keeps them: times `SCALE`, still float16 (exactly)."""
    return np.multiply(vectors, np.float16(SCALE), dtype="<f2")


class UnitVectors:
    """Per unit of one language, its embedding (unit length), as `scaled` float16 rows; read-only, safe to share
    between threads."""

    def __init__(self, rows: np.ndarray, digest: str) -> None:
        """`rows` as `scaled` makes them; `digest` names the units they belong to, in order (`vectors.block_digest`)."""
        self.rows = rows
        self.digest = digest
        self._halves = rows.view("<i2")
        self._last: tuple[bytes, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def vectors(self) -> np.ndarray:
        """The unit vectors themselves, float32 (for studies: the bot only asks for `similarity`)."""
        return self.rows.astype(np.float32) / np.float32(SCALE)

    def similarity(self, question: np.ndarray) -> np.ndarray:
        """Each unit's similarity to `question` (its embedding, float32 of length 1): their dot product, float32.

        The last question's similarities are kept: one answer may compare the
        same question with a language's units two or three times (ranking it,
        ranking it again as the reader's language, looking across languages).
        """
        question = np.ascontiguousarray(question, dtype=np.float32)
        key = question.tobytes()
        last = self._last
        if last is not None and last[0] == key:
            return last[1]
        count = len(self.rows)
        out = np.empty(count, dtype=np.float32)
        slab = np.empty((min(SLAB_ROWS, count), self.rows.shape[1]), dtype=np.int32)
        floats, rescaled = slab.view(np.float32), question * _QUESTION_SCALE
        for start in range(0, count, SLAB_ROWS):
            halves = self._halves[start : start + SLAB_ROWS]
            bits = slab[: len(halves)]
            np.copyto(bits, halves)  # sign-extended: the sign in bit 31, and copies of it down to bit 16
            np.left_shift(bits, 13, out=bits)
            np.bitwise_and(bits, _EXPONENT_AND_MANTISSA, out=bits)
            np.matmul(floats[: len(halves)], rescaled, out=out[start : start + len(halves)])
        out.flags.writeable = False
        self._last = (key, out)
        return out
