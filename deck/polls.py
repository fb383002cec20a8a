"""Polls that drive a demo, and the QR code of the audience link, for the presenter of a live room.

A demo declares what the room may vote on next to its ``OPTIONS``::

    POLLS = {"lr": ("Which learning rate?", [0.003, 0.03, 0.3])}

(key: the suffix of the demo's widget key, ``<key_prefix>_<suffix>``; choices: 2-8 numbers or short
strings, or a function returning them). The presenter opens a poll on the current demo slide from the
sidebar's room panel; audience pages get ``{"type": "poll", "id", "question", "choices", "counts", "open"}``
through ``deck.hub`` and send back ``{"type": "vote", "poll": <poll id>, "choice": <index>}``.
:func:`vote` checks every vote: the room's open poll, a whole-number choice in range, a voter id, a small
message; one vote per voter (a browser): a later vote from the same voter *replaces* the earlier one, so
counts always sum to the number of voters. Counts go out at most :data:`COUNTS_PER_SECOND` times a second
(the latest state; never a queue). The presenter's panel shows the counts live (a fragment reading this
module's state: no network) and "Apply the winner" sets the demo's widget in the presenter's own
``st.session_state``, so the running demo uses it on the next run. Only the key holder's session draws
the panel, and every action checks the key again.
"""
from __future__ import annotations

import io
import json
import logging
import math
import secrets
import threading
import time
from dataclasses import dataclass, field

from . import hub, rooms

_LOG = logging.getLogger(__name__)

MIN_CHOICES, MAX_CHOICES = 2, 8
MAX_LABEL_CHARS = 40
MAX_QUESTION_CHARS = 120
MAX_VOTE_BYTES = 200          # a vote is ~50 bytes of JSON; anything bigger is refused
MAX_VOTER_CHARS = 128
MAX_VOTERS = 20_000           # per poll
MAX_ROOMS = 200
COUNTS_PER_SECOND = 4.0
PANEL_REFRESH_S = 0.5

_LOCK = threading.Lock()


@dataclass(frozen=True)
class Pollable:
    """One setting of a demo on the current slide that the room can vote on."""

    demo: str           # demo module name
    key_prefix: str     # the demo's key prefix on this slide
    name: str           # the POLLS key: the widget key's suffix
    question: str
    choices: tuple      # the values the widget takes

    @property
    def widget_key(self) -> str:
        return f"{self.key_prefix}_{self.name}"

    @property
    def labels(self) -> list[str]:
        return [label(c) for c in self.choices]


@dataclass
class Poll:
    id: str
    room: str
    item: Pollable
    votes: dict[str, int] = field(default_factory=dict)   # voter id -> choice index
    open: bool = True
    applied: int | None = None                           # the choice applied to the demo, if any
    opened: float = field(default_factory=time.time)

    def counts(self) -> list[int]:
        out = [0] * len(self.item.choices)
        for c in self.votes.values():
            out[c] += 1
        return out


_POLLS: dict[str, Poll] = {}          # room id -> its latest poll (open or closed)
_LAST_SENT: dict[str, float] = {}     # room id -> when its counts last went out
_TIMERS: dict[str, threading.Timer] = {}
STATS = {"accepted": 0, "replaced": 0}
REFUSED: dict[str, int] = {}          # reason -> count (what forged or stale votes looked like)


def label(value) -> str:
    """A choice as the audience sees it: ``0.003``, ``relu``."""
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text[:MAX_LABEL_CHARS]


# ------------------------------------------------------------------------------------------------
# What a slide offers


def declared_polls(module) -> dict[str, tuple[str, tuple]]:
    """A demo module's valid ``POLLS`` entries (name -> (question, choices)); malformed ones are left out
    with a log line (``python -m deck check`` is for slides; a demo's own declaration is checked here)."""
    raw = getattr(module, "POLLS", None)
    if not isinstance(raw, dict):
        return {}
    out = {}
    for name, spec in raw.items():
        try:
            question, choices = spec
            choices = tuple(choices() if callable(choices) else choices)
            ok = (isinstance(name, str) and name.isidentifier() and isinstance(question, str)
                  and MIN_CHOICES <= len(choices) <= MAX_CHOICES and len(set(map(label, choices))) == len(choices)
                  and all(isinstance(c, (int, float, str)) and not isinstance(c, bool) for c in choices)
                  and all(not isinstance(c, float) or math.isfinite(c) for c in choices))
        except (TypeError, ValueError):
            ok = False
        if ok:
            out[name] = (question[:MAX_QUESTION_CHARS], choices)
        else:
            _LOG.warning("%s: POLLS[%r] is not (question, 2-%d distinct numbers or strings); ignored",
                         getattr(module, "__name__", "?"), name, MAX_CHOICES)
    return out


def pollables(slide) -> list[Pollable]:
    """Every pollable setting of the demos on ``slide``, with the key prefixes the deck gives them."""
    import importlib

    from .demo_runner import demo_exists, demo_key_prefix

    out = []
    for occurrence, seg in enumerate(slide.demos):
        if not demo_exists(seg.demo):
            continue
        try:
            module = importlib.import_module(f"demos.{seg.demo}")
        except Exception:  # the slide shows the demo's failure; nothing to poll
            continue
        prefix = demo_key_prefix(seg.demo, slide, occurrence)
        for name, (question, choices) in declared_polls(module).items():
            out.append(Pollable(seg.demo, prefix, name, question, choices))
    return out


# ------------------------------------------------------------------------------------------------
# Poll state (any thread)


def current(room_id: str) -> Poll | None:
    with _LOCK:
        return _POLLS.get(room_id)


def snapshot(room_id: str) -> dict | None:
    """The room's poll as the audience sees it (also what :func:`broadcast_counts` sends)."""
    with _LOCK:
        poll = _POLLS.get(room_id)
        return _message(poll) if poll else None


def _message(poll: Poll) -> dict:
    msg = {"type": "poll", "id": poll.id, "question": poll.item.question, "choices": poll.item.labels,
           "counts": poll.counts(), "open": poll.open}
    if poll.applied is not None:
        msg["applied"] = poll.applied
    return msg


def open_poll(room_id: str, item: Pollable) -> Poll:
    """Start a poll in the room (closing any other); the audience sees it at once."""
    _register()
    poll = Poll(secrets.token_urlsafe(6), room_id, item)
    with _LOCK:
        _POLLS.pop(room_id, None)
        _POLLS[room_id] = poll
        while len(_POLLS) > MAX_ROOMS:
            _POLLS.pop(next(iter(_POLLS)))
    broadcast_counts(room_id, now=True)
    return poll


def close_poll(room_id: str, poll_id: str) -> bool:
    with _LOCK:
        poll = _POLLS.get(room_id)
        if poll is None or poll.id != poll_id or not poll.open:
            return False
        poll.open = False
    broadcast_counts(room_id, now=True)
    return True


def winner(poll: Poll) -> int | None:
    """The choice with the most votes (the first listed on a tie); None without votes."""
    counts = poll.counts()
    best = max(counts, default=0)
    return counts.index(best) if best > 0 else None


def _refuse(reason: str) -> tuple[bool, str]:
    with _LOCK:
        REFUSED[reason] = REFUSED.get(reason, 0) + 1
    return False, reason


def vote(room_id: str, voter_id: str, message) -> tuple[bool, str]:
    """Count one audience vote if it is valid: (accepted, reason). One vote per voter per poll; a later
    vote from the same voter replaces the earlier one."""
    if not isinstance(message, dict):
        return _refuse("not an object")
    try:
        size = len(json.dumps(message, separators=(",", ":")))
    except (TypeError, ValueError):
        return _refuse("not JSON")
    if size > MAX_VOTE_BYTES:
        return _refuse("too large")
    if set(message) - {"type", "poll", "choice"}:
        return _refuse("unexpected fields")
    if not isinstance(voter_id, str) or not voter_id or len(voter_id) > MAX_VOTER_CHARS:
        return _refuse("no voter")
    poll_id, choice = message.get("poll"), message.get("choice")
    if not isinstance(poll_id, str):
        return _refuse("unknown poll")
    if not isinstance(choice, int) or isinstance(choice, bool):
        return _refuse("bad choice")
    with _LOCK:
        poll = _POLLS.get(room_id)
        if poll is None or poll.id != poll_id:
            reason = "unknown poll"
        elif not poll.open:
            reason = "poll closed"
        elif not 0 <= choice < len(poll.item.choices):
            reason = "bad choice"
        elif voter_id not in poll.votes and len(poll.votes) >= MAX_VOTERS:
            reason = "poll full"
        else:
            reason = ""
            STATS["replaced" if voter_id in poll.votes else "accepted"] += 1
            poll.votes[voter_id] = choice
    if reason:
        return _refuse(reason)
    broadcast_counts(room_id)
    return True, "ok"


def _on_vote(room_id: str, voter_id: str, message: dict) -> None:
    """The hub's handler for ``{"type": "vote"}`` messages (runs on the server's event loop: quick)."""
    vote(room_id, voter_id, message)


_registered = False


def _register() -> None:
    global _registered
    if not _registered:
        hub.on_message("vote", _on_vote)
        _registered = True


def broadcast_counts(room_id: str, now: bool = False) -> None:
    """Send the room's poll state: ``now`` at once (opened, closed, applied), otherwise at most
    :data:`COUNTS_PER_SECOND` times a second, the latest counts when the next slot opens."""
    gap = 1.0 / COUNTS_PER_SECOND
    with _LOCK:
        if not now:
            if room_id in _TIMERS:
                return  # a send is already due; it will carry these counts too
            wait = _LAST_SENT.get(room_id, -1e9) + gap - time.monotonic()
            if wait > 0:
                timer = threading.Timer(wait, _send_due, args=(room_id,))
                timer.daemon = True
                _TIMERS[room_id] = timer
                timer.start()
                return
        _LAST_SENT[room_id] = time.monotonic()
        poll = _POLLS.get(room_id)
        msg = _message(poll) if poll else None
    if msg is not None:
        _send(room_id, msg)


def _send_due(room_id: str) -> None:
    with _LOCK:
        _TIMERS.pop(room_id, None)
        _LAST_SENT[room_id] = time.monotonic()
        poll = _POLLS.get(room_id)
        msg = _message(poll) if poll else None
    if msg is not None:
        _send(room_id, msg)


def _send(room_id: str, msg: dict) -> None:
    try:
        hub.broadcast(room_id, msg)
    except Exception:
        _LOG.exception("poll state for room %s not sent", room_id)


def apply_winner(session_state, room_id: str, poll_id: str) -> str:
    """Close the poll and set its demo's widget to the winning choice in ``session_state`` (the
    presenter's); returns what happened, in words."""
    with _LOCK:
        poll = _POLLS.get(room_id)
        if poll is None or poll.id != poll_id:
            return "That poll is no longer open."
        best = winner(poll)
        if best is None:
            return "No votes yet: nothing to apply."
        poll.open, poll.applied = False, best
        item, value = poll.item, poll.item.choices[best]
    session_state[item.widget_key] = value
    broadcast_counts(room_id, now=True)
    return f"Applied: {item.question} → {label(value)}."


def forget(room_id: str) -> None:
    """The room ended: its poll and its pending counts go."""
    with _LOCK:
        _POLLS.pop(room_id, None)
        _LAST_SENT.pop(room_id, None)
        timer = _TIMERS.pop(room_id, None)
    if timer is not None:
        timer.cancel()


rooms.on_end(forget)


# ------------------------------------------------------------------------------------------------
# The audience link and its QR code


def qr_png(text: str, scale: int = 6) -> bytes:
    """The QR code of ``text`` as PNG bytes (segno: pure Python; error correction M, a quiet zone)."""
    import segno

    buf = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buf, kind="png", scale=scale, border=3)
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------
# The presenter's panel (Streamlit)


def _is_key_holder(room_id: str) -> bool:
    import streamlit as st

    return rooms.is_presenter(room_id, st.query_params.get("key", ""))


def _open_clicked(room_id: str, item: Pollable) -> None:
    import streamlit as st

    if _is_key_holder(room_id):
        open_poll(room_id, item)
    else:
        st.session_state["deck_poll_note"] = "Only the presenter (the key holder) can open a poll."


def _close_clicked(room_id: str, poll_id: str) -> None:
    if _is_key_holder(room_id):
        close_poll(room_id, poll_id)


def _apply_clicked(room_id: str, poll_id: str) -> None:
    import streamlit as st

    if _is_key_holder(room_id):
        st.session_state["deck_poll_note"] = apply_winner(st.session_state, room_id, poll_id)


def _counts_text(poll: Poll) -> str:
    counts = poll.counts()
    total = sum(counts)
    rows = []
    for lab, n in zip(poll.item.labels, counts):
        bar = "█" * round(12 * n / total) if total else ""
        rows.append(f"`{lab}` {bar} **{n}**")
    return "  \n".join(rows) + f"  \n{total} vote{'s' if total != 1 else ''}" + (" · open" if poll.open else " · closed")


def render_panel(room_id: str, slide) -> None:
    """Sidebar panel for the key holder: the audience link's QR code, and the polls of this slide's demos."""
    import streamlit as st

    with st.sidebar.expander("Room: QR code and polls", expanded=True):
        _panel(room_id, slide)


def render_popover(room_id: str, slide) -> None:
    """The same panel in present mode (no sidebar there): a popover button beside the slide's navigation.
    Opened on the projector, it shows the room the QR code to scan and the live counts."""
    import streamlit as st

    with st.popover("Room: QR code and polls", icon=":material/qr_code_2:"):
        _panel(room_id, slide)


def _panel(room_id: str, slide) -> None:
    import streamlit as st

    from .follow import audience_url

    _register()
    link = audience_url(room_id)
    st.image(qr_png(link), caption="Scan to follow on a phone", width=180)
    st.code(link, language=None)
    note = st.session_state.pop("deck_poll_note", "")
    if note:
        st.caption(note)
    poll = current(room_id)
    items = pollables(slide)
    if poll is not None and not any(poll.item == i for i in items) and not poll.open:
        poll = None  # a finished poll of another slide
    if poll is not None:
        st.markdown(f"**Poll:** {poll.item.question}")

        @st.fragment(run_every=PANEL_REFRESH_S if poll.open else None)
        def counts() -> None:
            latest = current(room_id)
            if latest is not None and latest.id == poll.id:
                st.markdown(_counts_text(latest), help="Live counts; one vote per phone.")

        counts()
        row = st.container(horizontal=True)
        if poll.open:
            row.button("Close poll", key="deck_poll_close", on_click=_close_clicked, args=(room_id, poll.id))
        if poll.applied is None:
            row.button("Apply the winner", key="deck_poll_apply", type="primary", on_click=_apply_clicked,
                       args=(room_id, poll.id), help="Sets the demo's setting to the choice with most votes "
                                                     "(the first listed on a tie) and closes the poll.")
    if not items:
        st.caption("No demo on this slide declares a poll.")
    elif poll is None or not poll.open:
        for n, item in enumerate(items):
            st.button(f"Poll: {item.question}", key=f"deck_poll_open_{n}", on_click=_open_clicked,
                      args=(room_id, item), help=f"Choices: {', '.join(item.labels)}", width="stretch")
