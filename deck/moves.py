"""Moving through the deck: requests to show a slide, and writing the slide's address into the URL.

Button callbacks (Next, Prev, the table of contents, the live room's poll) do not draw anything;
they leave a numbered move request that the next run of ``deck.app.main`` carries out, so the new
slide is drawn in the same run.
"""
from __future__ import annotations

import time

import streamlit as st

from . import nav

DECK_PARAMS = ("talk", "section", "slide", "present", "view", "ch")  # rewritten on every move
ROOM_PARAMS = ("room", "key")  # kept on every move


def set_position(pos: nav.Position, present: bool | None = None) -> None:
    """Write the slide's address into the URL (called from the script body, not a callback:
    query parameters set in a callback reach the browser one move late)."""
    params = st.query_params
    current = params.to_dict()
    keep = {k: v for k, v in current.items() if k not in DECK_PARAMS}
    if any(current.get(k) != v for k, v in pos.params().items()):
        # a demo's own URL settings (e.g. a Playground teaching link) belong to its slide only
        keep = {k: v for k, v in keep.items() if k in ROOM_PARAMS}
    if present is None:
        present = params.get("present") == "1"
    new = {**pos.params(), **keep}
    if present:
        new["present"] = "1"
    params.from_dict(new)


def request_move(talk_id: str, index: int, source: str = "user", present: bool | None = None) -> None:
    """Ask the next run to show a slide. Requests are numbered; a run consumes a request by
    recording its number (deleting session-state keys set in callbacks is not reliable)."""
    seq = st.session_state.get("deck_goto_seq", 0) + 1
    st.session_state["deck_goto_seq"] = seq
    st.session_state["deck_goto"] = {"talk": talk_id, "index": index, "source": source,
                                     "present": present, "seq": seq}


def pending_move() -> dict | None:
    goto = st.session_state.get("deck_goto")
    if goto and goto["seq"] != st.session_state.get("deck_goto_done"):
        return goto
    return None


def mark_done(goto: dict) -> None:
    """The run now drawing ``goto``'s slide has recorded it as the deck's position."""
    st.session_state["deck_goto_done"] = goto["seq"]


def move(talk_id: str, index: int) -> None:
    request_move(talk_id, index)


STEP_DEBOUNCE_S = 0.6  # 0.35 let a late echo through under CI load: two slides on one press


def step(delta: int) -> None:
    """Move relative to where the deck is *now*: two presses in one run both count.

    While a demo's fragment is ticking, Streamlit can deliver one button press to two reruns
    (the press rides along with the fragment's rerun too). A second step within
    STEP_DEBOUNCE_S of the last one is therefore taken as that echo and ignored; a presenter's
    two deliberate presses are further apart than that. Slides without a demo have no
    fragments (except in an audience window, whose live-room poll ticks), so there every press
    counts, however quick."""
    now = time.monotonic()
    if (st.session_state.get("deck_pos_has_demo")
            and now - st.session_state.get("deck_last_step", -1e9) < STEP_DEBOUNCE_S):
        return
    st.session_state["deck_last_step"] = now
    pending = pending_move()
    base = (pending["talk"], pending["index"]) if pending else st.session_state.get("deck_pos")
    if base:
        move(base[0], base[1] + delta)


def toggle_present(talk_id: str, index: int) -> None:
    request_move(talk_id, index, present=st.query_params.get("present") != "1")


def jump_from_select(talk_id: str) -> None:
    choice = st.session_state.get("deck_jump")
    if choice is not None:
        move(talk_id, int(choice))
    st.session_state["deck_jump"] = None  # the box goes back to its prompt
