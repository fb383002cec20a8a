"""One neuron, and a layer of them combined: the functions behind "Single Neuron" and "Layers of neurons".

A neuron computes ``act(w1*x + w2*y + b)`` over the 2-D input plane. Changing the weights tilts and
moves the boundary; changing the activation changes its profile (hard step, smooth sigmoid, ...).
A two-layer net adds several such "ridges" (the hidden units) with output weights, then squashes the
sum again: that is how layers build bumps, stripes and XOR-like shapes one neuron cannot make.
Pure numpy so that it costs nothing to import and evaluates a 101×101 grid in well under a millisecond.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ACTIVATIONS = {
    "step": lambda z: (z > 0).astype(np.float64),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60))),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "linear": lambda z: z,
}


def activation(name: str):
    """Look up an activation by name (case-insensitive); raises ValueError with the valid names."""
    key = str(name).strip().lower()
    if key not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[key]


def grid(extent: float = 3.0, n: int = 101) -> tuple[np.ndarray, np.ndarray]:
    """A square grid over [-extent, extent]²; returns (xs, ys) 1-D axes of length n."""
    xs = np.linspace(-extent, extent, n)
    return xs, xs.copy()


def neuron_output(w1: float, w2: float, b: float, act: str, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """The neuron's output at every grid point: z[i, j] for input (xs[j], ys[i]); shape (len(ys), len(xs))."""
    X, Y = np.meshgrid(xs, ys)  # (ny, nx) each
    return activation(act)(w1 * X + w2 * Y + b)


@dataclass
class TwoLayerNet:
    """2 inputs -> H hidden units (weights W (H,2), biases b (H,)) -> 1 output (weights v (H,), bias c)."""

    W: np.ndarray
    b: np.ndarray
    v: np.ndarray
    c: float
    hidden_act: str = "sigmoid"
    output_act: str = "sigmoid"

    def hidden(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Each hidden unit's function over the plane: (H, ny, nx)."""
        X, Y = np.meshgrid(xs, ys)
        z = self.W[:, 0, None, None] * X + self.W[:, 1, None, None] * Y + self.b[:, None, None]
        return activation(self.hidden_act)(z)

    def output(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """The combination: act(sum_h v_h * hidden_h + c), shape (ny, nx)."""
        h = self.hidden(xs, ys)
        return activation(self.output_act)(np.tensordot(self.v, h, axes=1) + self.c)


def preset(name: str) -> TwoLayerNet:
    """Hand-set nets that show what a layer buys you (one neuron can only make a single straight ridge).

    * ``band``: two parallel ridges, one added and one subtracted: high only in a diagonal band.
    * ``corner``: two crossing ridges ANDed: high only where x > 0 and y > 0.
    * ``bump``: four steep ridges facing inwards; their sum is high only inside a square.
    """
    s = 4.0  # steepness of the hidden ridges
    if name == "band":
        W = s * np.array([[1.0, 1.0], [1.0, 1.0]])
        b = s * np.array([1.0, -1.0])
        return TwoLayerNet(W, b, v=np.array([6.0, -6.0]), c=-3.0)
    if name == "corner":
        W = s * np.array([[1.0, 0.0], [0.0, 1.0]])
        b = np.zeros(2)
        return TwoLayerNet(W, b, v=np.array([5.0, 5.0]), c=-7.5)
    if name == "bump":
        W = s * np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
        b = s * np.array([1.0, 1.0, 1.0, 1.0])
        return TwoLayerNet(W, b, v=np.full(4, 8.0), c=-28.0)
    raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")


PRESETS = ("band", "corner", "bump")
