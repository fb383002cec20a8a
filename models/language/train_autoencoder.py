"""Train the 784-50-784 autoencoder on the shared MNIST split and ship it.

    python -m models.language.train_autoencoder              # all digits + one model per held-out class
    python -m models.language.train_autoencoder --only all   # just the main model

Adam, batch 64, as the notebook; it ran 5 epochs over 50,000 digits (~3,900 steps), we run the same
number of steps over our 4,000 training digits (60 epochs). Each model's test-set mean error (and,
for a held-out class, the ROC AUC of "error flags the unseen class") goes into the manifest.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch

from models import artefacts
from models.data.mnist import load_mnist
from models.device import add_device_argument, cpu_state, resolve, set_threads, trained_on
from models.language.autoencoder import Autoencoder, reconstruction_errors, roc_curve


def train(x: np.ndarray, epochs: int, seed: int, batch: int = 64, device=None) -> Autoencoder:
    device = device or torch.device("cpu")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = Autoencoder().to(device)
    opt = torch.optim.Adam(model.parameters())
    flat = torch.tensor(x.reshape(len(x), -1), device=device)
    for epoch in range(epochs):
        model.train()
        perm = rng.permutation(len(flat))
        total = 0.0
        for i in range(0, len(flat), batch):
            xb = flat[torch.as_tensor(perm[i: i + batch], device=device)]     # (B, 784)
            loss = ((model(xb) - xb) ** 2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        if epoch % 10 == 0 or epoch == epochs - 1:
            print(f"  epoch {epoch + 1} train mse {total / len(flat):.4f}", flush=True)
    return model


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--seed", type=int, default=2016)
    ap.add_argument("--only", default="", help="'all' or a digit 0-9 to train just that model")
    add_device_argument(ap)
    args = ap.parse_args(argv)
    device = resolve(args.device)
    set_threads("single")
    d = load_mnist()
    command = "python -m models.language.train_autoencoder " + " ".join(sys.argv[1:] if argv is None else argv)
    jobs = ["all"] + [str(c) for c in range(10)]
    if args.only:
        jobs = [args.only]
    for job in jobs:
        t0 = time.time()
        if job == "all":
            name, x = "autoencoder_all", d.x_train
        else:
            c = int(job)
            name, x = f"autoencoder_without_{c}", d.x_train[d.y_train != c]
        print(name, len(x), "training digits")
        model = train(x, args.epochs, args.seed, device=device)
        secs = time.time() - t0
        err, _ = reconstruction_errors(model, d.x_test)
        metrics = {"test_mse": round(float(err.mean()), 5)}
        if job != "all":
            metrics["heldout_class"] = int(job)
            metrics["roc_auc"] = round(roc_curve(err, d.y_test == int(job))[2], 4)
        path = artefacts.folder("language") / f"{name}.pt"
        torch.save(cpu_state(model), path)
        artefacts.record("language", {
            "name": name, "path": artefacts.relative(path),
            "command": command,
            "data": "models.data.mnist 4,000 training digits" + ("" if job == "all" else f" minus class {job}")
                    + "; metrics on the 1,000 test digits",
            "metrics": metrics, "trained_on": trained_on(device, "CPU, 1 thread"), "train_seconds": round(secs, 1),
        })
        print(name, metrics, f"{secs:.0f}s", flush=True)


if __name__ == "__main__":
    main()
