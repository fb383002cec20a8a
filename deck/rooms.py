"""Live rooms: an audience follows the presenter's slide (see ``deck/follow.py``).

The presenter holds a secret key (192 random bits); audience links carry only the room id. The
server keeps a hash of the key. Plain Python, shared by every session of the server process.
A room lives until its presenter ends it (:func:`end_room`, key needed) or nobody has driven it for
:data:`IDLE_TIMEOUT_S`; a reload of the presenter's page keeps it (the key is in that page's URL).
Functions registered with :func:`on_end` hear of every room that ends (``deck/hub.py`` tells the
audience pages and closes their sockets).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

_LOCK = threading.Lock()
MAX_ROOMS = 200
IDLE_TIMEOUT_S = 4 * 3600.0
_ROOMS: dict[str, "Room"] = {}
_ON_END: list = []


@dataclass
class Room:
    key_hash: bytes
    talk_id: str
    index: int
    updated: float
    pollers: dict | None = None  # fallback followers (session id -> last poll time)


def _hash(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "replace")).digest()


def on_end(callback) -> None:
    """Call ``callback(room_id)`` (outside the lock) whenever a room ends, by its key or by time."""
    if callback not in _ON_END:
        _ON_END.append(callback)


def _notify(ended: list[str]) -> None:
    for room_id in ended:
        for callback in list(_ON_END):
            try:
                callback(room_id)
            except Exception:  # a listener's failure must not stop the others
                pass


def _expire_locked(now: float) -> list[str]:
    gone = [r for r, room in _ROOMS.items() if now - room.updated > IDLE_TIMEOUT_S]
    for room_id in gone:
        del _ROOMS[room_id]
    return gone


def open_room(talk_id: str, index: int) -> tuple[str, str]:
    """Create a room; return (room id, presenter key). Only the key's hash is kept."""
    room_id, key = secrets.token_urlsafe(9), secrets.token_urlsafe(24)
    now = time.time()
    with _LOCK:
        ended = _expire_locked(now)
        if len(_ROOMS) >= MAX_ROOMS:
            oldest = min(_ROOMS, key=lambda r: _ROOMS[r].updated)
            del _ROOMS[oldest]
            ended.append(oldest)
        _ROOMS[room_id] = Room(_hash(key), talk_id, index, now)
    _notify(ended)
    return room_id, key


def room_exists(room_id: str) -> bool:
    with _LOCK:
        room = _ROOMS.get(room_id)
        if room is None:
            return False
        if time.time() - room.updated <= IDLE_TIMEOUT_S:
            return True
        del _ROOMS[room_id]
    _notify([room_id])
    return False


def end_room(room_id: str, key: str) -> bool:
    """End a room; refused (False) without its key."""
    with _LOCK:
        room = _ROOMS.get(room_id)
        if not room or not key or not hmac.compare_digest(room.key_hash, _hash(key)):
            return False
        del _ROOMS[room_id]
    _notify([room_id])
    return True


def touch(room_id: str, key: str) -> bool:
    """The presenter is still there (a page load or its pointer socket): push the idle timeout back."""
    with _LOCK:
        room = _ROOMS.get(room_id)
        if not room or not key or not hmac.compare_digest(room.key_hash, _hash(key)):
            return False
        room.updated = time.time()
        return True


def note_poller(room_id: str, session_id: str, window_s: float = 10.0) -> int:
    """A fallback follower polled; return how many polled the room in the last ``window_s`` seconds."""
    now = time.time()
    with _LOCK:
        room = _ROOMS.get(room_id)
        if room is None:
            return 0
        if room.pollers is None:
            room.pollers = {}
        room.pollers[session_id] = now
        if len(room.pollers) > 64 and now - min(room.pollers.values()) > window_s:
            room.pollers = {s: t for s, t in room.pollers.items() if now - t <= window_s}
        return sum(1 for t in room.pollers.values() if now - t <= window_s)


def is_presenter(room_id: str, key: str) -> bool:
    with _LOCK:
        room = _ROOMS.get(room_id)
        return bool(room and key and hmac.compare_digest(room.key_hash, _hash(key)))


def drive_room(room_id: str, key: str, talk_id: str, index: int) -> bool:
    """Move the room to a slide; refused (False) without the room's key."""
    return drive(room_id, key, talk_id, index) is not None


def drive(room_id: str, key: str, talk_id: str, index: int) -> bool | None:
    """Move the room to a slide: None if refused (no such room, wrong key), else whether it moved."""
    with _LOCK:
        room = _ROOMS.get(room_id)
        if not room or not key or not hmac.compare_digest(room.key_hash, _hash(key)):
            return None
        moved = (room.talk_id, room.index) != (talk_id, index)
        room.talk_id, room.index, room.updated = talk_id, index, time.time()
        return moved


def room_position(room_id: str) -> tuple[str, int] | None:
    with _LOCK:
        room = _ROOMS.get(room_id)
        return (room.talk_id, room.index) if room else None
