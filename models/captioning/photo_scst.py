"""Self-critical fine-tuning of a trained photo decoder: reward the captions it writes, not the next word.

    python -m models.captioning.photo_scst --decoder transformer --cpu-minutes 4

Teacher forcing (``photo_train train``) only ever shows a decoder the reference's prefix; at test time it
reads its own words. Self-critical sequence training (Rennie et al. 2017, with the baseline of Luo 2020)
closes that gap: for each training photo the decoder *samples* ``k`` captions, each caption is scored
against that photo's five references with CIDEr-D (document frequencies from the training references), and
the caption's log-probability is pushed up by (its score - the mean score of the photo's other ``k - 1``
samples). No greedy pass, no critic network. Sampling and the gradient pass both run without dropout, so the
gradient is that of the policy that wrote the samples.

It starts from ``data/captioning_photos/run/<decoder>.pt`` (teacher forcing's best epoch), runs on a budget
of CPU time like ``train``, scores the greedy captions of the 1,000 dev photos after every
``--eval-every`` CPU-minutes, keeps the best by dev BLEU-4 (the start counts too), chooses the decoding on
dev as ``train`` does, and writes ``<decoder>.pt`` again (the teacher-forced one is kept as
``<decoder>_xe.pt``). Its CPU-minutes are added to the teacher-forced run's. The test split is not read.
"""
from __future__ import annotations

import argparse
import json
import math
import pathlib
import shutil
import time
from collections import Counter

import numpy as np

from .photo_train import BANNED, MAX_WORDS, RUN, Prepared, _tok, choose_decoding, decode, score
from .vocab import PAD, START, STOP

SIGMA = 6.0  # CIDEr-D's length penalty


def ngrams(words: list[str], n_max: int = 4) -> Counter:
    return Counter(tuple(words[i:i + n]) for n in range(1, n_max + 1) for i in range(len(words) - n + 1))


class CiderD:
    """CIDEr-D of single captions against a photo's references (the coco-caption definition: tf-idf n-gram
    vectors, n = 1..4, clipped by the reference's counts, Gaussian length penalty sigma 6, x10), with
    document frequencies fixed from a corpus of reference sets (the training photos)."""

    def __init__(self, corpus: list[list[list[str]]]):
        df = Counter()
        for refs in corpus:
            df.update({g for r in refs for g in ngrams(r)})
        self.df, self.log_n = df, math.log(float(len(corpus)))

    def vector(self, words: list[str]):
        vec = [{}, {}, {}, {}]
        for g, tf in ngrams(words).items():
            vec[len(g) - 1][g] = tf * (self.log_n - math.log(max(1.0, self.df.get(g, 0.0))))
        return vec, [math.sqrt(sum(v * v for v in d.values())) for d in vec], len(words)

    def score(self, hyp: list[str], refs) -> float:
        """``refs``: the photo's references as ``vector`` results."""
        hv, hn, hl = self.vector(hyp)
        total = 0.0
        for rv, rn, rl in refs:
            pen = math.exp(-((hl - rl) ** 2) / (2 * SIGMA ** 2))
            for n in range(4):
                if hn[n] and rn[n]:
                    dot = sum(min(v, rv[n].get(g, 0.0)) * rv[n].get(g, 0.0) for g, v in hv[n].items())
                    total += pen * dot / (hn[n] * rn[n])
        return 10.0 * total / (4 * len(refs))


def sample_batch(model, pooled, regions, k: int, max_len: int, gen, temperature: float = 1.0):
    """``k`` captions per photo drawn from softmax(logits / temperature) (without dropout): word-id lists,
    photo-major."""
    import torch
    import torch.nn.functional as F

    from .photo_decoders import reorder

    rows = torch.arange(pooled.shape[0]).repeat_interleave(k)
    banned = torch.tensor(BANNED)
    with torch.no_grad():
        state = reorder(model.start(pooled, regions), rows)
        last = torch.full((len(rows),), START, dtype=torch.long)
        words, done = [], torch.zeros(len(rows), dtype=torch.bool)
        for _ in range(max_len):
            logits, state = model.step(last, state)
            probs = F.softmax(logits.float().index_fill(1, banned, -math.inf) / temperature, -1)
            last = torch.where(done, torch.full_like(last, PAD), torch.multinomial(probs, 1, generator=gen)[:, 0])
            words.append(last)
            done |= last == STOP
            if done.all():
                break
    out = []
    for row in torch.stack(words, 1).tolist():
        out.append(row[: row.index(STOP) + 1] if STOP in row else row)
    return out


def caption_logp(model, caps: list[list[int]], pooled, regions, bf16: bool = False, temperature: float = 1.0):
    """Log-probability (B,) of each caption (word ids, STOP included if it was written) given its photo,
    in one teacher-forced pass with the sampler's banned words masked: the policy ``sample_batch`` drew from."""
    import torch
    import torch.nn.functional as F

    tgt = torch.full((len(caps), max(len(c) for c in caps)), PAD, dtype=torch.long)
    for j, c in enumerate(caps):
        tgt[j, : len(c)] = torch.tensor(c)
    inp = torch.cat([torch.full((len(caps), 1), START, dtype=torch.long), tgt[:, :-1]], 1)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        logits = model(inp, pooled, regions)
    logp = F.log_softmax(logits.float().index_fill(2, torch.tensor(BANNED), -math.inf) / temperature, -1)
    picked = logp.gather(2, tgt.unsqueeze(2)).squeeze(2)
    return torch.where(tgt != PAD, picked, torch.zeros_like(picked)).sum(1)  # (PAD is banned: -inf there)


def fine_tune(decoder: str, cpu_minutes: float, lr: float = 2e-5, photos: int = 16, k: int = 5, seed: int = 0,
              threads: int = 1, bf16: bool = True, eval_every: float = 0.5, run: pathlib.Path = RUN, log=print,
              widths=(3, 5), temperature: float = 1.0) -> dict:
    import torch

    from models.device import cpu_state, set_threads

    from . import photo_decoders

    cpu0 = time.process_time()
    set_threads(threads)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    src = run / f"{decoder}.pt"
    base = torch.load(src, map_location="cpu", weights_only=False)
    if "scst" in base:
        raise SystemExit(f"{src} is already fine-tuned; train again (photo_train train) or use {decoder}_xe.pt")
    data = Prepared()
    model = photo_decoders.build(decoder, base["vocab_size"], data.glove, **base["config"])
    model.load_state_dict(base["model"])
    model.eval()  # dropout off throughout (see the module docstring)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    train = data.index("train")
    refs_tok = [[_tok(c) for c in data.captions[i]] for i in range(len(data.captions))]
    cider = CiderD([refs_tok[i] for i in train])
    ref_vecs = {int(i): [cider.vector(r) for r in refs_tok[i]] for i in train}
    pooled = torch.from_numpy(data.pooled.astype(np.float32))
    regions = torch.from_numpy(data.regions.astype(np.float32))
    dev = data.index("val")
    dev_refs = [data.captions[i] for i in dev]
    budget = cpu_minutes * 60.0
    history, step, best = [], 0, None

    def dev_eval():
        """Score the greedy captions of the dev photos; keep the weights if they are the best so far."""
        nonlocal best
        s = score(data.vocab, decode(model, data.pooled[dev], data.regions[dev]), dev_refs)
        row = {"steps": step, "dev_bleu4": round(s["bleu4"], 2), "dev_bleu1": round(s["bleu1"], 2),
               "dev_cider": round(s["cider"], 1), "cpu_minutes": round((time.process_time() - cpu0) / 60, 2)}
        history.append(row)
        log(f"{decoder} scst: {json.dumps(row)}")
        if best is None or s["bleu4"] > best[0]:
            best = (s["bleu4"], {k_: v.clone() for k_, v in model.state_dict().items()}, step)

    dev_eval()
    next_eval, order, pos, rewards = eval_every * 60.0, rng.permutation(train), 0, []
    while time.process_time() - cpu0 < budget:
        if pos + photos > len(order):
            order, pos = rng.permutation(train), 0
        sel = order[pos:pos + photos]
        pos += photos
        p, r = pooled[sel], regions[sel]
        caps = sample_batch(model, p, r, k, MAX_WORDS + 1, gen, temperature)
        rew = np.array([cider.score(data.vocab.decode(c), ref_vecs[int(sel[j // k])])
                        for j, c in enumerate(caps)]).reshape(-1, k)
        adv = torch.from_numpy(((rew - (rew.sum(1, keepdims=True) - rew) / (k - 1)).reshape(-1)).astype(np.float32))
        rows = torch.arange(len(sel)).repeat_interleave(k)
        loss = -(adv * caption_logp(model, caps, p[rows], r[rows], bf16, temperature)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        rewards.append(float(rew.mean()))
        if time.process_time() - cpu0 >= next_eval:
            log(f"{decoder} scst step {step}: mean sampled CIDEr-D {np.mean(rewards[-50:]):.3f}")
            dev_eval()
            next_eval += eval_every * 60.0
    dev_eval()
    model.load_state_dict(best[1])
    choice = choose_decoding(model, data, widths, lambda m: log(f"{decoder} scst: {m}"))
    cpu_total = (time.process_time() - cpu0) / 60
    ck = dict(base)
    ck.update({"model": cpu_state(model), **choice,
               "cpu_minutes": round(base["cpu_minutes"] + cpu_total, 2),
               "scst": {"cpu_minutes": round(cpu_total, 2), "budget_cpu_minutes": cpu_minutes, "lr": lr,
                        "photos": photos, "samples": k, "temperature": temperature, "eval_every": eval_every,
                        "bf16_autocast": bf16, "seed": seed, "threads": threads, "steps": step, "best_step": best[2],
                        "history": history, "reward": "CIDEr-D vs the photo's 5 references, "
                        "training-set document frequencies; baseline: mean of the photo's other samples",
                        "teacher_forced": {"dev": base["dev"], "dev_by_decoding": base["dev_by_decoding"],
                                           "decoding": base["decoding"], "cpu_minutes": base["cpu_minutes"]}}})
    shutil.copy(src, run / f"{decoder}_xe.pt")
    torch.save(ck, src)
    log(f"{decoder} scst: best step {best[2]} of {step}, {choice['decoding']['name']}, "
        f"dev BLEU-4 {choice['dev']['bleu4']:.2f} (teacher forcing: {max(base['dev_by_decoding'].values()):.2f}); {cpu_total:.1f} CPU-min -> {src}")
    return ck


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--decoder", required=True, choices=["gru", "dilated_cnn", "glu_cnn", "transformer", "blind"])
    ap.add_argument("--cpu-minutes", type=float, default=4.0)
    ap.add_argument("--lr", type=float, default=2e-5)
    ap.add_argument("--photos", type=int, default=16, help="photos per step")
    ap.add_argument("--samples", type=int, default=5, help="captions sampled per photo")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-bf16", action="store_true")
    ap.add_argument("--temperature", type=float, default=1.0,
                    help="sample from softmax(logits / T); the gradient is that policy's (greedy is the same argmax)")
    ap.add_argument("--eval-every", type=float, default=0.5, help="CPU-minutes between dev scores")
    ap.add_argument("--run", type=pathlib.Path, default=RUN, help="folder of the trained decoders")
    a = ap.parse_args(argv)
    if a.samples < 2:
        ap.error("--samples must be at least 2 (each caption's baseline is the mean of the photo's other samples)")
    if a.temperature <= 0 or a.cpu_minutes <= 0 or a.lr <= 0 or a.photos < 1 or a.eval_every <= 0:
        ap.error("--temperature, --cpu-minutes, --lr, --eval-every must be above 0 and --photos at least 1")
    fine_tune(a.decoder, a.cpu_minutes, a.lr, a.photos, a.samples, a.seed, a.threads, not a.no_bf16, a.eval_every,
              a.run, temperature=a.temperature)


if __name__ == "__main__":
    main()
