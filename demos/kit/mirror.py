"""Demo mirroring: what a live demo shows on the presenter's screen, pushed to the room's audience pages.

A demo calls, where it already has its picture::

    from demos.kit import mirror
    mirror.publish(key_prefix, image=png_bytes_or_array_or_PIL, text="caption", data={"epoch": 12})

and that is all. ``publish`` does nothing (a dictionary look-up, well under a millisecond) unless the deck
registered a :class:`Sink` for the current Streamlit session: the deck does so for the presenter's session
of a live room (``deck/mirror.py``). Demos never import ``deck``; the sink is how the two meet.

With a sink, ``publish`` takes a snapshot of what it is given (bytes as they are, an array or PIL picture
copied; ``image`` and ``data`` may also be functions, called now, so a demo computes a mirror-only picture
only while it is mirrored) and leaves it as the room's *latest* update. One worker thread per process
sends each room's latest update at most :data:`MAX_PER_SECOND` times a second: an update that arrives
sooner replaces the waiting one (never a queue) and goes out when the room's next slot opens, so the
last picture of a run always arrives. The worker, not the presenter's script, downsizes the picture to
at most :data:`MAX_WIDTH` px wide and encodes it compactly (PNG or JPEG, at most :data:`MAX_IMAGE_BYTES`),
and skips an update identical to the one sent before (a paused demo redrawing the same picture).
Nothing is computed per follower: the hub fans one message out to all of them.

The text goes out as text: the message carries no HTML, and audience pages show it with ``textContent``.
No Streamlit calls here except reading the session's sink.
"""
from __future__ import annotations

import base64
import io
import json
import logging
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

_LOG = logging.getLogger(__name__)

SINK_KEY = "deck_mirror_sink"  # st.session_state key the deck sets for the presenter's session
MAX_PER_SECOND = 4.0
MIN_GAP_S = 1.0 / MAX_PER_SECOND
# After the presenter changes slide, the room's first picture of the new slide waits this long: the move
# itself (the presenter's page, the room's slide message) goes first, the fan-out of pictures after it.
HOLD_AFTER_MOVE_S = 0.4
MAX_WIDTH = 480  # px: a phone's width is plenty
MAX_IMAGE_BYTES = 60_000
MAX_TEXT_CHARS = 600
MAX_DATA_BYTES = 16_000
MAX_DEMO_CHARS = 120


@dataclass(frozen=True)
class Sink:
    """Where one session's mirror updates go: ``send(update)`` is called from the mirror's worker thread
    with ``{"demo", "image", "text", "data"}`` (``image`` a data URL or None); ``room`` names the
    throttle (at most :data:`MAX_PER_SECOND` updates a second per room, all sessions together);
    ``where`` tells two sinks of one room apart (the deck's slide), so a new one replaces the old."""

    room: str
    send: Callable[[dict], None] = field(compare=False)
    where: tuple = ()


def set_sink(session_state, sink: Sink | None) -> None:
    """Register (or with None, remove) the sink of the session whose ``st.session_state`` this is."""
    if sink is None:
        if SINK_KEY in session_state:
            del session_state[SINK_KEY]
    elif session_state.get(SINK_KEY) != sink:
        session_state[SINK_KEY] = sink


def current_sink() -> Sink | None:
    """The sink of the Streamlit session running this thread, or None (no session, not in a room)."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx(suppress_warning=True)
        if ctx is None:
            return None
        sink = ctx.session_state[SINK_KEY] if SINK_KEY in ctx.session_state else None
    except Exception:
        return None
    return sink if isinstance(sink, Sink) else None


def active() -> bool:
    """Whether this session's demo output is being mirrored (a demo may skip mirror-only work otherwise)."""
    return current_sink() is not None


def publish(key_prefix: str, *, image=None, text: str | None = None, data=None, sink: Sink | None = None) -> bool:
    """Offer the demo's current output to the room; True if it was taken (a sink exists).

    ``image``: PNG/JPEG bytes, an RGB/grey array (uint8, or float in [0, 1]), a PIL picture, or a function
    returning one of those; ``text``: a caption (plain text, cut to :data:`MAX_TEXT_CHARS`); ``data``: a
    small JSON-able dict (or a function returning one), e.g. a loss curve's values. Never raises."""
    sink = sink or current_sink()
    if sink is None:
        return False
    try:
        if callable(image):
            image = image()
        if callable(data):
            data = data()
        update = {"demo": str(key_prefix)[:MAX_DEMO_CHARS], "image": _snapshot(image),
                  "text": None if text is None else str(text)[:MAX_TEXT_CHARS], "data": data}
    except Exception:  # mirroring must never break the demo on the presenter's screen
        _LOG.exception("mirror: could not take the update of %s", key_prefix)
        return False
    _WORKER.offer(sink, update)
    return True


# ------------------------------------------------------------------------------------------------
# Pictures


def _snapshot(image):
    """What the worker encodes later: bytes as they are, arrays and PIL pictures copied now (the demo may
    reuse its buffer)."""
    if image is None or isinstance(image, bytes):
        return image
    if isinstance(image, (bytearray, memoryview)):
        return bytes(image)
    if hasattr(image, "copy") and hasattr(image, "mode") and hasattr(image, "size"):  # PIL
        return image.copy()
    import numpy as np

    return np.array(image, copy=True)


def _kind(raw: bytes) -> str | None:
    if raw[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if raw[:3] == b"\xff\xd8\xff":
        return "jpeg"
    return None


def _to_pil(image):
    from PIL import Image

    if isinstance(image, bytes):
        img = Image.open(io.BytesIO(image))
        img.load()
        return img
    if hasattr(image, "mode") and hasattr(image, "size"):
        return image
    import numpy as np

    a = np.asarray(image)
    if a.dtype != np.uint8:
        a = np.clip(np.nan_to_num(a.astype(np.float32)) * 255.0, 0, 255).round().astype(np.uint8)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise ValueError(f"a mirrored picture is (H, W), (H, W, 3) or (H, W, 4), not {a.shape}")
    return Image.fromarray(a)


def encode_image(image, max_width: int = MAX_WIDTH, max_bytes: int = MAX_IMAGE_BYTES) -> str | None:
    """A ``data:image/...;base64,`` URL of at most ``max_bytes`` encoded bytes and ``max_width`` px wide;
    PNG/JPEG bytes already within both limits pass unchanged. None if the picture cannot fit."""
    from PIL import Image

    if image is None:
        return None
    if isinstance(image, bytes):
        kind = _kind(image)
        if kind and len(image) <= max_bytes:
            with Image.open(io.BytesIO(image)) as probe:  # reads the header only
                width = probe.size[0]
            if width <= max_width:
                return f"data:image/{kind};base64," + base64.b64encode(image).decode("ascii")
    # a picture that arrived as JPEG, or as a PNG too big for the room, is photo-like: JPEG only
    photo = isinstance(image, bytes) and (_kind(image) == "jpeg" or len(image) > max_bytes)
    img = _to_pil(image)
    if img.mode not in ("RGB", "L"):
        if "A" in img.getbands():  # flatten transparency on white
            flat = Image.new("RGB", img.size, (255, 255, 255))
            flat.paste(img.convert("RGBA"), mask=img.convert("RGBA").getchannel("A"))
            img = flat
        else:
            img = img.convert("RGB")
    width = max_width
    while width >= 32:
        if img.size[0] > width:
            h = max(1, round(img.size[1] * width / img.size[0]))
            img = img.resize((width, h), Image.Resampling.LANCZOS)
        best = None
        for fmt, opts in (("PNG", {"optimize": False, "compress_level": 6}), ("JPEG", {"quality": 80}),
                          ("JPEG", {"quality": 60}), ("JPEG", {"quality": 40}))[1 if photo else 0:]:
            buf = io.BytesIO()
            img.save(buf, format=fmt, **opts)
            raw = buf.getvalue()
            if best is None or len(raw) < len(best[1]):
                best = (fmt.lower(), raw)
            if len(raw) <= max_bytes and (fmt == "JPEG" or len(raw) <= max_bytes // 3):
                break  # a small PNG (a board, a map) beats a JPEG's smudges; photos go JPEG
        if len(best[1]) <= max_bytes:
            return f"data:image/{best[0]};base64," + base64.b64encode(best[1]).decode("ascii")
        width = int(min(width, img.size[0]) * 0.7)
    return None


def _clean_data(data):
    """JSON-able ``data`` within :data:`MAX_DATA_BYTES` (non-finite numbers become null), else a note."""
    if data is None:
        return None

    def fix(v):
        if isinstance(v, float):
            return v if math.isfinite(v) else None
        if isinstance(v, dict):
            return {str(k): fix(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [fix(x) for x in v]
        if hasattr(v, "item") and callable(v.item):  # numpy scalars
            return fix(v.item())
        if hasattr(v, "tolist"):
            return fix(v.tolist())
        return v

    try:
        cleaned = fix(data)
        size = len(json.dumps(cleaned, separators=(",", ":"), allow_nan=False))
    except (TypeError, ValueError) as exc:
        return {"error": f"data not mirrored: {type(exc).__name__}"}
    if size > MAX_DATA_BYTES:
        return {"error": f"data not mirrored: {size} bytes > {MAX_DATA_BYTES}"}
    return cleaned


def thin(values, n: int = 120) -> list:
    """At most ``n`` items of ``values``, evenly spread, the last one kept (a long curve for the room)."""
    values = list(values)
    if len(values) <= n:
        return values
    step = (len(values) - 1) / (n - 1)
    return [values[round(i * step)] for i in range(n)]


def grid_picture(codes, colours: dict, cell: int = 20, empty=(255, 255, 255)):
    """An RGB array of a grid of colour codes (a board): ``colours`` maps a code to ``"#rrggbb"`` or an
    (r, g, b) triple; each cell ``cell`` px with a 1 px light gap. Row 0 is the top of the picture."""
    import numpy as np

    codes = np.asarray(codes)
    lut = np.zeros((256, 3), dtype=np.uint8)
    lut[:] = empty
    for code, c in colours.items():
        rgb = tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) if isinstance(c, str) else tuple(c)
        lut[int(code) % 256] = rgb
    img = lut[codes.astype(np.int64) % 256]
    img = np.repeat(np.repeat(img, cell, axis=0), cell, axis=1)
    img[::cell, :, :] = 235
    img[:, ::cell, :] = 235
    return img


# ------------------------------------------------------------------------------------------------
# The worker: each room's latest update, at most MAX_PER_SECOND a second


class _Worker:
    def __init__(self):
        self.cond = threading.Condition()
        self.pending: dict[str, tuple[Sink, dict]] = {}   # room -> latest update not yet sent
        self.last_sent: dict[str, float] = {}             # room -> when its last update went out
        self.last_msg: dict[str, str] = {}                # room -> fingerprint of what went out
        self.where: dict[str, tuple] = {}                 # room -> the slide its last offer came from
        self.moved_at: dict[str, float] = {}              # room -> when its offers' slide last changed
        self.thread: threading.Thread | None = None
        self.busy = False                                 # an update is being encoded / sent
        self.stats = {"offered": 0, "sent": 0, "replaced": 0, "same": 0, "failed": 0, "bad_image": 0}

    def offer(self, sink: Sink, update: dict) -> None:
        with self.cond:
            self.stats["offered"] += 1
            if sink.room in self.pending:
                self.stats["replaced"] += 1
            if self.where.get(sink.room) != sink.where:
                self.where[sink.room] = sink.where
                self.moved_at[sink.room] = time.monotonic() if sink.room in self.last_sent else -1e9
            self.pending[sink.room] = (sink, update)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="deck-mirror", daemon=True)
                self.thread.start()
            self.cond.notify()

    def _run(self) -> None:
        while True:
            with self.cond:
                while True:
                    now = time.monotonic()
                    due = {room: max(self.last_sent.get(room, -1e9) + MIN_GAP_S,
                                     self.moved_at.get(room, -1e9) + HOLD_AFTER_MOVE_S) for room in self.pending}
                    ready = [room for room, at in due.items() if at <= now]
                    if ready:
                        room = min(ready, key=due.get)
                        sink, update = self.pending.pop(room)
                        self.last_sent[room] = now
                        self.busy = True
                        break
                    self.cond.wait(timeout=min(due.values()) - now if due else None)
            try:
                self._send(room, sink, update)
            finally:
                with self.cond:
                    self.busy = False
                    self.cond.notify_all()

    def _send(self, room: str, sink: Sink, update: dict) -> None:
        try:
            try:
                image = encode_image(update["image"])
            except Exception as exc:  # not a picture after all: the caption and data still go
                _LOG.warning("mirror: %s's picture not sent (%s: %s)", update.get("demo"), type(exc).__name__, exc)
                image = None
                with self.cond:
                    self.stats["bad_image"] += 1
            message = dict(update, image=image, data=_clean_data(update["data"]))
            mark = json.dumps(message, sort_keys=True, separators=(",", ":"))
            if self.last_msg.get(room) == mark:
                self.stats["same"] += 1
                return
            sink.send(message)
            self.last_msg[room] = mark
            with self.cond:
                if len(self.last_msg) > 500:  # rooms come and go: forget the oldest
                    self.last_msg.pop(next(iter(self.last_msg)))
                if len(self.last_sent) > 500:
                    self.last_sent.pop(next(iter(self.last_sent)))
                for table in (self.where, self.moved_at):
                    if len(table) > 500:
                        table.pop(next(iter(table)))
            self.stats["sent"] += 1
        except Exception:
            self.stats["failed"] += 1
            _LOG.exception("mirror: sending an update to room %s failed", room)

    def forget(self, room: str) -> None:
        """Drop a room's waiting update and memory (the room ended)."""
        with self.cond:
            self.pending.pop(room, None)
            self.last_msg.pop(room, None)
            self.last_sent.pop(room, None)
            self.where.pop(room, None)
            self.moved_at.pop(room, None)

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait until no update is waiting (tests, benchmarks); False on timeout."""
        end = time.monotonic() + timeout
        with self.cond:
            while self.pending or self.busy:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(timeout=min(left, 0.05))
        return True


_WORKER = _Worker()


def stats() -> dict:
    with _WORKER.cond:
        return dict(_WORKER.stats)


def forget(room: str) -> None:
    _WORKER.forget(room)


def flush(timeout: float = 2.0) -> bool:
    return _WORKER.flush(timeout)

