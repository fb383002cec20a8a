"""Nearest neighbours and "a is to b as c is to ?" analogies over word vectors (GloVe: models/data/glove.py).

The workshop notebook used GloVe 6B 50-d after its home-made embedding turned out "Poor"; we also build
that home-made kind (a count-based embedding of Shakespeare, below).

Analogy arithmetic is the usual 3CosAdd: with unit vectors, answer = argmax over the vocabulary of
cos(w, b - a + c), the three question words excluded.
"""
from __future__ import annotations

import importlib.util
import pathlib
import re
from collections import Counter

import numpy as np

from models.data.glove import Embeddings

# The notebook's four examples, written as (a, b, c) in "a is to b as c is to ?" with its answer.
PRESETS = {
    "king": ("man", "woman", "king", "queen"),
    "rome": ("france", "paris", "italy", "rome"),
    "dog": ("kitten", "cat", "puppy", "dog"),
    "ran": ("understand", "understood", "run", "ran"),
}


def normalise_word(s: str) -> str:
    return s.strip().lower()


def missing(emb: Embeddings, words) -> list[str]:
    return [w for w in words if w not in emb]


def nearest(emb: Embeddings, query, k: int = 10, exclude=()) -> list[tuple[str, float]]:
    """Top-k words by cosine to ``query`` (a word or a vector), excluding ``exclude`` (and the word)."""
    if isinstance(query, str):
        exclude = set(exclude) | {query}
        query = emb.vec(query)
    q = query / max(float(np.linalg.norm(query)), 1e-8)
    scores = emb.unit @ q                                   # (N,)
    ban = [emb.index[w] for w in exclude if w in emb]
    scores[ban] = -np.inf
    top = np.argpartition(-scores, k)[:k]
    top = top[np.argsort(-scores[top])]
    return [(emb.words[i], float(scores[i])) for i in top]


def analogy(emb: Embeddings, a: str, b: str, c: str, k: int = 5) -> list[tuple[str, float]]:
    """"a is to b as c is to ?": top-k words by cos(w, b - a + c), the three inputs excluded."""
    target = emb.vec(b) - emb.vec(a) + emb.vec(c)
    return nearest(emb, target, k, exclude=(a, b, c))


def pca_2d(x: np.ndarray) -> np.ndarray:
    """Project rows of ``x`` onto their top-2 principal components (via SVD of the centred data)."""
    xc = x - x.mean(axis=0, keepdims=True)
    _, _, vt = np.linalg.svd(xc, full_matrices=False)
    return xc @ vt[:2].T                                     # (n, 2)


# ---------------------------------------------------------------------------------------------
# The standard Google analogy test set (Mikolov et al. 2013): 19,544 questions in 14 sections.
# No package ships it on its own; gensim's wheel carries it as test data (gensim/test/test_data).

SEMANTIC_SECTIONS = {"capital-common-countries", "capital-world", "currency", "city-in-state", "family"}


def google_analogy_path() -> pathlib.Path | None:
    spec = importlib.util.find_spec("gensim")
    if spec is None:
        return None
    p = pathlib.Path(spec.submodule_search_locations[0]) / "test" / "test_data" / "questions-words.txt"
    return p if p.exists() else None


def read_google_analogies(path) -> list[tuple[str, tuple[str, str, str, str]]]:
    """[(section, (a, b, c, d)), ...] lower-cased; section lines start with ':'."""
    out, section = [], ""
    for line in pathlib.Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith(":"):
            section = line[1:].strip()
        elif line.strip():
            out.append((section, tuple(line.lower().split())))
    return out


def evaluate_analogies(emb: Embeddings, questions, chunk: int = 2000) -> dict:
    """3CosAdd accuracy over the vocabulary; questions with an out-of-vocabulary word are skipped."""
    known = [(s, q) for s, q in questions if all(w in emb for w in q)]
    idx = np.array([[emb.index[w] for w in q] for _, q in known], dtype=np.int64).reshape(-1, 4)
    correct = np.zeros(len(known), bool)
    for lo in range(0, len(known), chunk):
        a, b, c, d = idx[lo : lo + chunk].T
        target = emb.unit[b] - emb.unit[a] + emb.unit[c]           # (n, D)
        scores = target @ emb.unit.T                                # (n, N)
        rows = np.arange(len(a))
        for banned in (a, b, c):
            scores[rows, banned] = -np.inf
        correct[lo : lo + chunk] = scores.argmax(axis=1) == d
    semantic = np.array([s in SEMANTIC_SECTIONS for s, _ in known], bool)
    return {
        "total": len(questions),
        "answered": len(known),
        "skipped": len(questions) - len(known),
        "overall": float(correct.mean()) if len(known) else 0.0,
        "semantic": float(correct[semantic].mean()) if semantic.any() else 0.0,
        "syntactic": float(correct[~semantic].mean()) if (~semantic).any() else 0.0,
    }


# ---------------------------------------------------------------------------------------------
# "Train your own": the notebook first built its own GloVe from 100k Wikipedia sentences and found
# it "Poor". We build a count-based embedding of the same family from Shakespeare's plays: word
# co-occurrence counts in a +-window (weighted 1/distance, as GloVe does), positive pointwise mutual
# information, then a rank-50 truncated SVD. It takes seconds, and its analogies are poor for the
# same reason: ~1 M words of text is far too little (GloVe 6B saw 6 billion tokens).


def tokenize(text: str) -> list[str]:
    return re.findall(r"[a-z]+(?:'[a-z]+)?", text.lower())


def train_count_embedding(tokens, vocab_size: int = 10_000, window: int = 5, dim: int = 50) -> Embeddings:
    """PPMI + truncated SVD embedding of the ``vocab_size`` most frequent tokens."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import svds

    words = [w for w, _ in Counter(tokens).most_common(vocab_size)]
    index = {w: i for i, w in enumerate(words)}
    ids = np.array([index.get(t, -1) for t in tokens])
    V = len(words)
    rows, cols, vals = [], [], []
    for d in range(1, window + 1):
        a, b = ids[:-d], ids[d:]
        keep = (a >= 0) & (b >= 0)
        rows += [a[keep], b[keep]]
        cols += [b[keep], a[keep]]
        vals += [np.full(2 * keep.sum() // 2, 1.0 / d)] * 2
    C = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(V, V)).tocsr()
    total = C.sum()
    row = np.asarray(C.sum(axis=1)).ravel()
    col = np.asarray(C.sum(axis=0)).ravel() ** 0.75          # context smoothing (word2vec / Levy et al.)
    col = col / col.sum() * total
    C = C.tocoo()
    pmi = np.log(C.data * total / (row[C.row] * col[C.col]))
    keep = pmi > 0
    P = sp.csr_matrix((pmi[keep], (C.row[keep], C.col[keep])), shape=(V, V))
    u, s, _ = svds(P, k=dim, random_state=0)
    return Embeddings.from_vectors(words, (u * np.sqrt(s)).astype(np.float32), index)


def shakespeare_embedding(**kw) -> Embeddings:
    from models.language.charrnn import load_plays_text

    return train_count_embedding(tokenize(load_plays_text()), **kw)


def save_embedding(path, emb: Embeddings) -> None:
    np.savez_compressed(path, words=np.array(emb.words), vectors=emb.vectors.astype(np.float16))


def load_embedding(path) -> Embeddings:
    z = np.load(path)
    words = [str(w) for w in z["words"]]
    return Embeddings.from_vectors(words, z["vectors"].astype(np.float32))


def shared_questions(emb_small: Embeddings, questions):
    """The analogy questions whose four words are all in ``emb_small`` (a fair comparison set)."""
    return [q for q in questions if all(w in emb_small for w in q[1])]
