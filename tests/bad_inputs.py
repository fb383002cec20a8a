"""Hostile inputs for the "bad input, everywhere" tests, generated on the fly (no binaries in git).

* ``hostile_files()``: name -> (bytes, MIME type) for a non-image, an empty file, a truncated JPEG,
  a 50-megapixel PNG and a decompression bomb (a PNG whose header claims 30,000 × 30,000 pixels and
  whose data really inflates to that many). Each is built in well under a second and is small.
* ``JUNK_TEXT``: 10 kB of text no demo expects.
* ``UPLOADERS``: every demo with a ``st.file_uploader`` / ``st.camera_input``, how to reach the
  widget (slide options and widgets to set first) and its widget key.
* ``GARBAGE_PARAMS``: query parameters no link should carry.
"""
from __future__ import annotations

import functools
import io
import struct
import zlib
from dataclasses import dataclass, field

# ------------------------------------------------------------------------------------------ files


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png(width: int, height: int, bit_depth: int, colour_type: int, row: bytes) -> bytes:
    """A PNG written chunk by chunk whose every scanline is ``row`` (filter byte included).

    The pixel data is streamed through zlib one row at a time, so a huge image never exists in
    memory here; a flat image compresses about 1000:1."""
    comp = zlib.compressobj(9)
    parts = [comp.compress(row) for _ in range(height)]
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", b"".join(parts))
            + _chunk(b"IEND", b""))


def huge_png(side: int = 7072, rgb: tuple[int, int, int] = (40, 120, 200)) -> bytes:
    """A flat-colour side×side RGB PNG (7072² ≈ 50 MP). Filter 'Sub' makes every row one colour."""
    return _png(side, side, 8, 2, b"\x01" + bytes(rgb) + bytes(3 * (side - 1)))


def bomb_png(side: int = 30_000) -> bytes:
    """A real decompression bomb: 1-bit greyscale, side×side (900 MP), ~110 kB on disk; its data
    inflates to ~112 MB of bits, and to 900 MB (8-bit) or 2.7 GB (RGB) once decoded."""
    return _png(side, side, 1, 0, bytes(1 + (side + 7) // 8))


def truncated_jpeg() -> bytes:
    """A real 640×480 photo JPEG (scikit-image's cat), cut in half."""
    from PIL import Image

    from models.data.images import sample

    buf = io.BytesIO()
    Image.fromarray(sample("cat (Chelsea)")).resize((640, 480)).save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    return data[: len(data) // 2]


NOT_AN_IMAGE = (b"Dear presenter,\nthis is a plain-text letter saved with a .png name.\n" * 40)


@functools.lru_cache(maxsize=1)
def hostile_files() -> dict[str, tuple[bytes, str]]:
    """name -> (content, MIME type the browser would send); built once per test process."""
    return {
        "not_an_image.png": (NOT_AN_IMAGE, "image/png"),
        "empty.jpg": (b"", "image/jpeg"),
        "truncated.jpg": (truncated_jpeg(), "image/jpeg"),
        "huge_50mp.png": (huge_png(), "image/png"),
        "bomb.png": (bomb_png(), "image/png"),
    }


def hostile_csvs() -> dict[str, bytes]:
    """CSV uploads (the Playground's own points) that are wrong in every way we could think of."""
    rows = "".join(f"{i % 7},{(i * 3) % 5},{i % 2}\n" for i in range(20))
    return {
        "not_a_csv.csv": NOT_AN_IMAGE,
        "empty.csv": b"",
        "junk.csv": JUNK_TEXT.encode("utf-8"),
        "binary.csv": bomb_png(600),
        "nan_inf.csv": ("x,y,label\n" + rows + "nan,1,0\ninf,2,1\n-inf,3,0\n1,NaN,1\n").encode(),
        "all_inf.csv": b"x,y,label\n" + b"inf,-inf,0\n-inf,inf,1\n" * 4,
        "huge_numbers.csv": ("x,y,label\n" + rows + "1e308,1e308,0\n1e308,-1e308,1\n-1e308,1e308,1\n").encode(),
        "wrong_columns.csv": b"x,y,label\n1,2\n3,4,5,6,7\n8\n9,10,1\n",
        "one_column.csv": b"x\n1\n2\n3\n4\n5\n",
        "one_label.csv": ("x,y,label\n" + "".join(f"{i},{i * 2},a\n" for i in range(10))).encode(),
    }


# ------------------------------------------------------------------------------------------- text


def _junk_text(size: int = 10_000) -> str:
    pieces = [
        "\x00", "\x01\x02\x07\x08\x0b\x0c\x1b[31m\x1f\x7f", "\r\n\t", "\u202e", "\u202d", "\u2066\u2069",
        "\u200b\u200c\u200d\u2060\ufeff", "👩‍👩‍👧‍👦", "🏳️‍🌈", "🇸🇬", "👍🏽", "Z̴̢̛̖̗̈́͑a̸̡̘͒l̵̰̈́g̶͔̓o̷̜̊",
        "e\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308", "ﷺ", "\ufdfd", "𒐫", "𝕳𝖊𝖑𝖑𝖔", "Ǆ ǅ ǆ", "ß ẞ İ ı",
        "مرحبا بالعالم", "שלום", "你好世界", "こんにちは", "\u0e01\u0e33", "\ufffd", "\uffff",
        "<script>alert('x')</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)",
        "'; DROP TABLE slides; --", "\" OR 1=1 --", "`rm -rf /`", "$(reboot)", "{{7*7}}", "${jndi:ldap://x}",
        "%s%s%n%x", "../../../../etc/passwd", "C:\\Windows\\system32", "NaN", "-1e309", "Infinity",
        "9" * 400, "a" * 1500, "supercalifragilisticexpialidocious" * 20, "   ", ",,,,;;;;", "|" * 50,
        "**bold** _it_ [link](javascript:alert(1)) $$\\frac{1}{0}$$ :red[x]",
    ]
    out, i = [], 0
    while sum(map(len, out)) < size:
        out.append(pieces[i % len(pieces)])
        out.append(" " if i % 3 else "")
        i += 1
    return "".join(out)[:size]


JUNK_TEXT = _junk_text()
# Short hostile strings, for boxes that cut long text (max_chars: Streamlit's server truncates too).
SHORT_JUNK = ["\u202eevil\x00 king", "<script>alert(1)</script>", "-1e309", "👩\u200d👩\u200d👧 e\u0301\u0301"]

# --------------------------------------------------------------------------------------- uploaders


@dataclass(frozen=True)
class Uploader:
    """One upload (or camera) widget of one demo, and how a test reaches it."""

    demo: str  # demos/<demo>.py, rendered with key_prefix="t"
    key: str  # the widget's key on that slide
    site: tuple[str, str]  # the call in the source: (file, key expression as written there)
    options: dict = field(default_factory=dict)  # slide options for render()
    setup: tuple = ()  # (widget kind, key, value) set first, e.g. the radio that shows the uploader
    kind: str = "file_uploader"  # or "camera_input"
    multiple: bool = False

    @property
    def id(self) -> str:
        return f"{self.demo}:{self.key}"


# The pictures of Session II all come through demos/kit/images.image_input (radio "Upload" or "Camera").
def _picker(demo: str, prefix: str, options: dict | None = None) -> list[Uploader]:
    radio = (("radio", f"{prefix}_source", "Upload"),)
    camera = (("radio", f"{prefix}_source", "Camera"),)
    return [Uploader(demo, f"{prefix}_upload", ("demos/kit/images.py", 'f"{key_prefix}_upload"'), options or {}, radio),
            Uploader(demo, f"{prefix}_camera", ("demos/kit/images.py", 'f"{key_prefix}_camera"'), options or {}, camera,
                     kind="camera_input")]


UPLOADERS: list[Uploader] = [
    Uploader("painting", "t_upload", ("demos/painting.py", 'f"{kp}_upload"'), {"autostart": "0"},
             (("selectbox", "t_image", "upload…"),)),
    Uploader("mnist_dense", "t_upload", ("demos/mnist_dense.py", 'f"{kp}_upload"'), {"draw": "0"}),
    Uploader("anomaly", "t_upload", ("demos/anomaly.py", 'k("upload")')),
    Uploader("playground", "t_csv", ("demos/playground.py", 'f"{kp}_csv"'), {"autostart": "0", "url": "0"},
             (("radio", "t_data", "csv"),)),
    Uploader("transfer", "t_files0", ("demos/transfer.py", 'f"{kp}_files{c}"'), multiple=True),
    Uploader("transfer", "t_files1", ("demos/transfer.py", 'f"{kp}_files{c}"'), multiple=True),
    # "Test photos" appears once every class has a usable photo: good ones are uploaded first.
    Uploader("transfer", "t_test", ("demos/transfer.py", 'f"{kp}_test"'), multiple=True,
             setup=(("good_upload", "t_files0", 0), ("good_upload", "t_files1", 1))),
    Uploader("style_transfer", "t_style_upload", ("demos/style_transfer.py", 'f"{kp}_style_upload"'), {},
             (("radio", "t_style_source", "Upload"),)),
    *_picker("style_transfer", "t_content"),
    *_picker("convolution", "t"),
    *_picker("deepdream", "t"),
    *_picker("imagenet", "t"),
    # the captioning slides' photo (sample / upload / camera) comes through the same picker
    *_picker("caption_compare", "t"),
]

# ------------------------------------------------------------------------------------- URL params

GARBAGE_PARAMS: list[dict[str, str]] = [
    {"talk": "../../etc/passwd"},
    {"talk": "\x00", "section": "%00", "slide": "-1e309"},
    {"section": "intro", "slide": "1"},  # a section without a talk, and a talk that does not own it
    {"talk": "fifth-elephant-2016", "section": "<script>alert(1)</script>", "slide": "NaN"},
    {"talk": "fifth-elephant-2016", "section": "session-2", "slide": "-1e309"},
    {"talk": "fifth-elephant-2016", "section": "session-2", "slide": "1e309"},
    {"talk": "tfdl-sg-2017", "section": "results", "slide": "\u202e7\x00"},
    {"slide": "999999999999999999999999999999"},
    {"slide": "-1", "present": "<script>alert(1)</script>"},
    {"present": "1" * 5000, "view": "../../etc"},
    {"view": "presenter", "ch": "x" * 5000},
    {"view": "presenter", "ch": "\u202e\x00<b>"},
    {"room": "x" * 500},
    {"room": "x" * 500, "key": "y" * 500},
    {"room": "", "key": "\x00' OR 1=1 --"},
    {"key": "k" * 2000},
    {"ch": "🧨" * 300, "talk": "🧨", "section": "\u200d" * 50, "slide": "١٢"},  # Arabic-Indic digits
    {"unknown": "x" * 10_000, "pg_layers": "9" * 400},
]
