"""Polls that drive a demo (#21): deck/polls.py (declared POLLS, vote checks, live counts, apply the
winner to the running demo) and the QR code of the audience link."""
import asyncio
import concurrent.futures
import importlib
import json
import pkgutil
import time
import types

import cv2
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import demos.painting
import demos.playground
from deck import hub, polls, rooms
from deck.parser import Segment, Slide


@pytest.fixture()
def sent(monkeypatch):
    out = []
    monkeypatch.setattr(hub, "broadcast", lambda room, msg: out.append((room, json.loads(json.dumps(msg)))))
    return out


def slide_with(*demos_and_opts, index=5):
    segs = [Segment("markdown", text="hello")] + [Segment("demo", demo=d, options=tuple(o.items()))
                                                   for d, o in demos_and_opts]
    return Slide("A demo", segs, "", 1.0, "x.md:1", talk_id="my-talk", section_id="s", index=index)


def lr_item(room="room-p"):
    items = polls.pollables(slide_with(("playground", {})))
    return next(i for i in items if i.name == "lr")


def test_demos_declare_valid_polls():
    pg = polls.declared_polls(demos.playground)
    assert pg["lr"] == ("Which learning rate?", (0.003, 0.03, 0.3))
    assert set(pg["act"][1]) <= set(demos.playground._activations())
    assert all(c in demos.playground.LR_CHOICES for c in pg["lr"][1])  # values the widget takes
    pt = polls.declared_polls(demos.painting)
    assert pt["A_preset"][1] == ("simple", "wider", "twoply", "deep")
    bad = types.SimpleNamespace(__name__="demos.bad", POLLS={
        "ok": ("Q?", [1, 2]), "one": ("Q?", [1]), "bools": ("Q?", [True, False]), "dupes": ("Q?", ["a", "a"]),
        "nan": ("Q?", [1.0, float("nan")]), "bad name": ("Q?", [1, 2]), "shape": "Q?", "many": ("Q?", list(range(9)))})
    assert list(polls.declared_polls(bad)) == ["ok"]
    assert polls.declared_polls(types.SimpleNamespace(POLLS=None)) == {}


def test_pollables_use_the_deck_key_prefixes():
    slide = slide_with(("neuron", {}), ("playground", {"data": "xor"}))
    items = polls.pollables(slide)
    assert {i.name for i in items} == {"lr", "act"}
    assert {i.widget_key for i in items} == {"playground_my_talk_5_1_lr", "playground_my_talk_5_1_act"}
    assert polls.pollables(slide_with(("no_such_demo", {}))) == []


def test_votes_are_checked_one_per_voter_and_counts_go_out(sent):
    poll = polls.open_poll("room-v", lr_item())
    (room, msg), = sent
    assert room == "room-v" and msg == {"type": "poll", "id": poll.id, "question": "Which learning rate?",
                                        "choices": ["0.003", "0.03", "0.3"], "counts": [0, 0, 0], "open": True}
    ok = lambda voter, choice, **extra: polls.vote("room-v", voter, {"type": "vote", "poll": poll.id,
                                                                      "choice": choice, **extra})
    assert ok("phone-1", 2) == (True, "ok")
    assert ok("phone-2", 2) == (True, "ok")
    assert ok("phone-3", 0) == (True, "ok")
    assert ok("phone-1", 1) == (True, "ok")  # changed her mind: replaces her vote
    assert poll.counts() == [1, 1, 1]
    refused = {
        "unknown poll": [polls.vote("room-v", "p", {"type": "vote", "poll": "forged", "choice": 0}),
                         polls.vote("other-room", "p", {"type": "vote", "poll": poll.id, "choice": 0}),
                         polls.vote("room-v", "p", {"type": "vote", "poll": 7, "choice": 0})],
        "bad choice": [ok("p", 3), ok("p", -1), ok("p", "1"), ok("p", True), ok("p", 1.0), ok("p", None)],
        "too large": [ok("p", 0, pad="x" * 300)],
        "unexpected fields": [ok("p", 0, extra=1)],
        "no voter": [ok("", 0), ok("v" * 200, 0), polls.vote("room-v", None, {"type": "vote", "poll": poll.id,
                                                                               "choice": 0})],
        "not an object": [polls.vote("room-v", "p", ["vote"])],
    }
    for reason, results in refused.items():
        assert all(r == (False, reason) for r in results), (reason, results)
    assert poll.counts() == [1, 1, 1] and len(poll.votes) == 3
    assert polls.close_poll("room-v", poll.id)
    assert ok("phone-9", 0) == (False, "poll closed")
    assert not polls.close_poll("room-v", poll.id)
    time.sleep(0.4)  # the last counts' slot
    last = sent[-1][1]
    assert last["open"] is False and last["counts"] == [1, 1, 1]


def test_counts_are_throttled_but_the_latest_arrives(sent):
    poll = polls.open_poll("room-t", lr_item())
    t0 = time.monotonic()
    for n in range(60):
        polls.vote("room-t", f"phone-{n}", {"type": "vote", "poll": poll.id, "choice": n % 3})
        time.sleep(0.01)
    spent = time.monotonic() - t0
    time.sleep(0.4)
    counts = [m for _, m in sent]
    assert counts[-1]["counts"] == [20, 20, 20]
    assert len(counts) <= 2 + spent * polls.COUNTS_PER_SECOND + 1, (len(counts), spent)


def test_votes_through_the_hub_handler(sent):
    """The hub's own checks (size) and then ours, as an audience socket delivers them."""
    poll = polls.open_poll("room-h", lr_item())

    async def deliver():
        follower = hub.Follower("room-h", "cookie-voter", lambda text: None)
        results = [hub.inbound(follower, json.dumps({"type": "vote", "poll": poll.id, "choice": 1})),
                   hub.inbound(follower, json.dumps({"type": "vote", "poll": poll.id, "choice": 99})),
                   hub.inbound(follower, json.dumps({"type": "vote", "poll": poll.id, "choice": 0,
                                                     "pad": "x" * 3000}))]
        return results

    # a thread of its own: in the whole suite the browser tests' sync Playwright keeps a loop running here
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        results = pool.submit(asyncio.run, deliver()).result(timeout=30)
    assert results[0] == "ok" and results[2] == "dropped"  # oversized: the hub drops it unread
    assert poll.votes == {"cookie-voter": 1}  # the bad index was refused by the handler


def test_apply_the_winner_sets_the_widget_and_closes(sent):
    poll = polls.open_poll("room-a", lr_item())
    state = {}
    assert polls.apply_winner(state, "room-a", poll.id) == "No votes yet: nothing to apply."
    assert state == {} and poll.open
    for voter, choice in (("a", 0), ("b", 2), ("c", 2), ("d", 0)):
        polls.vote("room-a", voter, {"type": "vote", "poll": poll.id, "choice": choice})
    assert polls.winner(poll) == 0  # a tie: the first listed
    polls.vote("room-a", "e", {"type": "vote", "poll": poll.id, "choice": 2})
    assert polls.apply_winner(state, "room-a", poll.id) == "Applied: Which learning rate? → 0.3."
    assert state == {"playground_my_talk_5_0_lr": 0.3}
    assert not poll.open and poll.applied == 2
    assert sent[-1][1]["applied"] == 2 and sent[-1][1]["open"] is False
    assert polls.apply_winner(state, "room-a", "other") == "That poll is no longer open."


APP = """
import streamlit as st
from deck import polls
from demos.playground import render
if "winner" in st.session_state:  # what the panel's Apply button does, in its callback
    st.session_state["note"] = polls.apply_winner(st.session_state, "room-app", st.session_state.pop("winner"))
render(key_prefix="playground_my_talk_5_0", autostart="0", url="0")
"""


def test_applied_winner_reaches_the_running_demo(sent):
    """The widget key a poll sets is the one the Playground reads: its run trains with the new rate."""
    at = AppTest.from_string(APP, default_timeout=60).run()
    assert not at.exception
    assert at.session_state["playground_my_talk_5_0_run"].cfg.lr == 0.03
    poll = polls.open_poll("room-app", lr_item())
    for n in range(3):
        polls.vote("room-app", f"p{n}", {"type": "vote", "poll": poll.id, "choice": 0})
    at.session_state["winner"] = poll.id
    at.run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    assert at.session_state["note"] == "Applied: Which learning rate? → 0.003."
    run = at.session_state["playground_my_talk_5_0_run"]
    assert at.select_slider(key="playground_my_talk_5_0_lr").value == 0.003
    assert run.cfg.lr == 0.003 and run.opt.param_groups[0]["lr"] == 0.003


@pytest.mark.parametrize("page, link", [
    ("http://127.0.0.1:8501", "http://127.0.0.1:8501/room/R1"),
    ("http://127.0.0.1:8501/?talk=a&slide=2&key=SECRET", "http://127.0.0.1:8501/room/R1"),
    ("https://talks.example.org/deck/", "https://talks.example.org/deck/room/R1"),
])
def test_audience_link_from_the_page_address(monkeypatch, page, link):
    from deck import follow

    monkeypatch.setattr(follow, "st", types.SimpleNamespace(context=types.SimpleNamespace(url=page)))
    assert follow.audience_url("R1") == link


def test_qr_code_encodes_the_audience_link():
    link = "http://192.168.1.20:8501/room/AbC-12_xyZ"
    png = polls.qr_png(link)
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(img)
    assert text == link


def test_only_the_key_holder_panel_acts(monkeypatch, sent):
    """The panel's buttons check the room's key again (a forged click from a window without it does nothing)."""
    room_id, key = rooms.open_room("my-talk", 5)
    import streamlit as st

    monkeypatch.setattr(st, "query_params", {"key": "wrong"}, raising=False)
    monkeypatch.setattr(st, "session_state", {}, raising=False)
    polls._open_clicked(room_id, lr_item())
    assert polls.current(room_id) is None
    monkeypatch.setattr(st, "query_params", {"key": key}, raising=False)
    polls._open_clicked(room_id, lr_item())
    poll = polls.current(room_id)
    assert poll is not None and poll.open
    monkeypatch.setattr(st, "query_params", {"key": "wrong"}, raising=False)
    polls._close_clicked(room_id, poll.id)
    polls._apply_clicked(room_id, poll.id)
    assert poll.open and poll.applied is None


def _demos_with_polls():

    import demos

    out = []
    for info in pkgutil.iter_modules(demos.__path__):
        if not info.ispkg:
            module = importlib.import_module(f"demos.{info.name}")
            if getattr(module, "POLLS", None):
                out.append(info.name)
    return out


@pytest.mark.parametrize("demo", _demos_with_polls())
def test_every_declared_poll_names_a_widget_that_takes_each_choice(demo):
    """What "Apply the winner" does (set ``<key_prefix>_<name>`` in session_state) works for every choice
    of every poll a demo declares: the widget exists under that key and shows the value on the next run."""
    slide = slide_with((demo, {"autostart": "0"}))
    items = polls.pollables(slide)
    assert items and {i.name for i in items} == set(polls.declared_polls(importlib.import_module(f"demos.{demo}")))
    prefix = items[0].key_prefix
    at = AppTest.from_string(f"from demos.{demo} import render\nrender(key_prefix={prefix!r}, autostart='0')",
                             default_timeout=90).run()
    assert not at.exception

    def widgets():
        return {w.key: w for kind in ("radio", "selectbox", "select_slider", "slider", "number_input")
                for w in getattr(at, kind)}

    for item in items:
        assert item.widget_key in widgets(), (item.widget_key, sorted(widgets()))
        for value in reversed(item.choices):
            at.session_state[item.widget_key] = value
            at.run()
            assert not at.exception
            assert widgets()[item.widget_key].value == value, (item.widget_key, value)
