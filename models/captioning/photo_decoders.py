"""The talk's four caption decoders (and the image-blind baseline), sized for real photos (plain torch).

Same contract as ``decoders.py`` (the shapes decoders, which stay as they are):

    forward(tokens (B, T) long, pooled (B, 2048), regions (B, R, 256)) -> logits (B, T, V)

no position sees a later word, and ``decoders.incremental`` / ``TransformerDecoder.attention`` work the
same way. Differences for Flickr8k: width ``cfg["width"]`` (256 by default), dropout on the picture, the
words and before the output layer, and the picture's vector fed at every step to the GRU as well as
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

    def attention(self):
        """Last layer's attention of each word over [whole picture, region 1, ..., region R] (on the CPU)."""
        att = self.layers[-1].last_attention
        return None if att is None else att.cpu()


def build(name: str, vocab_size: int, glove=None, **cfg) -> nn.Module:
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
