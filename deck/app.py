"""The Streamlit side of the deck: one page that redraws the current slide in place.

The slide's address lives in ``st.query_params`` (``talk``, ``section``, ``slide``, and
``present=1`` for present mode) and is re-read on every run, so links, reloads and the browser's
Back button all land on the right slide. Moving is done by button callbacks that rewrite the query
parameters before the script runs again; the keyboard handler presses those buttons.
"""
from __future__ import annotations

import os
import time
from contextlib import nullcontext
from pathlib import Path

import streamlit as st

from . import client, follow, gcpolicy, live, mirror, nav, polls, rooms, runfix, sidebar
from .demo_runner import run_demo, settle_imports, takes_stage
from .moves import PRESS_KEY, apply_presses, count_presses_so_far, mark_done, pending_move, set_position, step
from .parser import Deck, Slide, load_deck
from .presenter import render_presenter
from .stage import SlideLayout, slide_layout

ROOT = Path(__file__).resolve().parents[1]
runfix.install()  # a live demo's tick at the end of a run no longer drops that run's last messages


def slides_dir() -> Path:
    """``slides/``, or the folder named by ``DECK_SLIDES_DIR`` (tests use a small fixture deck)."""
    return Path(os.environ.get("DECK_SLIDES_DIR", ROOT / "slides"))


def _slides_stamp() -> tuple:
    """Modification times of the slide files, so edits show up without a restart."""
    folder = slides_dir()
    return (str(folder),) + tuple(sorted((str(p), p.stat().st_mtime_ns)
                                         for p in folder.rglob("*") if p.is_file()))


@st.cache_resource(show_spinner=False, max_entries=4)
def get_deck(stamp: tuple) -> Deck:
    return load_deck(stamp[0])


def current_deck() -> Deck:
    return get_deck(_slides_stamp())


# ------------------------------------------------------------------------------------------------
# Drawing


def slide_plan(slide: Slide, present: bool) -> SlideLayout | None:
    """The engine's layout for a slide whose demo draws on a stage (its ``render`` takes ``stage``; see
    ``demos/__init__.py`` and ``deck/stage.py``), drawn as empty containers in the current container;
    None for any other slide (drawn in order, as it always was)."""
    if any(takes_stage(seg.demo) for seg in slide.demos):
        return slide_layout(present)
    return None


# On a slide's first draw, the engine pauses this long between the slide's frame (title, text, navigation)
# and its demo: the browser paints the new slide before the demo's charts and pictures arrive, instead of
# rendering them all in one go (a new Plotly chart takes the browser ~50-100 ms). The server sends the
# title ~5 ms into the run; the browser needed ~80-100 ms more to show it when the painting demo's
# deltas came 30 ms later. Presenter's first move onto "Workshop : SGD", p50 of 6, alternating runs:
# 79 / 140 ms with 0.03 s, 58 / 73 with 0.08, 61 / 58 with 0.12.
FRAME_PAINT_S = 0.08


def render_slide_body(slide: Slide, present: bool = False, layout: SlideLayout | None = None,
                      demos: bool = True, first_draw: bool = False) -> None:
    """The slide's title, text, diagrams and demos, in the current container, or in ``layout`` (from
    :func:`slide_plan`): in present mode the title, text and the demo's controls in a side column
    beside the demo's visual. ``demos=False`` (a window following a room by polling) puts a line and a
    "Try it yourself" button where each demo would run (``deck/follow.py``)."""
    staged = next((seg for seg in slide.demos if takes_stage(seg.demo)), None) if demos else None
    if staged is not None and layout is None:
        layout = slide_layout(present)
    text = layout.text if layout else nullcontext()
    with text:
        st.header(slide.title, anchor=False)
    demo_count = 0
    for seg in slide.segments:
        if seg.kind == "demo":
            if demos and first_draw and demo_count == 0:
                time.sleep(FRAME_PAINT_S)
            if not demos:
                with text:
                    follow.render_demo_placeholder(slide, demo_count)
            elif seg is staged:
                run_demo(st, seg, slide, demo_count, stage=layout.stage)
            else:  # a second demo on a staged slide goes under the first one's visual
                with layout.stage.visual if layout else nullcontext():
                    run_demo(st, seg, slide, demo_count)
            demo_count += 1
            continue
        with text:
            if seg.kind == "markdown":
                st.markdown(seg.text)
            elif seg.kind == "dot":
                st.graphviz_chart(seg.text)


def render_nav(pos: nav.Position, present: bool) -> None:
    talk, i = pos.talk, pos.index
    section = next(s for s in talk.sections if s.id == pos.slide.section_id)
    with st.container(key="deck_nav", horizontal=True, vertical_alignment="center"):
        st.button("‹ Prev", key="deck_prev", on_click=step, args=(-1,), disabled=i == 0,
                  help="Previous slide (← or PageUp)")
        st.button("Next ›", key="deck_next", on_click=step, args=(1,),
                  disabled=i == pos.count - 1, help="Next slide (→, PageDown or Space)")
        st.markdown(f"<span class='deck-counter'>Slide {i + 1} / {pos.count} · {section.title}</span>",
                    unsafe_allow_html=True)
    with st.container(key="deck_hidden"):
        # the browser's numbered key presses (deck/client.py); the box is never shown
        st.text_input("Key presses", key=PRESS_KEY, on_change=apply_presses, label_visibility="collapsed")
        # the last press carried out: the browser sends its presses again while this lags behind
        done = st.session_state.get("deck_press_done", 0)
        st.markdown(f"<span class='deck-press-ack deck-press-ack-{done}'></span>", unsafe_allow_html=True)


def _plotly_warmup() -> None:
    """Load the browser's Plotly bundle once, off-screen, so a demo's first chart is not a grey box;
    and the lazy part of Streamlit's Markdown that text like ``9:30-11:00`` needs, so the first
    heading with one (every session's title slide) is not a grey skeleton for a frame or more
    (``section_change_blank_frames`` in ``benchmarks/deck.py``)."""
    if st.session_state.get("deck_plotly_warm"):
        return
    st.session_state["deck_plotly_warm"] = True
    settle_imports()  # another session may be half-way through importing numpy or pandas
    with st.container(key="deck_plotly_warmup"):
        st.markdown("9:30-11:00")
        try:
            st.plotly_chart({"data": [{"type": "scatter", "x": [0], "y": [0]}], "layout": {"height": 10}},
                            key="deck_plotly_warmup_chart", config={"staticPlot": True})
        except Exception:  # a module Plotly peeks at began importing in another session just now:
            st.session_state["deck_plotly_warm"] = False  # the warm-up is only a preload; next run


def main() -> None:
    params = st.query_params
    present = params.get("present") == "1"
    st.set_page_config(page_title="Live deep-learning deck", page_icon="🧠", layout="wide",
                       initial_sidebar_state="collapsed" if present else "auto")
    try:
        deck = current_deck()
    except Exception as exc:  # a malformed slide file: say where, never a traceback
        st.error(f"The slide files could not be read: {exc}")
        return
    if params.get("view") == "presenter":
        render_presenter(deck, params.get("ch", ""))
        return
    new_room = st.session_state.pop("deck_new_room", None)
    if new_room:  # the presenter just opened a live room: its id and key go into this window's URL
        params["room"], params["key"] = new_room
    room_id, role, room_notice = follow.role(params)
    if room_notice:
        params.pop("key", None)  # never keep a wrong key in the URL
        if not room_id:
            params.pop("room", None)
    goto = pending_move()  # marked done only once deck_pos names the new slide
    live_pos = rooms.room_position(room_id) if role == "audience" and follow.following() else None
    if goto is not None:  # a button, key, the table of contents or the live room asked to move
        if role == "audience" and goto["source"] == "user":
            follow.set_following(False)
        talk = deck.talk(goto["talk"]) or deck.talks[0]
        pos, notice = nav.Position(talk, 0).at(goto["index"]), ""
        present = present if goto["present"] is None else goto["present"]
        set_position(pos, present)
    elif live_pos is not None:  # a following window opens on the presenter's slide
        talk = deck.talk(live_pos[0]) or deck.talks[0]
        pos, notice = nav.Position(talk, 0).at(live_pos[1]), ""
        set_position(pos, present)
    else:
        pos, notice = nav.resolve(deck, params.to_dict())
        if notice or not params.to_dict().keys() >= {"talk", "section", "slide"}:
            set_position(pos, present)  # make the URL name the slide shown
    # These two together, before drawing anything: a key press that interrupts this run then
    # steps from the slide this run is about to show, never from the one before it.
    st.session_state["deck_pos"] = (pos.talk.id, pos.index, pos.count)
    if not st.session_state.get("deck_runs"):
        count_presses_so_far()
    if goto is not None:
        mark_done(goto)
    for text in (room_notice, notice):
        if text:
            st.warning(text, icon="🧭")
    if role == "presenter":  # the room moves, and its audience pages hear of it once (deck/follow.py)
        follow.drive(room_id, params.get("key", ""), pos)
    mirror.attach(st.session_state, room_id, role, pos.talk.id, pos.index)  # the demo's output -> the room
    channel = st.session_state.setdefault("deck_channel", live.new_channel())
    live.publish(channel, pos.talk.id, pos.index)

    st.html(client.BASE_CSS + (client.PRESENT_CSS if present else ""))
    st.html(client.KEYS_JS, unsafe_allow_javascript=True)
    if role == "presenter":  # the room's socket: laser pointer (L) and the push route's check
        st.html(client.ROOM_JS, unsafe_allow_javascript=True)
    st.session_state["deck_talk_sizes"] = {t.id: len(t.slides) for t in deck.talks}  # for goto presses
    if not present:
        sidebar.render_sidebar(deck, pos)
        follow.render_presenter_panel(pos.talk.id, pos.index, room_id, role)
        if role == "presenter":  # QR code of the audience link, polls on this slide's demo
            polls.render_panel(room_id, pos.slide)
    if role == "audience":
        follow.render_audience_bar(room_id, pos.talk.id, pos.index)
    # The slide's box comes first on the page, but the navigation below it is drawn before the
    # slide's content: a slow or failing demo can never leave the presenter without Next/Prev.
    # A window following a room by polling (the fallback) shows the slide without its demos: fifty of
    # them each running the presenter's demo would take the server from the presenter.
    demos = not (role == "audience" and follow.following())
    body = st.container()
    with body:  # a staged demo slide's containers; in present mode the navigation sits in its side column
        layout = slide_plan(pos.slide, present) if demos else None
    with layout.nav if layout and layout.nav else nullcontext():
        render_nav(pos, present)
        if present and role == "presenter":  # no sidebar in present mode: the QR code and polls in a popover
            polls.render_popover(room_id, pos.slide)
    if pos.index > 0 or st.session_state.get("deck_runs", 0) > 0:
        _plotly_warmup()
    st.session_state["deck_runs"] = st.session_state.get("deck_runs", 0) + 1
    shown = (pos.talk.id, pos.index)
    first_draw = st.session_state.get("deck_drawn") != shown
    st.session_state["deck_drawn"] = shown
    with body:
        render_slide_body(pos.slide, present, layout, demos=demos, first_draw=first_draw)
    # A marker that this run reached its end (demos included): the rehearsal and the browser
    # tests wait for it instead of guessing from timing.
    with st.container(key="deck_run_marker"):
        st.markdown(f"<span class='deck-run-done deck-run-{st.session_state['deck_runs']}'></span>",
                    unsafe_allow_html=True)
    gcpolicy.after_run()  # what this run imported joins the heap full collections skip
