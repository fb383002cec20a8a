"""Session II (CNNs on images): convolution, MNIST CNN, ImageNet classifier, transfer learning,
Deep Dream and style transfer. Plain numpy / PyTorch: no Streamlit below this folder."""


def set_cpu_threads() -> int:
    """Choose torch's CPU thread count for inference in the app, and return it.

    On 1–2 core machines (this build box, Streamlit Community Cloud) a second thread makes things
    *slower* when anything else runs: EfficientNet-Lite0 measured 20 ms with 1 thread vs ~400 ms
    with 2 under load. So: 1 thread up to 2 cores, else up to 4.
    """
    import os

    import torch

    n = os.cpu_count() or 1
    threads = 1 if n <= 2 else min(4, n)
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


def release_memory() -> None:
    """Hand freed heap memory back to the OS (glibc ``malloc_trim``); a no-op elsewhere.

    A Deep Dream or style-transfer run allocates ~150–200 MB of activations and gradients; glibc keeps
    that memory in the process after it is freed, so the server's RSS would stay at its peak.
    """
    import ctypes
    import sys

    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except OSError:
            pass
