"""Audience follow mode: the key holder drives, the audience follows, nobody else can drive."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from deck import rooms

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
FIXTURE = ROOT / "tests" / "fixtures" / "slides"


@pytest.fixture(autouse=True)
def fixture_deck(monkeypatch):
    monkeypatch.setenv("DECK_SLIDES_DIR", str(FIXTURE))


def app(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def title(at):
    return at.main.header[0].value


def all_text(at) -> str:
    """Every string value the page shows (markdown, code, captions, buttons, alerts)."""
    parts = []
    for kind in ("markdown", "code", "caption", "info", "warning", "error", "header", "text"):
        parts += [str(getattr(e, "value", "")) for e in at.get(kind)]
    parts += [b.label for b in at.button]
    return "\n".join(parts)


def open_room():
    presenter = app(talk="alpha-talk", section="first", slide="2")
    presenter.button(key="deck_room_open").click().run()
    room, key = presenter.query_params["room"], presenter.query_params["key"]
    assert title(presenter) == "Alpha Two"
    return presenter, room, key


def test_key_is_long_and_random():
    keys = {rooms.open_room("alpha-talk", 0)[1] for _ in range(50)}
    assert len(keys) == 50 and all(len(k) >= 32 for k in keys)  # 24 random bytes = 192 bits


def test_presenter_gets_both_links_audience_follows():
    presenter, room, key = open_room()
    codes = [c.value for c in presenter.code]
    assert f"?room={room}" in codes and f"?room={room}&key={key}" in codes
    audience = app(room=room)
    assert title(audience) == "Alpha Two"  # opens on the presenter's slide
    assert "key" not in audience.query_params
    presenter.button(key="deck_next").click().run()
    assert rooms.room_position(room) == ("alpha-talk", 2)
    audience.run()  # the polling fragment sees the move and reruns the page
    audience.run()
    assert title(audience) == "Alpha Three"


def test_audience_can_browse_back_and_return_to_live():
    presenter, room, _ = open_room()
    audience = app(room=room)
    audience.button(key="deck_prev").click().run()
    assert title(audience) == "Alpha One"
    assert rooms.room_position(room) == ("alpha-talk", 1)  # the audience did not move the room
    presenter.button(key="deck_next").click().run()
    audience.run()
    assert title(audience) == "Alpha One"  # browsing on its own: not pulled along
    audience.button(key="deck_back_to_live").click().run()
    audience.run()
    assert title(audience) == "Alpha Three"


def test_audience_cannot_drive_or_read_the_key():
    presenter, room, key = open_room()
    audience = app(room=room)
    for _ in range(3):
        audience.button(key="deck_next").click().run()
    assert rooms.room_position(room) == ("alpha-talk", 1)
    assert key not in all_text(audience)
    state = audience.session_state
    seen = {k: state[k] for k in state}
    assert "deck_channel" in seen and key not in repr(seen)
    forged = app(room=room, key="guess-" + key[:10])
    assert "not valid" in forged.main.warning[0].value
    assert "key" not in forged.query_params
    forged.button(key="deck_next").click().run()
    assert rooms.room_position(room) == ("alpha-talk", 1)
    assert not rooms.drive_room(room, "", "alpha-talk", 4)
    assert not rooms.drive_room(room, key[:-1], "alpha-talk", 4)


def test_two_rooms_do_not_cross():
    p1, room1, _ = open_room()
    p2, room2, _ = open_room()
    assert room1 != room2
    a1, a2 = app(room=room1), app(room=room2)
    p1.text_input(key="deck_keys").set_value("1:last").run()
    a1.run(); a1.run(); a2.run(); a2.run()
    assert title(a1) == "Beta Two" and title(a2) == "Alpha Two"


def test_unknown_room_is_a_notice():
    at = app(room="nope")
    assert "ended" in at.main.warning[0].value and not at.exception
    assert "room" not in at.query_params
