"""The one place that picks a compute device (CUDA, then Apple MPS, else CPU), sets torch's CPU thread
count, and hands freed memory back to the OS.

Where each net runs (the one rule): **a net goes to ``pick_device()`` when one call of it is real work
(a pretrained image net, or a net of ~0.5 M+ weights); a net of tens of thousands of weights stays on
the CPU**, because per call the copy to the GPU and the kernel launches would cost more than its maths.

* On ``pick_device()`` (their loaders take ``device=None`` meaning ``pick_device()``; their helpers
  move inputs to the net's device with ``device_of`` and bring results back to the CPU):
  Inception-v3 (``vision.inception.load_inception``: features, transfer learning, Deep Dream, Gatys
  style transfer), EfficientNet-Lite0 (``vision.imagenet.load_classifier``), the captioning decoders
  and their encoder (``captioning.shipped.load_decoder``, ``captioning.features.Encoder``), char-RNN and
  char-GPT sampling (``language.charrnn.load_checkpoint``, ``language.chargpt.load_gpt``).
* On the CPU: the nets the demos train live, step by step (painting, Playground, dense MNIST, the
  3-filter MNIST CNN: 23,560 weights, ``vision.mnist_cnn.load`` defaults to "cpu"), and the other small
  nets (autoencoder, word-junk RNNs, the BiGRU tagger, the ``models.basics`` toys, the Bubble agent's
  int8 player). Their helpers still follow the net's device, so a caller may move one.
* Random draws used for sampling (char-RNN/GPT text, captions, Deep Dream jitter) come from CPU
  generators, so a seed gives the same draws on every device (the numbers fed to them may differ in
  the last bits on a GPU).
* **Training scripts** (``python -m models.<area>.<script>``) take ``--device`` (``add_device_argument``;
  default ``pick_device()``), move the model and each batch there, and save checkpoints with their
  tensors on the CPU (``cpu_state``); every load uses ``map_location="cpu"``, so a checkpoint made on a
  GPU opens on a laptop. The Bubble trainer's int8 player is CPU-only by design (see its ``--device``).
* Everything is float32. No mixed precision: autocast is only worth it where a GPU measurement says
  so, and none has been measured for these nets yet.

``DECK_DEVICE=cpu`` keeps all of it on the CPU; the deck never requires a GPU.
"""
from __future__ import annotations

import argparse
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


def resolve(device=None):
    """``None`` -> ``pick_device()``; a name ("cpu", "cuda", "cuda:1", "mps") or ``torch.device`` -> that
    device, or a ``ValueError`` saying why it cannot be used here."""
    import torch

    if device is None:
        return pick_device()
    try:
        dev = device if isinstance(device, torch.device) else torch.device(str(device).strip().lower())
    except (RuntimeError, ValueError):
        raise ValueError(f"unknown device {device!r}: use cpu, cuda or mps") from None
    if dev.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"unknown device {device!r}: use cpu, cuda or mps")
    if not device_available(dev.type):
        raise ValueError(f"device {device!r} is not available on this machine (torch {torch.__version__}); "
                         "use cpu, or leave --device out to pick the best one")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ValueError(f"device {device!r}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    return dev


def _device_type(text: str):
    try:
        return resolve(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_device_argument(ap: argparse.ArgumentParser, note: str = "") -> None:
    """Add ``--device`` to a training script's parser; the parsed value is a ``torch.device`` or None
    (None: ``resolve(None)`` picks, see ``pick_device``). An unavailable device is an argparse error."""
    ap.add_argument("--device", type=_device_type, default=None,
                    help="cpu, cuda, cuda:N or mps (default: the best one here: CUDA, then MPS, else CPU; "
                         "DECK_DEVICE overrides)" + (f". {note}" if note else ""))


def cpu_only(device, script: str, why: str):
    """For a script that runs on the CPU by design: a ``--device`` naming a GPU is said to be ignored
    (on stderr, with ``why``); returns the CPU device either way."""
    import torch

    if device is not None and device.type != "cpu":
        print(f"{script}: --device {device} ignored, running on the CPU: {why}", file=sys.stderr)
    return torch.device("cpu")


def device_of(module):
    """The device a net's weights (or, without weights, buffers) live on; CPU for a net with neither."""
    import torch

    for t in module.parameters():
        return t.device
    for t in module.buffers():
        return t.device
    return torch.device("cpu")


def cpu_state(module_or_state) -> dict:
    """A state dict with every tensor detached and on the CPU, so the checkpoint loads on any machine."""
    import torch

    state = module_or_state.state_dict() if hasattr(module_or_state, "state_dict") else module_or_state

    def move(v):
        if isinstance(v, torch.Tensor):
            return v.detach().cpu()
        if isinstance(v, dict):
            return type(v)((k, move(x)) for k, x in v.items())
        if isinstance(v, (list, tuple)):
            return type(v)(move(x) for x in v)
        return v

    out = move(state)
    if hasattr(state, "_metadata"):          # nn.Module.state_dict's per-module versions, kept as torch does
        out._metadata = state._metadata
    return out


def trained_on(device, cpu_text: str) -> str:
    """A manifest's "trained_on": ``cpu_text`` (as recorded so far) on the CPU, else the GPU's name."""
    return cpu_text if device.type == "cpu" else describe(device) + " (float32)"


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
