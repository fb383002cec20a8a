"""The 2017 -> today comparison row: a small GPT-2-style transformer on the same Shakespeare characters.

Built with Hugging Face ``transformers`` (GPT2LMHeadModel, random initialisation, trained from scratch
by ``train_chargpt``): 3 layers, 4 heads, 128-d, context 256, about 0.64 M parameters, close to the
2xGRU's 0.66 M. Same vocabulary, same split, same ``evaluate`` windows, so the numbers compare.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from models.device import cpu_state, device_of, resolve

CONTEXT = 256   # position table size
TRAINED_CONTEXT = 128  # the training windows are 128 characters: positions beyond were never trained


def gpt_config(vocab_size: int, n_embd: int = 128, n_layer: int = 3, n_head: int = 4):
    from transformers import GPT2Config

    return GPT2Config(vocab_size=vocab_size, n_positions=CONTEXT, n_embd=n_embd, n_layer=n_layer, n_head=n_head,
                      bos_token_id=None, eos_token_id=None, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)


class CharGPT(nn.Module):
    """Wraps GPT2LMHeadModel with the char-RNN's call signature: forward(x, h) -> (logits, h)."""

    def __init__(self, vocab_size: int, **kw):
        super().__init__()
        from transformers import GPT2LMHeadModel

        self.cfg = {"vocab_size": vocab_size, **kw}
        self.gpt = GPT2LMHeadModel(gpt_config(vocab_size, **kw))

    def forward(self, x, h=None):
        # x: (B, T) with T <= CONTEXT -> logits (B, T, V); no recurrent state (h is ignored, returned None)
        return self.gpt(input_ids=x).logits, None


@torch.no_grad()
def sample_gpt(model: CharGPT, vocab, prime: str = "\n", length: int = 300, temperature: float = 1.0, seed: int = 0):
    """Yield sampled characters; each step re-reads the last 128 characters (no cache: simple, fast enough)."""
    model.eval()
    g = torch.Generator().manual_seed(int(seed))   # on the CPU: the same draws on every device
    dev = device_of(model)
    ids = vocab.encode(prime) or vocab.encode("\n")
    t = max(float(temperature), 1e-3)
    for _ in range(int(length)):
        logits, _ = model(torch.tensor([ids[-TRAINED_CONTEXT:]], dtype=torch.long, device=dev))
        nxt = int(torch.multinomial(torch.softmax(logits[0, -1].float().cpu() / t, -1), 1, generator=g))
        ids.append(nxt)
        yield vocab.chars[nxt]


@torch.no_grad()
def evaluate_gpt(model: CharGPT, ids, seq_len: int = 256, n_seq: int = 64) -> float:
    """Loss on exactly the windows ``charrnn.evaluate`` uses (64 x 256 characters), read with the GPT's
    128-character trained context: positions 0-127 from the window start, then 128-191 and 192-255 from
    windows shifted by 64 and 128 (so those characters see 64-128 characters of context, where the GRU
    sees everything since the window start: a small handicap for the GPT)."""
    import numpy as np
    import torch.nn.functional as F

    model.eval()
    dev = device_of(model)
    starts = np.linspace(0, len(ids) - seq_len - 2, n_seq).astype(int)
    x = torch.tensor(np.stack([ids[s: s + seq_len] for s in starts]), dtype=torch.long, device=dev)  # (B, 256)
    y = torch.tensor(np.stack([ids[s + 1: s + seq_len + 1] for s in starts]), dtype=torch.long, device=dev)
    c = TRAINED_CONTEXT
    total, count = 0.0, 0
    for lo, keep_from in ((0, 0), (64, 64), (128, 64)):
        logits, _ = model(x[:, lo: lo + c])                                                    # (B, 128, V)
        lg, tg = logits[:, keep_from:], y[:, lo + keep_from: lo + c]
        total += F.cross_entropy(lg.reshape(-1, lg.shape[-1]), tg.reshape(-1), reduction="sum").item()
        count += tg.numel()
    return total / count


def save_gpt(path, model: CharGPT, vocab, meta: dict):
    sd = {k: v.half() for k, v in cpu_state(model).items()}
    torch.save({"config": model.cfg, "chars": vocab.chars, "state_dict": sd, "meta": meta}, path)


def load_gpt(path, device=None):
    """(model in eval mode on ``device`` (None: ``pick_device()``), vocab, meta)."""
    from models.language.charrnn import Vocab

    ck = torch.load(path, map_location="cpu", weights_only=True)
    model = CharGPT(**ck["config"])
    model.load_state_dict({k: v.float() for k, v in ck["state_dict"].items()})
    return model.eval().to(resolve(device)), Vocab(ck["chars"]), ck["meta"]
