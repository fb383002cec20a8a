"""Demo mirroring (#21): demos/kit/mirror.py (throttle, picture size, text as text, no-op without a sink)
and deck/mirror.py (the presenter's sink -> deck.hub.broadcast), with the three demos that publish."""
import base64
import io
import json
import time

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from deck import hub, rooms
from deck import mirror as deck_mirror
from demos.kit import mirror


ROOM = ["", ""]  # id and key of a live room opened for each test that watches what is sent


@pytest.fixture()
def sent(monkeypatch):
    """Every message the deck gives the hub, as sent (JSON round trip, as a follower would get it)."""
    out = []
    ROOM[:] = rooms.open_room("talk-a", 0)

    def fake_broadcast(room_id, message):
        out.append((room_id, json.loads(json.dumps(message))))

    monkeypatch.setattr(hub, "broadcast", fake_broadcast)
    mirror.flush()
    return out


def picture(url: str) -> Image.Image:
    head, b64 = url.split(",", 1)
    assert head in ("data:image/png;base64", "data:image/jpeg;base64"), head
    raw = base64.b64decode(b64)
    assert len(raw) <= mirror.MAX_IMAGE_BYTES
    img = Image.open(io.BytesIO(raw))
    img.load()
    return img


def test_no_sink_is_a_no_op(sent):
    before = mirror.stats()["offered"]
    assert mirror.publish("painting_x_1_0", image=b"\x89PNG whatever", text="hi") is False
    assert mirror.current_sink() is None and not mirror.active()  # no Streamlit session here
    calls = []
    assert mirror.publish("k", image=lambda: calls.append(1), data=lambda: calls.append(2)) is False
    assert calls == []  # a mirror-only picture is not even computed outside a room
    mirror.flush()
    assert mirror.stats()["offered"] == before and sent == []
    t0 = time.perf_counter()
    for _ in range(2000):
        mirror.publish("k", image=b"x")
    assert (time.perf_counter() - t0) / 2000 < 1e-4  # well under 0.1 ms a call


def test_throttle_keeps_the_latest_and_never_queues():
    got = []
    sink = mirror.Sink("room-throttle", lambda m: got.append((time.monotonic(), m)))
    t0 = time.monotonic()
    n = 0
    while time.monotonic() - t0 < 1.5:  # ~60 updates in 1.5 s
        mirror.publish("demo", text=f"frame {n}", data={"n": n}, sink=sink)
        n += 1
        time.sleep(0.025)
    assert mirror.flush(3.0)
    frames = [m["data"]["n"] for _, m in got]
    assert n > 40
    # at most 4 a second (plus the first at once), and the very last update always arrives
    assert len(got) <= 1.5 * mirror.MAX_PER_SECOND + 2, len(got)
    assert frames[-1] == n - 1
    gaps = [b[0] - a[0] for a, b in zip(got, got[1:])]
    assert min(gaps) >= mirror.MIN_GAP_S - 0.02
    assert frames == sorted(frames)  # never an old frame after a newer one


def test_after_a_slide_change_the_first_picture_waits_for_the_move():
    """The room's first update from a new slide goes out HOLD_AFTER_MOVE_S after the change (the
    presenter's page and the slide message first); the room's very first update goes at once."""
    got = []
    first = mirror.Sink("room-hold", lambda m: got.append((time.monotonic(), m)), ("talk", 3))
    t0 = time.monotonic()
    mirror.publish("demo", text="slide 3", sink=first)
    assert mirror.flush(2.0)
    assert got[0][0] - t0 < mirror.HOLD_AFTER_MOVE_S / 2
    time.sleep(mirror.MIN_GAP_S + 0.05)
    moved = mirror.Sink("room-hold", lambda m: got.append((time.monotonic(), m)), ("talk", 4))
    t1 = time.monotonic()
    mirror.publish("demo", text="slide 4", sink=moved)
    assert mirror.flush(2.0)
    assert [m["text"] for _, m in got] == ["slide 3", "slide 4"]
    assert got[1][0] - t1 >= mirror.HOLD_AFTER_MOVE_S - 0.02
    time.sleep(mirror.MIN_GAP_S + 0.05)
    t2 = time.monotonic()
    mirror.publish("demo", text="slide 4 again", sink=moved)  # same slide: the usual 4 a second
    assert mirror.flush(2.0)
    assert got[2][0] - t2 < mirror.HOLD_AFTER_MOVE_S


def test_identical_updates_are_sent_once():
    got = []
    sink = mirror.Sink("room-same", got.append)
    for _ in range(3):
        mirror.publish("demo", text="paused", data={"n": 1}, sink=sink)
        mirror.flush()
        time.sleep(mirror.MIN_GAP_S)
    assert len(got) == 1


def test_big_pictures_are_downsized_and_compact():
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (900, 1200, 3), dtype=np.uint8)  # the worst case for any codec
    img = picture(mirror.encode_image(noise))
    assert img.size[0] <= mirror.MAX_WIDTH
    smooth = np.linspace(0, 1, 640 * 640, dtype=np.float32).reshape(640, 640)  # grey float in [0, 1]
    img = picture(mirror.encode_image(smooth))
    assert img.size == (480, 480)
    board = mirror.grid_picture(rng.integers(1, 6, (10, 20)), {1: "#0072B2", 2: (230, 159, 0)}, 24)
    url = mirror.encode_image(board)
    assert url.startswith("data:image/png") and picture(url).size == (480, 240)  # flat colours stay PNG
    small = io.BytesIO()
    Image.fromarray(board[:100, :100]).save(small, format="PNG")
    url = mirror.encode_image(small.getvalue())  # within limits: passes unchanged
    assert base64.b64decode(url.split(",", 1)[1]) == small.getvalue()
    rgba = Image.new("RGBA", (600, 300), (255, 0, 0, 128))
    assert picture(mirror.encode_image(rgba)).size == (480, 240)
    with pytest.raises(ValueError):
        mirror.encode_image(np.zeros((4, 4, 7)))


def test_html_in_a_caption_arrives_as_text_and_data_is_clean(sent):
    state = {}
    deck_mirror.attach(state, ROOM[0], "presenter", "talk-a", 7)
    sink = state[mirror.SINK_KEY]
    caption = '<script>alert("x")</script><img src=x onerror=alert(1)> & <b>bold</b>'
    assert mirror.publish("painting_talk_a_7_0", image=np.zeros((10, 10, 3), np.uint8), text=caption,
                          data={"loss": [1.0, float("nan"), np.float32(0.5)], "epoch": np.int64(3)}, sink=sink)
    assert mirror.flush()
    (room, msg), = sent
    assert room == ROOM[0]
    assert msg["type"] == "mirror" and (msg["talk"], msg["index"], msg["demo"]) == ("talk-a", 7, "painting_talk_a_7_0")
    assert msg["text"] == caption  # exactly the text: no HTML field; audience pages set it with textContent
    assert set(msg) == {"type", "talk", "index", "demo", "image", "text", "data"}
    assert msg["data"] == {"loss": [1.0, None, 0.5], "epoch": 3}
    assert picture(msg["image"]).size == (10, 10)
    mirror.publish("d", data={"big": list(range(10_000))}, sink=sink)  # too big for a follower
    assert mirror.flush()
    assert sent[-1][1]["data"] == {"error": "data not mirrored: 48899 bytes > 16000"}
    mirror.publish("d", text="x" * 5000, data=object(), sink=sink)
    assert mirror.flush()
    assert len(sent[-1][1]["text"]) == mirror.MAX_TEXT_CHARS and sent[-1][1]["data"]["error"].startswith("data not")


def test_attach_only_for_the_presenter():
    state = {}
    deck_mirror.attach(state, "r1", "presenter", "t", 1)
    first = state[mirror.SINK_KEY]
    assert first.room == "r1" and first.where == ("t", 1)
    deck_mirror.attach(state, "r1", "presenter", "t", 1)
    assert state[mirror.SINK_KEY] is first  # the same sink is not stored again
    deck_mirror.attach(state, "r1", "presenter", "t", 2)
    assert state[mirror.SINK_KEY].where == ("t", 2)
    for room, role in (("r1", "audience"), ("", ""), ("r1", "")):
        deck_mirror.attach(state, room, role, "t", 2)
        assert mirror.SINK_KEY not in state


def test_a_broken_picture_never_breaks_the_demo():
    got = []
    sink = mirror.Sink("room-broken", got.append)

    def boom():
        raise RuntimeError("demo bug")

    assert mirror.publish("d", image=boom, sink=sink) is False
    assert mirror.publish("d", image=np.zeros((3, 3, 9)), text="caption", sink=sink) is True
    assert mirror.flush()
    assert got == [{"demo": "d", "image": None, "text": "caption", "data": None}]  # the caption still goes
    mirror.publish("d", image=b"\x89PNG\r\n\x1a\n but not a picture", text="again", sink=sink)
    assert mirror.flush()
    assert got[-1]["image"] is None and got[-1]["text"] == "again"


# ------------------------------------------------------------------------------------------------
# The demos, run as Streamlit apps: the presenter's session of a room mirrors, any other does not

SCRIPT = """
import streamlit as st
from deck import mirror
mirror.attach(st.session_state, {room!r}, {role!r}, "talk-a", 4)
from demos.{demo} import render
render(key_prefix={kp!r}, {opts})
"""


def run_demo(demo, kp, opts, room=None, role="presenter"):
    room = ROOM[0] if room is None else room
    at = AppTest.from_string(SCRIPT.format(room=room, role=role, demo=demo, kp=kp, opts=opts),
                             default_timeout=90).run()
    assert not at.exception, at.exception
    assert mirror.flush(5.0)
    return at


def test_painting_mirrors_the_picture_as_painted(sent):
    at = run_demo("painting", "painting_talk_a_4_0", "autostart='0'")
    (room, msg), = sent
    assert room == ROOM[0] and msg["type"] == "mirror" and msg["index"] == 4
    img = picture(msg["image"])
    assert img.size == (200, 200)
    p = list(at.session_state["painting_talk_a_4_0_painters"].values())[0]
    assert msg["data"]["iterations"] == p.iterations == 0 and "iterations" in msg["text"]
    at.button(key="painting_talk_a_4_0_step").click().run()
    assert mirror.flush(5.0)
    assert len(sent) == 2 and sent[1][1]["data"]["iterations"] > 0  # the new picture went out


def test_playground_mirrors_boundary_and_loss_curve(sent):
    at = run_demo("playground", "playground_talk_a_4_0", "autostart='0'")
    (room, msg), = sent
    run = at.session_state["playground_talk_a_4_0_run"]
    img = np.asarray(picture(msg["image"]).convert("RGB"))
    assert img.shape == (256, 256, 3)
    assert msg["data"]["epoch"] == run.epoch and msg["data"]["loss"][-1][0] == run.history[-1][0]
    assert msg["text"].startswith("epoch 0")


def test_bubble_replay_mirrors_the_board_and_position(sent):
    at = run_demo("bubble_replay", "bubble_replay_talk_a_4_0", "view='replay', size='small'")
    (room, msg), = sent
    assert msg["data"]["move"] == 0 and msg["data"]["moves"] > 0
    assert picture(msg["image"]).size[0] <= mirror.MAX_WIDTH
    at.button(key="bubble_replay_talk_a_4_0_fwd").click().run()
    assert mirror.flush(5.0)
    assert sent[-1][1]["data"]["move"] == 1 and sent[-1][1]["text"].startswith("move 1 of")


def test_no_room_no_mirror(sent):
    run_demo("painting", "painting_talk_a_4_0", "autostart='0'", role="audience")
    run_demo("painting", "painting_talk_a_4_0", "autostart='0'", room="", role="")
    assert sent == []


def test_an_ended_room_gets_nothing(sent):
    state = {}
    deck_mirror.attach(state, ROOM[0], "presenter", "talk-a", 1)
    assert rooms.end_room(*ROOM)  # ended (by its key, or timed out) while the sink is still registered
    mirror.publish("d", text="after the end", sink=state[mirror.SINK_KEY])
    assert mirror.flush()
    assert [m["type"] for _, m in sent] == ["end"]


def test_the_deck_registers_the_sink_for_the_presenter_only(sent, monkeypatch):
    """The whole deck page (streamlit_app.py): the presenter's run of a room's painting slide mirrors its
    picture; the same slide in an audience window or with no room mirrors nothing."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    monkeypatch.setenv("DECK_SLIDES_DIR", str(root / "tests" / "fixtures" / "room_demos"))
    room_id, key = rooms.open_room("demo-talk", 1)

    def page(**params):
        at = AppTest.from_file(str(root / "streamlit_app.py"), default_timeout=90)
        for k, v in dict(talk="demo-talk", section="demos", slide="2", **params).items():
            at.query_params[k] = v
        at.run()
        assert not at.exception, at.exception
        assert at.main.header[0].value == "Painting Live"
        assert mirror.flush(5.0)
        return at

    page(room=room_id)  # audience (fallback window): its demo waits for Play and mirrors nothing
    page()
    assert [m for _, m in sent if m["type"] == "mirror"] == []
    at = page(room=room_id, key=key)
    assert isinstance(at.session_state[mirror.SINK_KEY], mirror.Sink)
    mirrored = [(room, m) for room, m in sent if m["type"] == "mirror"]
    assert mirrored and {room for room, _ in mirrored} == {room_id}
    msg = mirrored[-1][1]
    assert (msg["talk"], msg["index"], msg["demo"]) == ("demo-talk", 1, "painting_demo_talk_1_0")
    assert picture(msg["image"]).size == (200, 200)
