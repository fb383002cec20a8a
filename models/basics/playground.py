"""A TensorFlow-Playground-class trainer: small MLPs on 2-D toy data, every neuron visible.

Follows the shape of tensorflow/playground (`src/dataset.ts`, `src/nn.ts`) in PyTorch: four classic
data sets (circle, XOR, two gaussians, spiral) with label noise and a train/test split; engineered
input features (x, y, x², y², xy, sin x, sin y); up to 6 hidden layers of up to 8 neurons; plain SGD
with L2; one "epoch" = one pass over the training points in mini-batches, as Playground's ``oneStep``.
Coordinates live in [-6, 6] like Playground's; labels are 0 / 1 and the output is a sigmoid trained
with cross-entropy (Playground uses tanh and squared error; cross-entropy converges more reliably).

    python -m models.basics.playground --data spiral --features x,y,sinx,siny --layers 8,8,4 --epochs 300
"""
from __future__ import annotations

import argparse
import io
from dataclasses import dataclass, field, replace

import numpy as np

from models.device import add_device_argument, cpu_only, set_threads

DATASETS = ("circle", "xor", "gauss", "spiral")
FEATURES = ("x", "y", "x2", "y2", "xy", "sinx", "siny")
FEATURE_LABELS = {"x": "x", "y": "y", "x2": "x²", "y2": "y²", "xy": "x·y", "sinx": "sin x", "siny": "sin y"}
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
EXTENT = 6.0
MAX_LAYERS, MAX_WIDTH = 6, 8


# ------------------------------------------------------------------------------------------------ data
def make_dataset(name: str, n: int = 500, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n points (n, 2) in about [-6, 6]² and labels (n,) in {0, 1}. noise in [0, 0.5] as Playground's 0–50 %."""
    rng = np.random.default_rng(seed)
    if name == "circle":  # inner disc vs outer ring; label decided after the noise moves a point
        r_in = rng.uniform(0, 0.5 * 5, n // 2)
        r_out = rng.uniform(0.7 * 5, 5, n - n // 2)
        r = np.concatenate([r_in, r_out])
        a = rng.uniform(0, 2 * np.pi, n)
        p = np.stack([r * np.sin(a), r * np.cos(a)], 1)
        p += rng.uniform(-5, 5, p.shape) * noise
        y = (np.hypot(p[:, 0], p[:, 1]) < 0.5 * 5 * 1.2).astype(np.int64)
        y = np.where(np.arange(n) < n // 2, 1, 0) if noise == 0 else y
    elif name == "xor":  # quadrants, label = sign(x·y), points kept off the axes
        p = rng.uniform(-5, 5, (n, 2))
        p += np.where(p > 0, 0.3, -0.3)
        y = (p[:, 0] * p[:, 1] >= 0).astype(np.int64)
        p += rng.uniform(-5, 5, p.shape) * noise
    elif name == "gauss":  # two blobs at (2, 2) and (-2, -2); noise widens them
        var = 0.5 + 3.5 * noise / 0.5
        y = (np.arange(n) < n // 2).astype(np.int64)
        centre = np.where(y[:, None] == 1, 2.0, -2.0)
        p = centre + rng.normal(0, np.sqrt(var), (n, 2))
    elif name == "spiral":  # two interleaved arms
        m = n // 2
        t = np.concatenate([np.arange(m) / m, np.arange(n - m) / (n - m)])
        delta = np.concatenate([np.zeros(m), np.full(n - m, np.pi)])
        r = t * 5
        ang = 1.75 * t * 2 * np.pi + delta
        p = np.stack([r * np.sin(ang), r * np.cos(ang)], 1)
        p += rng.uniform(-1, 1, p.shape) * noise * 5 * 0.4
        y = (np.arange(n) < m).astype(np.int64)
    else:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")
    perm = rng.permutation(n)
    return p[perm].astype(np.float32), y[perm]


def split(points: np.ndarray, labels: np.ndarray, train_frac: float, seed: int = 0):
    """Shuffle and split: (x_train, y_train, x_test, y_test); at least one point on each side."""
    n = len(points)
    idx = np.random.default_rng(seed + 1).permutation(n)
    k = int(round(np.clip(train_frac, 0.0, 1.0) * n))
    k = min(max(k, 1), n - 1)
    return points[idx[:k]], labels[idx[:k]], points[idx[k:]], labels[idx[k:]]


def parse_csv(data: bytes, max_rows: int = 5000) -> tuple[np.ndarray, np.ndarray, str]:
    """Your own points: a CSV with x, y and a label column. Returns (points scaled to ±5, labels 0/1, note).

    The first two numeric columns are x and y; the label is a column named label/class/target/y if
    there is one, else the third numeric column. Two distinct label values become classes 0 and 1; a
    label with more values is split at its median. Raises ValueError with a readable reason.
    """
    import pandas as pd

    if not data or not data.strip():
        raise ValueError("the file is empty")
    try:
        df = pd.read_csv(io.BytesIO(data), sep=None, engine="python", nrows=max_rows + 1)
    except Exception as e:  # pandas raises many kinds on garbage input
        raise ValueError(f"could not read it as CSV ({type(e).__name__})") from None
    notes = []
    if len(df) > max_rows:
        df = df.iloc[:max_rows]
        notes.append(f"only the first {max_rows} rows are used")
    num = df.apply(pd.to_numeric, errors="coerce")
    numeric_cols = [c for c in num.columns if num[c].notna().mean() > 0.9]
    label_col = next((c for c in df.columns if str(c).strip().lower() in ("label", "class", "target", "y_label")), None)
    coord_cols = [c for c in numeric_cols if c != label_col][:2]
    if len(coord_cols) < 2:
        raise ValueError("it needs two numeric columns for the point coordinates (x, y) and a label column")
    if label_col is None:
        rest = [c for c in numeric_cols if c not in coord_cols]
        if not rest:
            raise ValueError("it has x and y but no label column (name it 'label', or add a third column)")
        label_col = rest[0]
    frame = pd.DataFrame({"x": num[coord_cols[0]], "y": num[coord_cols[1]], "label": df[label_col]})
    frame[["x", "y"]] = frame[["x", "y"]].replace([np.inf, -np.inf], np.nan)  # inf, or beyond ±1.8e308
    n_rows = len(frame)
    frame = frame.dropna()
    if len(frame) < n_rows:
        notes.append(f"{n_rows - len(frame)} row(s) without finite x, y and a label skipped")
    if len(frame) < 4:
        raise ValueError("it has fewer than 4 usable rows")
    values = frame["label"].unique()
    if len(values) < 2:
        raise ValueError("every point has the same label; a classifier needs two classes")
    if len(values) == 2:
        hi = sorted(values.tolist(), key=str)[1]
        labels = (frame["label"] == hi).to_numpy().astype(np.int64)
        notes.append(f"class 1 = label {hi!r}" if isinstance(hi, str) else f"class 1 = label {hi}")
    else:
        lab = pd.to_numeric(frame["label"], errors="coerce")
        if lab.isna().any():
            raise ValueError("the label column has more than two text values; use two classes")
        labels = (lab > lab.median()).to_numpy().astype(np.int64)
        notes.append(f"label has {len(values)} values: split at its median {lab.median():g}")
    pts = frame[["x", "y"]].to_numpy(np.float64)
    pts = pts / (np.abs(pts).max() or 1.0)  # into [-1, 1] first: a mean of values near 1e308 would overflow
    pts = pts - pts.mean(0)
    scale = np.abs(pts).max() or 1.0
    pts = (pts / scale * 5.0).astype(np.float32)  # into Playground's coordinate range
    return pts, labels, "; ".join(notes)


def features(points, names) -> np.ndarray:
    """Engineered inputs, one column per name in FEATURES order given: (n, len(names))."""
    x, y = points[:, 0], points[:, 1]
    table = {"x": x, "y": y, "x2": x * x, "y2": y * y, "xy": x * y, "sinx": np.sin(x), "siny": np.sin(y)}
    cols = [table[f] for f in names]
    return np.stack(cols, 1).astype(np.float32)


# ------------------------------------------------------------------------------------------------ model
@dataclass
class PlaygroundConfig:
    data: str = "circle"
    noise: float = 0.0  # 0 .. 0.5
    train_frac: float = 0.5
    features: tuple = ("x", "y")
    layers: tuple = (4, 2)  # hidden widths; () = no hidden layer
    activation: str = "tanh"
    lr: float = 0.03
    l2: float = 0.0
    batch: int = 10
    seed: int = 0
    n_points: int = 500

    def validate(self) -> "PlaygroundConfig":
        feats = tuple(f for f in FEATURES if f in self.features) or ("x", "y")
        layers = tuple(int(min(max(w, 1), MAX_WIDTH)) for w in self.layers[:MAX_LAYERS])
        act = self.activation if self.activation in ACTIVATIONS else "tanh"
        return replace(self, features=feats, layers=layers, activation=act, batch=int(min(max(self.batch, 1), 30)),
                       noise=float(min(max(self.noise, 0.0), 0.5)), train_frac=float(min(max(self.train_frac, 0.1), 0.9)))


class PlaygroundNet:
    """MLP over the chosen features; ``layer_outputs`` returns every neuron's activation for thumbnails."""

    def __init__(self, n_in: int, layers, activation: str, seed: int = 0):
        import torch
        import torch.nn as nn

        g = torch.Generator().manual_seed(seed)
        dims = [n_in, *layers, 1]
        self.linears = nn.ModuleList()
        for a, b in zip(dims[:-1], dims[1:]):
            lin = nn.Linear(a, b)
            with torch.no_grad():  # Playground-style init: small uniform weights, bias 0.1
                lin.weight.uniform_(-0.5, 0.5, generator=g)
                lin.bias.fill_(0.1)
            self.linears.append(lin)
        self.act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid, "linear": lambda t: t}[activation]

    def parameters(self):
        return self.linears.parameters()

    def logits(self, x):
        for i, lin in enumerate(self.linears):
            x = lin(x)
            if i < len(self.linears) - 1:
                x = self.act(x)
        return x[:, 0]

    def layer_outputs(self, x) -> list:
        """[(n, width) for each hidden layer] + [(n, 1) output probability]."""
        import torch

        outs = []
        with torch.no_grad():
            for i, lin in enumerate(self.linears):
                x = lin(x)
                x = self.act(x) if i < len(self.linears) - 1 else torch.sigmoid(x)
                outs.append(x)
        return outs


@dataclass
class PlaygroundRun:
    """Data, net, optimiser and history of one Playground configuration."""

    cfg: PlaygroundConfig
    points: np.ndarray | None = None  # optional user data (n, 2) + labels
    labels: np.ndarray | None = None
    epoch: int = 0
    history: list = field(default_factory=list)  # (epoch, train loss, test loss)

    def __post_init__(self):
        import torch

        self.cfg = self.cfg.validate()
        c = self.cfg
        if self.points is None:
            self.points, self.labels = make_dataset(c.data, c.n_points, c.noise, c.seed)
        xtr, ytr, xte, yte = split(self.points, self.labels, c.train_frac, c.seed)
        self.train_pts, self.test_pts, self.train_y, self.test_y = xtr, xte, ytr, yte
        self.xtr = torch.from_numpy(features(xtr, c.features))
        self.xte = torch.from_numpy(features(xte, c.features))
        self.ytr = torch.from_numpy(ytr.astype(np.float32))
        self.yte = torch.from_numpy(yte.astype(np.float32))
        self.net = PlaygroundNet(len(c.features), c.layers, c.activation, c.seed)
        self.opt = torch.optim.SGD(self.net.parameters(), lr=c.lr)
        self.gen = torch.Generator().manual_seed(c.seed + 2)
        self.history.append((0, *self.losses()))

    def set_hyper(self, lr: float, l2: float, batch: int) -> None:
        """Learning rate, L2 and batch size can change mid-run, as in Playground."""
        self.cfg = replace(self.cfg, lr=lr, l2=l2, batch=int(batch))
        for g in self.opt.param_groups:
            g["lr"] = lr

    def _loss(self, x, y):
        import torch.nn.functional as F

        return F.binary_cross_entropy_with_logits(self.net.logits(x), y)

    def losses(self) -> tuple[float, float]:
        import torch

        with torch.no_grad():
            return float(self._loss(self.xtr, self.ytr)), float(self._loss(self.xte, self.yte))

    def train_epochs(self, n: int = 1) -> None:
        """n passes over the training points in shuffled mini-batches of cfg.batch; L2 on the weights."""
        import torch

        b = self.cfg.batch
        for _ in range(n):
            perm = torch.randperm(len(self.ytr), generator=self.gen)
            for i in range(0, len(perm), b):
                idx = perm[i:i + b]
                loss = self._loss(self.xtr[idx], self.ytr[idx])
                if self.cfg.l2 > 0:
                    loss = loss + 0.5 * self.cfg.l2 * sum((lin.weight ** 2).sum() for lin in self.net.linears)
                self.opt.zero_grad(set_to_none=True)
                loss.backward()
                self.opt.step()
            self.epoch += 1
        self.history.append((self.epoch, *self.losses()))

    def accuracy(self, which: str = "test") -> float:
        import torch

        x, y = (self.xte, self.yte) if which == "test" else (self.xtr, self.ytr)
        with torch.no_grad():
            return float(((self.net.logits(x) > 0).float() == y).float().mean())

    def grid_outputs(self, n: int = 100):
        """Every feature and neuron over an n×n grid of the plane: (features (F, n, n), [layer (W, n, n)...], output (n, n))."""
        import torch

        xs = np.linspace(-EXTENT, EXTENT, n, dtype=np.float32)
        X, Y = np.meshgrid(xs, xs)  # row i = y value xs[i]
        pts = np.stack([X.ravel(), Y.ravel()], 1)
        f = features(pts, self.cfg.features)
        outs = self.net.layer_outputs(torch.from_numpy(f))
        feats = f.T.reshape(len(self.cfg.features), n, n)
        layers = [o.numpy().T.reshape(o.shape[1], n, n) for o in outs[:-1]]
        return xs, feats, layers, outs[-1].numpy().reshape(n, n)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Train a Playground net from the command line")
    ap.add_argument("--data", default="circle", choices=DATASETS)
    ap.add_argument("--noise", type=float, default=0.0)
    ap.add_argument("--features", default="x,y")
    ap.add_argument("--layers", default="4,2", help="hidden widths, comma-separated ('' for none)")
    ap.add_argument("--activation", default="tanh", choices=ACTIVATIONS)
    ap.add_argument("--lr", type=float, default=0.03)
    ap.add_argument("--l2", type=float, default=0.0)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    add_device_argument(ap, "The Playground always runs on the CPU (see models/device.py)")
    a = ap.parse_args(argv)
    cpu_only(a.device, "playground", "a net of a few thousand weights trained step by step: the GPU copies and kernel launches would cost more than its maths (rule in models/device.py)")
    set_threads("single")
    cfg = PlaygroundConfig(a.data, a.noise, 0.5, tuple(a.features.split(",")),
                           tuple(int(w) for w in a.layers.split(",") if w), a.activation, a.lr, a.l2, a.batch, a.seed)
    run = PlaygroundRun(cfg)
    for e in range(0, a.epochs, 25):
        run.train_epochs(25)
        ep, tr, te = run.history[-1]
        print(f"epoch {ep:4d}  train loss {tr:.4f}  test loss {te:.4f}  test acc {run.accuracy():.3f}")


if __name__ == "__main__":
    main()
