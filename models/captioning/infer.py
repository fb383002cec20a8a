"""Captions from a trained decoder: greedy, sampled with a temperature, beam search; BLEU; and the
"Teacher Forcing" vs "Test Time" walk-through (fed the true previous word vs its own).

    python -m models.captioning.infer --decoder transformer --image 3   # captions for test picture 3
"""
from __future__ import annotations

import argparse
import contextlib
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from models.device import device_of

from .decoders import incremental
from .shipped import load_decoder, load_test_set
from .vocab import PAD, START, STOP

MAX_LEN = 30


def _feats(model, pooled, regions):
    """Picture features as float32 tensors on the model's device, with a batch axis."""
    dev = device_of(model)
    p = torch.as_tensor(np.asarray(pooled, dtype=np.float32)).to(dev)
    r = torch.as_tensor(np.asarray(regions, dtype=np.float32)).to(dev)
    if p.ndim == 1:
        p, r = p[None], r[None]
    return p, r


@torch.inference_mode()
def greedy(model, pooled, regions, max_len: int = MAX_LEN, banned=()) -> list[list[int]]:
    """Most likely word at every step, for a batch of pictures: lists of word ids (no START/STOP);
    the ids in ``banned`` are never chosen."""
    model.eval()
    p, r = _feats(model, pooled, regions)
    return _generate(model, p, r, lambda logits: _argmax_except(logits, banned), max_len)


def _argmax_except(scores: torch.Tensor, banned=()) -> torch.Tensor:
    """Index of the largest score along the last axis, never one of the ids in ``banned``."""
    if banned:
        scores = scores.index_fill(-1, torch.tensor(list(banned), device=scores.device), -math.inf)
    return scores.argmax(-1)


def _generate(model, p, r, pick, max_len: int) -> list[list[int]]:
    """Write captions for a batch word by word; ``pick(last-step logits) -> next word ids``."""
    tokens = torch.full((p.shape[0], 1), START, dtype=torch.long, device=p.device)
    done = torch.zeros(p.shape[0], dtype=torch.bool, device=p.device)
    with _next_logits(model, p, r) as next_logits:
        for _ in range(max_len):
            nxt = torch.where(done, torch.full_like(tokens[:, 0], PAD), pick(next_logits(tokens)))
            tokens = torch.cat([tokens, nxt[:, None]], 1)
            done |= nxt == STOP
            if done.all():
                break
    return [_strip(row) for row in tokens[:, 1:].tolist()]


@contextlib.contextmanager
def _next_logits(model, p, r):
    """Yields f(tokens so far (B, T)) -> the next word's logits (B, V). A decoder with ``start`` / ``step``
    (photo_decoders) is fed only the newest word and keeps its own state; a convolutional shapes decoder
    inside ``incremental`` likewise; any other decoder re-reads the whole prefix."""
    if hasattr(model, "step"):
        state = model.start(p, r)

        def newest(tokens):
            nonlocal state
            logits, state = model.step(tokens[:, -1], state)
            return logits

        yield newest
        return
    with incremental(model) as inc:
        yield lambda tokens: model(tokens[:, -1:] if inc else tokens, p, r)[:, -1]


@torch.inference_mode()
def sample(model, pooled, regions, temperature: float = 1.0, seed: int = 0, n: int = 1,
           max_len: int = MAX_LEN, banned=()) -> list[list[int]]:
    """``n`` captions for one picture, each word drawn from softmax(logits / temperature) (never PAD,
    START or an id in ``banned``)."""
    model.eval()
    p, r = _feats(model, pooled, regions)
    p, r = p.expand(n, -1), r.expand(n, -1, -1)
    gen = torch.Generator().manual_seed(int(seed))   # draws on the CPU: the same captions on every device
    t = max(float(temperature), 1e-3)

    def pick(logits):
        probs = F.softmax(logits.cpu() / t, -1)
        probs[:, PAD] = probs[:, START] = 0
        probs[:, list(banned)] = 0
        return torch.multinomial(probs, 1, generator=gen)[:, 0].to(p.device)

    return _generate(model, p, r, pick, max_len)


@torch.inference_mode()
def beam(model, pooled, regions, width: int = 3, max_len: int = MAX_LEN, length_penalty: float = 0.7) -> list[int]:
    """Beam search for one picture; scores are log-probabilities divided by length**length_penalty."""
    model.eval()
    p, r = _feats(model, pooled, regions)
    beams = [([START], 0.0)]
    finished: list[tuple[list[int], float]] = []
    for _ in range(max_len):
        tokens = torch.tensor([b[0] for b in beams], device=p.device)
        logp = F.log_softmax(model(tokens, p.expand(len(beams), -1), r.expand(len(beams), -1, -1))[:, -1], -1).cpu()
        logp[:, PAD] = logp[:, START] = -math.inf
        cands = []
        for (seq, score), row in zip(beams, logp):
            top = torch.topk(row, width)
            cands += [(seq + [int(i)], score + float(v)) for v, i in zip(top.values, top.indices)]
        cands.sort(key=lambda c: c[1], reverse=True)
        beams = []
        for seq, score in cands:
            if seq[-1] == STOP:
                finished.append((seq, score / (len(seq) - 1) ** length_penalty))
            else:
                beams.append((seq, score))
            if len(beams) == width:
                break
        if not beams or len(finished) >= width:
            break
    finished += [(s, sc / (len(s) - 1) ** length_penalty) for s, sc in beams]
    best = max(finished, key=lambda c: c[1])[0]
    return _strip(best[1:])


def _strip(ids: list[int]) -> list[int]:
    out = []
    for i in ids:
        if i == STOP:
            break
        if i not in (PAD, START):
            out.append(int(i))
    return out


@torch.inference_mode()
def forced_vs_free(model, pooled, regions, reference: list[int], banned=()) -> list[dict]:
    """Step by step for one picture: at step i the model is fed either the reference's words before i
    (teacher forcing, as in training) or its own previous guesses (test time). Each row: the word fed in
    each mode and the word predicted next (never one of ``banned``), with its probability."""
    model.eval()
    p, r = _feats(model, pooled, regions)
    ref = [START] + list(reference) + [STOP]
    forced = F.softmax(model(torch.tensor([ref[:-1]], device=p.device), p, r)[0], -1).cpu()  # every prefix at once
    own = [START]
    rows = []
    for i in range(len(ref) - 1):
        free = F.softmax(model(torch.tensor([own], device=p.device), p, r)[0, -1], -1).cpu()
        f_id, g_id = int(_argmax_except(forced[i], banned)), int(_argmax_except(free, banned))
        rows.append({"step": i + 1, "forced_input": ref[i], "forced_pred": f_id, "forced_prob": float(forced[i, f_id]),
                     "target": ref[i + 1], "prob_of_target": float(forced[i, ref[i + 1]]),
                     "free_input": own[-1], "free_pred": g_id, "free_prob": float(free[g_id])})
        if own[-1] == STOP:
            rows[-1].update(free_pred=PAD, free_prob=0.0)
        own.append(g_id if own[-1] != STOP else STOP)
    return rows


# -- BLEU ---------------------------------------------------------------------------------------


def corpus_bleus(references: list[list[list[str]]], hypotheses: list[list[str]]) -> list[float]:
    """Corpus BLEU-1..4 (nltk) of tokenised hypotheses against tokenised reference lists."""
    from nltk.translate.bleu_score import corpus_bleu

    return [corpus_bleu(references, hypotheses, weights=tuple([1.0 / n] * n)) for n in (1, 2, 3, 4)]


def sentence_bleus(references: list[list[str]], hypothesis: list[str]) -> list[float]:
    """BLEU-1..4 of one caption (smoothed, as short captions often miss some 4-grams)."""
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    if not hypothesis:
        return [0.0] * 4
    sm = SmoothingFunction().method1
    return [sentence_bleu(references, hypothesis, weights=tuple([1.0 / n] * n), smoothing_function=sm) for n in (1, 2, 3, 4)]


def evaluate(model, vocab, pooled, regions, references: list[list[str]], batch: int = 300) -> dict:
    """Greedy captions for a set of pictures and their corpus BLEU-1..4; also ms per caption."""
    hyps: list[list[str]] = []
    t0 = time.perf_counter()
    for i in range(0, len(pooled), batch):
        hyps += [vocab.decode(ids) for ids in greedy(model, pooled[i:i + batch], regions[i:i + batch])]
    secs = time.perf_counter() - t0
    bleu = corpus_bleus([[r for r in refs] for refs in references], hyps)
    return {"bleu1": bleu[0], "bleu2": bleu[1], "bleu3": bleu[2], "bleu4": bleu[3],
            "batched_ms_per_caption": 1000 * secs / max(len(pooled), 1), "captions": hyps}


def time_one_caption(model, pooled, regions, repeats: int = 5) -> float:
    """Median ms for one greedy caption of one picture (batch of one, the slide's case)."""
    greedy(model, pooled, regions)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        greedy(model, pooled, regions)
        times.append(1000 * (time.perf_counter() - t0))
    return float(np.median(times))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="captions for a test picture from the shipped decoders")
    ap.add_argument("--decoder", default="transformer")
    ap.add_argument("--image", type=int, default=0, help="index in the shipped test split")
    ap.add_argument("--temperature", type=float, default=0.7)
    a = ap.parse_args(argv)
    test = load_test_set()
    model, vocab, _ = load_decoder(a.decoder)
    p, r = test.pooled[a.image], test.regions[a.image]
    print("references:", *test.captions[a.image], sep="\n  ")
    print("greedy :", " ".join(vocab.decode(greedy(model, p, r)[0])))
    print("beam 3 :", " ".join(vocab.decode(beam(model, p, r))))
    for ids in sample(model, p, r, a.temperature, n=3):
        print(f"sampled (T={a.temperature}):", " ".join(vocab.decode(ids)))


if __name__ == "__main__":
    main()
