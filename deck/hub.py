"""Push channel of the live rooms: the deck's own server sends each room's news to its audience pages.

The audience page (``deck/audience.py``, served at ``/room/<id>`` by the routes in ``deck/routes.py``)
opens one WebSocket to ``/room/<id>/ws`` and keeps it; it costs the server nothing between messages
(no Streamlit session, no polling). Anything in the server process -- the presenter's Streamlit run,
a demo's mirror sink, the presenter's pointer socket -- calls :func:`broadcast` once per change and
the hub fans the JSON out to every follower of that room.

* :func:`broadcast` may be called from any thread and never waits for the network: it records the
  message as the room's latest of its ``type`` (so a new or reconnecting follower gets the current
  slide, pointer, mirror and poll at once) and hands the fan-out to the server's event loop.
* Each follower has its own sender task holding at most one pending message per type: a slow phone
  skips stale pointer positions and pictures instead of piling them up.
* Messages FROM audience pages (e.g. votes) go to handlers registered with :func:`on_message`, after
  the hub has dropped oversized ones (over :data:`MAX_INBOUND_BYTES`) and rate-limited each
  connection; handlers still validate every field.

With ``DECK_REDIS_URL`` set, each broadcast also goes to the room's other deck servers through
``deck/backplane.py`` (and their followers' votes come back the same way); a server's followers are told
when the live link between servers is down, and again when it is back.

The room's key never passes through here to a follower: only messages given to :func:`broadcast`
are sent, and :func:`broadcast` refuses one carrying a ``key`` field.
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from typing import Any, Callable

from . import backplane, rooms

_LOG = logging.getLogger(__name__)

MAX_INBOUND_BYTES = 2048          # a follower's message over this is dropped unread
INBOUND_RATE = 5.0                # follower messages per second, per connection (burst INBOUND_BURST)
INBOUND_BURST = 10.0
MAX_DROPS = 50                    # a connection that keeps sending refused messages is closed
MAX_OUTBOUND_BYTES = 512 * 1024   # a broadcast bigger than this is refused (a mirror picture is ~60 kB)
SEND_TIMEOUT_S = 10.0             # a follower that takes longer to accept one message is dropped
MAX_FOLLOWERS_PER_ROOM = 5000

Handler = Callable[[str, str, dict], Any]

_LOCK = threading.Lock()
_LATEST: dict[str, dict[str, str]] = {}       # room id -> message type -> latest JSON text
_CONNS: dict[str, set["Follower"]] = {}       # room id -> followers (touched on the event loop only)
_COUNTS: dict[str, int] = {}                  # room id -> followers (readable from any thread)
_HANDLERS: dict[str, Handler] = {}
_LOOP: asyncio.AbstractEventLoop | None = None
_PRESENTER_SEEN: dict[str, float] = {}        # room id -> last time its presenter socket was alive
_STATS = {"sent": 0, "dropped_inbound": 0}


# ------------------------------------------------------------------------------------------------
# API for the deck (any thread)


def broadcast(room_id: str, message: dict) -> None:
    """Send ``message`` (a JSON-able dict with a string ``type``) to every follower of the room."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ValueError("a room message is a dict with a string 'type'")
    if "key" in message:
        raise ValueError("a room message may not carry a 'key' field")
    if message["type"] == "mirror" and "at" not in message:
        message = {**message, "at": round(time.time(), 3)}  # server clock when sent: mirror lag is measurable
    text = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
    if len(text) > MAX_OUTBOUND_BYTES:
        raise ValueError(f"room message too large ({len(text)} bytes > {MAX_OUTBOUND_BYTES})")
    kind = message["type"]
    _deliver(room_id, kind, text)
    if backplane.publishing():
        bp = backplane.get()
        if bp.shared:
            bp.publish(room_id, kind, text)  # queued: never waits on the network


def _deliver(room_id: str, kind: str, text: str) -> None:
    """Keep ``text`` as the room's latest of its type and send it to this server's followers of the room."""
    with _LOCK:
        latest = _LATEST.setdefault(room_id, {})
        if kind == "end":
            latest.clear()
        latest[kind] = text
        loop = _LOOP
    if loop is None or loop.is_closed():
        return  # no follower socket has ever connected: the latest state waits for the first one
    try:
        if _on_loop(loop):
            _fan_out(room_id, kind, text)
        else:
            loop.call_soon_threadsafe(_fan_out, room_id, kind, text)
    except RuntimeError:  # the loop is shutting down
        pass


def on_message(type_name: str, handler: Handler) -> None:
    """Register ``handler(room_id, voter_id, message)`` for follower messages of this ``type``."""
    with _LOCK:
        _HANDLERS[type_name] = handler


def follower_count(room_id: str) -> int:
    """Audience pages of the room connected right now (push path only; on every server with Redis)."""
    with _LOCK:
        here = _COUNTS.get(room_id, 0)
    bp = backplane.get()
    return here + bp.peer_followers(room_id) if bp.shared else here


def latest(room_id: str, kind: str) -> dict | None:
    """The room's latest message of a type, as sent (None if there is none)."""
    with _LOCK:
        text = _LATEST.get(room_id, {}).get(kind)
    return json.loads(text) if text else None


def presenter_connected(room_id: str, within_s: float = 30.0) -> bool:
    """Whether the presenter's page reached the room's push route recently (so push works here)."""
    with _LOCK:
        seen = _PRESENTER_SEEN.get(room_id, 0.0)
    return time.monotonic() - seen < within_s


def mark_presenter(room_id: str) -> None:
    with _LOCK:
        _PRESENTER_SEEN[room_id] = time.monotonic()


def end(room_id: str) -> None:
    """The room ended: tell its followers, close their sockets, forget its state."""
    broadcast(room_id, {"type": "end"})
    with _LOCK:
        _PRESENTER_SEEN.pop(room_id, None)
        loop = _LOOP
    if loop is not None and not loop.is_closed():
        try:
            if _on_loop(loop):
                _close_room(room_id)
            else:
                loop.call_soon_threadsafe(_close_room, room_id)
        except RuntimeError:
            pass
    with _LOCK:
        _LATEST.pop(room_id, None)


def stats() -> dict:
    with _LOCK:
        return dict(_STATS, rooms=len(_LATEST), followers=sum(_COUNTS.values()))


# ------------------------------------------------------------------------------------------------
# The event-loop side (used by deck/routes.py)


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def bind_loop() -> None:
    """Remember the server's event loop (called from a route, on the loop)."""
    global _LOOP
    loop = asyncio.get_running_loop()
    with _LOCK:
        if _LOOP is not loop:
            _LOOP = loop


class RateLimit:
    """Token bucket: ``allow()`` is False once a connection sends faster than ``rate`` per second."""

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, burst
        self.tokens, self.at = burst, time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


class Follower:
    """One audience socket: a sender task with at most one pending message per type."""

    def __init__(self, room_id: str, voter_id: str, send: Callable[[str], Any],
                 close: Callable[[int], Any] | None = None):
        self.room_id, self.voter_id, self._send, self._close = room_id, voter_id, send, close
        self.pending: dict[str, str] = {}
        self.wake = asyncio.Event()
        self.closed = False
        self.limit = RateLimit(INBOUND_RATE, INBOUND_BURST)
        self.drops = 0
        self.task: asyncio.Task | None = None

    def push(self, kind: str, text: str) -> None:
        if self.closed:
            return
        if kind == "end":
            self.pending.clear()
        self.pending[kind] = text
        self.wake.set()

    async def run(self) -> None:
        try:
            while not self.closed:
                await self.wake.wait()
                self.wake.clear()
                while self.pending and not self.closed:
                    kind = next(iter(self.pending))
                    text = self.pending.pop(kind)
                    async with asyncio.timeout(SEND_TIMEOUT_S):  # cheaper than wait_for: no task per send
                        await self._send(text)
                    _STATS["sent"] += 1
        except Exception:  # the socket went away or stalled: close it; the receive side cleans up
            self.closed = True
            if self._close is not None:
                try:
                    await asyncio.wait_for(self._close(1011), 2.0)
                except Exception:
                    pass


def attach(follower: Follower) -> bool:
    """Add a follower (on the loop) and queue the room's current state for it; False if the room is full."""
    shared = _shared_latest(follower.room_id)
    with _LOCK:
        if _COUNTS.get(follower.room_id, 0) >= MAX_FOLLOWERS_PER_ROOM:
            return False
        _COUNTS[follower.room_id] = _COUNTS.get(follower.room_id, 0) + 1
        local = _LATEST.get(follower.room_id, {})
        state = dict(local) if "end" in local else {**shared, **local}  # this server's news is the freshest
    _CONNS.setdefault(follower.room_id, set()).add(follower)
    for kind in ("slide", "mirror", "poll", "pointer", "end"):
        if kind in state:
            follower.push(kind, state.pop(kind))
    for kind, text in state.items():
        follower.push(kind, text)
    follower.task = asyncio.get_running_loop().create_task(follower.run())
    return True


def detach(follower: Follower) -> None:
    follower.closed = True
    follower.wake.set()
    conns = _CONNS.get(follower.room_id)
    if conns is not None and follower in conns:
        conns.discard(follower)
        if not conns:
            _CONNS.pop(follower.room_id, None)
        with _LOCK:
            left = _COUNTS.get(follower.room_id, 1) - 1
            if left > 0:
                _COUNTS[follower.room_id] = left
            else:
                _COUNTS.pop(follower.room_id, None)


def inbound(follower: Follower, raw: str | bytes | None) -> str:
    """Check and dispatch one message from a follower: 'ok', 'dropped' or 'close' (too many refused)."""
    verdict = _check_inbound(follower, raw)
    if verdict != "ok":
        follower.drops += 1
        with _LOCK:
            _STATS["dropped_inbound"] += 1
        return "close" if follower.drops > MAX_DROPS else "dropped"
    return "ok"


def _check_inbound(follower: Follower, raw: str | bytes | None) -> str:
    if raw is None or len(raw) > MAX_INBOUND_BYTES:
        return "too large"
    if not follower.limit.allow():
        return "rate"
    try:
        message = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return "not json"
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "no type"
    if message["type"] == "ping":
        return "ok"
    forwarded = _forward(follower, raw)
    with _LOCK:
        handler = _HANDLERS.get(message["type"])
    if handler is None:
        return "ok" if forwarded else "unknown type"
    try:
        handler(follower.room_id, follower.voter_id, message)
    except Exception:  # a handler's bug must not take the socket (or the server) down
        _LOG.exception("room message handler %r failed", message["type"])
        return "handler failed"
    return "ok"


FAN_OUT_CHUNK = 32  # followers woken per turn of the event loop


def _fan_out(room_id: str, kind: str, text: str, followers: list | None = None) -> None:
    """Queue ``text`` for the room's followers, FAN_OUT_CHUNK of them per turn of the event loop: the
    presenter's own page (a Streamlit session on the same loop) gets a turn between chunks instead of
    waiting behind a send to every follower."""
    if followers is None:
        followers = list(_CONNS.get(room_id, ()))
    for follower in followers[:FAN_OUT_CHUNK]:
        follower.push(kind, text)
    if len(followers) > FAN_OUT_CHUNK:
        asyncio.get_running_loop().call_soon(_fan_out, room_id, kind, text, followers[FAN_OUT_CHUNK:])


def _close_room(room_id: str) -> None:
    for follower in list(_CONNS.get(room_id, ())):
        follower.push("end", json.dumps({"type": "end"}))


# ------------------------------------------------------------------------------------------------
# Several deck servers (deck/backplane.py): news from the room's other servers, and the link's health


def _shared_latest(room_id: str) -> dict[str, str]:
    """The room's latest messages kept in the shared store (empty without one, or while it is down)."""
    bp = backplane.get()
    if not bp.shared:
        return {}
    try:
        return bp.latest(room_id)
    except backplane.Unavailable:
        return {}


def _forward(follower: Follower, raw: str | bytes) -> bool:
    """Send a follower's message to the room's other servers (the presenter's may hold the poll)."""
    bp = backplane.get()
    if not bp.shared or not bp.up():
        return False
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    bp.send_inbound(follower.room_id, follower.voter_id, text)
    return True


def _from_peer(room_id: str, kind: str, text: str) -> None:
    """A message broadcast on another server (the subscriber's thread): to this server's followers."""
    with backplane.local_only():
        if kind == "end":
            rooms.forget(room_id)  # its listeners here (this hub's end() among them) close the room's sockets
        else:
            _deliver(room_id, kind, text)


def _inbound_from_peer(room_id: str, voter_id: str, raw: str) -> None:
    """A follower's message that reached another server; the handler here checks it like any other."""
    try:
        message = json.loads(raw)
    except ValueError:
        return
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return
    with _LOCK:
        handler = _HANDLERS.get(message["type"])
    if handler is None:
        return
    with backplane.local_only():
        try:
            handler(room_id, voter_id, message)
        except Exception:
            _LOG.exception("room message handler %r failed", message["type"])


def _link_health(up: bool) -> None:
    """Tell this server's followers whether the rooms' link between servers works."""
    text = json.dumps({"type": "status", "live": up,
                       "text": "Following live" if up else backplane.UNAVAILABLE_TEXT}, ensure_ascii=False)
    with _LOCK:
        room_ids = set(_LATEST) | set(_COUNTS)
        for room_id in room_ids:
            if up:
                _LATEST.get(room_id, {}).pop("status", None)
    for room_id in room_ids:
        if up:
            _fan_out_threadsafe(room_id, "status", text)
        else:
            _deliver(room_id, "status", text)


def _fan_out_threadsafe(room_id: str, kind: str, text: str) -> None:
    with _LOCK:
        loop = _LOOP
    if loop is None or loop.is_closed():
        return
    try:
        if _on_loop(loop):
            _fan_out(room_id, kind, text)
        else:
            loop.call_soon_threadsafe(_fan_out, room_id, kind, text)
    except RuntimeError:
        pass


def link_up() -> bool:
    """False while this server cannot reach the other servers' rooms (Redis down); True without Redis."""
    bp = backplane.get()
    return not bp.shared or bp.up()


rooms.on_end(end)  # a room ended by its key or by time: its audience pages hear of it
def _local_counts() -> dict[str, int]:
    with _LOCK:
        return dict(_COUNTS)


if backplane.get().shared:
    backplane.get().listen(_from_peer, _inbound_from_peer, _link_health)
    backplane.get().count_with(_local_counts)
