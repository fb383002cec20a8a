"""Live rooms: an audience follows the presenter's slide (see ``deck/follow.py``).

The presenter holds a secret key (192 random bits); audience links carry only the room id. The
server keeps a hash of the key. Plain Python, shared by every session of the server process.
A room lives until its presenter ends it (:func:`end_room`, key needed) or nobody has driven it for
:data:`IDLE_TIMEOUT_S`; a reload of the presenter's page keeps it (the key is in that page's URL).
Functions registered with :func:`on_end` hear of every room that ends (``deck/hub.py`` tells the
audience pages and closes their sockets).
With ``DECK_REDIS_URL`` set, ``deck/backplane.py`` shares every room (key hash, position) with the other
deck servers through Redis; the dict here is then this server's copy, refreshed by :func:`_sync`.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from . import backplane

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


def _notify(ended: list[str], everywhere: bool = True) -> None:
    if ended and not everywhere:  # ended on another server, or only this server's copy went stale
        with backplane.local_only():
            _notify(ended)
        return
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


def _share(room_id: str, room: Room | None) -> None:
    """Write a room to the shared store (``None``: delete it); nothing without one, or while it is down."""
    bp = backplane.get()
    if bp.shared:
        try:
            if room is None:
                bp.delete_room(room_id)
            else:
                bp.save_room(room_id, {"key_hash": room.key_hash.hex(), "talk": room.talk_id,
                                       "index": room.index, "updated": room.updated})
        except backplane.Unavailable:
            pass  # this server's copy carries on; the backplane writes it back when the store returns


_SYNCED: dict[str, float] = {}
SYNC_FRESH_S = 0.25


def _sync(room_id: str) -> None:
    """Refresh this server's copy of a room from the shared store (opened or moved on another server)."""
    bp = backplane.get()
    if not bp.shared or time.monotonic() - _SYNCED.get(room_id, -1e9) < SYNC_FRESH_S:
        return
    try:
        rec = bp.load_room(room_id)
    except backplane.Unavailable:
        return
    ended = []
    with _LOCK:
        _SYNCED[room_id] = time.monotonic()
        if len(_SYNCED) > 4 * MAX_ROOMS:
            _SYNCED.pop(next(iter(_SYNCED)))
        if rec is None:
            if room_id in _ROOMS and bp.settled():  # gone from the store (ended or idle), not just restarted
                del _ROOMS[room_id]
                ended.append(room_id)
        else:
            try:
                fresh = Room(bytes.fromhex(rec["key_hash"]), rec["talk"], int(rec["index"]), float(rec["updated"]))
            except (KeyError, ValueError):
                return
            room = _ROOMS.get(room_id)
            if room is None:
                _ROOMS[room_id] = fresh
            else:
                room.key_hash, room.talk_id, room.index = fresh.key_hash, fresh.talk_id, fresh.index
                room.updated = max(room.updated, fresh.updated)
    _notify(ended, everywhere=False)


def forget(room_id: str) -> None:
    """The room ended on another server: drop this server's copy and tell its listeners here only."""
    with _LOCK:
        _ROOMS.pop(room_id, None)
    _notify([room_id], everywhere=False)


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
        room = _ROOMS[room_id] = Room(_hash(key), talk_id, index, now)
    _share(room_id, room)
    _notify(ended, everywhere=not backplane.get().shared)  # shared: the store's TTL ends rooms everywhere
    return room_id, key


def room_exists(room_id: str) -> bool:
    _sync(room_id)
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
    _sync(room_id)
    with _LOCK:
        room = _ROOMS.get(room_id)
        if not room or not key or not hmac.compare_digest(room.key_hash, _hash(key)):
            return False
        del _ROOMS[room_id]
    _share(room_id, None)
    _notify([room_id])
    return True


def touch(room_id: str, key: str) -> bool:
    """The presenter is still there (a page load or its pointer socket): push the idle timeout back."""
    _sync(room_id)
    with _LOCK:
        room = _ROOMS.get(room_id)
        if not room or not key or not hmac.compare_digest(room.key_hash, _hash(key)):
            return False
        room.updated = time.time()
    _share(room_id, room)
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
    _sync(room_id)
    with _LOCK:
        room = _ROOMS.get(room_id)
        return bool(room and key and hmac.compare_digest(room.key_hash, _hash(key)))


def drive_room(room_id: str, key: str, talk_id: str, index: int) -> bool:
    """Move the room to a slide; refused (False) without the room's key."""
    return drive(room_id, key, talk_id, index) is not None


def drive(room_id: str, key: str, talk_id: str, index: int) -> bool | None:
    """Move the room to a slide: None if refused (no such room, wrong key), else whether it moved."""
    _sync(room_id)
    with _LOCK:
        room = _ROOMS.get(room_id)
        if not room or not key or not hmac.compare_digest(room.key_hash, _hash(key)):
            return None
        moved = (room.talk_id, room.index) != (talk_id, index)
        room.talk_id, room.index, room.updated = talk_id, index, time.time()
    _share(room_id, room)
    return moved


def room_position(room_id: str) -> tuple[str, int] | None:
    _sync(room_id)
    with _LOCK:
        room = _ROOMS.get(room_id)
        return (room.talk_id, room.index) if room else None
