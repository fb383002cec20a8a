"""Where live rooms are shared: in this process (the default) or, with ``DECK_REDIS_URL``, through Redis.

One deck server keeps its rooms in memory (``deck/rooms.py``) and fans each room's news out to its own
audience sockets (``deck/hub.py``): nothing else to install. A workshop that outgrows one machine runs
several deck servers behind a proxy with sticky sessions (``bash deck.sh cluster N``); then
``DECK_REDIS_URL=redis://host:6379/0`` makes every server share the rooms through Redis:

* a room is the hash ``deck:room:<id>`` (the SHA-256 of its key -- never the key --, talk, slide index,
  last move), with a TTL of the room's idle timeout, refreshed by every move and presenter ping;
* every message a server broadcasts (slide, pointer, mirrored demo output, poll counts, end) is
  published on the room's channel ``deck:ch:<id>`` and kept as the room's latest of its type in
  ``deck:latest:<id>`` (same TTL), so a follower on another server -- or one that reconnects after its
  server died -- gets the room's current state at once;
* a follower's message (a vote) is published on ``deck:in:<id>`` and handled by whichever server holds
  the room's poll (the presenter's).

Fair-share training slots stay per server (``demos/kit/fair_share.py``): they guard that server's cores.

Redis down: every call here answers :class:`Unavailable` at once (no waiting on a dead socket), rooms
keep working on each server's local copy, audience pages say "live follow unavailable, reconnecting",
and a background thread retries with backoff. When Redis is back, each server writes back the rooms
its presenters drive (if Redis lost them) and re-publishes their latest messages, then says so.

Both backends implement the same small interface (``tests/test_backplane.py`` runs one set of checks
against each); :class:`Memory` is also the bus of several in-process "servers" in tests.
"""
from __future__ import annotations

import logging
import os
import queue
import secrets
import threading
import time
from typing import Callable

_LOG = logging.getLogger(__name__)

DEFAULT_TTL_S = 4 * 3600.0
BACKOFF_S = (0.2, 0.4, 0.8, 1.0)      # waits between reconnection tries; the last one repeats
REPORT_S = 2.0                         # how often a server reports its audience sockets per room
SETTLE_S = 5.0                         # after Redis returns, a room it lacks is not taken as ended for this long
PUBLISH_QUEUE = 2000                   # messages waiting for Redis; beyond that the oldest news is dropped
UNAVAILABLE_TEXT = "Live follow unavailable, reconnecting…"

OnMessage = Callable[[str, str, str], None]     # (room id, message type, JSON text)
OnInbound = Callable[[str, str, str], None]     # (room id, voter id, raw JSON from the follower)
OnHealth = Callable[[bool], None]


class Unavailable(Exception):
    """The shared store cannot be reached right now; use the local copy."""


class Memory:
    """In-process backplane. ``shared`` is False: the deck's default single server uses its own dicts and
    never calls this; tests build several instances on one ``bus`` to act as several servers."""

    shared = False

    def __init__(self, bus: dict | None = None, ttl_s: float = DEFAULT_TTL_S):
        self.bus = bus if bus is not None else {"rooms": {}, "latest": {}, "peers": [], "lock": threading.Lock()}
        self.ttl_s = ttl_s
        self.origin = secrets.token_hex(6)
        self._listeners: tuple | None = None
        self.down = False  # tests flip it to act out an outage

    # -- health
    def up(self) -> bool:
        return not self.down

    def settled(self) -> bool:
        return not self.down

    def _check(self) -> None:
        if self.down:
            raise Unavailable("memory backplane marked down")

    # -- rooms
    def save_room(self, room_id: str, record: dict) -> None:
        self._check()
        with self.bus["lock"]:
            self.bus["rooms"][room_id] = (dict(record), time.time() + self.ttl_s)

    def load_room(self, room_id: str) -> dict | None:
        self._check()
        with self.bus["lock"]:
            item = self.bus["rooms"].get(room_id)
            if item is None:
                return None
            if item[1] < time.time():
                del self.bus["rooms"][room_id]
                return None
            return dict(item[0])

    def delete_room(self, room_id: str) -> None:
        self._check()
        with self.bus["lock"]:
            self.bus["rooms"].pop(room_id, None)

    # -- messages
    def publish(self, room_id: str, kind: str, text: str) -> None:
        if self.down:
            return
        with self.bus["lock"]:
            latest = self.bus["latest"].setdefault(room_id, {})
            if kind == "end":
                latest.clear()
            latest[kind] = text
            peers = list(self.bus["peers"])
        for peer in peers:
            if peer is not self and not peer.down and peer._listeners:
                peer._listeners[0](room_id, kind, text)

    def latest(self, room_id: str) -> dict[str, str]:
        self._check()
        with self.bus["lock"]:
            return dict(self.bus["latest"].get(room_id, {}))

    def send_inbound(self, room_id: str, voter_id: str, raw: str) -> None:
        if self.down:
            return
        for peer in list(self.bus["peers"]):
            if peer is not self and not peer.down and peer._listeners:
                peer._listeners[1](room_id, voter_id, raw)

    def disown(self, room_id: str) -> None:
        pass

    def report_followers(self, counts: dict[str, int]) -> None:
        """This server's audience sockets per room (the other servers add them to their own)."""
        if self.down:
            return
        with self.bus["lock"]:
            table = self.bus.setdefault("followers", {})
            for room_id in list(table):
                table[room_id].pop(self.origin, None)
            for room_id, n in counts.items():
                if n > 0:
                    table.setdefault(room_id, {})[self.origin] = n

    def peer_followers(self, room_id: str) -> int:
        """Audience sockets of the room on the other servers (0 when unknown)."""
        if self.down:
            return 0
        with self.bus["lock"]:
            return sum(n for origin, n in self.bus.get("followers", {}).get(room_id, {}).items()
                       if origin != self.origin)

    def listen(self, on_message: OnMessage, on_inbound: OnInbound, on_health: OnHealth | None = None) -> None:
        self._listeners = (on_message, on_inbound, on_health)
        with self.bus["lock"]:
            if self not in self.bus["peers"]:
                self.bus["peers"].append(self)

    def close(self) -> None:
        with self.bus["lock"]:
            if self in self.bus["peers"]:
                self.bus["peers"].remove(self)


class RedisBackplane:
    """Rooms and their messages through Redis (``DECK_REDIS_URL``). Thread-safe; calls never block for
    long: reads have a 0.5 s socket timeout and, once Redis is known to be down, fail at once."""

    shared = True

    def __init__(self, url: str, ttl_s: float = DEFAULT_TTL_S, prefix: str = "deck"):
        import redis  # deferred: only a cluster needs it
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.url, self.ttl_s, self.prefix = url, ttl_s, prefix
        self.origin = secrets.token_hex(6)
        opts = dict(socket_timeout=0.5, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
        try:
            self._r = redis.Redis.from_url(url, **opts)
            self._sub = redis.Redis.from_url(url, health_check_interval=2, **opts)
        except ValueError as exc:
            raise ValueError(f"DECK_REDIS_URL is not a Redis URL ({exc}); e.g. redis://127.0.0.1:6379/0") from None
        self._errors = (redis.ConnectionError, redis.TimeoutError, OSError)
        self._redis_error = redis.RedisError
        self._up = False
        self._up_since = 0.0
        self._lock = threading.Lock()
        self._owned: dict[str, dict] = {}             # rooms driven from this server -> their last record
        self._mine: dict[str, dict[str, str]] = {}     # rooms this server publishes -> type -> latest text
        self._queue: queue.Queue = queue.Queue(PUBLISH_QUEUE)
        self._listeners: tuple | None = None
        self._counter: Callable[[], dict[str, int]] | None = None
        self._reported: set[str] = set()
        self._next_report = 0.0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        try:
            self._r.ping()
            self._mark(True)
        except self._errors:
            _LOG.warning("Redis at %s is not reachable yet; live rooms stay local until it is", _safe(url))

    # -- keys
    def _k(self, what: str, room_id: str) -> str:
        return f"{self.prefix}:{what}:{room_id}"

    # -- health
    def up(self) -> bool:
        return self._up

    def settled(self) -> bool:
        return self._up and time.monotonic() - self._up_since > SETTLE_S

    def _mark(self, up: bool) -> None:
        with self._lock:
            changed, self._up = self._up != up, up
            if up and changed:
                self._up_since = time.monotonic()
        if changed:
            _LOG.warning("Redis %s: live rooms %s", _safe(self.url),
                         "shared again" if up else "unavailable, reconnecting")
            listeners = self._listeners
            if listeners and listeners[2]:
                try:
                    listeners[2](up)
                except Exception:
                    _LOG.exception("backplane health listener failed")
            if not up:
                self._wake.set()

    def _call(self, fn):
        if not self._up:
            raise Unavailable("Redis is down")
        try:
            return fn()
        except self._errors as exc:
            self._mark(False)
            raise Unavailable(str(exc)) from None
        except self._redis_error as exc:  # e.g. a read-only replica, OOM: treat like an outage, say why
            _LOG.warning("Redis refused a room command: %s", exc)
            raise Unavailable(str(exc)) from None

    # -- rooms
    def save_room(self, room_id: str, record: dict) -> None:
        with self._lock:
            self._owned[room_id] = dict(record)
        self._call(lambda: self._write_room(room_id, record))

    def _write_room(self, room_id: str, record: dict) -> None:
        key = self._k("room", room_id)
        pipe = self._r.pipeline(transaction=True)
        pipe.hset(key, mapping={k: str(v) for k, v in record.items()})
        pipe.expire(key, int(self.ttl_s))
        pipe.execute()

    def load_room(self, room_id: str) -> dict | None:
        raw = self._call(lambda: self._r.hgetall(self._k("room", room_id)))
        if not raw:
            return None
        return {k.decode(): v.decode() for k, v in raw.items()}

    def delete_room(self, room_id: str) -> None:
        with self._lock:
            self._owned.pop(room_id, None)
            self._mine.pop(room_id, None)
        self._call(lambda: self._r.delete(self._k("room", room_id)))

    def disown(self, room_id: str) -> None:
        with self._lock:
            self._owned.pop(room_id, None)
            self._mine.pop(room_id, None)

    # -- messages
    def publish(self, room_id: str, kind: str, text: str) -> None:
        """Queue the message for the room's other servers (never waits on the network)."""
        with self._lock:
            mine = self._mine.setdefault(room_id, {})
            if kind == "end":
                mine.clear()
            mine[kind] = text
        if not self._up:
            return  # replayed from ``_mine`` when Redis is back
        try:
            self._queue.put_nowait(("msg", room_id, kind, text))
        except queue.Full:
            _LOG.warning("Redis publish queue full: a room message was dropped")
        self._ensure_threads()

    def latest(self, room_id: str) -> dict[str, str]:
        raw = self._call(lambda: self._r.hgetall(self._k("latest", room_id)))
        return {k.decode(): v.decode("utf-8", "replace") for k, v in raw.items()}

    def send_inbound(self, room_id: str, voter_id: str, raw: str) -> None:
        if not self._up:
            return
        try:
            self._queue.put_nowait(("in", room_id, voter_id, raw))
        except queue.Full:
            pass
        self._ensure_threads()

    def listen(self, on_message: OnMessage, on_inbound: OnInbound, on_health: OnHealth | None = None) -> None:
        self._listeners = (on_message, on_inbound, on_health)
        self._ensure_threads()

    def count_with(self, counter: Callable[[], dict[str, int]]) -> None:
        """``counter()`` gives this server's audience sockets per room; reported every :data:`REPORT_S`."""
        self._counter = counter

    def report_followers(self, counts: dict[str, int]) -> None:
        pipe = self._r.pipeline(transaction=False)
        for room_id in self._reported - {r for r, n in counts.items() if n > 0}:
            pipe.hdel(self._k("followers", room_id), self.origin)
        for room_id, n in counts.items():
            if n > 0:
                pipe.hset(self._k("followers", room_id), self.origin, n)
                pipe.expire(self._k("followers", room_id), int(REPORT_S * 5))
        self._call(pipe.execute)
        self._reported = {r for r, n in counts.items() if n > 0}

    def peer_followers(self, room_id: str) -> int:
        try:
            raw = self._call(lambda: self._r.hgetall(self._k("followers", room_id)))
        except Unavailable:
            return 0
        total = 0
        for origin, n in raw.items():
            if origin.decode() != self.origin:
                try:
                    total += int(n)
                except ValueError:
                    pass
        return total

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass

    # -- background threads: one writer (pipelined publishes), one subscriber (also the reconnector)
    def _ensure_threads(self) -> None:
        with self._lock:
            if self._threads or self._stop.is_set():
                return
            self._threads = [threading.Thread(target=self._writer, name="deck-redis-writer", daemon=True),
                             threading.Thread(target=self._subscriber, name="deck-redis-subscriber", daemon=True)]
            for t in self._threads:
                t.start()

    def _writer(self) -> None:
        while not self._stop.is_set():
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < 200:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._stop.set()
                    break
                batch.append(more)
            if not self._up:
                continue  # dropped: the latest state is replayed when Redis is back
            try:
                pipe = self._r.pipeline(transaction=False)
                for job in batch:
                    if job[0] == "msg":
                        _, room_id, kind, text = job
                        latest = self._k("latest", room_id)
                        if kind == "end":
                            pipe.delete(latest)
                        pipe.hset(latest, kind, text)
                        pipe.expire(latest, int(self.ttl_s))
                        pipe.publish(self._k("ch", room_id), f"{self.origin}\n{kind}\n{text}")
                    else:
                        _, room_id, voter_id, raw = job
                        pipe.publish(self._k("in", room_id), f"{self.origin}\n{voter_id}\n{raw}")
                pipe.execute()
            except self._errors:
                self._mark(False)
            except self._redis_error as exc:
                _LOG.warning("Redis refused room messages: %s", exc)

    def _subscriber(self) -> None:
        tries = 0
        while not self._stop.is_set():
            pubsub = None
            try:
                self._sub.ping()
                pubsub = self._sub.pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(self._k("ch", "*"), self._k("in", "*"))
                if not self._up:
                    self._resync()
                    self._mark(True)
                tries = 0
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._dispatch(message)
                    if self._counter is not None and time.monotonic() >= self._next_report and self._up:
                        self._next_report = time.monotonic() + REPORT_S
                        try:
                            self.report_followers(self._counter())
                        except Unavailable:
                            pass
                    elif not self._up:
                        break  # another thread saw Redis fail: resubscribe from scratch
            except self._errors:
                self._mark(False)
            except Exception:  # a listener's bug must not end the subscription
                _LOG.exception("room subscriber failed; restarting it")
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:
                        pass
            if self._stop.is_set():
                return
            self._wake.clear()
            self._stop.wait(BACKOFF_S[min(tries, len(BACKOFF_S) - 1)])
            tries += 1

    def _resync(self) -> None:
        """Redis is back: write back this server's rooms it lost and re-publish their latest news."""
        with self._lock:
            owned = {r: dict(rec) for r, rec in self._owned.items()}
            mine = {r: dict(m) for r, m in self._mine.items()}
        for room_id, record in owned.items():
            if not self._r.exists(self._k("room", room_id)):
                self._write_room(room_id, record)
        for room_id, latest in mine.items():
            pipe = self._r.pipeline(transaction=False)
            for kind, text in latest.items():
                pipe.hset(self._k("latest", room_id), kind, text)
                pipe.publish(self._k("ch", room_id), f"{self.origin}\n{kind}\n{text}")
            pipe.expire(self._k("latest", room_id), int(self.ttl_s))
            pipe.execute()

    def _dispatch(self, message: dict) -> None:
        channel = message.get("channel", b"").decode("utf-8", "replace")
        try:
            origin, field, text = message["data"].decode("utf-8", "replace").split("\n", 2)
        except (AttributeError, ValueError):
            return
        if origin == self.origin or not self._listeners:
            return
        prefix_ch, prefix_in = self._k("ch", ""), self._k("in", "")
        if channel.startswith(prefix_ch):
            self._listeners[0](channel[len(prefix_ch):], field, text)
        elif channel.startswith(prefix_in):
            self._listeners[1](channel[len(prefix_in):], field, text)


def _safe(url: str) -> str:
    """The URL without a password, for log lines."""
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://…@{rest.split('@', 1)[1]}"
    return url


_LOCAL = threading.local()


class local_only:
    """Within this block (this thread), :func:`deck.hub.broadcast` reaches this server's followers only:
    news that came from another server, or a room ending only in this server's copy."""

    def __enter__(self):
        self.before = getattr(_LOCAL, "depth", 0)
        _LOCAL.depth = self.before + 1
        return self

    def __exit__(self, *exc):
        _LOCAL.depth = self.before
        return False


def publishing() -> bool:
    """Whether a broadcast made now on this thread should go to the other servers too."""
    return getattr(_LOCAL, "depth", 0) == 0


_BACKPLANE = None
_GET_LOCK = threading.Lock()


def get():
    """This process's backplane: Redis when ``DECK_REDIS_URL`` is set, else the in-memory one."""
    global _BACKPLANE
    if _BACKPLANE is None:
        with _GET_LOCK:
            if _BACKPLANE is None:
                url = os.environ.get("DECK_REDIS_URL", "").strip()
                _BACKPLANE = RedisBackplane(url) if url else Memory()
    return _BACKPLANE


def use(backplane) -> None:
    """Tests: put a given backplane in place (``None``: back to the environment's choice)."""
    global _BACKPLANE
    with _GET_LOCK:
        _BACKPLANE = backplane
