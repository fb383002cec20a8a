"""Presenter view (``?view=presenter&ch=<channel>``), opened in a second window.

It follows the presenting window through the shared channel and shows the current slide's notes,
the next slide's title, the elapsed time, and where the original 2016 schedule says the talk
should be by now.
"""
from __future__ import annotations

import time

import streamlit as st

from . import live, nav
from .parser import Deck


def _start_timer(talk_id: str, index: int) -> None:
    st.session_state["pv_started"] = (time.time(), talk_id, index)


def _reset_timer() -> None:
    st.session_state.pop("pv_started", None)


def _timer_controls(talk_id: str, index: int) -> None:
    c1, c2 = st.columns(2)
    c1.button("Start timer here", key="pv_start", on_click=_start_timer, args=(talk_id, index),
              help="Start the clock (and the schedule) at the current slide")
    c2.button("Reset timer", key="pv_reset", on_click=_reset_timer)


def _pacing(talk, start_index: int, elapsed_min: float, index: int) -> str:
    expected, clock = nav.expected_index(talk, start_index, elapsed_min)
    slide = talk.slides[expected]
    diff = index - expected
    where = ("right on schedule" if diff == 0 else
             f"{diff} slide{'s' * (abs(diff) != 1)} ahead" if diff > 0 else
             f"{-diff} slide{'s' * (abs(diff) != 1)} behind")
    has_clock = any(s.schedule for s in talk.sections)
    clock_txt = f" (the original timetable's {nav.fmt_clock(clock)})" if has_clock else ""
    return (f"By the schedule{clock_txt} you should be on **slide {expected + 1}: {slide.title}** — "
            f"you are {where}.")


def render_presenter(deck: Deck, channel: str) -> None:
    st.html("<style>[data-testid='stSidebar']{display:none}</style>")
    st.title("Presenter view", anchor=False)
    if not channel:
        st.warning("This presenter view is not linked to a deck window. Open it with the "
                   "'Open presenter view' button in the deck's sidebar.")
        return

    @st.fragment(run_every=1.0)
    def follow() -> None:
        where = live.read(channel)
        if where is None:
            st.info("Waiting for the deck window… (move to any slide there)")
            return
        talk = deck.talk(where.talk_id)
        if talk is None or not talk.slides:
            st.info("The deck window shows a talk this view does not know.")
            return
        index = min(where.index, len(talk.slides) - 1)
        slide = talk.slides[index]
        nxt = talk.slides[index + 1].title if index + 1 < len(talk.slides) else "(end of talk)"
        section = next(s for s in talk.sections if s.id == slide.section_id)
        st.caption(f"{talk.title} · {section.title} · slide {index + 1} / {len(talk.slides)}")
        st.header(slide.title, anchor=False)
        st.markdown(slide.notes or "_No notes for this slide._")
        st.markdown(f"**Next:** {nxt}")
        started = st.session_state.get("pv_started")
        if started and started[1] == talk.id:
            elapsed = time.time() - started[0]
            m, s = divmod(int(elapsed), 60)
            st.metric("Elapsed", f"{m // 60:d}:{m % 60:02d}:{s:02d}")
            st.markdown(_pacing(talk, started[2], elapsed / 60.0, index))
        else:
            st.caption(f"Planned for this slide: about {slide.minutes:g} min.")
        _timer_controls(talk.id, index)

    follow()
