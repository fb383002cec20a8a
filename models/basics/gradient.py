"""Gradient descent you can see, and backprop "blame" you can check.

1. A two-parameter model, y ≈ w·x + b, fitted by mean squared error to noisy points. With only two
   parameters the loss is a surface over the (w, b) plane, and SGD is a path on it. Because x is not
   centred, the surface is a long narrow valley: too small a learning rate crawls, a larger one zig-zags
   across the valley, and beyond 2/λ_max (λ_max the largest curvature) it diverges. Small batches add noise.

2. A tiny 2-2-1 sigmoid net on one training case: the gradient of the error with respect to every
   weight, from backpropagation (PyTorch autograd) and from finite differences, which must agree.
   That gradient is the "blame" the 2016 slide talks about.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


# ------------------------------------------------------------------------------------- 1. loss surface
@dataclass
class LineData:
    x: np.ndarray  # (n,)
    y: np.ndarray  # (n,)


def make_line_data(n: int = 100, w: float = 2.0, b: float = -1.0, noise: float = 0.5, seed: int = 0) -> LineData:
    """Points around y = w x + b with x uniform in [0, 3] (not centred: that makes the valley long and narrow)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 3, n)
    return LineData(x, w * x + b + rng.normal(0, noise, n))


def loss(data: LineData, w, b):
    """Mean squared error; w and b may be arrays of the same shape (then the loss over a grid)."""
    w = np.asarray(w, dtype=np.float64)[..., None]
    b = np.asarray(b, dtype=np.float64)[..., None]
    return ((w * data.x + b - data.y) ** 2).mean(-1)


def hessian(data: LineData) -> np.ndarray:
    """The (constant) Hessian of the MSE in (w, b): 2·[[E x², E x], [E x, 1]]."""
    return 2 * np.array([[np.mean(data.x ** 2), np.mean(data.x)], [np.mean(data.x), 1.0]])


def optimum(data: LineData) -> np.ndarray:
    """Least-squares (w, b)."""
    A = np.stack([data.x, np.ones_like(data.x)], 1)
    return np.linalg.lstsq(A, data.y, rcond=None)[0]


def critical_lr(data: LineData) -> float:
    """Full-batch gradient descent diverges above 2 / λ_max of the Hessian."""
    return 2.0 / float(np.linalg.eigvalsh(hessian(data)).max())


def sgd_path(data: LineData, lr: float, batch: int, steps: int, start=(-2.0, 4.0), seed: int = 0) -> np.ndarray:
    """(steps + 1, 2) positions of SGD on the MSE, mini-batches drawn without replacement, reshuffled each pass."""
    rng = np.random.default_rng(seed + 100)
    n = len(data.x)
    batch = int(min(max(batch, 1), n))
    p = np.array(start, dtype=np.float64)
    path = [p.copy()]
    order, pos = rng.permutation(n), 0
    for _ in range(steps):
        if pos + batch > n:
            order, pos = rng.permutation(n), 0
        idx = order[pos:pos + batch]
        pos += batch
        err = p[0] * data.x[idx] + p[1] - data.y[idx]
        grad = np.array([2 * np.mean(err * data.x[idx]), 2 * np.mean(err)])
        p = p - lr * grad
        if not np.all(np.isfinite(p)) or np.abs(p).max() > 1e6:
            path.append(np.full(2, np.nan))
            break
        path.append(p.copy())
    return np.array(path)


def describe_path(data: LineData, path: np.ndarray, batch: int | None = None) -> str:
    """'diverged', 'oscillating', 'converged', 'hovering near the minimum' or 'still descending'."""
    if not np.all(np.isfinite(path)):
        return "diverged"
    losses = loss(data, path[:, 0], path[:, 1])
    best = float(loss(data, *optimum(data)))
    if losses[-1] > losses[0]:
        return "diverged"
    # motion along the steepest direction of the valley: sign flips mean zig-zag across it
    evals, evecs = np.linalg.eigh(hessian(data))
    along = np.diff(path, axis=0) @ evecs[:, -1]
    along = along[np.abs(along) > 1e-9]
    flips = np.mean(np.sign(along[1:]) != np.sign(along[:-1])) if len(along) > 2 else 0.0
    if losses[-1] <= best * 1.05 + 1e-3:
        return "converged" + (" (after oscillating)" if flips > 0.6 else "")
    if batch is not None and batch < len(data.x) and losses[-1] <= 2 * best:
        return "hovering near the minimum (small-batch noise)"
    return "oscillating" if flips > 0.6 else "still descending"


# ------------------------------------------------------------------------------------- 2. blame
WEIGHT_NAMES = ["w11", "w12", "w21", "w22", "b1", "b2", "v1", "v2", "c"]


def tiny_net_params(seed: int = 0) -> np.ndarray:
    """Nine numbers: hidden weights w[j][i] (from input i to hidden j), hidden biases b1 b2, output weights v1 v2, bias c."""
    return np.random.default_rng(seed).normal(0, 1, 9)


def tiny_net_forward(theta, x, target):
    """Forward pass of 2-2-1 sigmoid net; returns dict of hidden activations, output and error 0.5 (out - t)².

    Works on numpy arrays or torch tensors (for autograd).
    """
    try:
        import torch

        is_t = isinstance(theta, torch.Tensor)
    except ImportError:  # pragma: no cover
        is_t = False
    sig = (lambda z: torch.sigmoid(z)) if is_t else (lambda z: 1 / (1 + np.exp(-z)))
    w11, w12, w21, w22, b1, b2, v1, v2, c = (theta[i] for i in range(9))
    h1 = sig(w11 * x[0] + w12 * x[1] + b1)
    h2 = sig(w21 * x[0] + w22 * x[1] + b2)
    out = sig(v1 * h1 + v2 * h2 + c)
    return {"h1": h1, "h2": h2, "out": out, "error": 0.5 * (out - target) ** 2}


def blame(theta: np.ndarray, x, target) -> dict:
    """∂error/∂weight for all nine weights, by backprop (autograd) and by central finite differences."""
    import torch

    th = torch.tensor(np.asarray(theta, dtype=np.float64), requires_grad=True)
    xt = torch.tensor(np.asarray(x, dtype=np.float64))
    err = tiny_net_forward(th, xt, float(target))["error"]
    err.backward()
    backprop = th.grad.numpy().copy()
    eps = 1e-6
    numeric = np.zeros(9)
    for i in range(9):
        tp, tm = np.array(theta, dtype=np.float64), np.array(theta, dtype=np.float64)
        tp[i] += eps
        tm[i] -= eps
        numeric[i] = (tiny_net_forward(tp, x, target)["error"] - tiny_net_forward(tm, x, target)["error"]) / (2 * eps)
    # the output unit's own error signal, and each hidden unit's share of it (the slide's "blame per neuron")
    f = tiny_net_forward(np.asarray(theta, dtype=np.float64), np.asarray(x, dtype=np.float64), target)
    delta_out = (f["out"] - target) * f["out"] * (1 - f["out"])
    delta_h = np.array([delta_out * theta[6] * f["h1"] * (1 - f["h1"]), delta_out * theta[7] * f["h2"] * (1 - f["h2"])])
    return {"backprop": backprop, "numeric": numeric, "delta_out": float(delta_out), "delta_hidden": delta_h,
            "forward": {k: float(v) for k, v in f.items()}}
