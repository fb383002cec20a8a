"""Char-RNN (2xGRU, Shakespeare plays) quality, sampling speed and shipped size.

    python benchmarks/charrnn.py

best_val_loss: the lowest validation loss among the shipped checkpoints, in nats per character, over
the *whole* held-out 10% of the text (495,727 characters, in 1,024-character windows from a zero
state), not just the 64 windows recorded in the manifest. sample_chars_per_s: characters sampled
per second, one at a time, on one CPU thread, from the last checkpoint. checkpoints_mb: all shipped
char-RNN checkpoints together.
"""
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from models.device import set_threads
from models import artefacts  # noqa: E402
from models.language.charrnn import corpus, load_checkpoint, sample  # noqa: E402


@torch.no_grad()
def full_val_loss(model, ids, window=1024, batch=32):
    n = (len(ids) - 1) // window
    x_all = torch.tensor(ids[: n * window].astype(np.int64)).view(n, window)
    y_all = torch.tensor(ids[1: n * window + 1].astype(np.int64)).view(n, window)
    total = 0.0
    for i in range(0, n, batch):
        logits, _ = model(x_all[i: i + batch])
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y_all[i: i + batch].reshape(-1),
                                 reduction="sum").item()
    return total / (n * window)


def main():
    set_threads()
    entries = sorted(artefacts.entries("language", "charrnn_"), key=lambda e: e["metrics"]["iteration"])
    if not entries:
        sys.exit("no char-RNN checkpoints in the manifest")
    _, _, val = corpus()
    losses = {}
    for e in entries[-2:]:                      # the best is one of the last ones; earlier are far worse
        model, _, _ = load_checkpoint(artefacts.path_of(e), device="cpu")
        losses[e["name"]] = full_val_loss(model, val)
    best = min(losses, key=losses.get)
    print(f"best_val_loss {losses[best]:.4f} nats/char  # {best}, full validation split")
    model, vocab, _ = load_checkpoint(artefacts.path_of(entries[-1]), device="cpu")
    list(sample(model, vocab, "HAMLET\n", length=50, seed=0))           # warm-up
    t = time.perf_counter()
    n = len("".join(sample(model, vocab, "HAMLET\n", length=2000, temperature=0.8, seed=0)))
    print(f"sample_chars_per_s {n / (time.perf_counter() - t):.0f} chars/s")
    mb = sum(artefacts.path_of(e).stat().st_size for e in entries) / 1e6
    print(f"checkpoints_mb {mb:.2f} MB  # {len(entries)} checkpoints")


if __name__ == "__main__":
    main()
