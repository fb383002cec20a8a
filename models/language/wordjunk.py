"""Words vs junk: character n-gram baselines, a GRU discriminator and a GRU word generator.

The workshop's "RNN Fun" notebook asked: can an RNN tell English words from junk, and can one make up
words? Its discriminator read one-hot characters through a GRU and output P(word); its generator
(trained REINFORCE-style against the dictionary) "never worked", in the author's words. Here:

* dictionary: Debian's ``wamerican`` list (/usr/share/dict/american-english, 104,334 entries), keeping
  the lower-case a-z words of 3-15 letters; 10% are held out for validation. Where that file is
  missing (macOS has no wamerican) /usr/share/dict/words is read instead: a different list (on a Mac,
  Webster's 2nd), so the shipped models' recorded figures are only reproduced with wamerican;
* baselines: unigram, bigram and trigram character models that generate whole strings; we count how
  often a generated string is a real word;
* discriminator: one-hot characters -> GRU -> P(word), trained on real words vs bigram fakes, as the
  notebook did;
* generator: a GRU character language model over words (start symbol -> letters -> end symbol),
  trained by plain maximum likelihood. That is the simple fix for the notebook's generator: learn the
  distribution of words directly, then sample from it.
"""
from __future__ import annotations

import functools
import pathlib
import re
from collections import Counter, defaultdict

import numpy as np
import torch
import torch.nn as nn

from models.device import device_of

DICT_PATH = pathlib.Path("/usr/share/dict/american-english")     # Debian's wamerican: the shipped models' list
FALLBACK_DICT_PATHS = (pathlib.Path("/usr/share/dict/words"),)    # macOS and most other Unixes
LETTERS = "abcdefghijklmnopqrstuvwxyz"
END = "$"                       # end-of-word symbol (the notebook used a space)
SYMBOLS = LETTERS + END         # model alphabet: 27 symbols; index 27 is the start symbol for the generator
START_ID = len(SYMBOLS)
MIN_LEN, MAX_LEN = 3, 15


def dictionary_path() -> pathlib.Path | None:
    """The word list to read: wamerican's when installed, else the system's /usr/share/dict/words."""
    for p in (DICT_PATH, *FALLBACK_DICT_PATHS):
        if p.exists():
            return p
    return None


@functools.lru_cache(maxsize=1)
def load_dictionary(path: str | None = None) -> tuple[str, ...]:
    """The a-z words of 3-15 letters of ``path`` (default: ``dictionary_path()``), sorted."""
    p = pathlib.Path(path) if path else dictionary_path()
    if p is None or not p.exists():
        tried = str(p) if p is not None else " or ".join(str(q) for q in (DICT_PATH, *FALLBACK_DICT_PATHS))
        raise FileNotFoundError(f"no word list at {tried}: install the Debian package 'wamerican' "
                                "(apt-get install wamerican)")
    words = {w.strip() for w in p.read_text(encoding="utf-8", errors="ignore").splitlines()}
    keep = re.compile(rf"^[a-z]{{{MIN_LEN},{MAX_LEN}}}$")
    return tuple(sorted(w for w in words if keep.match(w)))


def split_dictionary(words, seed: int = 2016, val_frac: float = 0.1):
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(words))
    n_val = int(len(words) * val_frac)
    return [words[i] for i in idx[n_val:]], [words[i] for i in idx[:n_val]]


class NGram:
    """Character n-gram model over whole words: P(next | previous n-1 chars), '^' pads the start."""

    def __init__(self, n: int, words):
        self.n = n
        counts: dict[str, Counter] = defaultdict(Counter)
        for w in words:
            s = "^" * (n - 1) + w + END
            for i in range(n - 1, len(s)):
                counts[s[i - n + 1: i]][s[i]] += 1
        self.table = {ctx: (list(c), np.array(list(c.values()), float) / sum(c.values())) for ctx, c in counts.items()}

    def generate(self, rng: np.random.Generator, max_len: int = MAX_LEN + 5) -> str:
        ctx, out = "^" * (self.n - 1), ""
        while len(out) < max_len:
            chars, p = self.table.get(ctx[-(self.n - 1):] if self.n > 1 else "", (None, None))
            if chars is None:
                break
            ch = chars[rng.choice(len(chars), p=p)]
            if ch == END:
                break
            out += ch
            ctx += ch
        return out

    def logprob_per_char(self, word: str) -> float:
        """Mean log-probability per symbol (end included); unseen transitions get probability 1e-6."""
        s = "^" * (self.n - 1) + word + END
        total = 0.0
        for i in range(self.n - 1, len(s)):
            chars, p = self.table.get(s[i - self.n + 1: i], ([], []))
            total += np.log(p[chars.index(s[i])]) if s[i] in chars else np.log(1e-6)
        return total / (len(s) - self.n + 1)


def real_word_rate(samples, dictionary) -> float:
    d = set(dictionary)
    return float(np.mean([s in d for s in samples])) if len(samples) else 0.0


def encode_batch(words, max_len: int = MAX_LEN + 1):
    """One-hot (B, T, 27) with the end symbol appended, and lengths (B,). Letters outside a-z are skipped."""
    ids = [[SYMBOLS.index(c) for c in w.lower() if c in LETTERS][: max_len - 1] + [SYMBOLS.index(END)] for w in words]
    T = max(len(s) for s in ids)
    x = torch.zeros(len(ids), T, len(SYMBOLS))
    for b, s in enumerate(ids):
        x[b, torch.arange(len(s)), torch.tensor(s)] = 1.0
    return x, torch.tensor([len(s) for s in ids])     # on the CPU: callers move them to their net's device


class Discriminator(nn.Module):
    """One-hot characters -> GRU -> last valid hidden state -> P(real word)."""

    def __init__(self, hidden: int = 64):
        super().__init__()
        self.gru = nn.GRU(len(SYMBOLS), hidden, batch_first=True)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x, lengths):
        # x: (B, T, 27); lengths (B,) -> logits (B,)
        h, _ = self.gru(x)                                       # (B, T, H)
        last = h[torch.arange(len(x)), lengths - 1]              # (B, H)
        return self.out(last).squeeze(-1)

    @torch.no_grad()
    def score(self, words) -> np.ndarray:
        """P(word) for each string (empty strings score as the end symbol alone)."""
        self.eval()
        x, lengths = encode_batch(words)
        dev = device_of(self)
        return torch.sigmoid(self(x.to(dev), lengths.to(dev))).cpu().numpy()


class WordGenerator(nn.Module):
    """GRU character language model over words: start symbol -> letters -> end symbol."""

    def __init__(self, hidden: int = 128, emb: int = 32):
        super().__init__()
        self.emb = nn.Embedding(len(SYMBOLS) + 1, emb)           # + start symbol
        self.gru = nn.GRU(emb, hidden, batch_first=True)
        self.head = nn.Linear(hidden, len(SYMBOLS))

    def forward(self, ids, h=None):
        out, h = self.gru(self.emb(ids), h)                       # (B, T, H)
        return self.head(out), h                                  # (B, T, 27)

    def loss(self, words):
        """Mean cross-entropy per symbol (end included), padding ignored."""
        seqs = [[SYMBOLS.index(c) for c in w] + [SYMBOLS.index(END)] for w in words]
        T = max(len(s) for s in seqs)
        tgt = torch.full((len(seqs), T), -100, dtype=torch.long)
        inp = torch.full((len(seqs), T), START_ID, dtype=torch.long)
        for b, s in enumerate(seqs):
            tgt[b, : len(s)] = torch.tensor(s)
            inp[b, 1: len(s)] = torch.tensor(s[:-1])
        dev = device_of(self)
        logits, _ = self(inp.to(dev))
        return nn.functional.cross_entropy(logits.reshape(-1, len(SYMBOLS)), tgt.to(dev).reshape(-1), ignore_index=-100)

    @torch.no_grad()
    def generate(self, n: int, temperature: float = 1.0, seed: int = 0, max_len: int = MAX_LEN + 5) -> list[str]:
        """Sample ``n`` words in parallel."""
        self.eval()
        g = torch.Generator().manual_seed(int(seed))              # draws on the CPU: the same on every device
        dev = device_of(self)
        ids = torch.full((n, 1), START_ID, dtype=torch.long, device=dev)
        h, done = None, torch.zeros(n, dtype=torch.bool)
        out = [[] for _ in range(n)]
        for _ in range(max_len):
            logits, h = self(ids, h)
            p = torch.softmax(logits[:, -1].cpu() / max(temperature, 1e-3), dim=-1)
            nxt = torch.multinomial(p, 1, generator=g)            # (n, 1)
            for b in range(n):
                if not done[b]:
                    c = SYMBOLS[int(nxt[b])]
                    if c == END:
                        done[b] = True
                    else:
                        out[b].append(c)
            if done.all():
                break
            ids = nxt.to(dev)
        return ["".join(o) for o in out]
