"""Live rooms' push path (deck/hub.py, deck/routes.py, deck/audience.py) without a browser: the routes
mounted on a bare Starlette app, the room's key never reaching an audience page or payload, forged,
oversized and flooding messages refused."""
import json
import time
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from deck import audience, follow, hub, nav, rooms
from deck.parser import load_deck
from deck.routes import ROUTES, _pointer

ROOT = Path(__file__).resolve().parents[1]
DECK = load_deck(ROOT / "tests" / "fixtures" / "slides")
TALK = DECK.talks[0]


@pytest.fixture
def client():
    with TestClient(Starlette(routes=ROUTES)) as c:
        yield c


@pytest.fixture
def room():
    room_id, key = rooms.open_room(TALK.id, 0)
    yield room_id, key
    rooms.end_room(room_id, key)


def receive_until(ws, kind: str, limit: int = 20) -> dict:
    for _ in range(limit):
        message = json.loads(ws.receive_text())
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind!r} message")


def publish(room_id: str, key: str, index: int) -> None:
    """What the presenter's run does on a move, rendered synchronously here."""
    assert rooms.drive(room_id, key, TALK.id, index) is not None
    slide = TALK.slides[index]
    hub.broadcast(room_id, follow.slide_message(slide, len(TALK.slides)))


def test_room_id_is_not_the_key_and_only_the_key_drives(room):
    room_id, key = room
    assert room_id != key and key not in room_id and len(key) >= 32
    assert rooms.drive(room_id, "", TALK.id, 1) is None
    assert rooms.drive(room_id, room_id, TALK.id, 1) is None
    assert rooms.drive(room_id, key[:-1] + ("A" if key[-1] != "A" else "B"), TALK.id, 1) is None
    assert rooms.room_position(room_id) == (TALK.id, 0)
    assert rooms.drive(room_id, key, TALK.id, 1) is True
    assert rooms.end_room(room_id, "wrong") is False and rooms.room_exists(room_id)


def test_audience_page_and_payloads_never_carry_the_key(client, room):
    room_id, key = room
    publish(room_id, key, 1)
    hub.broadcast(room_id, {"type": "pointer", "x": 0.5, "y": 0.25})
    page = client.get(f"/room/{room_id}")
    assert page.status_code == 200
    assert key not in page.text and room_id in page.text
    assert "script-src 'nonce-" in page.headers["content-security-policy"]
    assert page.cookies.get("deck_voter")
    with client.websocket_connect(f"/room/{room_id}/ws") as ws:
        first = [json.loads(ws.receive_text()) for _ in range(2)]
    assert [m["type"] for m in first] == ["slide", "pointer"]
    assert first[0]["index"] == 1 and first[0]["title"] == TALK.slides[1].title
    assert "deck-slide" in first[0]["html"]
    assert first[0]["url"] == "../" + nav.slide_url(TALK.slides[1])
    assert all(key not in json.dumps(m) for m in first)
    with pytest.raises(ValueError):
        hub.broadcast(room_id, {"type": "slide", "key": key})


def test_follower_gets_each_move_pushed(client, room):
    room_id, key = room
    publish(room_id, key, 0)
    with client.websocket_connect(f"/room/{room_id}/ws") as ws:
        assert receive_until(ws, "slide")["index"] == 0
        assert hub.follower_count(room_id) == 1
        publish(room_id, key, 2)
        assert receive_until(ws, "slide")["index"] == 2
    deadline = time.time() + 5
    while hub.follower_count(room_id) and time.time() < deadline:
        time.sleep(0.05)
    assert hub.follower_count(room_id) == 0


def test_unknown_room_is_refused(client):
    assert client.get("/room/no-such-room").status_code == 404
    assert client.get("/room/bad%3Cid%3E").status_code == 404
    with pytest.raises(WebSocketDisconnect) as err:
        with client.websocket_connect("/room/no-such-room/ws") as ws:
            ws.receive_text()
    assert err.value.code == 4404


def test_presenter_socket_needs_the_key_in_its_first_message(client, room):
    room_id, key = room
    for hello in ({"type": "hello", "key": "forged"}, {"type": "hello"}, {"type": "pointer", "x": 0.1, "y": 0.1},
                  {"type": "hello", "key": room_id}):
        with pytest.raises(WebSocketDisconnect) as err:
            with client.websocket_connect(f"/room/{room_id}/presenter") as ws:
                ws.send_text(json.dumps(hello))
                ws.receive_text()
        assert err.value.code == 4403, hello
    assert hub.latest(room_id, "pointer") is None and not hub.presenter_connected(room_id)
    with client.websocket_connect(f"/room/{room_id}/presenter") as ws:
        ws.send_text(json.dumps({"type": "hello", "key": key}))
        assert json.loads(ws.receive_text())["type"] == "welcome"
        ws.send_text(json.dumps({"type": "pointer", "x": 0.3, "y": 0.7, "html": "<b>x</b>", "key": key}))
        ws.send_text(json.dumps({"type": "ping"}))
        assert json.loads(ws.receive_text())["type"] == "pong"
    assert hub.latest(room_id, "pointer") == {"type": "pointer", "x": 0.3, "y": 0.7}  # only the clean fields
    assert hub.presenter_connected(room_id)


@pytest.mark.parametrize("message", [{"type": "pointer", "x": 2, "y": 0.5}, {"type": "pointer", "x": "0.1", "y": 0.5},
                                     {"type": "pointer", "x": float("nan"), "y": 0.5}, {"type": "pointer", "x": True, "y": 0}])
def test_bad_pointer_is_refused(message):
    assert _pointer(message) is None


def test_followers_cannot_move_point_or_end_the_room(client, room):
    room_id, key = room
    publish(room_id, key, 1)
    with client.websocket_connect(f"/room/{room_id}/ws") as ws:
        receive_until(ws, "slide")
        for forged in ({"type": "slide", "talk": TALK.id, "index": 3, "html": "<script>alert(1)</script>"},
                       {"type": "pointer", "x": 0.9, "y": 0.9}, {"type": "end"},
                       {"type": "poll", "id": "p", "question": "q", "choices": ["a"], "counts": [99], "open": True}):
            ws.send_text(json.dumps(forged))
        ws.send_text(json.dumps({"type": "ping"}))
    assert rooms.room_position(room_id) == (TALK.id, 1) and rooms.room_exists(room_id)
    assert hub.latest(room_id, "slide")["index"] == 1
    assert hub.latest(room_id, "pointer") is None and hub.latest(room_id, "poll") is None
    assert hub.latest(room_id, "end") is None


def test_oversized_and_flooding_messages_are_dropped_before_handlers(client, room):
    room_id, _key = room
    seen = []
    hub.on_message("test-vote", lambda r, voter, m: seen.append((r, voter, m)))
    try:
        with client.websocket_connect(f"/room/{room_id}/ws") as ws:
            ws.send_text(json.dumps({"type": "test-vote", "pad": "x" * (hub.MAX_INBOUND_BYTES + 10)}))
            ws.send_text(json.dumps({"type": "test-vote", "n": 1}))
            for i in range(40):  # far past the rate limit's burst
                ws.send_text(json.dumps({"type": "test-vote", "n": 2 + i}))
            ws.send_text(json.dumps({"type": "ping"}))
        deadline = time.time() + 5
        while len(seen) < 2 and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
        assert seen and all(len(json.dumps(m)) <= hub.MAX_INBOUND_BYTES for _, _, m in seen)
        assert [m["n"] for _, _, m in seen][0] == 1  # the oversized one never reached the handler
        assert len(seen) <= hub.INBOUND_BURST + 2      # the flood was cut at the burst
        assert all(r == room_id and voter for r, voter, _ in seen)
    finally:
        hub._HANDLERS.pop("test-vote", None)


def test_a_connection_that_keeps_sending_junk_is_closed(client, room):
    room_id, _key = room
    with pytest.raises(WebSocketDisconnect) as err:
        with client.websocket_connect(f"/room/{room_id}/ws") as ws:
            for _ in range(hub.MAX_DROPS + 5):
                ws.send_text("not json")
            while True:
                ws.receive_text()
    assert err.value.code == 1008


def test_ending_the_room_tells_followers_and_closes_the_route(client, room):
    room_id, key = room
    publish(room_id, key, 0)
    with client.websocket_connect(f"/room/{room_id}/ws") as ws:
        receive_until(ws, "slide")
        assert rooms.end_room(room_id, key)
        assert receive_until(ws, "end") == {"type": "end"}
    assert client.get(f"/room/{room_id}").status_code == 404
    assert client.get(f"/room/{room_id}/ping").status_code == 404


def test_idle_room_ends(monkeypatch, room):
    room_id, _key = room
    monkeypatch.setattr(rooms, "IDLE_TIMEOUT_S", 0.05)
    time.sleep(0.1)
    assert not rooms.room_exists(room_id)


def test_audience_page_inserts_only_the_slide_as_markup():
    body, _headers = audience.page('x"><script>alert(1)</script>')
    assert "<script>alert(1)</script>" not in body
    script = body.split("<script nonce=", 1)[1]
    # every pushed field other than the renderer's slide HTML goes in as text
    assert script.count("innerHTML") == 1 and "slideBox.innerHTML = m.html" in script
    assert "textContent" in script and "IMAGE.test(m.image)" in script


def test_slide_text_is_escaped_by_the_renderer():
    from dataclasses import replace

    from deck.parser import Segment
    evil = replace(TALK.slides[0], title="<img src=x onerror=alert(1)>",
                   segments=[Segment("markdown", "<script>alert(2)</script> **bold**")])
    message = follow.slide_message(evil, 3)
    assert "<script>" not in message["html"] and "<img src=x" not in message["html"]
    assert "<strong>bold</strong>" in message["html"]


def test_fallback_poll_backs_off_as_the_room_grows():
    assert follow.poll_interval(1) == follow.FOLLOW_POLL_S
    assert follow.poll_interval(45) == pytest.approx(1.5)
    assert follow.poll_interval(300) == follow.MAX_POLL_S
    room_id, key = rooms.open_room(TALK.id, 0)
    try:
        counts = [rooms.note_poller(room_id, f"s{i}") for i in range(120)]
        assert counts[-1] == 120 and rooms.note_poller(room_id, "s0") == 120
    finally:
        rooms.end_room(room_id, key)


def test_presenter_run_publishes_each_move_once(monkeypatch, room):
    room_id, key = room
    sent = []
    monkeypatch.setattr(hub, "broadcast", lambda r, m: sent.append((r, m, time.monotonic())))

    def wait_for(n):
        deadline = time.time() + 10
        while len(sent) < n and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)
        return [(r, m["index"]) for r, m, _ in sent]

    pos = nav.Position(TALK, 0)
    moved_at = time.monotonic()
    follow.drive(room_id, key, pos.at(1))
    follow.drive(room_id, key, pos.at(1))          # a rerun on the same slide (a widget) publishes nothing
    assert wait_for(1) == [(room_id, 1)]
    # the room hears of it once the presenter's own page has had time to draw the slide
    assert sent[0][2] - moved_at >= follow.PRESENTER_FIRST_S
    follow.drive(room_id, "wrong", pos.at(3))      # not the key holder: nothing moves, nothing is sent
    assert wait_for(2) == [(room_id, 1)] and rooms.room_position(room_id) == (TALK.id, 1)
    follow.drive(room_id, key, pos.at(4))
    follow.drive(room_id, key, pos.at(2))          # two moves in quick succession: the room gets the last
    assert wait_for(2) == [(room_id, 1), (room_id, 2)]
    assert sent[-1][1]["type"] == "slide" and key not in json.dumps(sent[-1][1])


def test_fallback_follower_demo_waits_for_play(monkeypatch):
    """A window following a room by polling (``?room=``) shows the painting slide without its demo and
    a "Try it yourself" button; that leaves live follow and shows the demo, which does not start by itself.
    A plain visitor's painting starts."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.delenv("DECK_SLIDES_DIR", raising=False)
    deck = load_deck(ROOT / "slides")
    slide = next(s for t in deck.talks for s in t.slides if any(seg.demo == "painting" for seg in s.demos))
    room_id, key = rooms.open_room(slide.talk_id, slide.index)

    def running(at):
        return {k: at.session_state[k] for k in at.session_state if str(k).endswith("_running")}

    try:
        follower = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
        follower.query_params["room"] = room_id
        follower.run()
        assert follower.main.header[0].value == slide.title
        assert not running(follower)                       # no demo ran in the following window
        assert not follower.exception
        try_it = next(b for b in follower.button if b.label == "Try it yourself")
        try_it.click().run()
        assert follower.main.header[0].value == slide.title  # same slide, now browsing on its own
        assert running(follower) and not any(running(follower).values())
        assert any(b.label == "Back to live" for b in follower.button)
        visitor = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
        for k, v in nav.slide_params(slide).items():
            visitor.query_params[k] = v
        visitor.run()
        assert running(visitor) and all(running(visitor).values())
    finally:
        rooms.end_room(room_id, key)
