"""deck/backplane.py: the in-memory and the Redis backplane behave the same; rooms and the hub go through
the Redis one when it is in place; Redis killed -> "unavailable" at once, back (and rooms written back)
when it returns. Needs Debian's redis-server (``bash deck.sh test`` installs it)."""
from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from deck import backplane, hub, rooms

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A throwaway redis-server on a free loopback port (no persistence), killable and restartable."""

    def __init__(self, tmp: Path):
        self.port, self.tmp, self.proc = free_port(), tmp, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen([REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.tmp)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(5)
            self.proc = None


@pytest.fixture
def redis_server(tmp_path):
    if not Path(REDIS).exists():
        pytest.fail("redis-server is missing: apt-get install redis-server (bash deck.sh test does)")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


class Ear:
    """Records what a backplane's listeners hear."""

    def __init__(self):
        self.messages, self.inbound, self.health = [], [], []
        self.event = threading.Event()

    def on_message(self, room_id, kind, text):
        self.messages.append((room_id, kind, text))
        self.event.set()

    def on_inbound(self, room_id, voter_id, raw):
        self.inbound.append((room_id, voter_id, raw))
        self.event.set()

    def on_health(self, up):
        self.health.append(up)
        self.event.set()

    def wait_for(self, predicate, timeout=5.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate():
                return True
            time.sleep(0.02)
        return predicate()


def pair(kind: str, redis_server=None, ttl_s: float = 3600):
    """Two backplanes sharing one store: server A and server B."""
    if kind == "memory":
        a = backplane.Memory(ttl_s=ttl_s)
        b = backplane.Memory(bus=a.bus, ttl_s=ttl_s)
    else:
        a = backplane.RedisBackplane(redis_server.url, ttl_s=ttl_s)
        b = backplane.RedisBackplane(redis_server.url, ttl_s=ttl_s)
    ears = Ear(), Ear()
    for bp, ear in zip((a, b), ears):
        bp.listen(ear.on_message, ear.on_inbound, ear.on_health)
    return a, b, ears


@pytest.fixture(params=["memory", "redis"])
def servers(request, tmp_path):
    redis_server = None
    if request.param == "redis":
        redis_server = request.getfixturevalue("redis_server")
    a, b, ears = pair(request.param, redis_server)
    if request.param == "redis":  # the subscribers are listening before anything is published
        time.sleep(0.3)
    yield a, b, ears
    a.close()
    b.close()


RECORD = {"key_hash": "ab" * 32, "talk": "2016-deep-learning", "index": "3", "updated": "1700000000.0"}


def test_same_behaviour_rooms(servers):
    a, b, _ = servers
    assert b.load_room("r1") is None
    a.save_room("r1", RECORD)
    assert b.load_room("r1") == RECORD
    b.save_room("r1", {**RECORD, "index": "4"})
    assert a.load_room("r1")["index"] == "4"
    a.delete_room("r1")
    assert b.load_room("r1") is None and a.load_room("r1") is None


def test_same_behaviour_messages(servers):
    a, b, (ear_a, ear_b) = servers
    a.publish("r1", "slide", '{"type":"slide","index":1}')
    a.publish("r1", "pointer", '{"type":"pointer","x":0.5,"y":0.5}')
    assert ear_b.wait_for(lambda: len(ear_b.messages) == 2)
    assert ear_b.messages == [("r1", "slide", '{"type":"slide","index":1}'),
                              ("r1", "pointer", '{"type":"pointer","x":0.5,"y":0.5}')]
    time.sleep(0.2)
    assert ear_a.messages == []  # a server does not hear its own news back
    assert ear_b.wait_for(lambda: set(b.latest("r1")) == {"slide", "pointer"})
    a.publish("r1", "end", '{"type":"end"}')
    assert ear_b.wait_for(lambda: b.latest("r1") == {"end": '{"type":"end"}'})
    b.send_inbound("r1", "voter-1", '{"type":"vote","poll":"p","choice":1}')
    assert ear_a.wait_for(lambda: ear_a.inbound == [("r1", "voter-1", '{"type":"vote","poll":"p","choice":1}')])
    assert ear_b.inbound == []


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_same_behaviour_ttl(kind, request):
    redis_server = request.getfixturevalue("redis_server") if kind == "redis" else None
    a, b, _ = pair(kind, redis_server, ttl_s=1)
    try:
        a.save_room("r1", RECORD)
        assert b.load_room("r1") == RECORD
        time.sleep(1.6)
        assert b.load_room("r1") is None
    finally:
        a.close()
        b.close()


def test_redis_killed_and_restarted(redis_server):
    a, b, (ear_a, ear_b) = pair("redis", redis_server)
    try:
        time.sleep(0.3)
        a.save_room("r1", RECORD)
        a.publish("r1", "slide", '{"type":"slide","index":3}')
        assert ear_b.wait_for(lambda: ear_b.messages)
        redis_server.kill()
        assert ear_a.wait_for(lambda: False in ear_a.health and not a.up(), 5)
        assert ear_b.wait_for(lambda: False in ear_b.health and not b.up(), 5)
        t0 = time.perf_counter()
        with pytest.raises(backplane.Unavailable):
            b.load_room("r1")
        assert time.perf_counter() - t0 < 0.1  # no waiting on a dead socket
        a.publish("r1", "slide", '{"type":"slide","index":4}')  # the presenter moves on meanwhile
        ear_b.messages.clear()
        redis_server.start()  # an empty Redis: it lost everything
        assert ear_a.wait_for(lambda: ear_a.health[-1] is True and a.up(), 8)
        assert ear_b.wait_for(lambda: ear_b.health[-1] is True and b.up(), 8)
        assert ear_b.wait_for(lambda: b.load_room("r1") == RECORD, 3)  # A wrote its room back
        assert ear_b.wait_for(lambda: b.latest("r1").get("slide") == '{"type":"slide","index":4}', 3)
        assert ear_b.wait_for(lambda: ("r1", "slide", '{"type":"slide","index":4}') in ear_b.messages, 3)
    finally:
        a.close()
        b.close()


def test_bad_url_is_a_clear_message():
    with pytest.raises(ValueError, match="DECK_REDIS_URL"):
        backplane.RedisBackplane("not-a-url")


# ------------------------------------------------------------------------------------------------
# rooms.py and hub.py through the Redis backplane (this process is "server 1", a bare backplane "server 2")


@pytest.fixture
def through_redis(redis_server):
    here = backplane.RedisBackplane(redis_server.url)
    here.listen(hub._from_peer, hub._inbound_from_peer, hub._link_health)
    backplane.use(here)
    peer = backplane.RedisBackplane(redis_server.url)
    ear = Ear()
    peer.listen(ear.on_message, ear.on_inbound, ear.on_health)
    time.sleep(0.3)
    try:
        yield here, peer, ear, redis_server
    finally:
        backplane.use(None)
        here.close()
        peer.close()


def test_rooms_shared_and_key_never_stored(through_redis):
    here, peer, ear, server = through_redis
    room_id, key = rooms.open_room("2016-deep-learning", 2)
    record = peer.load_room(room_id)
    assert record["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert (record["talk"], record["index"]) == ("2016-deep-learning", "2")
    assert rooms.drive(room_id, key, "2016-deep-learning", 5) is True
    assert peer.load_room(room_id)["index"] == "5"
    assert rooms.drive(room_id, "wrong", "2016-deep-learning", 6) is None
    hub.broadcast(room_id, {"type": "slide", "talk": "2016-deep-learning", "index": 5, "html": "<p>x</p>"})
    assert ear.wait_for(lambda: any(m[:2] == (room_id, "slide") for m in ear.messages))
    import redis
    r = redis.Redis.from_url(server.url)
    for name in r.keys("*"):
        kind = r.type(name)
        values = r.hgetall(name).values() if kind == b"hash" else [r.get(name) or b""]
        assert all(key.encode() not in v for v in values), f"the room key is stored in {name!r}"
    r.close()
    # a room opened on another server is known here, with its key
    other = secrets_token()
    peer.save_room("otherroom", {"key_hash": hashlib.sha256(other.encode()).hexdigest(), "talk": "t",
                                 "index": 1, "updated": time.time()})
    assert rooms.room_exists("otherroom") and rooms.is_presenter("otherroom", other)
    assert rooms.room_position("otherroom") == ("t", 1)
    # ...and its presenter, moved here when that server died, drives it from here
    assert rooms.drive("otherroom", other, "t", 2) is True and peer.load_room("otherroom")["index"] == "2"
    assert rooms.end_room(room_id, key)
    assert peer.load_room(room_id) is None
    assert ear.wait_for(lambda: any(m[:2] == (room_id, "end") for m in ear.messages))


def secrets_token() -> str:
    import secrets
    return secrets.token_urlsafe(24)


def test_news_from_another_server_reaches_this_one(through_redis):
    here, peer, ear, _ = through_redis
    room_id, key = rooms.open_room("t", 0)
    peer.publish(room_id, "slide", json.dumps({"type": "slide", "index": 7}))
    assert ear.wait_for(lambda: (hub.latest(room_id, "slide") or {}).get("index") == 7)
    ear.messages.clear()
    time.sleep(0.3)
    assert not any(m[0] == room_id for m in ear.messages)  # delivered here, not echoed back out
    got = []
    hub.on_message("bpvote", lambda r, v, m: got.append((r, v, m)))
    try:
        peer.send_inbound(room_id, "voter-9", '{"type":"bpvote","choice":2}')
        assert ear.wait_for(lambda: got == [(room_id, "voter-9", {"type": "bpvote", "choice": 2})])
    finally:
        hub._HANDLERS.pop("bpvote", None)
    peer.delete_room(room_id)  # ended on the other server (rooms.end_room): ended here too
    peer.publish(room_id, "end", '{"type":"end"}')
    assert ear.wait_for(lambda: not rooms.room_exists(room_id))


def test_rooms_keep_working_while_redis_is_down(through_redis):
    here, peer, ear, server = through_redis
    room_id, key = rooms.open_room("t", 0)
    hub.broadcast(room_id, {"type": "slide", "talk": "t", "index": 0, "html": ""})
    server.kill()
    assert ear.wait_for(lambda: not here.up(), 5)
    assert not hub.link_up()
    assert (hub.latest(room_id, "status") or {}).get("text") == backplane.UNAVAILABLE_TEXT
    t0 = time.perf_counter()
    assert rooms.room_exists(room_id) and rooms.is_presenter(room_id, key)
    assert rooms.drive(room_id, key, "t", 3) is True  # the presenter keeps presenting
    assert time.perf_counter() - t0 < 0.2
    server.start()
    assert ear.wait_for(lambda: here.up() and peer.up(), 8)
    assert hub.link_up() and hub.latest(room_id, "status") is None
    assert ear.wait_for(lambda: (peer.load_room(room_id) or {}).get("index") == "3", 3)


def test_same_behaviour_follower_counts(servers):
    a, b, _ = servers
    a.report_followers({"r1": 3, "r2": 0})
    b.report_followers({"r1": 4})
    assert a.peer_followers("r1") == 4 and b.peer_followers("r1") == 3
    assert a.peer_followers("r2") == 0 and b.peer_followers("r2") == 0
    a.report_followers({})  # A's followers of r1 left
    assert b.peer_followers("r1") == 0 and a.peer_followers("r1") == 4


def test_follower_count_adds_the_other_servers(through_redis):
    here, peer, ear, _ = through_redis
    room_id, _key = rooms.open_room("t", 0)
    peer.report_followers({room_id: 150})
    assert hub.follower_count(room_id) == 150
    here.count_with(lambda: {room_id: 7})
    assert ear.wait_for(lambda: peer.peer_followers(room_id) == 7, 5)  # reported by the subscriber thread


def test_a_vote_on_another_server_reaches_the_presenters_poll(through_redis):
    from deck import polls

    here, peer, ear, _ = through_redis
    room_id, _key = rooms.open_room("t", 0)
    poll = polls.open_poll(room_id, polls.Pollable("playground", "pg", "lr", "Which rate?", (0.003, 0.03, 0.3)))
    try:
        assert ear.wait_for(lambda: any(m[:2] == (room_id, "poll") for m in ear.messages))  # phones elsewhere see it
        peer.send_inbound(room_id, "voter-on-server-2", json.dumps({"type": "vote", "poll": poll.id, "choice": 1}))
        assert ear.wait_for(lambda: polls.current(room_id).counts() == [0, 1, 0], 5)
        assert ear.wait_for(lambda: any(m[:2] == (room_id, "poll") and json.loads(m[2])["counts"] == [0, 1, 0]
                                        for m in ear.messages), 5)  # the new counts go back out
        peer.send_inbound(room_id, "voter-on-server-2", json.dumps({"type": "vote", "poll": poll.id, "choice": 9}))
        time.sleep(0.5)
        assert polls.current(room_id).counts() == [0, 1, 0]  # still checked like any vote
    finally:
        polls.close_poll(room_id, poll.id)
