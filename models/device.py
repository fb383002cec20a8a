"""The one place that picks a compute device (CUDA, then Apple MPS, else CPU), sets torch's CPU thread
count, and hands freed memory back to the OS."""
from __future__ import annotations

import ctypes
import functools
import os
import sys

# How many CPU threads torch may use, by purpose (see ``threads_for``).
SINGLE = "single"
SHARED_MODEL = "shared_model"


@functools.lru_cache(maxsize=1)
def pick_device():
    """Return the best available ``torch.device``; the deck never requires a GPU.

    ``DECK_DEVICE=cpu`` (or ``cuda`` / ``mps``) overrides the choice; a GPU it names that is not there
    falls back to the CPU with a warning on stderr.
    """
    import torch

    wanted = os.environ.get("DECK_DEVICE", "").strip().lower()
    if wanted:
        if wanted in ("cpu", "cuda", "mps") and device_available(wanted):
            return torch.device(wanted)
        print(f"DECK_DEVICE={wanted!r}: not available here (use cpu, cuda or mps); using the CPU", file=sys.stderr)
        return torch.device("cpu")
    for kind in ("cuda", "mps"):
        if device_available(kind):
            return torch.device(kind)
    return torch.device("cpu")


def device_available(kind: str) -> bool:
    """Whether this torch build can use ``kind`` ("cpu", "cuda" or "mps") on this machine."""
    import torch

    if kind == "cpu":
        return True
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        mps = getattr(torch.backends, "mps", None)
        return bool(mps is not None and mps.is_available())
    return False


def synchronize(device) -> None:
    """Wait for the device's queued work (GPU calls return early), so a timer reads real time."""
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def describe(device=None) -> str:
    """A short human name for the device, for slides such as "Need for Speed"."""
    import torch

    device = device or pick_device()
    if device.type == "cuda":
        return f"GPU: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "GPU: Apple MPS"
    return f"CPU ({torch.get_num_threads()} threads)"


def threads_for(purpose: str | int = SINGLE, cores: int | None = None) -> int:
    """torch's intra-op CPU thread count for ``purpose``:

    ``"single"``        1. Live demos: Streamlit runs each rerun in a fresh thread with its own OpenMP
                        pool, and on a busy 2-core host those pools spin against each other (a painting
                        step ran 40x slower with 2 threads than with 1). Also every command-line script
                        whose recorded timing or manifest says "1 thread".
    ``"shared_model"``  1 up to 2 cores, else up to 4: a large net loaded once per server and shared by
                        visitors (the ImageNet classifier, Inception-v3). EfficientNet-Lite0 measured
                        20 ms with 1 thread vs ~400 ms with 2 under load on a 2-core machine.
    an int >= 1         exactly that (a script's ``--threads``).
    """
    if isinstance(purpose, int) and not isinstance(purpose, bool):
        if purpose < 1:
            raise ValueError(f"threads must be at least 1, got {purpose}")
        return purpose
    if purpose == SINGLE:
        return 1
    if purpose == SHARED_MODEL:
        n = cores or os.cpu_count() or 1
        return 1 if n <= 2 else min(4, n)
    raise ValueError(f"unknown thread purpose {purpose!r}: use {SINGLE!r}, {SHARED_MODEL!r} or a count")


def set_threads(purpose: str | int = SINGLE) -> int:
    """Set torch's intra-op CPU thread count for ``purpose`` (see ``threads_for``) and return it."""
    import torch

    threads = threads_for(purpose)
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


def release_memory() -> None:
    """Hand freed heap memory back to the OS (glibc ``malloc_trim``); a no-op elsewhere.

    A Deep Dream or style-transfer run allocates ~150–200 MB of activations and gradients; glibc keeps
    that memory in the process after it is freed, so the server's RSS would stay at its peak.
    """
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except OSError:
            pass


if __name__ == "__main__":
    print(pick_device(), "-", describe())
