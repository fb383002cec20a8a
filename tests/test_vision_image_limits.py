"""The picture-size limits the README states are the ones that apply (Pillow's bomb limit included)."""
import re
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from models.data import images as I



def png_header(w: int, h: int) -> bytes:
    """A PNG that claims w×h pixels (8-bit RGB) but carries no pixel data: enough for Image.open."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IEND", b"")


def test_refusal_limit_is_pillows_own():
    assert I.REFUSE_PIXELS == 2 * Image.MAX_IMAGE_PIXELS  # above it Image.open itself refuses
    assert 170e6 < I.REFUSE_PIXELS < 190e6


def test_just_over_the_limit_is_refused_with_the_limit_named():
    side = int(I.REFUSE_PIXELS ** 0.5) + 2
    with pytest.raises(I.ImageError, match=r"too large to open safely \(over 179 megapixels\)"):
        I.load_image_bytes(png_header(side, side), "big.png")


def test_just_under_the_limit_passes_the_size_gate():
    side = int(I.REFUSE_PIXELS ** 0.5) - 2  # ~178.9 MP: not refused for its size (this one has no pixels)
    with pytest.warns(Image.DecompressionBombWarning), pytest.raises(I.ImageError, match="damaged or truncated"):
        I.load_image_bytes(png_header(side, side), "under.png")


def test_readme_states_the_limits_in_force():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    m = re.search(r"over about (\d+) megapixels refused", readme)
    assert m and int(m[1]) == round(I.REFUSE_PIXELS / 1e6)
    assert f"{I.MAX_PIXELS // 1_000_000} megapixels or {I.MAX_SIDE:,} px a side are downscaled" in readme
