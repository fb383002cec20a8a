"""Train one caption decoder with teacher forcing; a checkpoint per epoch; resumable.

Teacher forcing, as in the talk: the decoder reads START + the reference caption's words and must
predict, at every position, the next word (the caption's words + STOP); cross-entropy over the
vocabulary, Adam (one-cycle learning-rate schedule), batches of 128. An epoch shows every training
picture once, with one of its five captions drawn at random (the talk used every pair per epoch; ours
are five times shorter, so the same data goes by in more, cheaper epochs).

    python -m models.captioning.train --decoder gru --epochs 15
    python -m models.captioning.train --decoder transformer --epochs 6 --run data/captioning/run

Each epoch writes ``<run>/<decoder>_e<NNN>.pt`` (weights, optimiser, history) and a line of metrics;
started again, the script resumes from the newest epoch file. ``--ship`` copies the last epoch's
weights (half precision, no optimiser) into ``models/artefacts/captioning/`` and records the command,
data and metrics in its manifest.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from models.data.glove import load_glove
from models.device import add_device_argument, cpu_state, resolve, set_threads

from . import decoders
from .infer import evaluate
from .vocab import PAD, Vocab, build_vocab, glove_rows, tokenize

RUN = pathlib.Path("data/captioning/run")


class Data:
    """Cached features + captions, split by picture."""

    def __init__(self, path, vocab: Vocab | None = None, length: int | None = None):
        z = np.load(path)
        self.pooled = z["pooled"]
        self.regions = z["regions"]
        self.splits = z["splits"]
        self.names = z["names"]
        self.captions = json.loads(str(z["captions"]))
        self.tokens = [[tokenize(c) for c in caps] for caps in self.captions]
        self.vocab = vocab
        lens = [len(t) for caps in self.tokens for t in caps]
        self.length = length or min(max(lens) + 2, 40)

    def index(self, split: str) -> np.ndarray:
        return np.flatnonzero(self.splits == split)

    def encoded(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """(picture indices (n,), encoded captions (n, 5, length)) of a split (5 captions per picture)."""
        pics = self.index(split)
        caps = np.zeros((len(pics), 5, self.length), np.int64)
        for row, i in enumerate(pics):
            for k, toks in enumerate(self.tokens[i][:5]):
                caps[row, k] = self.vocab.encode(toks, length=self.length)
            for k in range(len(self.tokens[i]), 5):  # fewer than five captions: repeat the first ones
                caps[row, k] = caps[row, k % max(len(self.tokens[i]), 1)]
        return pics, caps


def epoch_batches(rng, n_pics: int, caps: np.ndarray, batch: int):
    """One epoch: every training picture once, with one of its captions drawn at random. Batches hold
    captions of similar length (sorted within chunks of 8 batches) and are cut to their longest caption,
    which roughly halves the work on padding; batch order is random."""
    order = rng.permutation(n_pics)
    choice = rng.integers(0, caps.shape[1], n_pics)
    lengths = (caps[order, choice[order]] != PAD).sum(1)
    batches = []
    for c in range(0, n_pics, 8 * batch):
        chunk = order[c:c + 8 * batch]
        chunk = chunk[np.argsort(lengths[c:c + 8 * batch], kind="stable")]
        batches += [chunk[k:k + batch] for k in range(0, len(chunk), batch)]
    for j in rng.permutation(len(batches)):
        sel = batches[j]
        rows = caps[sel, choice[sel]]
        yield sel, rows[:, : int((rows != PAD).sum(1).max())]


def make_vocab(data: Data, min_count: int = 3) -> Vocab:
    glove = load_glove()
    train = [t for i in data.index("train") for t in data.tokens[i]]
    return build_vocab(train, min_count=min_count, glove_words=glove.index)


def loss_on(model, pooled, regions, caps) -> torch.Tensor:
    logits = model(caps[:, :-1], pooled, regions)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), caps[:, 1:].reshape(-1), ignore_index=PAD)


def train(decoder: str, features, run: pathlib.Path, epochs: int, batch: int = 128, lr: float = 2e-3,
          threads: int = 1, seed: int = 0, log=print, device=None) -> dict:
    """Train (or resume) ``decoder``; ``device``: a torch.device or name (None: the CPU, as before)."""
    device = resolve(device) if device is not None else torch.device("cpu")
    set_threads(threads)
    run.mkdir(parents=True, exist_ok=True)
    vocab_path = run / "vocab.json"
    data = Data(features)
    if vocab_path.exists():
        data.vocab = Vocab.from_json(vocab_path)
    else:
        data.vocab = make_vocab(data)
        data.vocab.to_json(vocab_path)
    glove_path = run / "glove_rows.npy"
    if not glove_path.exists():
        np.save(glove_path, glove_rows(data.vocab, load_glove()))
    torch.manual_seed(seed)
    model = decoders.build(decoder, len(data.vocab), np.load(glove_path)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history, start, train_s = [], 0, 0.0
    done = sorted(run.glob(f"{decoder}_e*.pt"))
    if done:  # resume
        ck = torch.load(done[-1], map_location="cpu", weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])      # torch moves the optimiser's state to its parameters' device
        history, start, train_s = ck["history"], ck["epoch"], ck["train_s"]
        log(f"resuming {decoder} after epoch {start}")
    pics, caps = data.encoded("train")
    steps_per_epoch = (len(pics) + batch - 1) // batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps_per_epoch, pct_start=0.05,
                                                last_epoch=start * steps_per_epoch - 1 if start else -1)
    pooled = torch.from_numpy(data.pooled.astype(np.float32)).to(device)
    regions = torch.from_numpy(data.regions.astype(np.float32)).to(device)
    val = data.index("val")
    val_refs = [data.tokens[i] for i in val]
    rng = np.random.default_rng(seed + start)
    for epoch in range(start + 1, epochs + 1):
        t0 = time.perf_counter()
        model.train()
        total, seen = 0.0, 0
        for sel, rows in epoch_batches(rng, len(pics), caps, batch):
            p = torch.from_numpy(pics[sel]).to(device)
            c = torch.from_numpy(rows).to(device)
            loss = loss_on(model, pooled[p], regions[p], c)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += loss.item() * len(sel)
            seen += len(sel)
        train_s += time.perf_counter() - t0
        ev = evaluate(model, data.vocab, data.pooled[val].astype(np.float32), data.regions[val].astype(np.float32), val_refs)
        row = {"epoch": epoch, "train_loss": total / seen, "val_bleu4": ev["bleu4"], "val_bleu1": ev["bleu1"],
               "train_s": round(train_s, 1)}
        history.append(row)
        log(f"{decoder} epoch {epoch}: loss {row['train_loss']:.3f}, val BLEU-4 {ev['bleu4']:.3f}, "
            f"{train_s:.0f} s so far; e.g. '{' '.join(ev['captions'][0])}'")
        torch.save({"decoder": decoder, "model": cpu_state(model), "opt": cpu_state(opt.state_dict()), "epoch": epoch,
                    "history": history, "train_s": train_s, "vocab_size": len(data.vocab), "length": data.length},
                   run / f"{decoder}_e{epoch:03d}.pt")
    return {"decoder": decoder, "history": history, "train_s": train_s, "params": decoders.n_params(model)}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="train a caption decoder with teacher forcing")
    ap.add_argument("--decoder", required=True, choices=decoders.DECODERS + ["blind"])
    ap.add_argument("--features", default="data/captioning/features.npz")
    ap.add_argument("--run", default=str(RUN))
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    add_device_argument(ap)
    a = ap.parse_args(argv)
    out = train(a.decoder, a.features, pathlib.Path(a.run), a.epochs, a.batch, a.lr, a.threads, a.seed,
                log=lambda s: print(s, flush=True), device=resolve(a.device))
    print(json.dumps({k: out[k] for k in ("decoder", "train_s", "params")}))


if __name__ == "__main__":
    main(sys.argv[1:])
