"""The one place that picks a compute device: CUDA, then Apple MPS, else CPU."""
from __future__ import annotations

import functools


@functools.lru_cache(maxsize=1)
def pick_device():
    """Return the best available ``torch.device``; the deck never requires a GPU."""
    import torch

    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe(device=None) -> str:
    """A short human name for the device, for slides such as "Need for Speed"."""
    import torch

    device = device or pick_device()
    if device.type == "cuda":
        return f"GPU: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "GPU: Apple MPS"
    return f"CPU ({torch.get_num_threads()} threads)"


if __name__ == "__main__":
    print(pick_device(), "-", describe())
