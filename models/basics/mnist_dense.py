"""The workshop's "dense MNIST net": 784 -> 10 softmax (multinomial logistic regression), and its exercises.

As in `notebooks/1-MNIST-MLP.ipynb` (Theano/Lasagne, 2016): flatten each 28×28 digit to 784 values in
[0, 1]; one dense layer to 10 classes with softmax; mean cross-entropy; plain SGD, lr 0.05, batch 64;
batches drawn at random *with replacement*; an "epoch" is 781 batches (50,000 / 64 in the original);
per epoch print train loss, validation loss, their ratio and both accuracies. The exercises: add a
100-unit ReLU hidden layer (15 epochs), or use Adam (lr 0.001) instead of SGD.

Data: the shared offline loader (`models.data.mnist`): 5,000 real MNIST digits, 4,000 train / 1,000
held out. The notebook evaluated on its validation split; we report the 1,000 held-out digits.

    python -m models.basics.mnist_dense --hidden 0 --optim sgd --epochs 10 --save models/artefacts/basics/mnist_dense_sgd.pt
"""
from __future__ import annotations

import argparse
import time
from dataclasses import asdict, dataclass

import numpy as np

from models import artefacts
from models.device import add_device_argument, cpu_only, set_threads

BATCHES_PER_EPOCH = 781  # 50,000 / 64, as the notebook's generator


@dataclass
class DenseConfig:
    hidden: int = 0  # 0: 784 -> 10 (the notebook); 100: 784 -> 100 ReLU -> 10 (exercise 2)
    optim: str = "sgd"  # "sgd" (lr 0.05) or "adam" (lr 0.001, exercise 3)
    lr: float | None = None
    batch: int = 64
    epochs: int = 10
    batches_per_epoch: int = BATCHES_PER_EPOCH
    seed: int = 42

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else (0.05 if self.optim == "sgd" else 0.001)

    def name(self) -> str:
        arch = "784→10 softmax" if self.hidden == 0 else f"784→{self.hidden} ReLU→10"
        return f"{arch}, {self.optim.upper()} lr {self.learning_rate:g}"


def make_model(hidden: int = 0):
    """784 -> 10 (logistic regression), or 784 -> hidden ReLU -> 10. Outputs logits (softmax is in the loss)."""
    import torch.nn as nn

    if hidden <= 0:
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    return nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))


def evaluate(model, x, y) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of model on tensors x (N,28,28), y (N,)."""
    import torch
    import torch.nn.functional as F

    with torch.no_grad():
        logits = model(x)
        return float(F.cross_entropy(logits, y)), float((logits.argmax(1) == y).float().mean())


class DenseTrainer:
    """One training run, advanced a few batches at a time so a slide can show it live."""

    def __init__(self, cfg: DenseConfig, data=None):
        import torch

        from models.data.mnist import load_mnist

        self.cfg = cfg
        d = data or load_mnist()
        self.xtr, self.ytr = torch.from_numpy(d.x_train), torch.from_numpy(d.y_train)
        self.xte, self.yte = torch.from_numpy(d.x_test), torch.from_numpy(d.y_test)
        torch.manual_seed(cfg.seed)
        self.rng = np.random.RandomState(cfg.seed)  # the notebook: np.random.seed(42), indices with replacement
        self.model = make_model(cfg.hidden)
        params = self.model.parameters()
        self.opt = (torch.optim.SGD(params, lr=cfg.learning_rate) if cfg.optim == "sgd"
                    else torch.optim.Adam(params, lr=cfg.learning_rate))
        self.batches = 0
        self.history: list[dict] = []  # one row per finished epoch
        self._run_loss = 0.0
        self.seconds = 0.0

    @property
    def epoch(self) -> int:
        return self.batches // self.cfg.batches_per_epoch

    @property
    def done(self) -> bool:
        return self.epoch >= self.cfg.epochs

    def train_batches(self, n: int) -> None:
        """Up to n SGD steps (stops at the end of the last epoch); logs a row at every epoch boundary."""
        import torch.nn.functional as F

        t0 = time.perf_counter()
        for _ in range(n):
            if self.done:
                break
            idx = self.rng.randint(0, len(self.ytr), self.cfg.batch)  # with replacement
            loss = F.cross_entropy(self.model(self.xtr[idx]), self.ytr[idx])
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            self.batches += 1
            if self.batches % self.cfg.batches_per_epoch == 0:
                self._log_epoch()
        self.seconds += time.perf_counter() - t0

    def _log_epoch(self) -> None:
        tr_loss, tr_acc = evaluate(self.model, self.xtr, self.ytr)
        te_loss, te_acc = evaluate(self.model, self.xte, self.yte)
        self.history.append({"epoch": self.epoch, "train_loss": tr_loss, "val_loss": te_loss,
                             "ratio": tr_loss / te_loss, "train_acc": tr_acc, "val_acc": te_acc})

    def predict_proba(self, x):
        import torch

        with torch.no_grad():
            return torch.softmax(self.model(torch.as_tensor(x, dtype=torch.float32).reshape(-1, 28, 28)), 1).numpy()


def confusion(model, x, y) -> np.ndarray:
    """10×10 counts: rows true digit, columns predicted digit."""
    import torch

    with torch.no_grad():
        pred = model(x).argmax(1).numpy()
    m = np.zeros((10, 10), dtype=np.int64)
    np.add.at(m, (np.asarray(y), pred), 1)
    return m


def class_weight_images(model) -> np.ndarray:
    """The ten 784-weight vectors of a 784->10 model as (10, 28, 28); for a hidden model, 10 hidden units' input weights."""
    import torch.nn as nn

    first = [m for m in model if isinstance(m, nn.Linear)][0]
    return first.weight.detach().numpy()[:10].reshape(10, 28, 28)


def save(trainer: DenseTrainer, path: str) -> None:
    import torch

    torch.save({"config": asdict(trainer.cfg), "state_dict": trainer.model.state_dict(),
                "history": trainer.history, "train_seconds": trainer.seconds}, path)


def load(path: str):
    """(model, config, history) from a checkpoint written by `save`."""
    import torch

    ck = torch.load(path, map_location="cpu", weights_only=True)
    cfg = DenseConfig(**ck["config"])
    model = make_model(cfg.hidden)
    model.load_state_dict(ck["state_dict"])
    model.eval()
    return model, cfg, ck["history"]


def preprocess_digit(img: np.ndarray) -> np.ndarray:
    """A drawn or photographed digit -> MNIST style (28, 28) float in [0, 1], white digit on black.

    Greyscale; invert if the background is light; crop to the ink; scale the longer side to 20 px;
    paste so the centre of mass sits at the centre of a 28×28 field (how MNIST was made).
    Raises ValueError if there is no ink.
    """
    from PIL import Image

    a = np.asarray(img, dtype=np.float32)
    if a.ndim == 3:
        if a.shape[2] == 4:  # RGBA from a canvas: transparent = background
            alpha = a[..., 3:4] / 255.0
            a = a[..., :3] * alpha
        a = a[..., :3].mean(2)
    if a.max() > 1.0:
        a = a / 255.0
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    if np.median(border) > 0.5:
        a = 1.0 - a  # dark ink on light paper
    a = np.clip((a - 0.15) / 0.85, 0, 1)  # drop faint background
    ys, xs = np.nonzero(a > 0.1)
    if len(ys) == 0:
        raise ValueError("no digit found: draw (or upload) a dark-background or light-background digit with some ink")
    crop = a[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = crop.shape
    s = 20.0 / max(h, w)
    nh, nw = max(1, int(round(h * s))), max(1, int(round(w * s)))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize((nw, nh), Image.Resampling.LANCZOS),
                       dtype=np.float32) / 255.0
    out = np.zeros((28, 28), np.float32)
    total = small.sum() or 1.0
    cy = (small.sum(1) * np.arange(nh)).sum() / total
    cx = (small.sum(0) * np.arange(nw)).sum() / total
    top = int(round(14 - cy))
    left = int(round(14 - cx))
    top, left = min(max(top, 0), 28 - nh), min(max(left, 0), 28 - nw)
    out[top:top + nh, left:left + nw] = small
    return out


VARIANTS = {  # name -> config, as the notebook and its two exercise spoilers
    "dense_sgd": DenseConfig(hidden=0, optim="sgd", epochs=10),
    "hidden100_sgd": DenseConfig(hidden=100, optim="sgd", epochs=15),
    "dense_adam": DenseConfig(hidden=0, optim="adam", epochs=10),
    "hidden100_adam": DenseConfig(hidden=100, optim="adam", epochs=10),
}


def main(argv=None):
    ap = argparse.ArgumentParser(description="Train the workshop's dense MNIST net (or an exercise variant)")
    ap.add_argument("--variant", choices=list(VARIANTS), default="dense_sgd")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--save", default="", help="checkpoint path (.pt)")
    ap.add_argument("--manifest", default="", help="add/replace this run's entry in this manifest.json")
    add_device_argument(ap, "The dense MNIST net always trains on the CPU (see models/device.py)")
    args = ap.parse_args(argv)
    cpu_only(args.device, "mnist_dense", "a net of a few thousand weights trained step by step: the GPU copies and kernel launches would cost more than its maths (rule in models/device.py)")
    set_threads("single")
    cfg = VARIANTS[args.variant]
    if args.epochs:
        cfg = DenseConfig(**{**asdict(cfg), "epochs": args.epochs})
    tr = DenseTrainer(cfg)
    print(f"{cfg.name()}: {len(tr.ytr)} train / {len(tr.yte)} held-out digits, {cfg.epochs} epochs × "
          f"{cfg.batches_per_epoch} batches of {cfg.batch}")
    print("epoch  train_loss  val_loss  ratio  train_acc  val_acc")
    while not tr.done:
        tr.train_batches(cfg.batches_per_epoch)
        r = tr.history[-1]
        print(f"{r['epoch']:5d}  {r['train_loss']:10.4f}  {r['val_loss']:8.4f}  {r['ratio']:5.2f}  "
              f"{r['train_acc']:9.4f}  {r['val_acc']:7.4f}")
    err = 1 - tr.history[-1]["val_acc"]
    print(f"held-out error {err:.2%} ({tr.seconds:.1f} s training)")
    if args.save:
        save(tr, args.save)
        if args.manifest:
            entry = {"name": f"mnist_{args.variant}", "path": args.save,
                     "command": f"python -m models.basics.mnist_dense --variant {args.variant}"
                                + (f" --epochs {args.epochs}" if args.epochs else "")
                                + f" --save {args.save} --manifest {args.manifest}",
                     "data": "models.data.mnist.load_mnist(): 4,000 train / 1,000 held-out real MNIST digits",
                     "metrics": {"test_accuracy": round(tr.history[-1]["val_acc"], 4),
                                 "test_loss": round(tr.history[-1]["val_loss"], 4)},
                     "trained_on": "CPU, 1 thread", "train_seconds": round(tr.seconds, 1)}
            artefacts.record("basics", entry, manifest=args.manifest)


if __name__ == "__main__":
    main()
