"""The anomaly-detection autoencoder of the workshop: 784 -> 50 tanh -> 784 sigmoid on MNIST digits.

Trained (labels ignored) to reproduce its input; a digit it reconstructs badly is unusual. The
notebook sorted the test digits by reconstruction error to show "the good" (lowest error, mostly
clean 1s), "the bad" (around the median) and "the ugly" (highest). We add a held-out-class test:
train without one digit class, then ask how well the error separates that class (ROC curve).
Data: the shared offline MNIST split (models.data.mnist: 4,000 train / 1,000 test real digits).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from models.device import device_of


class Autoencoder(nn.Module):
    def __init__(self, n_in: int = 784, n_hidden: int = 50):
        super().__init__()
        self.enc = nn.Linear(n_in, n_hidden)
        self.dec = nn.Linear(n_hidden, n_in)

    def forward(self, x):
        # x: (B, 784) in [0, 1] -> (B, 784) in (0, 1)
        return torch.sigmoid(self.dec(torch.tanh(self.enc(x))))


@torch.no_grad()
def reconstruction_errors(model: Autoencoder, x: np.ndarray):
    """Per-image mean squared error and the reconstructions; x (N, 28, 28) or (N, 784) in [0, 1]."""
    model.eval()
    flat = torch.tensor(np.asarray(x, np.float32).reshape(len(x), -1), device=device_of(model))
    rec = model(flat)
    err = ((rec - flat) ** 2).mean(dim=1)
    return err.cpu().numpy(), rec.cpu().numpy().reshape(len(x), 28, 28)


def roc_curve(scores: np.ndarray, is_anomaly: np.ndarray):
    """(false-positive rates, true-positive rates, AUC) sweeping a threshold over ``scores``."""
    order = np.argsort(-scores, kind="stable")
    y = np.asarray(is_anomaly, bool)[order]
    tp = np.concatenate([[0], np.cumsum(y)])
    fp = np.concatenate([[0], np.cumsum(~y)])
    tpr = tp / max(y.sum(), 1)
    fpr = fp / max((~y).sum(), 1)
    auc = float(np.trapezoid(tpr, fpr))
    return fpr, tpr, auc


def prepare_upload(img) -> np.ndarray:
    """A PIL image of a digit -> (28, 28) float in [0, 1], white digit on black, MNIST-style.

    Grey-scale, invert if the background is light, crop to the ink, fit into 20x20 keeping the
    aspect ratio and centre it by its centre of mass in a 28x28 frame (how MNIST was made).
    """
    from PIL import Image

    g = np.asarray(img.convert("L"), np.float32) / 255.0
    if np.median(g) > 0.5:
        g = 1.0 - g
    g = np.clip((g - 0.15) / 0.85, 0, 1)                 # drop paper noise
    ys, xs = np.nonzero(g > 0.1)
    if len(ys) == 0:
        return np.zeros((28, 28), np.float32)
    g = g[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]
    h, w = g.shape
    s = 20.0 / max(h, w)
    small = Image.fromarray((g * 255).astype(np.uint8)).resize((max(1, round(w * s)), max(1, round(h * s))),
                                                                Image.LANCZOS)
    small = np.asarray(small, np.float32) / 255.0
    out = np.zeros((28, 28), np.float32)
    hh, ww = small.shape
    cy, cx = np.indices((hh, ww))
    m = small.sum() or 1.0
    com_y, com_x = (cy * small).sum() / m, (cx * small).sum() / m
    top, left = int(round(14 - com_y)), int(round(14 - com_x))
    top, left = min(max(top, 0), 28 - hh), min(max(left, 0), 28 - ww)
    out[top: top + hh, left: left + ww] = small
    return out
