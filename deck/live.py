"""Process-wide record of where each presenting session is, for the presenter view.

A deck session publishes its position under a random channel id; the presenter-view tab of the
same presenter reads it by that id. Plain Python, shared by every session of the server process.
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

_LOCK = threading.Lock()
_CHANNELS: dict[str, "LivePosition"] = {}
MAX_CHANNELS = 500


@dataclass(frozen=True)
class LivePosition:
    talk_id: str
    index: int
    updated: float


def new_channel() -> str:
    return secrets.token_urlsafe(16)


def publish(channel: str, talk_id: str, index: int) -> None:
    with _LOCK:
        if len(_CHANNELS) >= MAX_CHANNELS and channel not in _CHANNELS:
            oldest = min(_CHANNELS, key=lambda c: _CHANNELS[c].updated)
            del _CHANNELS[oldest]
        _CHANNELS[channel] = LivePosition(talk_id, index, time.time())


def read(channel: str) -> LivePosition | None:
    with _LOCK:
        return _CHANNELS.get(channel)

