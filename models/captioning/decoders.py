"""The talk's four caption decoders, all at internal width 200 (plain torch).

Every decoder maps (words so far, picture) to next-word logits at every position:

    forward(tokens (B, T) long, pooled (B, 2048), regions (B, R, 256)) -> logits (B, T, V)

and none may look at a later word than the one it predicts from (tests perturb future words to check).
Inputs may come from any device: ``forward`` moves them to the decoder's own (a no-op on the CPU), so
a caller holding CPU tensors can use a decoder that ``shipped.load_decoder`` put on a GPU.
Words enter as 50-d vectors initialised from GloVe (the talk's input representation was "base one-hot +
GloVe"; the embedding rows here start at GloVe and are fine-tuned), and leave as a softmax over the full
vocabulary (the talk's output representation, "full one-hot").

* ``gru``          the picture, through a dense layer, is the GRU's initial state (the talk's "LSTM" was a GRU);
* ``dilated_cnn``  WaveNet-style causal convolutions, kernel 3, dilations 1, 2, 4, 8, 16 twice, with the
                   picture's vector concatenated at every step ("DeepMind");
* ``glu_cnn``      gated-linear-unit causal convolutions with residual connections ("Facebook", conv seq2seq);
* ``transformer``  masked self-attention over the words and attention over the picture's regions
                   ("Attention is all you need"), built from torch's own ``nn.MultiheadAttention``;
* ``blind``        a GRU that never sees the picture: the baseline every decoder must beat.
"""
from __future__ import annotations

import contextlib
import math
import threading

import torch
from torch import nn
import torch.nn.functional as F

WIDTH = 200
EMB = 50
POOLED = 2048
REGION = 256
DECODERS = ["gru", "dilated_cnn", "glu_cnn", "transformer"]
LABELS = {"gru": "GRU (RNN)", "dilated_cnn": "Dilated CNN", "glu_cnn": "GLU CNN", "transformer": "Transformer",
          "blind": "Image-blind GRU"}


class WordInput(nn.Module):
    def __init__(self, vocab_size: int, glove: torch.Tensor | None = None):
        super().__init__()
        self.emb = nn.Embedding(vocab_size, EMB, padding_idx=0)
        if glove is not None:
            with torch.no_grad():
                self.emb.weight.copy_(torch.as_tensor(glove, dtype=torch.float32))

    def forward(self, tokens):
        return self.emb(tokens)


class CausalConv(nn.Module):
    """Conv1d over time (B, C, T) that only sees the present and the past (left padding).

    Two inference shortcuts, same weights and same results (tests compare them with the plain path):
    * eval mode does the sum as one matrix product over the k shifted copies of the input (for a
      caption's few dozen positions Conv1d's per-call set-up dominates on a CPU);
    * inside ``incremental(model)`` each call receives only the newest position(s) and the layer keeps
      its own past inputs (per thread, as Streamlit sessions share one model), so writing a caption
      word by word costs one column per layer per word instead of re-running the whole prefix.
    """

    def __init__(self, cin: int, cout: int, k: int = 3, dilation: int = 1):
        super().__init__()
        self.k, self.dilation = k, dilation
        self.pad = (k - 1) * dilation
        self.conv = nn.Conv1d(cin, cout, k, dilation=dilation)
        self._flat = None  # (weight version, (cout, k*cin) matrix) cached for eval
        self._local = threading.local()

    def _flat_weight(self):
        w = self.conv.weight
        if self._flat is None or self._flat[0] != (w._version, w.data_ptr()):
            self._flat = ((w._version, w.data_ptr()), w.detach().permute(0, 2, 1).reshape(w.shape[0], -1).contiguous())
        return self._flat[1]

    def _matmul_conv(self, x):
        t = x.shape[2]
        xp = F.pad(x, (self.pad, 0))
        taps = torch.cat([xp[:, :, j * self.dilation: j * self.dilation + t] for j in range(self.k)], 1)
        b = taps.shape[0]
        y = F.linear(taps.transpose(1, 2).reshape(b * t, -1), self._flat_weight(), self.conv.bias)  # one 2-D GEMM
        return y.view(b, t, -1).transpose(1, 2)

    def step(self, x, past):
        """One new position (inference): ``x`` (B, C) and ``past`` (B, C, pad), the inputs of the ``pad``
        positions before it (zeros at the start) -> (output (B, Cout), the past for the next position)."""
        full = torch.cat([past, x.unsqueeze(2)], 2)
        taps = torch.cat([full[:, :, j * self.dilation] for j in range(self.k)], 1)
        return F.linear(taps, self._flat_weight(), self.conv.bias), full[:, :, 1:]

    def forward(self, x):
        if self.training or torch.is_grad_enabled() and x.requires_grad:
            return self.conv(F.pad(x, (self.pad, 0)))
        past = getattr(self._local, "past", None)
        if past is None:
            return self._matmul_conv(x)
        full = x if past.numel() == 0 else torch.cat([past, x], 2)
        self._local.past = full[:, :, -self.pad:] if self.pad else full[:, :, :0]
        n, t = x.shape[2], full.shape[2]
        return self._matmul_conv(full[:, :, max(0, t - n - self.pad):])[:, :, -n:]


@contextlib.contextmanager
def incremental(model: nn.Module):
    """Within this block, a convolutional decoder is fed only the newest word at each call (see
    CausalConv). Yields True when the model supports it, else False (feed it the whole prefix)."""
    layers = [m for m in model.modules() if isinstance(m, CausalConv)]
    for layer in layers:
        layer._local.past = torch.empty(0)
    try:
        yield bool(layers)
    finally:
        for layer in layers:
            layer._local.past = None


class GRUDecoder(nn.Module):
    def __init__(self, vocab_size, glove=None, see_image: bool = True):
        super().__init__()
        self.see_image = see_image
        self.words = WordInput(vocab_size, glove)
        self.init = nn.Linear(POOLED, WIDTH)
        self.h0 = nn.Parameter(torch.zeros(WIDTH))
        self.gru = nn.GRU(EMB, WIDTH, batch_first=True)
        self.out = nn.Linear(WIDTH, vocab_size)

    def forward(self, tokens, pooled, regions=None):
        tokens, pooled, regions = _on(self, tokens, pooled, regions)
        b = tokens.shape[0]
        h0 = torch.tanh(self.init(pooled)) if self.see_image else self.h0.expand(b, WIDTH)
        y, _ = self.gru(self.words(tokens), h0.unsqueeze(0).contiguous())
        return self.out(y)


class DilatedCNNDecoder(nn.Module):
    DILATIONS = (1, 2, 4, 8, 16, 1, 2, 4, 8, 16)

    def __init__(self, vocab_size, glove=None):
        super().__init__()
        self.words = WordInput(vocab_size, glove)
        self.image = nn.Linear(POOLED, WIDTH)
        self.word_in = nn.Conv1d(EMB, 2 * WIDTH, 1)  # causal: kernel 1
        self.mix = nn.Conv1d(3 * WIDTH, WIDTH, 1)
        self.layers = nn.ModuleList(CausalConv(WIDTH, WIDTH, 3, d) for d in self.DILATIONS)
        self.out = nn.Linear(WIDTH, vocab_size)

    def forward(self, tokens, pooled, regions=None):
        tokens, pooled, regions = _on(self, tokens, pooled, regions)
        t = tokens.shape[1]
        w = F.relu(self.word_in(self.words(tokens).transpose(1, 2)))  # (B, 400, T)
        img = F.relu(self.image(pooled)).unsqueeze(2).expand(-1, -1, t)  # (B, 200, T)
        x = F.relu(self.mix(torch.cat([w, img], 1)))
        for layer in self.layers:
            x = x + F.relu(layer(x))
        return self.out(x.transpose(1, 2))


class GLUBlock(nn.Module):
    def __init__(self, dilation):
        super().__init__()
        self.conv = CausalConv(WIDTH, 2 * WIDTH, 3, dilation)
        self.norm = nn.LayerNorm(WIDTH)

    def forward(self, x):  # (B, C, T)
        a, g = self.conv(x).chunk(2, 1)
        y = x + a * torch.sigmoid(g)
        return self.norm(y.transpose(1, 2)).transpose(1, 2)


class GLUCNNDecoder(nn.Module):
    DILATIONS = (1, 2, 4, 8, 16)

    def __init__(self, vocab_size, glove=None):
        super().__init__()
        self.words = WordInput(vocab_size, glove)
        self.word_in = nn.Conv1d(EMB, 2 * WIDTH, 1)
        self.image = nn.Linear(POOLED, 2 * WIDTH)
        self.mix = nn.Conv1d(4 * WIDTH, WIDTH, 1)
        self.blocks = nn.ModuleList(GLUBlock(d) for d in self.DILATIONS)
        self.out = nn.Linear(WIDTH, vocab_size)

    def forward(self, tokens, pooled, regions=None):
        tokens, pooled, regions = _on(self, tokens, pooled, regions)
        t = tokens.shape[1]
        w = F.relu(self.word_in(self.words(tokens).transpose(1, 2)))
        img = F.relu(self.image(pooled)).unsqueeze(2).expand(-1, -1, t)
        x = F.relu(self.mix(torch.cat([w, img], 1)))
        for block in self.blocks:
            x = block(x)
        return self.out(x.transpose(1, 2))


def _on(model: nn.Module, tokens, pooled, regions=None):
    """The inputs on ``model``'s device (the same tensors when they are already there)."""
    dev = model.out.weight.device
    return tokens.to(dev), pooled.to(dev), None if regions is None else regions.to(dev)


def sinusoids(length: int, dim: int) -> torch.Tensor:
    pos = torch.arange(length, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    pe = torch.zeros(length, dim)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * freq), torch.cos(pos * freq)
    return pe


class DecoderLayer(nn.Module):
    """Masked self-attention, attention over the picture's regions, feed-forward (pre-norm)."""

    def __init__(self, heads=4, ff=400, dropout=0.1, width=WIDTH, attn_dropout=None):
        super().__init__()
        attn_dropout = dropout if attn_dropout is None else attn_dropout
        self.self_attn = nn.MultiheadAttention(width, heads, dropout=attn_dropout, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(width, heads, dropout=attn_dropout, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(width, ff), nn.ReLU(), nn.Dropout(dropout), nn.Linear(ff, width))
        self.n1, self.n2, self.n3 = nn.LayerNorm(width), nn.LayerNorm(width), nn.LayerNorm(width)
        self.drop = nn.Dropout(dropout)
        self.last_attention = None  # (B, T, R): averaged over heads, kept for the slide

    def forward(self, x, memory, mask):
        h = self.n1(x)
        x = x + self.drop(self.self_attn(h, h, h, attn_mask=mask, need_weights=False)[0])
        h = self.n2(x)
        y, w = self.cross_attn(h, memory, memory, need_weights=True, average_attn_weights=True)
        self.last_attention = w.detach()
        x = x + self.drop(y)
        return x + self.drop(self.ff(self.n3(x)))

    def memory_keys(self, memory):
        """The picture's keys and values for the attention over it, (B, heads, R, W / heads) each: computed
        once per caption when writing word by word (``step``)."""
        return _heads(self.cross_attn, memory, 1), _heads(self.cross_attn, memory, 2)

    def step(self, x, keys, values, memory_keys, memory_values):
        """One new position (inference): ``x`` (B, 1, W); ``keys`` / ``values`` (B, heads, t, W / heads),
        this layer's self-attention keys and values at the earlier positions -> (output (B, 1, W), keys and
        values with this position's added). Same result as ``forward`` over the whole prefix."""
        h = self.n1(x)
        keys = torch.cat([keys, _heads(self.self_attn, h, 1)], 2)
        values = torch.cat([values, _heads(self.self_attn, h, 2)], 2)
        x = x + _attend(self.self_attn, _heads(self.self_attn, h, 0), keys, values)
        h = self.n2(x)
        x = x + _attend(self.cross_attn, _heads(self.cross_attn, h, 0), memory_keys, memory_values)
        return x + self.ff(self.n3(x)), keys, values


def _heads(attn: nn.MultiheadAttention, x, part: int):
    """``attn``'s query (part 0), key (1) or value (2) projection of ``x`` (B, T, W), split into heads:
    (B, heads, T, W / heads)."""
    e = attn.embed_dim
    bias = None if attn.in_proj_bias is None else attn.in_proj_bias[part * e:(part + 1) * e]
    y = F.linear(x, attn.in_proj_weight[part * e:(part + 1) * e], bias)
    return y.view(x.shape[0], x.shape[1], attn.num_heads, e // attn.num_heads).transpose(1, 2)


def _attend(attn: nn.MultiheadAttention, q, k, v):
    """Scaled dot-product attention of queries (B, heads, T, d) over keys and values, through ``attn``'s
    output projection: (B, T, W) (what ``attn`` returns in eval mode)."""
    y = F.scaled_dot_product_attention(q, k, v)
    return attn.out_proj(y.transpose(1, 2).reshape(q.shape[0], q.shape[2], attn.embed_dim))


class TransformerDecoder(nn.Module):
    def __init__(self, vocab_size, glove=None, layers: int = 2, max_len: int = 40, max_regions: int = 64):
        super().__init__()
        self.words = WordInput(vocab_size, glove)
        self.word_in = nn.Linear(EMB, WIDTH)
        self.region_in = nn.Linear(REGION, WIDTH)
        self.pooled_in = nn.Linear(POOLED, WIDTH)
        self.region_pos = nn.Parameter(torch.zeros(max_regions + 1, WIDTH))
        self.register_buffer("pos", sinusoids(max_len, WIDTH), persistent=False)
        self.layers = nn.ModuleList(DecoderLayer() for _ in range(layers))
        self.norm = nn.LayerNorm(WIDTH)
        self.out = nn.Linear(WIDTH, vocab_size)

    def memory(self, pooled, regions):
        """The picture as a sequence: its pooled vector, then one vector per region."""
        mem = torch.cat([self.pooled_in(pooled).unsqueeze(1), self.region_in(regions)], 1)
        return mem + self.region_pos[: mem.shape[1]]

    def forward(self, tokens, pooled, regions):
        tokens, pooled, regions = _on(self, tokens, pooled, regions)
        t = tokens.shape[1]
        x = self.word_in(self.words(tokens)) + self.pos[:t]
        mask = torch.triu(torch.full((t, t), float("-inf"), device=tokens.device), 1)
        mem = self.memory(pooled, regions)
        for layer in self.layers:
            x = layer(x, mem, mask)
        return self.out(self.norm(x))

    def attention(self) -> torch.Tensor | None:
        """Last layer's attention of each word over [whole picture, region 1, …, region R] (on the CPU)."""
        att = self.layers[-1].last_attention
        return None if att is None else att.cpu()


def build(name: str, vocab_size: int, glove=None) -> nn.Module:
    if name == "gru":
        return GRUDecoder(vocab_size, glove)
    if name == "blind":
        return GRUDecoder(vocab_size, glove, see_image=False)
    if name == "dilated_cnn":
        return DilatedCNNDecoder(vocab_size, glove)
    if name == "glu_cnn":
        return GLUCNNDecoder(vocab_size, glove)
    if name == "transformer":
        return TransformerDecoder(vocab_size, glove)
    raise ValueError(f"unknown decoder '{name}' (choose from {DECODERS + ['blind']})")


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
