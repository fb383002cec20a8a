"""The talk's four caption decoders (and the image-blind baseline), sized for real photos (plain torch).

Same contract as ``decoders.py`` (the shapes decoders, which stay as they are):

    forward(tokens (B, T) long, pooled (B, 2048), regions (B, R, 256)) -> logits (B, T, V)

no position sees a later word, and ``decoders.incremental`` / ``TransformerDecoder.attention`` work the
same way. Each also writes a caption one word at a time without re-reading its prefix (inference):

    state = model.start(pooled, regions)             # dict of tensors, batch first
    logits, state = model.step(last_words (B,), state)
    state = reorder(state, rows)                     # beam search: keep / copy hypotheses

with the same logits as ``forward`` over the whole prefix (the transformer keeps each layer's keys and
values, the convolutions their last few inputs, the GRU its state). Differences for Flickr8k: width
``cfg["width"]`` (256 by default), dropout on the picture, the words and before the output layer, and the picture's vector fed at every step to the GRU as well as
into its initial state. Words enter as 50-d vectors initialised from GloVe and fine-tuned; the output
is a softmax over the whole vocabulary (the talk's "full one-hot").
"""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from .decoders import CausalConv, DecoderLayer, _on, sinusoids

EMB = 50
POOLED = 2048
REGION = 256
DECODERS = ["gru", "dilated_cnn", "glu_cnn", "transformer"]
ALL = DECODERS + ["blind"]
LABELS = {"gru": "GRU (RNN)", "dilated_cnn": "Dilated CNN", "glu_cnn": "GLU CNN", "transformer": "Transformer",
          "blind": "Image-blind GRU"}
DEFAULT = {"width": 256, "dropout": 0.3, "layers": 3, "heads": 4}


class Words(nn.Module):
    def __init__(self, vocab_size, glove=None, dropout=0.3):
        super().__init__()
        self.emb = nn.Embedding(vocab_size, EMB, padding_idx=0)
        if glove is not None:
            with torch.no_grad():
                self.emb.weight.copy_(torch.as_tensor(glove, dtype=torch.float32))
        self.drop = nn.Dropout(dropout)

    def forward(self, tokens):
        return self.drop(self.emb(tokens))


class GRUDecoder(nn.Module):
    def __init__(self, vocab_size, glove=None, width=256, dropout=0.3, see_image=True, **_):
        super().__init__()
        self.see_image, self.width = see_image, width
        self.words = Words(vocab_size, glove, dropout)
        self.drop = nn.Dropout(dropout)
        if see_image:
            self.init = nn.Linear(POOLED, width)
            self.step_in = nn.Linear(POOLED, width)
        else:
            self.h0 = nn.Parameter(torch.zeros(width))
        self.gru = nn.GRU(EMB + (width if see_image else 0), width, batch_first=True)
        self.out = nn.Linear(width, vocab_size)

    def forward(self, tokens, pooled, regions=None):
        tokens, pooled, regions = _on(self, tokens, pooled, regions)
        b, t = tokens.shape
        x = self.words(tokens)
        if self.see_image:
            p = self.drop(pooled)
            h0 = torch.tanh(self.init(p))
            x = torch.cat([x, F.relu(self.step_in(p)).unsqueeze(1).expand(-1, t, -1)], 2)
        else:
            h0 = self.h0.expand(b, self.width)
        y, _ = self.gru(x, h0.unsqueeze(0).contiguous())
        return self.out(self.drop(y))

    def start(self, pooled, regions=None):
        if not self.see_image:
            return {"h": self.h0.expand(pooled.shape[0], self.width).contiguous()}
        return {"h": torch.tanh(self.init(pooled)), "img": F.relu(self.step_in(pooled))}

    def step(self, words, state):
        x = self.words.emb(words)
        if self.see_image:
            x = torch.cat([x, state["img"]], 1)
        y, h = self.gru(x.unsqueeze(1), state["h"].unsqueeze(0).contiguous())
        return self.out(y[:, 0]), {**state, "h": h[0]}


class DilatedCNNDecoder(nn.Module):
    DILATIONS = (1, 2, 4, 8, 1, 2, 4, 8)

    def __init__(self, vocab_size, glove=None, width=256, dropout=0.3, **_):
        super().__init__()
        self.words = Words(vocab_size, glove, dropout)
        self.drop = nn.Dropout(dropout)
        self.image = nn.Linear(POOLED, width)
        self.word_in = nn.Conv1d(EMB, width, 1)
        self.mix = nn.Conv1d(2 * width, width, 1)
        self.layers = nn.ModuleList(CausalConv(width, width, 3, d) for d in self.DILATIONS)
        self.out = nn.Linear(width, vocab_size)

    def forward(self, tokens, pooled, regions=None):
        tokens, pooled, regions = _on(self, tokens, pooled, regions)
        t = tokens.shape[1]
        w = F.relu(self.word_in(self.words(tokens).transpose(1, 2)))
        img = F.relu(self.image(self.drop(pooled))).unsqueeze(2).expand(-1, -1, t)
        x = F.relu(self.mix(torch.cat([w, img], 1)))
        for layer in self.layers:
            x = x + self.drop(F.relu(layer(x)))
        return self.out(self.drop(x.transpose(1, 2)))

    def start(self, pooled, regions=None):
        return {"img": F.relu(self.image(pooled)), **_empty_pasts(self.layers, pooled)}

    def step(self, words, state):
        x = _first_column(self, words, state["img"])
        new = dict(state)
        for i, layer in enumerate(self.layers):
            y, new[f"past{i}"] = layer.step(x, state[f"past{i}"])
            x = x + F.relu(y)
        return self.out(x), new


class GLUBlock(nn.Module):
    def __init__(self, width, dilation, dropout):
        super().__init__()
        self.conv = CausalConv(width, 2 * width, 3, dilation)
        self.img = nn.Linear(width, width)
        self.norm = nn.LayerNorm(width)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, img):  # x (B, C, T), img (B, C)
        a, g = self.conv(x).chunk(2, 1)
        y = x + self.drop(a * torch.sigmoid(g + self.img(img).unsqueeze(2)))
        return self.norm(y.transpose(1, 2)).transpose(1, 2)

    def step(self, x, img, past):  # x (B, C), img (B, C)
        y, past = self.conv.step(x, past)
        a, g = y.chunk(2, 1)
        return self.norm(x + a * torch.sigmoid(g + self.img(img))), past


class GLUCNNDecoder(nn.Module):
    DILATIONS = (1, 2, 4, 1, 2, 4)

    def __init__(self, vocab_size, glove=None, width=256, dropout=0.3, **_):
        super().__init__()
        self.words = Words(vocab_size, glove, dropout)
        self.drop = nn.Dropout(dropout)
        self.word_in = nn.Conv1d(EMB, width, 1)
        self.image = nn.Linear(POOLED, width)
        self.mix = nn.Conv1d(2 * width, width, 1)
        self.blocks = nn.ModuleList(GLUBlock(width, d, dropout) for d in self.DILATIONS)
        self.out = nn.Linear(width, vocab_size)

    def forward(self, tokens, pooled, regions=None):
        tokens, pooled, regions = _on(self, tokens, pooled, regions)
        t = tokens.shape[1]
        w = F.relu(self.word_in(self.words(tokens).transpose(1, 2)))
        img = F.relu(self.image(self.drop(pooled)))
        x = F.relu(self.mix(torch.cat([w, img.unsqueeze(2).expand(-1, -1, t)], 1)))
        for block in self.blocks:
            x = block(x, img)
        return self.out(self.drop(x.transpose(1, 2)))

    def start(self, pooled, regions=None):
        return {"img": F.relu(self.image(pooled)), **_empty_pasts([b.conv for b in self.blocks], pooled)}

    def step(self, words, state):
        x = _first_column(self, words, state["img"])
        new = dict(state)
        for i, block in enumerate(self.blocks):
            x, new[f"past{i}"] = block.step(x, state["img"], state[f"past{i}"])
        return self.out(x), new


class TransformerDecoder(nn.Module):
    def __init__(self, vocab_size, glove=None, width=256, dropout=0.3, layers=3, heads=4, max_len=40,
                 max_regions=64, **_):
        super().__init__()
        self.words = Words(vocab_size, glove, dropout)
        self.drop = nn.Dropout(dropout)
        self.word_in = nn.Linear(EMB, width)
        self.region_in = nn.Linear(REGION, width)
        self.pooled_in = nn.Linear(POOLED, width)
        self.region_pos = nn.Parameter(torch.zeros(max_regions + 1, width))
        self.register_buffer("pos", sinusoids(max_len, width), persistent=False)
        self.layers = nn.ModuleList(DecoderLayer(heads, 2 * width, dropout, width=width, attn_dropout=0.1) for _ in range(layers))
        self.norm = nn.LayerNorm(width)
        self.out = nn.Linear(width, vocab_size)

    def memory(self, pooled, regions):
        """The picture as a sequence: its pooled vector, then one vector per region."""
        mem = torch.cat([self.pooled_in(self.drop(pooled)).unsqueeze(1), self.region_in(self.drop(regions))], 1)
        return mem + self.region_pos[: mem.shape[1]]

    def forward(self, tokens, pooled, regions):
        tokens, pooled, regions = _on(self, tokens, pooled, regions)
        t = tokens.shape[1]
        x = self.word_in(self.words(tokens)) + self.pos[:t]
        mask = torch.triu(torch.full((t, t), float("-inf"), device=tokens.device), 1)
        mem = self.memory(pooled, regions)
        for layer in self.layers:
            x = layer(x, mem, mask)
        return self.out(self.drop(self.norm(x)))

    def start(self, pooled, regions):
        mem = self.memory(pooled, regions)
        state = {}
        for i, layer in enumerate(self.layers):
            state[f"mk{i}"], state[f"mv{i}"] = layer.memory_keys(mem)
            state[f"k{i}"] = state[f"v{i}"] = state[f"mk{i}"][:, :, :0]
        return state

    def step(self, words, state):
        t = state["k0"].shape[2]
        x = (self.word_in(self.words.emb(words)) + self.pos[t]).unsqueeze(1)
        new = dict(state)
        for i, layer in enumerate(self.layers):
            x, new[f"k{i}"], new[f"v{i}"] = layer.step(x, state[f"k{i}"], state[f"v{i}"], state[f"mk{i}"], state[f"mv{i}"])
        return self.out(self.norm(x[:, 0])), new

    def attention(self):
        """Last layer's attention of each word over [whole picture, region 1, ..., region R] (on the CPU)."""
        att = self.layers[-1].last_attention
        return None if att is None else att.cpu()


def reorder(state: dict, rows: torch.Tensor) -> dict:
    """The decoding state of hypotheses ``rows`` (a long tensor of batch rows, repeats allowed)."""
    return {k: v.index_select(0, rows) for k, v in state.items()}


def _first_column(model, words, img):
    """A convolutional decoder's input at one new position: the word and the picture mixed, (B, width)."""
    w = F.relu(_dense(model.word_in, model.words.emb(words)))
    return F.relu(_dense(model.mix, torch.cat([w, img], 1)))


def _dense(conv: nn.Conv1d, x):
    """A kernel-1 Conv1d applied to one position (B, C_in) -> (B, C_out)."""
    return F.linear(x, conv.weight[:, :, 0], conv.bias)


def _empty_pasts(convs, pooled) -> dict:
    """Zero left padding for each causal convolution: past{i} (B, C_in, pad)."""
    b = pooled.shape[0]
    return {f"past{i}": pooled.new_zeros(b, c.conv.in_channels, c.pad) for i, c in enumerate(convs)}


class PackedDropout(nn.Dropout):
    """nn.Dropout whose keep-mask comes from 15-bit slices of random 64-bit integers, four mask entries per
    draw: each entry is kept with probability 1 - p (p rounded to 1/32768), as with nn.Dropout, but a CPU
    spends about a third of the time drawing the mask (on the transformer, nn.Dropout's draws were ~20 % of
    a training step). Identity in eval mode, no weights: a decoder loads the same either way."""

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        n = x.numel()
        bits = torch.empty((n + 3) // 4, dtype=torch.int64, device=x.device).random_().view(torch.int16)[:n]
        keep = (bits & 0x7FFF) >= round(self.p * 32768)
        return x * (keep.view(x.shape).to(x.dtype) * (1.0 / (1.0 - self.p)))


def _pack_dropouts(module: nn.Module) -> None:
    for name, child in module.named_children():
        if type(child) is nn.Dropout:
            setattr(module, name, PackedDropout(child.p))
        else:
            _pack_dropouts(child)


def build(name: str, vocab_size: int, glove=None, packed_dropout: bool = False, **cfg) -> nn.Module:
    """A decoder by name; ``packed_dropout``: its dropout layers draw their masks the cheaper way
    (``PackedDropout``; training only)."""
    model = _build(name, vocab_size, glove, **cfg)
    if packed_dropout:
        _pack_dropouts(model)
    return model


def _build(name: str, vocab_size: int, glove=None, **cfg) -> nn.Module:
    cfg = {**DEFAULT, **cfg}
    if name == "gru":
        return GRUDecoder(vocab_size, glove, **cfg)
    if name == "blind":
        return GRUDecoder(vocab_size, glove, see_image=False, **cfg)
    if name == "dilated_cnn":
        return DilatedCNNDecoder(vocab_size, glove, **cfg)
    if name == "glu_cnn":
        return GLUCNNDecoder(vocab_size, glove, **cfg)
    if name == "transformer":
        return TransformerDecoder(vocab_size, glove, **cfg)
    raise ValueError(f"unknown decoder {name!r} (choose from {ALL})")
