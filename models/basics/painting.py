"""Image "painting": an MLP learns the function (x, y) -> (r, g, b) of one photo.

This is Karpathy's ConvNetJS image-regression demo, as the 2016 workshop used it for its "Simple /
Wider / Two-Ply / Deep Network" slides. The net sees only a pixel's coordinates and must output its
colour; the whole image it "paints" is the net evaluated at every pixel, so you watch it sharpen as
it trains.

Two ways to train the same net:

* ``sgd2016``: what the ConvNetJS page did: SGD, lr 0.01, momentum 0.9, batches of 5 random pixels,
  loss 0.5·Σ(r,g,b) squared error. Many tiny steps; in PyTorch each step is mostly overhead.
* ``adam``: today's habit: Adam on batches of a few thousand pixels, mean squared error.

Optional Fourier input features (sin / cos of the coordinates at octave frequencies) replace the raw
(x, y) with a richer encoding, which lets a small ReLU net draw sharp edges (Tancik et al. 2020);
ConvNetJS users asked for exactly that (convnetjs#121).

    python -m models.basics.painting --preset deep --mode adam --fourier 8 --seconds 5
"""
from __future__ import annotations

import argparse
import io
import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from models.device import add_device_argument, cpu_only, set_threads

# The four configurations of the 2016 slides: (hidden layers, width), all ReLU.
PRESETS = {"simple": (1, 5), "wider": (1, 20), "twoply": (2, 10), "deep": (7, 20)}
PRESET_LABELS = {"simple": "Simple 1×5", "wider": "Wider 1×20", "twoply": "Two-ply 2×10", "deep": "Deep 7×20"}
SAMPLE_IMAGES = ("chelsea", "astronaut", "coffee", "rocket")


# ----------------------------------------------------------------------------------------------- images
def to_rgb_float(arr: np.ndarray) -> np.ndarray:
    """Any uint8/bool/float image (H,W), (H,W,3) or (H,W,4) -> float32 (H,W,3) in [0,1]."""
    a = np.asarray(arr)
    if a.dtype == bool:
        a = a.astype(np.float32)
    elif a.dtype == np.uint8:
        a = a.astype(np.float32) / 255.0
    else:
        a = a.astype(np.float32)
        if a.max() > 1.0:
            a = a / 255.0
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4):
        raise ValueError(f"expected an (H, W, 3) image, got shape {a.shape}")
    return np.clip(a[:, :, :3], 0.0, 1.0)


def square_resize(img: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop to a square and resize to size×size (PIL, bicubic). float (H,W,3) in, float out."""
    from PIL import Image

    h, w = img.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    crop = (img[top:top + s, left:left + s] * 255).round().astype(np.uint8)
    pil = Image.fromarray(crop).resize((size, size), Image.Resampling.BICUBIC)
    return np.asarray(pil, dtype=np.float32) / 255.0


def sample_image(name: str = "chelsea", size: int = 200) -> np.ndarray:
    """A built-in scikit-image photo, square-cropped and resized: float32 (size, size, 3) in [0,1].

    For the cat (``chelsea``, 300×451) the crop is centred on her face, like the workshop's cat.
    """
    import skimage.data as sd

    if name not in SAMPLE_IMAGES:
        raise ValueError(f"unknown sample image {name!r}; choose one of {', '.join(SAMPLE_IMAGES)}")
    img = to_rgb_float(getattr(sd, name)())
    if name == "chelsea":
        img = img[0:300, 40:340]
    return square_resize(img, size)


# ----------------------------------------------------------------------------------------------- inputs
def coordinates(h: int, w: int) -> np.ndarray:
    """Every pixel's (x, y), centred as ConvNetJS did: x = (col - W/2)/W in [-0.5, 0.5). (H*W, 2), row-major."""
    ys, xs = np.mgrid[0:h, 0:w]
    return np.stack([(xs.ravel() - w / 2) / w, (ys.ravel() - h / 2) / h], axis=1).astype(np.float32)


def fourier_features(xy, n_freqs: int):
    """[x, y, sin(2^k π x), cos(2^k π x), sin(2^k π y), cos(2^k π y) for k < n_freqs]: (N, 2 + 4·n_freqs).

    Works on numpy arrays or torch tensors. With n_freqs = 0 it is just (x, y).
    """
    if n_freqs <= 0:
        return xy
    if isinstance(xy, np.ndarray):
        freqs = (2.0 ** np.arange(n_freqs)) * np.pi  # (F,)
        ang = xy[:, :, None] * freqs  # (N, 2, F)
        return np.concatenate([xy, np.sin(ang).reshape(len(xy), -1), np.cos(ang).reshape(len(xy), -1)],
                              axis=1).astype(np.float32)
    import torch

    freqs = (2.0 ** torch.arange(n_freqs, dtype=xy.dtype, device=xy.device)) * np.pi
    ang = xy[:, :, None] * freqs
    return torch.cat([xy, torch.sin(ang).flatten(1), torch.cos(ang).flatten(1)], dim=1)


def n_inputs(n_freqs: int) -> int:
    return 2 + 4 * max(0, n_freqs)


# ----------------------------------------------------------------------------------------------- model
def make_mlp(layers: int, width: int, n_freqs: int = 0):
    """(x, y) [or their Fourier features] -> `layers` × Linear(width)+ReLU -> Linear(3). No output squashing."""
    import torch.nn as nn

    mods, d = [], n_inputs(n_freqs)
    for _ in range(layers):
        mods += [nn.Linear(d, width), nn.ReLU()]
        d = width
    mods.append(nn.Linear(d, 3))
    net = nn.Sequential(*mods)
    convnetjs_init(net)
    return net


def convnetjs_init(net) -> None:
    """Initialise as ConvNetJS does: weights ~ N(0, 1/fan_in), bias 0.1 before a ReLU (keeps units alive), 0 at the output."""
    import torch
    import torch.nn as nn

    linears = [m for m in net if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for i, m in enumerate(linears):
            m.weight.normal_(0.0, math.sqrt(1.0 / m.in_features))
            m.bias.fill_(0.1 if i < len(linears) - 1 else 0.0)


@dataclass
class PaintConfig:
    """One painting run. ``mode`` is "sgd2016" (ConvNetJS's settings) or "adam" (batched, modern)."""

    layers: int = 7
    width: int = 20
    mode: str = "adam"
    lr: float = 0.01
    momentum: float = 0.9
    batch: int = 4000
    fourier: int = 0
    seed: int = 0

    @staticmethod
    def from_preset(preset: str, mode: str = "adam", fourier: int = 0, seed: int = 0, **kw) -> "PaintConfig":
        layers, width = PRESETS[preset]
        if mode == "sgd2016":
            base = dict(lr=0.01, momentum=0.9, batch=5)
        else:
            base = dict(lr=0.01, momentum=0.9, batch=4000)
        base.update({k: v for k, v in kw.items() if v is not None})
        return PaintConfig(layers, width, mode, fourier=fourier, seed=seed, **base)

    def label(self) -> str:
        how = (f"SGD lr {self.lr:g} mom {self.momentum:g} batch {self.batch}" if self.mode == "sgd2016"
               else f"Adam lr {self.lr:g} batch {self.batch}")
        ff = f", {self.fourier} Fourier freqs" if self.fourier else ""
        return f"{self.layers}×{self.width} ReLU, {how}{ff}"


@dataclass
class Painter:
    """Holds the net, optimiser, data and counters of one painting run; ``train`` advances it."""

    image: np.ndarray  # (H, W, 3) float32 target
    cfg: PaintConfig
    iterations: int = 0
    samples: int = 0
    train_seconds: float = 0.0
    history: list = field(default_factory=list)  # (iteration, samples, seconds, full-image MSE)
    smooth_loss: float | None = None

    def __post_init__(self):
        import torch

        if self.cfg.mode not in ("sgd2016", "adam"):
            raise ValueError(f"unknown mode {self.cfg.mode!r}: use 'sgd2016' or 'adam'")
        self.gen = torch.Generator().manual_seed(int(self.cfg.seed))
        self.lock = threading.Lock()  # a UI may tick one painter from two threads: train one at a time
        torch.manual_seed(int(self.cfg.seed))
        self.net = make_mlp(self.cfg.layers, self.cfg.width, self.cfg.fourier)
        h, w = self.image.shape[:2]
        xy = torch.from_numpy(coordinates(h, w))
        self.inputs = fourier_features(xy, self.cfg.fourier).contiguous()  # (H*W, D), precomputed once
        self.targets = torch.from_numpy(self.image.reshape(-1, 3).copy())  # (H*W, 3)
        if self.cfg.mode == "sgd2016":
            self.opt = torch.optim.SGD(self.net.parameters(), lr=self.cfg.lr, momentum=self.cfg.momentum)
        else:
            self.opt = torch.optim.Adam(self.net.parameters(), lr=self.cfg.lr)
        self.history.append((0, 0, 0.0, self.full_loss()))

    def _step(self, idx):
        x, y = self.inputs[idx], self.targets[idx]
        pred = self.net(x)
        if self.cfg.mode == "sgd2016":  # ConvNetJS regression loss: 0.5 Σ_channels err², averaged over the batch
            loss = 0.5 * ((pred - y) ** 2).sum(1).mean()
        else:
            loss = ((pred - y) ** 2).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return loss

    def train(self, steps: int | None = None, seconds: float | None = None, chunk: int = 50) -> float:
        """Run `steps` optimiser steps, or as many as fit in `seconds`. Returns the smoothed training loss."""
        import torch

        n = self.inputs.shape[0]
        self._painted = None  # the weights are about to change
        t0 = time.perf_counter()
        done = 0
        with torch.enable_grad():
            while True:
                k = chunk if steps is None else min(chunk, steps - done)
                if k <= 0:
                    break
                all_idx = torch.randint(0, n, (k, self.cfg.batch), generator=self.gen)
                for i in range(k):
                    loss = self._step(all_idx[i])
                done += k
                lv = float(loss.detach())
                if self.cfg.mode == "sgd2016":
                    lv = 2 * lv / 3  # report per-channel MSE so both modes share one scale
                self.smooth_loss = lv if self.smooth_loss is None else 0.95 * self.smooth_loss + 0.05 * lv
                if seconds is not None and time.perf_counter() - t0 >= seconds:
                    break
        self.iterations += done
        self.samples += done * self.cfg.batch
        self.train_seconds += time.perf_counter() - t0
        self.history.append((self.iterations, self.samples, self.train_seconds, self.full_loss()))
        return self.smooth_loss

    def _evaluate(self) -> float:
        """One forward pass over every pixel: caches the painted image and returns the full-image MSE."""
        import torch

        with torch.no_grad():
            out = self.net(self.inputs)  # (H*W, 3)
            mse = float(((out - self.targets) ** 2).mean())
            self._painted = out.clamp_(0, 1).numpy().reshape(self.image.shape)
        return mse

    def predict(self):
        """The painted image: the net at every pixel, clipped to [0, 1]. float32 (H, W, 3). Cached per training call."""
        if getattr(self, "_painted", None) is None:
            self._evaluate()
        return self._painted

    def full_loss(self) -> float:
        """Mean squared error over every pixel and channel of the whole image (the figure we compare)."""
        return self._evaluate()


def seconds_to_reach(painter: Painter, target: float, budget: float = 20.0, check_every: float = 0.05):
    """Train until the full-image MSE <= target; return training seconds (evaluation time excluded) or None."""
    while painter.train_seconds < budget:
        painter.train(seconds=check_every, chunk=10 if painter.cfg.mode == "adam" else 100)
        if painter.history[-1][3] <= target:
            return painter.train_seconds
    return None


TICK_SECONDS = 0.08  # training time per live-preview refresh (split between the painters shown)


def to_png(img: np.ndarray) -> bytes:
    """float (H, W, 3) in [0,1] -> PNG bytes (what the live preview sends to the browser)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray((img * 255).round().astype(np.uint8)).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def preview_tick(painters, budget: float = TICK_SECONDS) -> list[bytes]:
    """One refresh of the live demo: train every painter for its share of the budget, then paint each."""
    share = budget / max(1, len(painters))
    for p in painters:
        if p.lock.acquire(blocking=False):  # another thread already training it: skip this tick
            try:
                p.train(seconds=share, chunk=5 if p.cfg.mode == "adam" else 100)
            finally:
                p.lock.release()
    return [to_png(p.predict()) for p in painters]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--image", default="chelsea", choices=SAMPLE_IMAGES)
    ap.add_argument("--size", type=int, default=200)
    ap.add_argument("--preset", default="deep", choices=list(PRESETS))
    ap.add_argument("--mode", default="adam", choices=["adam", "sgd2016"])
    ap.add_argument("--fourier", type=int, default=0, help="number of octave frequencies (0 = raw x, y)")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="", help="save the painted image here (PNG)")
    add_device_argument(ap, "Painting always runs on the CPU (see models/device.py)")
    args = ap.parse_args(argv)
    cpu_only(args.device, "painting", "a net of a few thousand weights trained step by step: the GPU copies and kernel launches would cost more than its maths (rule in models/device.py)")
    set_threads("single")
    p = Painter(sample_image(args.image, args.size), PaintConfig.from_preset(args.preset, args.mode, args.fourier,
                                                                             args.seed))
    while p.train_seconds < args.seconds:
        p.train(seconds=1.0)
        it, s, t, mse = p.history[-1]
        print(f"t={t:5.1f}s iter={it:7d} samples={s:9d} ({s / t:8.0f}/s) full-image MSE={mse:.5f}")
    if args.out:
        from PIL import Image

        Image.fromarray((p.predict() * 255).round().astype(np.uint8)).save(args.out)


if __name__ == "__main__":
    main()
