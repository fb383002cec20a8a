"""Caption vocabulary, as the June 2017 captioning talk built it (plain python / numpy).

Rows of the vocabulary, in order:

1. five *action* tokens: ``<pad>`` (0), ``<unk>`` (1), ``<start>`` (2), ``<stop>`` (3), ``<extra>`` (4);
2. the English stop words (and punctuation) that occur in the captions, most frequent first;
3. every other word seen at least ``min_count`` times, most frequent first.

Blocks 1 + 2 are the *base* block (``Vocab.n_base`` rows, 141 in the talk): small enough for a
one-hot, and holding the words whose GloVe vectors say little. ``glove_rows`` gives each row its
GloVe 6B 50-d vector (``<pad>`` = zeros, the other action tokens = a single 1.0 in their own dimension).

Command line: ``python -m models.captioning.vocab captions.txt [--min-count 3] [--out vocab.json]``
(one caption per line) prints the sizes of the blocks.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from models.data.glove import load_glove

ACTION = ["<pad>", "<unk>", "<start>", "<stop>", "<extra>"]
PAD, UNK, START, STOP, EXTRA = range(len(ACTION))
GLOVE_DIM = 50

# A general-purpose English stop-word list (written out here: NLTK's corpora are not installable),
# plus the punctuation the talk treated as stop words.
_STOP_WORD_TEXT = """
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her
hers herself it its itself they them their theirs themselves what which who whom whose this that
these those am is are was were be been being have has had having do does did doing a an the and
but if or because as until while of at by for with about against between into through during
before after above below to from up down in out on off over under again further then once here
there when where why how all any both each few more most other some such no nor not only own same
so than too very s t can will just don should now d ll m o re ve y ain aren couldn didn doesn
hadn hasn haven isn ma mightn mustn needn shan shouldn wasn weren won wouldn 's 're 've 'll 'd 'm
n't also onto upon via would could might must shall may
"""
PUNCTUATION = list("-.,:;'\"&$%()!?#")
STOP_WORDS: frozenset[str] = frozenset(_STOP_WORD_TEXT.split()) | frozenset(PUNCTUATION)

# Clitics as separate tokens (as GloVe / the Penn treebank have them): "don't" -> "do", "n't";
# "dog's" -> "dog", "'s". Then runs of letters / digits, then any single other visible character.
_TOKEN_RE = re.compile(r"[^\W_]+(?=n't\b)|n't\b|'(?:s|re|ve|ll|d|m)\b|[^\W_]+|[^\w\s]|_")
# control characters and invisible format marks (zero-width spaces, direction overrides, BOM) separate
# tokens like spaces do, instead of becoming tokens of their own
_INVISIBLE_RE = re.compile("[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def tokenize(caption: str) -> list[str]:
    """Lower-cased word and punctuation tokens: "A red circle, left." -> a red circle , left ."""
    return _TOKEN_RE.findall(_INVISIBLE_RE.sub(" ", str(caption).lower()))


class Vocab:
    """Words in row order; ``index`` maps word -> id; rows ``[0, n_base)`` are the base block."""

    def __init__(self, words: Sequence[str], n_base: int | None = None):
        words = list(words)
        if words[: len(ACTION)] != ACTION:
            raise ValueError(f"a vocabulary must start with the action tokens {ACTION}")
        if len(set(words)) != len(words):
            dup = [w for w, c in Counter(words).items() if c > 1][:5]
            raise ValueError(f"duplicate words in vocabulary: {dup}")
        if n_base is None:  # action tokens, then the leading run of stop words
            n_base = len(ACTION)
            while n_base < len(words) and words[n_base] in STOP_WORDS:
                n_base += 1
        if not len(ACTION) <= n_base <= len(words):
            raise ValueError(f"n_base={n_base} outside [{len(ACTION)}, {len(words)}]")
        self.words: list[str] = words
        self.index: dict[str, int] = {w: i for i, w in enumerate(words)}
        self.n_base: int = int(n_base)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def __repr__(self) -> str:
        return f"Vocab({len(self)} words, n_base={self.n_base})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocab) and self.words == other.words and self.n_base == other.n_base

    def id_of(self, token: str) -> int:
        return self.index.get(token, UNK)

    def encode(self, tokens: Iterable[str], add_start_stop: bool = True, length: int | None = None) -> list[int]:
        """Ids of ``tokens`` (unknown -> UNK), wrapped in START ... STOP; with ``length``, padded with
        PAD or truncated to exactly ``length`` ids (a truncated sequence still ends with STOP)."""
        ids = [self.index.get(t, UNK) for t in tokens]
        if add_start_stop:
            ids = [START] + ids + [STOP]
        if length is not None:
            if length < 0:
                raise ValueError("length must be >= 0")
            if len(ids) > length:
                ids = ids[:length]
                if add_start_stop and length > 0:
                    ids[-1] = STOP
            ids = ids + [PAD] * (length - len(ids))
        return ids

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Words of ``ids``: START and PAD dropped, reading stops at the first STOP; an id outside the
        vocabulary reads as ``<unk>``."""
        out = []
        for i in ids:
            i = int(i)
            if i == STOP:
                break
            if i in (START, PAD):
                continue
            out.append(self.words[i] if 0 <= i < len(self.words) else ACTION[UNK])
        return out

    def to_json(self, path) -> None:
        pathlib.Path(path).write_text(json.dumps({"words": self.words, "n_base": self.n_base}, ensure_ascii=False),
                                      encoding="utf-8")

    @classmethod
    def from_json(cls, path) -> "Vocab":
        data = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
        if isinstance(data, list):  # a bare word list: the base block is found again from STOP_WORDS
            return cls(data)
        return cls(data["words"], data.get("n_base"))


def build_vocab(token_lists: Iterable[Sequence[str]], min_count: int = 3, glove_words=None,
                stop_words: Iterable[str] = STOP_WORDS) -> Vocab:
    """The talk's vocabulary from tokenised captions.

    Stop words are kept whenever they occur (they live in the one-hot base block); other words only
    when seen at least ``min_count`` times and, when ``glove_words`` (a set, or anything supporting
    ``in``) is given, only when GloVe knows them -- the rest will read as ``<unk>``. Ties in frequency
    keep first-seen order, so the result is deterministic.
    """
    counts = Counter(t for toks in token_lists for t in toks if t not in ACTION)
    stop_words = frozenset(stop_words)
    ranked = counts.most_common()  # stable: ties stay in first-seen order
    base = [w for w, _ in ranked if w in stop_words]
    rest = [w for w, c in ranked if w not in stop_words and c >= min_count
            and (glove_words is None or w in glove_words)]
    return Vocab(ACTION + base + rest, n_base=len(ACTION) + len(base))


def _glove_lookup(glove):
    """(index: word -> row, vectors) from a ``load_glove()`` Embeddings or a mapping word -> vector."""
    if hasattr(glove, "index") and hasattr(glove, "vectors"):
        return glove.index, glove.vectors
    if isinstance(glove, Mapping):
        words = list(glove)
        return {w: i for i, w in enumerate(words)}, [glove[w] for w in words]
    raise TypeError("glove must be models.data.glove.Embeddings or a mapping word -> vector")


def glove_rows(vocab: Vocab, glove) -> np.ndarray:
    """(len(vocab), 50) float32: each word's GloVe vector; ``<pad>`` = zeros; the other action tokens
    = a single 1.0 in their own dimension (1..4); a word GloVe does not know = zeros."""
    index, vectors = _glove_lookup(glove)
    out = np.zeros((len(vocab), GLOVE_DIM), np.float32)
    for i in range(1, len(ACTION)):
        out[i, i] = 1.0
    for i, w in enumerate(vocab.words[len(ACTION):], start=len(ACTION)):
        j = index.get(w)
        if j is not None:
            out[i] = np.asarray(vectors[j], dtype=np.float32)[:GLOVE_DIM]
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("captions", help="text file, one caption per line")
    p.add_argument("--min-count", type=int, default=3)
    p.add_argument("--no-glove", action="store_true", help="keep words GloVe does not know")
    p.add_argument("--out", help="write the vocabulary as JSON here")
    a = p.parse_args(argv)
    toks = [tokenize(line) for line in pathlib.Path(a.captions).read_text(encoding="utf-8").splitlines() if line.strip()]
    glove_words = None
    if not a.no_glove:
        glove_words = load_glove().index
    v = build_vocab(toks, min_count=a.min_count, glove_words=glove_words)
    print(f"captions {len(toks)} vocab {len(v)} base {v.n_base} (action {len(ACTION)} + stop {v.n_base - len(ACTION)})")
    if a.out:
        v.to_json(a.out)


if __name__ == "__main__":
    main()
