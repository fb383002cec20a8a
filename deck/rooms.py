"""Live rooms: an audience follows the presenter's slide (see ``deck/follow.py``).

The presenter holds a secret key (192 random bits); audience links carry only the room id. The
server keeps a hash of the key. Plain Python, shared by every session of the server process.
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
_ROOMS: dict[str, "Room"] = {}


@dataclass
class Room:
    key_hash: bytes
    talk_id: str
    index: int
    updated: float


def _hash(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "replace")).digest()


def open_room(talk_id: str, index: int) -> tuple[str, str]:
    """Create a room; return (room id, presenter key). Only the key's hash is kept."""
    room_id, key = secrets.token_urlsafe(9), secrets.token_urlsafe(24)
    with _LOCK:
        if len(_ROOMS) >= MAX_ROOMS:
            del _ROOMS[min(_ROOMS, key=lambda r: _ROOMS[r].updated)]
        _ROOMS[room_id] = Room(_hash(key), talk_id, index, time.time())
    return room_id, key


def room_exists(room_id: str) -> bool:
    with _LOCK:
        return room_id in _ROOMS


def is_presenter(room_id: str, key: str) -> bool:
    with _LOCK:
        room = _ROOMS.get(room_id)
        return bool(room and key and hmac.compare_digest(room.key_hash, _hash(key)))


def drive_room(room_id: str, key: str, talk_id: str, index: int) -> bool:
    """Move the room to a slide; refused (False) without the room's key."""
    with _LOCK:
        room = _ROOMS.get(room_id)
        if not room or not key or not hmac.compare_digest(room.key_hash, _hash(key)):
            return False
        room.talk_id, room.index, room.updated = talk_id, index, time.time()
        return True


def room_position(room_id: str) -> tuple[str, int] | None:
    with _LOCK:
        room = _ROOMS.get(room_id)
        return (room.talk_id, room.index) if room else None
