"""The deck's sidebar as one HTML block: the talk, its sections, a jump box, present mode, the
presenter view and the keys.

It used to be a dozen Streamlit widgets (buttons, a select box of every slide, a toggle) that went
to the browser again on every move; the select box alone cost a text-slide move ~18 ms in the
browser (issue #22). Drawn as one block, the browser redraws it in one go. Its buttons and the jump
box (handled in ``deck/client.py``) do not call the server themselves: they hand a numbered press (``goto:<talk>:<index>``,
``present``) to the deck's key handler (``deck/client.py``, ``window.__deckPress``), the same path a
key press takes, so no click is lost or doubled.
"""
from __future__ import annotations

import html

import streamlit as st

from . import live, nav
from .parser import Deck

SIDEBAR_CSS = """
<style>
.deck-side h3 { margin: 0 0 0.1rem; font-size: 1.25rem; }
.deck-side .deck-side-sub { color: rgba(49, 51, 63, 0.75); margin: 0 0 0.8rem; font-size: 0.95rem; }
.deck-side .deck-side-label { font-weight: 600; margin: 0.9rem 0 0.35rem; }
.deck-side button, .deck-side a.deck-side-link {
  display: block; width: 100%; box-sizing: border-box; margin: 0 0 0.45rem; padding: 0.35rem 0.75rem;
  border-radius: 0.5rem; border: 1px solid rgba(49, 51, 63, 0.2); background: #fff; color: inherit;
  font: inherit; font-size: 0.95rem; line-height: 1.4; text-align: center; cursor: pointer;
  text-decoration: none;
}
.deck-side button:hover, .deck-side a.deck-side-link:hover { border-color: #0072B2; color: #0072B2; }
.deck-side button.deck-here { background: #0072B2; border-color: #0072B2; color: #fff; }
.deck-side input { width: 100%; box-sizing: border-box; padding: 0.4rem 0.6rem; border-radius: 0.5rem;
  border: 1px solid rgba(49, 51, 63, 0.2); background: #f0f2f6; font: inherit; font-size: 0.95rem; }
.deck-side .deck-side-keys { color: rgba(49, 51, 63, 0.65); font-size: 0.85rem; margin-top: 0.8rem; }
</style>
"""



def _button(label: str, action: str, here: bool = False, title: str = "") -> str:
    cls = ' class="deck-here"' if here else ""
    tip = f' title="{html.escape(title)}"' if title else ""
    return f'<button type="button" data-deck-press="{html.escape(action)}"{cls}{tip}>{html.escape(label)}</button>'


def sidebar_html(deck: Deck, pos: nav.Position, channel: str) -> str:
    talk = pos.talk
    sub = " · ".join(x for x in (talk.subtitle, talk.date) if x)
    parts = [f'<div class="deck-side"><h3>{html.escape(talk.title)}</h3>',
             f'<p class="deck-side-sub">{html.escape(sub)}</p>']
    for other in deck.talks:
        if other.id != talk.id:
            parts.append(_button(f"Switch to: {other.title} ({other.date[:4]})", f"goto:{other.id}:0"))
    parts.append('<p class="deck-side-label">Sections</p>')
    for section in talk.sections:
        parts.append(_button(section.title, f"goto:{talk.id}:{section.slides[0].index}",
                             here=section.id == pos.slide.section_id))
    options = "".join(f'<option value="{s.index + 1}. {html.escape(s.title)}"></option>' for s in talk.slides)
    parts.append('<p class="deck-side-label">Jump to slide</p>'
                 f'<input type="text" list="deck-jump-list" data-deck-jump="{html.escape(talk.id)}" '
                 f'data-count="{len(talk.slides)}" placeholder="Type a slide number or title" '
                 f'aria-label="Jump to slide" autocomplete="off">'
                 f'<datalist id="deck-jump-list">{options}</datalist>')
    parts.append('<p class="deck-side-label"></p>')
    parts.append(_button("Present mode (P)", "present",
                         title="Full screen text, no sidebar or toolbar. Also ?present=1 in the URL."))
    parts.append(f'<a class="deck-side-link" href="?view=presenter&amp;ch={html.escape(channel)}" target="_blank" '
                 'rel="noopener" title="Speaker notes, next slide, timer and pacing, in a second window.">'
                 'Open presenter view</a>')
    parts.append('<p class="deck-side-keys">Keys: → / PageDown / Space next · ← / PageUp back · Home / End · '
                 'Esc leaves a widget · P present mode</p></div>')
    return "".join(parts)


def render_sidebar(deck: Deck, pos: nav.Position) -> None:
    channel = st.session_state.setdefault("deck_channel", live.new_channel())
    with st.sidebar:
        st.html(SIDEBAR_CSS + sidebar_html(deck, pos, channel))
