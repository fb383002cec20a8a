"""The shared picture checks (models.data.images) and the picker UI (demos.kit.images)."""
import io

import numpy as np
import pytest
from PIL import Image

from models.data.images import SAMPLES, ImageError, fit_within, load_image_bytes, sample


def encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def photo(w=64, h=48):
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))


def test_rgb_jpeg_roundtrip():
    im = load_image_bytes(encode(photo(), "JPEG"), "a.jpg")
    assert im.array.shape == (48, 64, 3) and im.array.dtype == np.uint8 and im.notices == []


@pytest.mark.parametrize("data", [b"", b"hello, I am text", b"%PDF-1.4 not a picture" * 10])
def test_not_an_image(data):
    with pytest.raises(ImageError, match="empty|not an image"):
        load_image_bytes(data, "notes.txt")


def test_corrupt_jpeg():
    data = encode(photo(400, 300), "JPEG")
    with pytest.raises(ImageError, match="damaged or truncated"):
        load_image_bytes(data[: len(data) // 3], "cut.jpg")


def test_wide_image_downscaled_with_notice():
    im = load_image_bytes(encode(Image.new("RGB", (10_500, 20), (10, 200, 30)), "PNG"), "wide.png")
    assert max(im.array.shape[:2]) <= 2048 and im.original_size == (10_500, 20)
    assert any("downscaled" in n for n in im.notices)
    assert tuple(im.array[0, 0]) == (10, 200, 30)


def test_40_megapixel_jpeg_downscaled():
    big = Image.new("L", (8200, 5000), 128)  # 41 MP
    im = load_image_bytes(encode(big, "JPEG", quality=50), "big.jpg")
    assert max(im.array.shape[:2]) <= 2048 and any("41.0 MP" in n for n in im.notices)


def test_greyscale_cmyk_alpha_palette_16bit():
    grey = load_image_bytes(encode(Image.new("L", (8, 8), 77), "PNG"), "g.png")
    assert grey.array.shape == (8, 8, 3) and (grey.array == 77).all() and "Greyscale" in grey.notices[0]
    cmyk = load_image_bytes(encode(Image.new("CMYK", (8, 8), (0, 255, 255, 0)), "JPEG"), "c.jpg")
    assert "CMYK" in cmyk.notices[0] and cmyk.array[0, 0, 0] > 200 and cmyk.array[0, 0, 1] < 60  # red
    rgba = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    rgba.putpixel((0, 0), (0, 0, 255, 255))
    a = load_image_bytes(encode(rgba, "PNG"), "t.png")
    assert "white background" in a.notices[0]
    assert tuple(a.array[0, 0]) == (0, 0, 255) and tuple(a.array[5, 5]) == (255, 255, 255)
    pal = load_image_bytes(encode(photo().convert("P"), "GIF"), "p.gif")
    assert pal.array.shape == (48, 64, 3) and "Palette" in pal.notices[0]
    i16 = load_image_bytes(encode(Image.fromarray(np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000), "PNG"), "d.png")
    assert i16.array.max() == 255 and i16.array.min() == 0 and "8-bit" in i16.notices[0]


def test_samples_and_fit():
    for name in SAMPLES:
        a = sample(name)
        assert a.ndim == 3 and a.shape[2] == 3 and a.dtype == np.uint8 and min(a.shape[:2]) >= 200
    small = fit_within(sample("cat (Chelsea)"), 150)
    assert small.shape == (100, 150, 3)
    assert fit_within(small, 500) is small  # never enlarges


def test_picker_ui_upload_messages():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(
        "import streamlit as st\nfrom demos.kit.images import image_input\n"
        "img = image_input('p', max_side=100)\nst.write('shape', None if img is None else img.array.shape)",
        default_timeout=60).run()
    assert not at.exception and "(67, 100, 3)" in at.markdown[-1].value  # the 300x451 cat, fitted to 100 px
    at.radio(key="p_source").set_value("Upload").run()
    assert "Nothing uploaded yet" in at.caption[0].value  # falls back to the sample meanwhile
    at.file_uploader(key="p_upload").set_value(("notes.txt", b"just text", "text/plain")).run()
    assert "not an image" in at.error[0].value and "None" in at.markdown[-1].value
    grey = encode(Image.new("L", (30, 20), 5), "PNG")
    at.file_uploader(key="p_upload").set_value(("g.png", grey, "image/png")).run()
    assert not at.error and "Greyscale" in at.info[0].value and "(20, 30, 3)" in at.markdown[-1].value


def test_picker_ui_camera():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(
        "import streamlit as st\nfrom demos.kit.images import image_input\n"
        "img = image_input('q')\nst.write('shape', None if img is None else img.array.shape)",
        default_timeout=60).run()
    at.radio(key="q_source").set_value("Camera").run()
    assert "Nothing taken yet" in at.caption[0].value
    shot = encode(Image.new("RGB", (40, 30), (0, 128, 0)), "JPEG")
    at.camera_input(key="q_camera").set_value(("shot.jpg", shot, "image/jpeg")).run()
    assert not at.exception and "(30, 40, 3)" in at.markdown[-1].value and not at.info
