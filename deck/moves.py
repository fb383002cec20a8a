"""Moving through the deck: requests to show a slide, and writing the slide's address into the URL.

Button callbacks (Next, Prev, the table of contents, the live room's poll) do not draw anything;
they leave a numbered move request that the next run of ``deck.app.main`` carries out, so the new
slide is drawn in the same run.

Key presses (and clicks on Prev/Next) in the browser are numbered there: the deck's key handler
(``deck/client.py``) writes its recent presses, ``"<n>:<action>"`` separated by spaces, into a hidden
text box, and :func:`apply_presses` carries out each number once, in order. A press that reaches the
server twice (Streamlit can deliver a widget change with a fragment's rerun as well) is applied
once, and a press whose own rerun was cut short still arrives inside the next press's list: no
press is lost or doubled, however quick.
"""
from __future__ import annotations

import re

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
    recording its number (deleting session-state keys set in callbacks is not reliable). A move that
    does not say ``present`` keeps what a request not yet carried out said (P then → in one run)."""
    pending = pending_move()
    if present is None and pending is not None:
        present = pending["present"]
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


def _now() -> tuple[str, int, int | None] | None:
    """(talk id, index, slide count or None) of where the deck is *now*: the move asked for but not
    yet drawn, else the slide the current run shows."""
    pending = pending_move()
    pos = st.session_state.get("deck_pos")  # (talk id, index, slide count)
    if pending is not None:
        count = pos[2] if pos and pos[0] == pending["talk"] else None
        return pending["talk"], pending["index"], count
    return pos


def _clamped(index: int, count: int | None) -> int:
    return max(0, index if count is None else min(index, count - 1))


def step(delta: int) -> None:
    """Move relative to where the deck is *now*: two presses in one run both count."""
    here = _now()
    if here:
        move(here[0], _clamped(here[1] + delta, here[2]))


def toggle_present(talk_id: str, index: int) -> None:
    pending = pending_move()
    if pending is not None and pending["present"] is not None:
        present_now = pending["present"]
    else:
        present_now = st.query_params.get("present") == "1"
    request_move(talk_id, index, present=not present_now)


# ------------------------------------------------------------------------------------------------
# Numbered presses from the browser

PRESS_KEY = "deck_keys"  # the hidden text box the browser writes its presses into
MAX_PRESSES = 64  # the browser keeps (and the server reads) this many of the latest presses
PRESS_ACTIONS = ("next", "prev", "first", "last", "present")
_GOTO = re.compile(r"goto:([A-Za-z0-9_-]{1,64}):(\d{1,5})")  # the sidebar: a talk's slide (deck/sidebar.py)


def parse_presses(text: str) -> list[tuple[int, str]]:
    """``"7:next 8:next 9:present"`` -> [(7, 'next'), (8, 'next'), (9, 'present')], in number order;
    anything malformed is skipped (the box is only ever written by the deck's own script)."""
    presses = {}
    for item in str(text or "").split()[-MAX_PRESSES:]:
        number, _, action = item.partition(":")
        if number.isdigit() and len(number) <= 12 and (action in PRESS_ACTIONS or _GOTO.fullmatch(action)):
            presses[int(number)] = action
    return sorted(presses.items())


def _press(action: str) -> None:
    here = _now()
    if not here:
        return
    talk_id, index, count = here
    if action == "next":
        step(1)
    elif action == "prev":
        step(-1)
    elif action == "first":
        move(talk_id, 0)
    elif action == "last":
        move(talk_id, _clamped(10**9, count))
    elif action == "present":
        toggle_present(talk_id, index)
    elif action.startswith("goto:"):
        goto_talk, goto_index = _GOTO.fullmatch(action).groups()
        talks = st.session_state.get("deck_talk_sizes", {})  # talk id -> slide count, set by app.main
        if goto_talk in talks:
            move(goto_talk, _clamped(int(goto_index), talks[goto_talk]))


def count_presses_so_far() -> None:
    """At a session's first run: presses already in the box count as carried out (see apply_presses)."""
    if "deck_press_done" not in st.session_state:
        presses = parse_presses(st.session_state.get(PRESS_KEY, ""))
        st.session_state["deck_press_done"] = max((n for n, _ in presses), default=0)


def apply_presses() -> None:
    """The hidden box changed: carry out every press numbered above the last one carried out.

    A session that has not drawn the deck yet cannot have had a press: a box that already holds
    presses then is an open page reconnecting to a restarted server, whose presses were carried out
    by the old session. They only set the count, so the deck does not jump."""
    presses = parse_presses(st.session_state.get(PRESS_KEY, ""))
    if not st.session_state.get("deck_runs"):
        count_presses_so_far()
        return
    done = st.session_state.get("deck_press_done", 0)
    for number, action in presses:
        if number > done:
            _press(action)
            done = number
    st.session_state["deck_press_done"] = done
