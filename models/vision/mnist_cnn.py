"""The 2016 workshop's MNIST CNN: one convolution layer of 3 filters, then a dense softmax layer.

Notebook ``2-MNIST-CNN``: input 1×28×28 -> Conv 3 filters 3×3, pad 1, ReLU -> 3×28×28 = 2,352
-> Dense 10 (softmax in the loss); Adam lr 0.005, batch 64, 5 epochs. Only 3 filters so that the
three feature maps of a digit can be shown as the R, G, B channels of one picture.

Its baseline is the "dense MNIST net" of the previous slide (notebook ``1-MNIST-MLP``, really
multinomial logistic regression: 784 -> Dense 10, SGD lr 0.05): Session I's shipped checkpoint
``models/artefacts/basics/mnist_dense_sgd.pt``. Both use the deck's shared MNIST split
(``models.data.mnist``: 4,000 train / 1,000 test real digits), so their test errors are comparable.

An "epoch" here is the notebook's: 781 batches of 64 (its 50,000 training digits / 64), as in
Session I, so 5 epochs = 3,905 Adam steps (about 62 passes over our 4,000 digits).

    python -m models.vision.mnist_cnn --help
    python -m models.vision.mnist_cnn --out models/artefacts/vision/mnist_cnn_3filters.pt
"""
from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from models import artefacts
from models.device import add_device_argument, cpu_state, device_of, resolve, set_threads, trained_on

BATCHES_PER_EPOCH = 781  # the notebook's epoch (50,000 / 64), as Session I counts it
DENSE_CHECKPOINT = "models/artefacts/basics/mnist_dense_sgd.pt"


@dataclass
class TrainConfig:
    epochs: int = 5
    lr: float = 0.005
    batch: int = 64
    seed: int = 0


class MnistCNN(nn.Module):
    """1×28×28 -> conv(3 filters 3×3, pad 1) + ReLU -> dense 10 (23,560 parameters)."""

    def __init__(self, filters: int = 3):
        super().__init__()
        self.conv = nn.Conv2d(1, filters, 3, padding=1)
        self.fc = nn.Linear(filters * 28 * 28, 10)

    def features(self, x):  # x: (N, 28, 28) or (N, 1, 28, 28) in [0, 1]
        if x.dim() == 3:
            x = x[:, None]
        return F.relu(self.conv(x))  # (N, 3, 28, 28)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))  # (N, 10) logits


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_error(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of digits misclassified (computed on the model's device)."""
    with torch.no_grad():
        pred = model(torch.as_tensor(x).to(device_of(model))).argmax(1).cpu().numpy()
    return float((pred != y).mean())


class Trainer:
    """Mini-batch training that can advance a few steps at a time (the live demo) or run to the end.

    Batches come from a seeded shuffle per epoch, so a seed reproduces the run exactly. The data go to
    the model's device once; the shuffle is drawn on the CPU (the same order on every device).
    """

    def __init__(self, model: nn.Module, x: np.ndarray, y: np.ndarray, lr: float, batch: int, seed: int,
                 optimizer: str = "adam"):
        self.model, self.batch = model, batch
        dev = device_of(model)
        self.x, self.y = torch.as_tensor(x).to(dev), torch.as_tensor(y).to(dev)
        self.opt = (torch.optim.Adam if optimizer == "adam" else torch.optim.SGD)(model.parameters(), lr=lr)
        self.gen = torch.Generator().manual_seed(seed)
        self.order = torch.randperm(len(self.x), generator=self.gen)
        self.pos, self.steps, self.losses = 0, 0, []

    @property
    def epoch(self) -> float:
        """Notebook epochs done (781 batches each)."""
        return self.steps / BATCHES_PER_EPOCH

    def step(self, n: int = 1) -> float:
        """n optimiser steps; returns the mean training loss over them."""
        self.model.train()
        total = 0.0
        for _ in range(n):
            if self.pos >= len(self.x):  # new epoch: new shuffle
                self.order, self.pos = torch.randperm(len(self.x), generator=self.gen), 0
            idx = self.order[self.pos : self.pos + self.batch].to(self.x.device)
            self.pos += self.batch
            loss = F.cross_entropy(self.model(self.x[idx]), self.y[idx])
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            self.steps += 1
            self.losses.append(loss.item())
            total += self.losses[-1]
        self.model.eval()
        return total / max(n, 1)



def new_cnn(seed: int) -> MnistCNN:
    torch.manual_seed(seed)
    return MnistCNN()


def train_cnn(data, cfg: TrainConfig, device=None) -> MnistCNN:
    model = new_cnn(cfg.seed).to(device or torch.device("cpu"))
    t = Trainer(model, data.x_train, data.y_train, cfg.lr, cfg.batch, cfg.seed)
    t.step(cfg.epochs * BATCHES_PER_EPOCH)
    return model.eval()


def load_dense_baseline(root=None):
    """Session I's dense 784->10 SGD model (the previous slide's), or None when it is not shipped."""
    path = Path(root or artefacts.ROOT) / DENSE_CHECKPOINT
    if not path.exists():
        return None
    from models.basics.mnist_dense import load as load_dense

    return load_dense(str(path))[0]


def feature_rgb(model: MnistCNN, x: np.ndarray) -> np.ndarray:
    """The three ReLU feature maps of each digit as one RGB picture: (N, 28, 28, 3) uint8.

    Each filter's maps are scaled by that filter's maximum over the batch, so colours are comparable
    between digits (red = filter 1, green = filter 2, blue = filter 3).
    """
    with torch.no_grad():
        f = model.features(torch.as_tensor(x).to(device_of(model))).cpu().numpy()  # (N, 3, 28, 28)
    peak = f.max(axis=(0, 2, 3), keepdims=True)
    f = f / np.where(peak > 0, peak, 1.0)
    return (np.transpose(f, (0, 2, 3, 1)) * 255).round().astype(np.uint8)


def load(path, device="cpu") -> MnistCNN:
    """The checkpoint's CNN in eval mode on ``device``: the CPU by default, as the live demo trains it on
    (23,560 weights: see models/device.py for the rule); None means ``pick_device()``."""
    model = MnistCNN()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval().to(resolve(device))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--lr", type=float, default=0.005)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="models/artefacts/vision/mnist_cnn_3filters.pt")
    ap.add_argument("--manifest", default="models/artefacts/vision/manifest.json",
                    help="add/replace this checkpoint's entry here ('' to skip)")
    add_device_argument(ap)
    args = ap.parse_args(argv)
    device = resolve(args.device)
    set_threads("single")
    from models.data.mnist import load_mnist

    data = load_mnist()
    t0 = time.time()
    cnn = train_cnn(data, TrainConfig(args.epochs, args.lr, args.batch, args.seed), device)
    secs = time.time() - t0
    dense = load_dense_baseline()
    cnn_err = test_error(cnn, data.x_test, data.y_test)
    dense_err = test_error(dense, data.x_test, data.y_test) if dense is not None else float("nan")
    torch.save(cpu_state(cnn), args.out)
    print(f"cnn ({n_params(cnn)} params) test error {cnn_err:.3f}; Session I dense SGD {dense_err:.3f}; "
          f"train {secs:.1f} s -> {args.out}")
    if args.manifest:
        artefacts.record("vision", {
            "name": "mnist_cnn_3filters",
            "path": args.out,
            "command": f"python -m models.vision.mnist_cnn --epochs {args.epochs} --lr {args.lr} --batch {args.batch} "
                       f"--seed {args.seed}",
            "data": data.source + ", fixed 4,000/1,000 split (models.data.mnist)",
            "metrics": {"test_error": round(cnn_err, 4), "params": n_params(cnn),
                        "session1_dense_sgd_test_error": round(dense_err, 4)},
            "trained_on": trained_on(device, "CPU, 1 thread"),
            "train_seconds": round(secs, 1),
        }, manifest=args.manifest)


if __name__ == "__main__":
    main()
