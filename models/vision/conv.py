"""2-D convolution as a CNN layer computes it, written out so each output pixel can be explained.

Like every deep-learning library (and setosa's "Image Kernels"), we slide the kernel over the
image *without flipping it*: out[r, c] = sum_ij in[r*s + i*d, c*s + j*d] * k[i, j] on the padded
input (this is cross-correlation; scipy's ``convolve2d`` flips the kernel first, the tests use
that to check us). s = stride, d = dilation, p = zero padding on every side:

    out_size = floor((in_size + 2p - d*(k-1) - 1) / s) + 1
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# name -> kernel. The same eight presets as setosa's Image Kernels, plus 5x5 ones.
PRESETS_3 = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "blur": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "outline": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
    "Sobel x (vertical edges)": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "Sobel y (horizontal edges)": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
}
_g = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256.0
PRESETS_5 = {
    "identity": np.pad([[1.0]], 2).tolist(),
    "Gaussian blur": _g.tolist(),
    "box blur": (np.ones((5, 5)) / 25).tolist(),
    "unsharp mask": (np.pad([[2.0]], 2) - _g).tolist(),
    "outline (LoG)": [[0, 0, -1, 0, 0], [0, -1, -2, -1, 0], [-1, -2, 16, -2, -1], [0, -1, -2, -1, 0], [0, 0, -1, 0, 0]],
    "emboss": [[-2, -1, -1, 0, 0], [-1, -1, -1, 0, 0], [-1, -1, 1, 1, 1], [0, 0, 1, 1, 1], [0, 0, 1, 1, 2]],
    "Sobel x (vertical edges)": (np.outer([1, 4, 6, 4, 1], [-1, -2, 0, 2, 1]) / 16).tolist(),
    "Sobel y (horizontal edges)": (np.outer([-1, -2, 0, 2, 1], [1, 4, 6, 4, 1]) / 16).tolist(),
}


def preset(name: str, size: int = 3) -> np.ndarray:
    table = PRESETS_3 if size == 3 else PRESETS_5
    return np.asarray(table[name], dtype=np.float64)


def output_size(n: int, k: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Length of one output side; 0 when the (dilated) kernel does not fit."""
    span = dilation * (k - 1) + 1  # how many input pixels the dilated kernel covers
    if n + 2 * padding < span:
        return 0
    return (n + 2 * padding - span) // stride + 1


def conv2d(image: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0, dilation: int = 1) -> np.ndarray:
    """Apply one kernel to a (H, W) or (H, W, C) image (channel by channel). Returns float64."""
    x = np.asarray(image, dtype=np.float64)
    k = np.asarray(kernel, dtype=np.float64)
    if x.ndim == 3:
        return np.stack([conv2d(x[..., c], k, stride, padding, dilation) for c in range(x.shape[2])], -1)
    kh, kw = k.shape
    oh = output_size(x.shape[0], kh, stride, padding, dilation)
    ow = output_size(x.shape[1], kw, stride, padding, dilation)
    if oh == 0 or ow == 0:
        return np.zeros((oh, ow))
    xp = np.pad(x, padding)  # zero padding on all four sides
    out = np.zeros((oh, ow))
    # One shifted, strided view of the input per kernel tap: kh*kw multiply-adds of whole images.
    for i in range(kh):
        for j in range(kw):
            r0, c0 = i * dilation, j * dilation
            out += k[i, j] * xp[r0 : r0 + stride * (oh - 1) + 1 : stride, c0 : c0 + stride * (ow - 1) + 1 : stride]
    return out


@dataclass
class PixelExplanation:
    row: int  # output pixel
    col: int
    rows: np.ndarray  # (kh,) input row of each kernel row, in unpadded coordinates (may be <0 or >=H: padding)
    cols: np.ndarray  # (kw,)
    patch: np.ndarray  # (kh, kw) the input values under the kernel (0 where padding)
    products: np.ndarray  # (kh, kw) patch * kernel
    total: float  # products.sum() == conv2d(...)[row, col]


def explain_pixel(image2d: np.ndarray, kernel: np.ndarray, row: int, col: int, stride: int = 1, padding: int = 0,
                  dilation: int = 1) -> PixelExplanation:
    """The input patch, element-wise products and sum behind one output pixel of ``conv2d``."""
    x = np.asarray(image2d, dtype=np.float64)
    k = np.asarray(kernel, dtype=np.float64)
    kh, kw = k.shape
    rows = row * stride - padding + dilation * np.arange(kh)
    cols = col * stride - padding + dilation * np.arange(kw)
    inside = (rows[:, None] >= 0) & (rows[:, None] < x.shape[0]) & (cols[None] >= 0) & (cols[None] < x.shape[1])
    patch = np.where(inside, x[np.clip(rows, 0, x.shape[0] - 1)[:, None], np.clip(cols, 0, x.shape[1] - 1)[None]], 0.0)
    products = patch * k
    return PixelExplanation(row, col, rows, cols, patch, products, float(products.sum()))


def to_display(out: np.ndarray, mode: str = "clip") -> np.ndarray:
    """Map filter output (any real numbers) to uint8 for display.

    clip: values outside 0..255 are cut (right for blur/sharpen); abs: |v| (edge detectors);
    shift: v + 128 (emboss-style, shows the sign); stretch: min..max -> 0..255.
    """
    v = np.asarray(out, dtype=np.float64)
    if mode == "abs":
        v = np.abs(v)
    elif mode == "shift":
        v = v + 128.0
    elif mode == "stretch":
        lo, hi = float(v.min(initial=0)), float(v.max(initial=0))
        v = (v - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(v)
    return np.clip(np.round(v), 0, 255).astype(np.uint8)


def default_display(name: str) -> str:
    """The display mode that suits a preset."""
    if "Sobel" in name or "outline" in name:
        return "abs"
    if "emboss" in name:
        return "shift"
    return "clip"


def to_grey(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma, float64 in 0..255."""
    return np.asarray(rgb, dtype=np.float64)[..., :3] @ np.array([0.299, 0.587, 0.114])
