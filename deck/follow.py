"""Audience follow mode (like reveal.js multiplex): attendees' browsers follow the presenter.

The presenter opens a live room and gets two links: a presenter link carrying the room's secret key
(``?room=<id>&key=<secret>``) and an audience link with the room id only (``?room=<id>``). The deck
window holding the key drives the room; every other window of the room follows it within about half
a second, may browse freely, and has a "Back to live" button. The key is never shown to, or sent
to, an audience page.
"""
from __future__ import annotations

import streamlit as st

from . import rooms
from .moves import request_move

FOLLOW_POLL_S = 0.3


def role(params) -> tuple[str, str, str]:
    """(room id, 'presenter' | 'audience' | '', notice) for this window's URL."""
    room_id = (params.get("room") or "").strip()
    if not room_id:
        return "", "", ""
    if not rooms.room_exists(room_id):
        return "", "", "That live room has ended (or the link is wrong); you can browse the deck freely."
    key = params.get("key") or ""
    if key and rooms.is_presenter(room_id, key):
        return room_id, "presenter", ""
    notice = "The key in this link is not valid; you are following the room as audience." if key else ""
    return room_id, "audience", notice


def following() -> bool:
    return st.session_state.get("deck_following", True)


def set_following(value: bool) -> None:
    st.session_state["deck_following"] = value


def _open_room(talk_id: str, index: int) -> None:
    room_id, key = rooms.open_room(talk_id, index)
    st.session_state["deck_new_room"] = (room_id, key)


def _back_to_live() -> None:
    set_following(True)


def render_presenter_panel(talk_id: str, index: int, room_id: str, role_name: str) -> None:
    """Sidebar: open a room, or show its links (the presenter link only to the key holder)."""
    with st.sidebar.expander("Audience follow mode", expanded=bool(room_id and role_name == "presenter")):
        if role_name == "presenter":
            key = st.query_params.get("key", "")
            st.caption("Audience link — share it (screen, QR, chat); it carries no key:")
            st.code(f"?room={room_id}", language=None)
            st.caption("Your presenter link — keep it private; it drives the room:")
            st.code(f"?room={room_id}&key={key}", language=None)
        elif role_name == "audience":
            st.caption("You are following a live room.")
        else:
            st.button("Start a live room", key="deck_room_open", on_click=_open_room, args=(talk_id, index),
                      help="Attendees' browsers will follow your slides live.", width="stretch")


def render_audience_bar(room_id: str, talk_id: str, index: int) -> None:
    """Status line plus the polling fragment that moves a following window."""
    if following():
        st.caption("🔴 Following the presenter live")
    else:
        with st.container(horizontal=True, vertical_alignment="center"):
            st.caption("You are browsing on your own.")
            st.button("Back to live", key="deck_back_to_live", on_click=_back_to_live, type="primary")

    @st.fragment(run_every=FOLLOW_POLL_S)
    def poll() -> None:
        where = rooms.room_position(room_id)
        if where is None or not following():
            return
        if where != (talk_id, index):
            request_move(where[0], where[1], source="live")
            st.rerun(scope="app")

    poll()
