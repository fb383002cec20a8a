"""Audience follow mode: attendees' browsers follow the presenter.

The presenter opens a live room and gets links: a presenter link carrying the room's secret key
(``?room=<id>&key=<secret>``) and an audience link with the room id only. Two ways to follow:

* **live push** (the normal path): the audience link is ``/room/<id>``, a plain page served by the deck's
  own server (``deck/routes.py``, ``deck/audience.py``) that costs nothing between moves; the
  presenter's run publishes each move ONCE (:func:`drive`, rendered by ``deck/static_render.py`` on a
  background thread and sent by ``deck/hub.py``), and the presenter's page sends its laser pointer
  over its own socket (``deck/client.py``).
* **fallback polling**, where a host does not pass those routes through: the audience link is
  ``?room=<id>`` and every audience window is a full deck session whose fragment polls the room
  (:func:`render_audience_bar`); the poll backs off as the room grows (at most about
  :data:`MAX_POLLS_PER_S` polls a second in all). While it follows, such a window shows the slide without
  its demos (:func:`render_demo_placeholder`: "Try it yourself" leaves live follow and runs the demo,
  which then waits for its own Play).

The presenter's panel says which mode is live. The key is never shown to, or sent to, an audience page.
"""
from __future__ import annotations

import html
import logging
import secrets
import threading
import time

import streamlit as st

from . import backplane, hub, nav, rooms, static_render
from .moves import request_move
from .parser import Slide

FOLLOW_POLL_S = 0.3
MAX_POLL_S = 3.0
MAX_POLLS_PER_S = 30.0
PUSH_FRESH_S = 30.0
_LOG = logging.getLogger(__name__)


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
    _mark_follower()
    notice = "The key in this link is not valid; you are following the room as audience." if key else ""
    return room_id, "audience", notice


def _mark_follower() -> None:
    """This window follows a room as audience: its demos wait for its own Play (deck/demo_runner.py)."""
    try:
        st.session_state["deck_follower"] = True
    except Exception:  # called outside a Streamlit run
        pass


def following() -> bool:
    return st.session_state.get("deck_following", True)


def set_following(value: bool) -> None:
    st.session_state["deck_following"] = value


# ------------------------------------------------------------------------------------------------
# Publishing the presenter's moves (push path)


# The room hears of a move this long after the presenter's run published it: by then the presenter's own
# page has drawn the new slide (a move takes ~40-90 ms on a 2-core laptop), so the fan-out to hundreds of
# followers -- and phones or audience windows on the same machine redrawing -- does not compete with it.
PRESENTER_FIRST_S = 0.1


class _Publisher:
    """One background thread renders slides to HTML and broadcasts them, so the presenter's run only
    records the move. Per room only the latest move waits (``PRESENTER_FIRST_S`` after it was made);
    between moves it pre-renders the talk."""

    def __init__(self):
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pending: dict[str, tuple[Slide, int, list[Slide], float]] = {}
        self._warm: list[Slide] = []
        self._warmed: set[str] = set()
        self._thread: threading.Thread | None = None

    def publish(self, room_id: str, slide: Slide, count: int, talk_slides: list[Slide]) -> None:
        with self._lock:
            self._pending[room_id] = (slide, count, talk_slides, time.monotonic())
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="deck-room-publisher", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait(timeout=5.0)
            self._wake.clear()
            while True:
                with self._lock:  # the room whose move is oldest: sent once PRESENTER_FIRST_S has passed
                    room_id = min(self._pending, key=lambda r: self._pending[r][3], default=None)
                    wait = self._pending[room_id][3] + PRESENTER_FIRST_S - time.monotonic() if room_id else 0.0
                    job = self._pending.pop(room_id) if room_id is not None and wait <= 0 else None
                if wait > 0:
                    self._wake.wait(wait)
                    self._wake.clear()
                    continue
                if job is not None:
                    slide, count, talk_slides, _ = job
                    hub.broadcast(room_id, slide_message(slide, count))
                    if talk_slides and slide.talk_id not in self._warmed:
                        self._warmed.add(slide.talk_id)
                        self._warm = list(talk_slides)
                    continue
                if not self._warm:
                    break
                one = self._warm.pop(0)  # pre-render one slide of the talk, then look for moves again
                try:
                    static_render.slide_html(one)
                except Exception:
                    pass


_PUBLISHER = _Publisher()
_PUBLISHED: dict[str, tuple[str, int]] = {}  # room id -> the slide last published to it
_PUBLISHED_LOCK = threading.Lock()


def slide_message(slide: Slide, count: int) -> dict:
    """The ``slide`` message for followers: the slide as HTML from the deck's renderer (its title only,
    escaped, if the renderer fails), where it is, and the link that opens it in a full deck session."""
    try:
        body = static_render.slide_html(slide)
    except Exception:
        _LOG.exception("could not render %s for the room", slide.source)
        body = f'<section class="deck-slide"><h2 class="deck-title">{html.escape(slide.title)}</h2></section>'
    return {"type": "slide", "talk": slide.talk_id, "index": slide.index, "count": count,
            "title": slide.title, "url": "../" + nav.slide_url(slide), "html": body}


def drive(room_id: str, key: str, pos: nav.Position) -> None:
    """The presenter's run: move the room (key checked) and publish the move once if it changed."""
    moved = rooms.drive(room_id, key, pos.talk.id, pos.index)
    if moved is None:
        return
    where = (pos.talk.id, pos.index)
    with _PUBLISHED_LOCK:
        if not moved and _PUBLISHED.get(room_id) == where:
            return
        _PUBLISHED[room_id] = where
        if len(_PUBLISHED) > 4 * rooms.MAX_ROOMS:
            _PUBLISHED.pop(next(iter(_PUBLISHED)))
    _PUBLISHER.publish(room_id, pos.slide, pos.count, pos.talk.slides)



# ------------------------------------------------------------------------------------------------
# Streamlit side


def _open_room(talk_id: str, index: int) -> None:
    room_id, key = rooms.open_room(talk_id, index)
    st.session_state["deck_new_room"] = (room_id, key)


def _end_room(room_id: str, key: str) -> None:
    if rooms.end_room(room_id, key):
        st.session_state["deck_room_ended"] = True
        st.query_params.pop("room", None)
        st.query_params.pop("key", None)


def _back_to_live() -> None:
    set_following(True)


def render_demo_placeholder(slide, occurrence: int) -> None:
    """Where a demo would run, in a window following the room by polling: a line saying the demo runs on
    the presenter's screen, and "Try it yourself", which leaves live follow (this window then browses on
    its own and runs the demo, with its own Play; "Back to live" returns)."""
    with st.container(border=True):
        st.markdown("**Live demo** · it runs on the presenter's screen while you follow.")
        st.button("Try it yourself", key=f"deck_try_{slide.talk_id}_{slide.index}_{occurrence}",
                  on_click=set_following, args=(False,), icon=":material/play_arrow:")


def push_live(room_id: str) -> bool:
    """Whether the push path is reachable here: the presenter's page got through to its route lately."""
    return hub.presenter_connected(room_id, PUSH_FRESH_S)


def audience_url(room_id: str) -> str:
    """The push path's audience link, absolute when the page's address is known."""
    base = ""
    try:
        base = st.context.url or ""
    except Exception:
        base = ""
    base = base.split("?", 1)[0].split("#", 1)[0]
    if base and not base.endswith("/"):  # "http://host:8501" -> ".../"; "http://host/deck/page" -> ".../deck/"
        base = base + "/" if base.count("/") < 3 else base.rsplit("/", 1)[0] + "/"
    return f"{base}room/{room_id}"


def render_presenter_panel(talk_id: str, index: int, room_id: str, role_name: str) -> None:
    """Sidebar: open a room, or show its links (the presenter link only to the key holder)."""
    with st.sidebar.expander("Audience follow mode", expanded=bool(room_id and role_name == "presenter")):
        if role_name == "presenter":
            key = st.query_params.get("key", "")
            live = push_live(room_id)
            mode = ("🟢 live push" if live else "🟠 fallback polling (checking the push route…)")
            st.markdown(f"<span class='deck-room-mode'>Mode: {html.escape(mode)}</span> · "
                        f"<span class='deck-room-followers'>{hub.follower_count(room_id)}</span> following live",
                        unsafe_allow_html=True)
            if not hub.link_up():  # several servers, Redis down: this server's followers only, for now
                st.warning(backplane.UNAVAILABLE_TEXT, icon="🟠")
            st.caption("Audience link (live push) — share it (screen, QR, chat); it carries no key:")
            st.code(audience_url(room_id), language=None)
            st.caption("If that page cannot connect, phones switch by themselves to the slower link:")
            st.code(f"?room={room_id}", language=None)
            st.caption("Your presenter link — keep it private; it drives the room:")
            st.code(f"?room={room_id}&key={key}", language=None)
            st.caption("Hold L to show a laser pointer on the projector and every phone.")
            st.button("End the live room", key="deck_room_end", on_click=_end_room, args=(room_id, key),
                      width="stretch")
        elif role_name == "audience":
            st.caption("You are following a live room.")
        else:
            if st.session_state.pop("deck_room_ended", False):
                st.caption("The live room has ended.")
            st.button("Start a live room", key="deck_room_open", on_click=_open_room, args=(talk_id, index),
                      help="Attendees' browsers will follow your slides live.", width="stretch")


def poll_interval(pollers: int) -> float:
    """Seconds between polls of one fallback follower: 0.3 s in a small room, longer as it grows, so the
    whole room polls about :data:`MAX_POLLS_PER_S` times a second at most (never beyond 3 s)."""
    return min(MAX_POLL_S, max(FOLLOW_POLL_S, pollers / MAX_POLLS_PER_S))


def render_audience_bar(room_id: str, talk_id: str, index: int) -> None:
    """Status line plus the polling fragment that moves a following window (the fallback path)."""
    if not hub.link_up():
        st.caption(f"🟠 {backplane.UNAVAILABLE_TEXT}")
    if following():
        st.caption("🔴 Following the presenter live")
    else:
        with st.container(horizontal=True, vertical_alignment="center"):
            st.caption("You are browsing on your own.")
            st.button("Back to live", key="deck_back_to_live", on_click=_back_to_live, type="primary")
    session = st.session_state.setdefault("deck_poller_id", secrets.token_hex(8))
    interval = poll_interval(rooms.note_poller(room_id, session))

    @st.fragment(run_every=interval)
    def poll() -> None:
        rooms.note_poller(room_id, session)
        where = rooms.room_position(room_id)
        if where is None or not following():
            return
        if where != (talk_id, index):
            request_move(where[0], where[1], source="live")
            st.rerun(scope="app")

    poll()
