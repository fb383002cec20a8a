"""Turn untrusted image bytes into a clean RGB uint8 array, and the built-in sample photos.

Every Session II demo takes a picture from the same three places (a sample, an upload, the
camera); the checks live here so they can be unit-tested without Streamlit:

* not an image / a corrupt or truncated file  -> ``ImageError`` with a sentence a person can read;
* more than 40 megapixels or wider/taller than 10,000 px -> downscaled, with a notice;
* more than ``REFUSE_PIXELS`` (about 179 megapixels, Pillow's decompression-bomb limit) -> refused;
* greyscale, palette, CMYK, 16-bit, transparent (alpha) -> converted to RGB, with a notice;
* EXIF orientation (phone photos) -> applied.
"""
from __future__ import annotations

import functools
import io
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageOps

MAX_PIXELS = 40_000_000  # above this we downscale (and say so)
MAX_SIDE = 10_000  # a side longer than this is downscaled too
# Beyond this we refuse to decode (decompression bombs). It is Pillow's own limit: Image.open raises
# DecompressionBombError above 2 x Image.MAX_IMAGE_PIXELS (about 179 MP with Pillow's default), so a larger
# figure here could never be reached; the check below keeps the rule if Pillow's default changes.
REFUSE_PIXELS = 2 * (Image.MAX_IMAGE_PIXELS or 89_478_485)
DOWNSCALE_TO = 2048  # longest side after a forced downscale


class ImageError(ValueError):
    """The input cannot be used as a picture; ``str(err)`` is the message to show."""


@dataclass
class LoadedImage:
    array: np.ndarray  # (H, W, 3) uint8 RGB
    name: str
    notices: list[str] = field(default_factory=list)
    original_size: tuple[int, int] = (0, 0)  # (width, height) as stored in the file


def _to_rgb(img: Image.Image, notices: list[str]) -> Image.Image:
    mode = img.mode
    if mode == "RGB":
        return img
    if mode == "P":  # palette; may carry transparency
        img = img.convert("RGBA") if "transparency" in img.info else img.convert("RGB")
        mode = img.mode
        if mode == "RGB":
            notices.append("Palette (indexed-colour) image converted to RGB.")
            return img
    if mode in ("RGBA", "LA", "RGBa", "La", "PA"):
        rgba = img.convert("RGBA")
        alpha = np.asarray(rgba)[..., 3]
        if alpha.min() < 255:
            notices.append("Transparent areas were placed on a white background.")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if mode == "CMYK":
        notices.append("CMYK image converted to RGB (colours may shift slightly).")
        return img.convert("RGB")
    if mode in ("L", "1"):
        notices.append("Greyscale image: copied into the three colour channels.")
        return img.convert("RGB")
    if mode.startswith("I") or mode == "F":  # 16/32-bit greyscale: rescale to 0..255 ourselves
        a = np.asarray(img, dtype=np.float64)
        lo, hi = float(a.min()), float(a.max())
        a = np.zeros_like(a) if hi <= lo else (a - lo) / (hi - lo) * 255.0
        notices.append(f"{mode} high-bit-depth greyscale rescaled to 8-bit RGB.")
        return Image.fromarray(a.astype(np.uint8)).convert("RGB")
    notices.append(f"Image mode {mode} converted to RGB.")
    return img.convert("RGB")


def load_image_bytes(data: bytes, name: str = "upload") -> LoadedImage:
    """Decode ``data`` into RGB, applying every check in the module docstring."""
    if not data:
        raise ImageError(f"'{name}' is empty (0 bytes): please choose an image file.")
    try:
        img = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise ImageError(f"'{name}' is far too large to open safely (over {REFUSE_PIXELS / 1e6:.0f} megapixels).") from None
    except Exception:
        raise ImageError(
            f"'{name}' is not an image this app can read (try a JPEG, PNG, WebP, GIF, BMP or TIFF)."
        ) from None
    w, h = img.size
    if w * h > REFUSE_PIXELS:
        raise ImageError(f"'{name}' is {w}×{h} = {w * h / 1e6:.0f} megapixels: too large to open safely "
                         f"(the limit is {REFUSE_PIXELS / 1e6:.0f}).")
    notices: list[str] = []
    big = w * h > MAX_PIXELS or max(w, h) > MAX_SIDE
    try:
        if big and img.format == "JPEG":
            img.draft("RGB", (DOWNSCALE_TO, DOWNSCALE_TO))  # let libjpeg decode at 1/2, 1/4, 1/8 size
        img.load()
        if getattr(img, "n_frames", 1) > 1:
            notices.append("Animated image: only the first frame is used.")
        img = ImageOps.exif_transpose(img)
    except Image.DecompressionBombError:
        raise ImageError(f"'{name}' is far too large to open safely.") from None
    except Exception:
        raise ImageError(f"'{name}' looks like an image but is damaged or truncated, so it cannot be decoded.") from None
    if big:
        img.thumbnail((DOWNSCALE_TO, DOWNSCALE_TO), Image.Resampling.LANCZOS)
        notices.append(
            f"Large photo ({w}×{h}, {w * h / 1e6:.1f} MP) downscaled to {img.size[0]}×{img.size[1]} "
            f"(limits: {MAX_PIXELS // 1_000_000} MP, {MAX_SIDE:,} px a side)."
        )
    img = _to_rgb(img, notices)
    arr = np.asarray(img, dtype=np.uint8).copy()
    if arr.ndim != 3 or arr.shape[2] != 3 or min(arr.shape[:2]) < 1:
        raise ImageError(f"'{name}' decoded to an unexpected shape {arr.shape}.")
    return LoadedImage(arr, name, notices, (w, h))


def fit_within(arr: np.ndarray, max_side: int) -> np.ndarray:
    """Shrink (never enlarge) so that the longest side is at most ``max_side``; keeps aspect."""
    h, w = arr.shape[:2]
    if max(h, w) <= max_side:
        return arr
    s = max_side / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return np.asarray(Image.fromarray(arr).resize(size, Image.Resampling.LANCZOS))


# ---------------------------------------------------------------- built-in sample photos
# name -> (loader, credit). All ship inside installed wheels; nothing is downloaded.
def _skimage(fn):
    import skimage.data as sd

    return getattr(sd, fn)()


def _sklearn(fname):
    from sklearn.datasets import load_sample_image

    return load_sample_image(fname)


def _hopper():
    from matplotlib import cbook

    with cbook.get_sample_data("grace_hopper.jpg") as f:
        return np.asarray(Image.open(f).convert("RGB"))


SAMPLES = {
    "cat (Chelsea)": (lambda: _skimage("chelsea"), "scikit-image sample 'chelsea' (Stefan van der Walt), CC0"),
    "coffee": (lambda: _skimage("coffee"), "scikit-image sample 'coffee' (Rachel Michetti), CC0"),
    "astronaut": (lambda: _skimage("astronaut"), "scikit-image sample: NASA astronaut Eileen Collins, public domain"),
    "rocket": (lambda: _skimage("rocket"), "scikit-image sample 'rocket' (SpaceX), public domain"),
    "Grace Hopper": (_hopper, "matplotlib sample 'grace_hopper.jpg', public domain (US Navy)"),
    "China (temple)": (lambda: _sklearn("china.jpg"), "scikit-learn sample 'china.jpg', CC-BY 2.0"),
    "flower": (lambda: _sklearn("flower.jpg"), "scikit-learn sample 'flower.jpg', CC-BY 2.0"),
}


@functools.lru_cache(maxsize=16)
def sample(name: str) -> np.ndarray:
    """One built-in photo as (H, W, 3) uint8. Raises KeyError for an unknown name."""
    loader, _ = SAMPLES[name]
    arr = np.asarray(loader())
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, -1)
    arr = arr[..., :3].astype(np.uint8)
    arr.setflags(write=False)
    return arr
