"""The talk's four pluggable word representations (plain numpy for the codes, torch for the losses).

Each representation turns vocabulary ids into fixed-width rows (the decoder's input, and the target
of its output layer), reads predicted rows back into ids, and scores a prediction against target ids:

===================  =========================  ==========================================  ===============
name                 width                      row                                         decode
===================  =========================  ==========================================  ===============
``glove``            50                         the word's GloVe vector                     nearest, cosine
``onehot``           len(vocab)                 one-hot                                     argmax
``base+embedding``   n_base + 50                base one-hot (``<extra>`` for other words)  argmax, then
                                                + GloVe vector                              nearest extra
``base+ecc``         n_base + copies x bits     base one-hot + ``copies`` repeats of the    argmax, then
                                                word's binary index, bits as +-0.5          majority vote
===================  =========================  ==========================================  ===============

Losses take the model's raw outputs (logits for the one-hot parts and the bits, plain values for the
GloVe parts) of shape ``(..., width)`` and target ids of shape ``(...)``; positions whose target is
``<pad>`` are ignored; the result is a scalar averaged over the other positions.

The 2017 notebook's binary-ECC loss sliced ``pred[:base_width]`` -- the *batch* axis -- where it meant
the feature axis, ``pred[..., :base_width]``. Every split here goes through ``_split`` on the last axis.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from models.captioning.vocab import EXTRA, GLOVE_DIM, PAD, UNK, Vocab


def _ids(ids) -> np.ndarray:
    return np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids, dtype=np.int64).reshape(-1)


def _unit(m: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(m, axis=-1, keepdims=True)
    return np.where(n > 1e-8, m / np.maximum(n, 1e-8), 0.0).astype(np.float32)


def _one_hot(ids: np.ndarray, width: int) -> np.ndarray:
    out = np.zeros((len(ids), width), np.float32)
    out[np.arange(len(ids)), ids] = 1.0
    return out


def _nearest(rows: np.ndarray, table_unit: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """For each row, the id among ``candidates`` whose unit table row has the largest cosine."""
    if len(candidates) == 0:
        return np.full(len(rows), UNK, np.int64)
    scores = _unit(np.asarray(rows, np.float32)) @ table_unit[candidates].T   # (n, len(candidates))
    return candidates[scores.argmax(axis=1)]


# ---------------------------------------------------------------------------------------------
# torch pieces (imported lazily: the demo that only encodes / decodes does not need torch)


def _split(pred, widths: Sequence[int]):
    """Split ``pred`` along its LAST (feature) axis -- never the batch axis -- into ``widths``."""
    import torch

    if pred.shape[-1] != sum(widths):
        raise ValueError(f"prediction width {pred.shape[-1]} != expected {sum(widths)}")
    return torch.split(pred, list(widths), dim=-1)


def _flat(pred, target, width: int):
    import torch

    target = torch.as_tensor(target, dtype=torch.long, device=pred.device)
    if tuple(pred.shape[:-1]) != tuple(target.shape):
        raise ValueError(f"prediction shape {tuple(pred.shape)} does not match targets {tuple(target.shape)}")
    return pred.reshape(-1, width), target.reshape(-1)


def _masked_mean(values, weights):
    """sum(values * weights) / number of non-pad positions (0 with gradient when there are none)."""
    return (values * weights).sum() / weights.sum().clamp_min(1.0)


def _cosine_distance(pred, target_vec):
    import torch.nn.functional as F

    return 1.0 - F.cosine_similarity(pred, target_vec, dim=-1, eps=1e-8)


class _Rep:
    name = ""
    width = 0

    def __init__(self, vocab: Vocab, glove_matrix: np.ndarray | None = None):
        self.vocab = vocab
        if glove_matrix is not None:
            glove_matrix = np.asarray(glove_matrix, np.float32)
            if glove_matrix.shape != (len(vocab), GLOVE_DIM):
                raise ValueError(f"glove_matrix shape {glove_matrix.shape} != {(len(vocab), GLOVE_DIM)}")
        self.glove = glove_matrix

    def _need_glove(self) -> np.ndarray:
        if self.glove is None:
            raise ValueError(f"{type(self).__name__} needs the (len(vocab), 50) GloVe matrix (vocab.glove_rows)")
        return self.glove

    def _check_ids(self, ids) -> np.ndarray:
        ids = _ids(ids)
        if len(ids) and (ids.min() < 0 or ids.max() >= len(self.vocab)):
            raise ValueError(f"ids must lie in [0, {len(self.vocab)})")
        return ids

    def _rows(self, rows) -> np.ndarray:
        rows = np.asarray(rows, np.float32)
        if rows.ndim == 1:
            rows = rows[None]
        if rows.shape[-1] != self.width:
            raise ValueError(f"{self.name}: rows of width {rows.shape[-1]}, expected {self.width}")
        return rows.reshape(-1, self.width)

    def encode(self, ids) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def decode(self, rows) -> list[int]:  # pragma: no cover - overridden
        raise NotImplementedError

    def loss(self, pred, target_ids):  # pragma: no cover - overridden
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(width={self.width}, vocab={len(self.vocab)})"


class GloveVector(_Rep):
    """Each word as its 50-d GloVe vector; loss = cosine distance; decode = nearest word by cosine."""

    name = "glove"

    def __init__(self, vocab: Vocab, glove_matrix: np.ndarray | None = None):
        super().__init__(vocab, glove_matrix)
        g = self._need_glove()
        self.width = GLOVE_DIM
        self._unit = _unit(g)
        self._known = np.flatnonzero(np.linalg.norm(g, axis=1) > 1e-8)  # <pad> and unknown-to-GloVe excluded

    def encode(self, ids) -> np.ndarray:
        return self.glove[self._check_ids(ids)].copy()

    def decode(self, rows) -> list[int]:
        rows = self._rows(rows)
        out = _nearest(rows, self._unit, self._known)
        out[np.linalg.norm(rows, axis=1) <= 1e-8] = PAD  # a zero vector is <pad>'s row
        return out.tolist()

    def loss(self, pred, target_ids):
        import torch

        pred, target = _flat(pred, target_ids, self.width)
        table = torch.as_tensor(self.glove, device=pred.device, dtype=pred.dtype)
        keep = (target != PAD).to(pred.dtype)
        return _masked_mean(_cosine_distance(pred, table[target]), keep)


class FullOneHot(_Rep):
    """One position per vocabulary word; loss = softmax cross-entropy; decode = argmax."""

    name = "onehot"

    def __init__(self, vocab: Vocab, glove_matrix: np.ndarray | None = None):
        super().__init__(vocab, glove_matrix)
        self.width = len(vocab)

    def encode(self, ids) -> np.ndarray:
        return _one_hot(self._check_ids(ids), self.width)

    def decode(self, rows) -> list[int]:
        return self._rows(rows).argmax(axis=1).tolist()

    def loss(self, pred, target_ids):
        import torch.nn.functional as F

        pred, target = _flat(pred, target_ids, self.width)
        ce = F.cross_entropy(pred, target, reduction="none")
        return _masked_mean(ce, (target != PAD).to(pred.dtype))


class _BasePlus(_Rep):
    """Shared by the two "base + something" codes: a one-hot over the ``n_base`` base tokens, where
    every word outside the base block lights ``<extra>``."""

    def base_ids(self, ids: np.ndarray) -> np.ndarray:
        return np.where(ids < self.vocab.n_base, ids, EXTRA)

    def _base_ce(self, base_logits, target):
        import torch
        import torch.nn.functional as F

        base_target = torch.where(target < self.vocab.n_base, target, torch.full_like(target, EXTRA))
        return F.cross_entropy(base_logits, base_target, reduction="none")


class BasePlusEmbedding(_BasePlus):
    """Base one-hot + the word's GloVe vector (the talk's own input choice: 141 + 50 = 191-d).

    Loss: cross-entropy on the base part, plus the cosine distance on the embedding part counted
    only where the target is an extra (non-base) word. Decode: argmax of the base part; when that is
    ``<extra>``, the non-base word nearest (cosine) to the embedding part.
    """

    name = "base+embedding"

    def __init__(self, vocab: Vocab, glove_matrix: np.ndarray | None = None):
        super().__init__(vocab, glove_matrix)
        g = self._need_glove()
        self.width = vocab.n_base + GLOVE_DIM
        self._unit = _unit(g)
        # candidates when the base part says <extra>: the non-base words GloVe knows, and <extra>
        # itself (its row is a lone 1.0), so that every id -- <extra> included -- survives a round trip
        extra = np.arange(vocab.n_base, len(vocab))
        extra = extra[np.linalg.norm(g[extra], axis=1) > 1e-8] if len(extra) else extra
        self._extra = np.concatenate([[EXTRA], extra]).astype(np.int64)

    def encode(self, ids) -> np.ndarray:
        ids = self._check_ids(ids)
        return np.concatenate([_one_hot(self.base_ids(ids), self.vocab.n_base), self.glove[ids]], axis=1)

    def decode(self, rows) -> list[int]:
        rows = self._rows(rows)
        out = rows[:, : self.vocab.n_base].argmax(axis=1)
        ext = out == EXTRA
        if ext.any():
            out[ext] = _nearest(rows[ext, self.vocab.n_base:], self._unit, self._extra)
        return out.tolist()

    def loss(self, pred, target_ids):
        import torch

        pred, target = _flat(pred, target_ids, self.width)
        base_logits, emb = _split(pred, (self.vocab.n_base, GLOVE_DIM))
        keep = (target != PAD).to(pred.dtype)
        is_extra = (target >= self.vocab.n_base).to(pred.dtype)
        table = torch.as_tensor(self.glove, device=pred.device, dtype=pred.dtype)
        per_pos = self._base_ce(base_logits, target) + is_extra * _cosine_distance(emb, table[target])
        return _masked_mean(per_pos, keep)


class BasePlusBinaryECC(_BasePlus):
    """Base one-hot + ``copies`` repeats of the word's binary index (most significant bit first),
    each bit written as +0.5 (1) or -0.5 (0).

    Loss: cross-entropy on the base part + mean squared error between sigmoid(bit logits) and the
    0/1 bits. Decode: argmax of the base part; when that is ``<extra>``, a majority vote per bit
    position over the copies (threshold 0, so encoded rows and logits both decode), bits -> index,
    ``<unk>`` if the index is outside the vocabulary.
    """

    name = "base+ecc"

    def __init__(self, vocab: Vocab, glove_matrix: np.ndarray | None = None, copies: int = 3):
        super().__init__(vocab, glove_matrix)
        if copies < 1:
            raise ValueError("copies must be >= 1")
        self.copies = int(copies)
        self.bits = max(1, math.ceil(math.log2(len(vocab))))
        self.width = vocab.n_base + self.copies * self.bits
        self._weights = 1 << np.arange(self.bits - 1, -1, -1, dtype=np.int64)  # MSB first

    # --- the code itself ---------------------------------------------------------------------
    def index_bits(self, ids) -> np.ndarray:
        """(n, bits) 0/1 int array: the binary index of each id, most significant bit first."""
        ids = _ids(ids)
        return ((ids[:, None] & self._weights[None, :]) > 0).astype(np.int64)

    def bits_block(self, ids) -> np.ndarray:
        """(n, copies * bits) float32: ``copies`` repeats of the +-0.5 bits."""
        b = self.index_bits(ids).astype(np.float32) - 0.5
        return np.tile(b, (1, self.copies))

    def vote(self, bit_values) -> np.ndarray:
        """(n, bits) 0/1 after a majority vote per bit position over the copies (ties: mean > 0)."""
        v = np.asarray(bit_values, np.float32).reshape(-1, self.copies, self.bits)
        ones = (v > 0).sum(axis=1)
        maj = 2 * ones > self.copies
        tie = 2 * ones == self.copies
        return np.where(tie, v.mean(axis=1) > 0, maj).astype(np.int64)

    def bits_to_ids(self, voted_bits) -> np.ndarray:
        idx = (np.asarray(voted_bits, np.int64).reshape(-1, self.bits) * self._weights).sum(axis=1)
        return np.where(idx < len(self.vocab), idx, UNK)

    def decode_bits(self, bit_values) -> list[int]:
        """Ids read from the bit block alone (``copies * bits`` values per row)."""
        return self.bits_to_ids(self.vote(bit_values)).tolist()

    # --- the representation interface ------------------------------------------------------------
    def encode(self, ids) -> np.ndarray:
        ids = self._check_ids(ids)
        return np.concatenate([_one_hot(self.base_ids(ids), self.vocab.n_base), self.bits_block(ids)], axis=1)

    def decode(self, rows) -> list[int]:
        rows = self._rows(rows)
        out = rows[:, : self.vocab.n_base].argmax(axis=1)
        ext = out == EXTRA
        if ext.any():
            out[ext] = self.decode_bits(rows[ext, self.vocab.n_base:])
        return out.tolist()

    def loss(self, pred, target_ids):
        import torch

        pred, target = _flat(pred, target_ids, self.width)
        base_logits, bit_logits = _split(pred, (self.vocab.n_base, self.copies * self.bits))
        bits01 = torch.as_tensor(self.bits_block(target.cpu().numpy()) + 0.5, device=pred.device, dtype=pred.dtype)
        mse = ((torch.sigmoid(bit_logits) - bits01) ** 2).mean(dim=-1)
        keep = (target != PAD).to(pred.dtype)
        return _masked_mean(self._base_ce(base_logits, target) + mse, keep)


# ---------------------------------------------------------------------------------------------
# Error correction, for the slide


def flip_bits(row, positions: Iterable[int], offset: int = 0) -> np.ndarray:
    """A copy of ``row`` with the +-0.5 bits at ``positions`` flipped (sign changed).

    ``positions`` count from ``offset`` (pass ``rep.vocab.n_base`` to index a full base+ecc row by
    its bit positions; the default 0 suits a bare bit block). Bit position p is copy ``p // bits``,
    bit ``p % bits``.
    """
    out = np.array(row, dtype=np.float32, copy=True)
    pos = [offset + int(p) for p in positions]
    if pos and (min(pos) < offset or max(pos) >= out.shape[-1]):
        raise IndexError(f"bit positions must lie in [0, {out.shape[-1] - offset})")
    out[..., pos] = -out[..., pos]
    return out


def ecc_report(rep: BasePlusBinaryECC, word_id: int) -> dict:
    """How much damage the repetition code repairs for one word (bits alone, no base one-hot).

    With ``copies`` repeats, a majority vote repairs up to ``(copies - 1) // 2`` flips in every bit
    position -- so with 3 copies *any* one flip per bit position, up to ``bits`` flips in all, is
    corrected -- and fails once a bit position has a majority of its copies flipped.
    """
    word_id = int(word_id)
    sent = rep.bits_block([word_id])[0]
    n = rep.copies * rep.bits
    ok_single = sum(rep.decode_bits(flip_bits(sent, [p]))[0] == word_id for p in range(n))
    per_pos = (rep.copies - 1) // 2
    # worst case it still repairs: per_pos flips in every bit position (a different copy each time)
    spread = [c * rep.bits + b for b in range(rep.bits) for c in range(per_pos)]
    spread_ok = rep.decode_bits(flip_bits(sent, spread))[0] == word_id
    # the smallest case it cannot repair: a majority of the copies of the last bit flipped (the
    # index becomes id XOR 1, or falls outside the vocabulary and reads <unk>: wrong either way)
    fail = [c * rep.bits + rep.bits - 1 for c in range(per_pos + 1)]
    fail_as = rep.decode_bits(flip_bits(sent, fail))[0]
    return {
        "word_id": word_id,
        "copies": rep.copies,
        "bits": rep.bits,
        "single_flips": n,
        "single_flips_corrected": int(ok_single),
        "flips_per_position_corrected": per_pos,
        "max_flips_corrected": len(spread) if spread_ok else 0,
        "max_flips_positions": spread,
        "uncorrectable_positions": fail,
        "uncorrectable_decodes_as": int(fail_as),
        "uncorrectable_is_wrong": fail_as != word_id,
    }


REPRESENTATIONS: dict[str, type[_Rep]] = {
    cls.name: cls for cls in (GloveVector, FullOneHot, BasePlusEmbedding, BasePlusBinaryECC)
}


def make(name: str, vocab: Vocab, glove_matrix: np.ndarray | None = None, **kwargs) -> _Rep:
    """The representation called ``name`` (see ``REPRESENTATIONS``) for ``vocab``."""
    try:
        cls = REPRESENTATIONS[name]
    except KeyError:
        raise KeyError(f"unknown word representation {name!r}; choose from {sorted(REPRESENTATIONS)}") from None
    return cls(vocab, glove_matrix, **kwargs)
