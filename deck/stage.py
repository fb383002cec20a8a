"""The stage: the containers a live demo draws into, laid out by the engine.

A demo never decides where things go on the slide; it gets a :class:`Stage` and draws

* its main visual (the picture being painted, the decision boundary, the board, the chart) into
  ``stage.visual``,
* its primary action(s) (Start/Pause, Step, Reset, Classify, ...) into ``stage.controls``,
* everything else (settings, uploads, seeds, long explanations) into ``stage.more``.

Layouts (see :func:`slide_layout`):

* **present mode** on a demo slide: two columns. The narrow side column holds the slide's title and
  text, then ``controls``, then ``more`` (a popover button, so opening it never moves the page), then
  the deck's Prev/Next (``SlideLayout.nav``); the wide column holds ``visual``. At 1280×720 and 1920×1080 the visual and the primary action fit
  the window without scrolling, provided the demo keeps its visual within :data:`PRESENT_VISUAL_PX`
  (see ``demos/__init__.py``).
* **browse mode** (and any slide outside present mode): the same containers stacked under the
  slide's text: controls, more (a collapsed expander), visual.
* **outside the deck** (``scripts/demo_harness.py``, tests calling ``render(key_prefix=...)``):
  :func:`default_stage` stacks the containers in the current container, like browse mode.

``stage.visual`` is an ``st.container`` whose key starts with :data:`VISUAL_KEY`, so the page marks
it with the class ``st-key-deck_stage_visual_<n>``; :mod:`deck.fit` finds the demo's main visual by it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

VISUAL_KEY = "deck_stage_visual"
CONTROLS_KEY = "deck_stage_controls"
SIDE_KEY = "deck_stage_side"
MORE_LABEL = "More settings"
# Present mode at 1280×720: the height (CSS px) the wide column has for the visual, and its width.
# A demo sizes fixed-height things (Plotly charts) so its whole visual stays within these; pictures
# drawn with width="stretch" follow the column's width (and the CSS below caps their height).
PRESENT_VISUAL_PX = 640
PRESENT_VISUAL_WIDTH_PX = 700
SIDE_RATIO = (1.0, 2.45)  # side column : visual column, present mode

STAGE_CSS = """
<style>
/* present mode, demo slides: the title and text are in a narrow column beside the visual */
.st-key-deck_stage_side h2 { font-size: clamp(1.6rem, 2.6vw, 2.8rem) !important; line-height: 1.15; }
.st-key-deck_stage_side .stMarkdown p, .st-key-deck_stage_side .stMarkdown li {
  font-size: clamp(1.05rem, 1.45vw, 1.6rem) !important; line-height: 1.3 !important; }
.st-key-deck_stage_side .stMarkdown td, .st-key-deck_stage_side .stMarkdown th {
  font-size: clamp(0.85rem, 1.05vw, 1.2rem) !important; padding: 0.15rem 0.4rem !important; }
/* a diagram beside the visual: the column's width, at most a third of the window's height (labels keep
   >= 16 px when the drawing is narrow: such slides draw their diagram top-to-bottom) */
.st-key-deck_stage_side [data-testid="stGraphVizChart"] svg { width: 100% !important; height: auto !important;
  max-height: 33vh !important; }
/* a code block (a text sample) beside the visual wraps its lines: nothing hidden off to the side */
.st-key-deck_stage_side pre, .st-key-deck_stage_side pre code { white-space: pre-wrap !important;
  overflow-wrap: anywhere; }
/* text in the visual: legible from the back, but compact (the slide's own text is larger) */
.st-key-deck_stage_present [class*="st-key-deck_stage_visual"] .stMarkdown p,
.st-key-deck_stage_present [class*="st-key-deck_stage_visual"] .stMarkdown li {
  font-size: clamp(1rem, 1.25vw, 1.35rem) !important; line-height: 1.3 !important; }
/* pictures in the visual never grow past the window's height */
.st-key-deck_stage_present [class*="st-key-deck_stage_visual"] [data-testid="stImage"] img {
  max-height: 52vh; object-fit: contain; }
</style>
"""


@dataclass
class Stage:
    """Where a demo draws: ``visual`` (main visual), ``controls`` (primary actions), ``more``
    (secondary settings). ``present`` says whether the slide is in present mode (a demo may draw a
    more compact visual then); ``visual_px`` is the height budget of the visual in present mode at
    1280×720 (None outside present mode: no limit)."""

    visual: DeltaGenerator
    controls: DeltaGenerator
    more: DeltaGenerator
    present: bool = False
    visual_px: int | None = None
    extra: dict = field(default_factory=dict)

    def height(self, present_px: int, browse_px: int) -> int:
        """A fixed height (e.g. a Plotly chart's) for this layout: ``present_px`` in present mode,
        ``browse_px`` otherwise."""
        return present_px if self.present else browse_px


@dataclass
class SlideLayout:
    """What the engine draws a demo slide into: ``text`` (title, bullets, diagrams), the stage, and in
    present mode ``nav`` (the bottom of the side column, for the deck's Prev/Next; None elsewhere)."""

    text: DeltaGenerator
    stage: Stage
    nav: DeltaGenerator | None = None


def _stacked(where: DeltaGenerator, n: int, present: bool = False) -> Stage:
    """Controls, more (collapsed expander), visual, one under the other in ``where``."""
    with where:
        controls = st.container(key=f"{CONTROLS_KEY}_{n}")
        more = st.expander(MORE_LABEL, expanded=False, icon=":material/tune:")
        visual = st.container(key=f"{VISUAL_KEY}_{n}")
    return Stage(visual=visual, controls=controls, more=more, present=present)


def default_stage() -> Stage:
    """The stage a demo gets when nobody passes one (outside the deck): stacked in the current container."""
    return _stacked(st.container(), 0)


def slide_layout(present: bool, n: int = 0) -> SlideLayout:
    """Containers for a slide with a live demo, in the current container (the slide's body).

    ``n`` numbers the demo on its slide (keys stay unique if a slide ever places two)."""
    if not present:
        text = st.container()
        return SlideLayout(text=text, stage=_stacked(st.container(), n))
    st.html(STAGE_CSS)
    with st.container(key="deck_stage_present"):
        side, wide = st.columns(list(SIDE_RATIO), gap="medium")
    with side:
        with st.container(key=SIDE_KEY):
            text = st.container()
            controls = st.container(key=f"{CONTROLS_KEY}_{n}")
            more = st.popover(MORE_LABEL, icon=":material/tune:", width="stretch")
            nav = st.container()
    with wide:
        visual = st.container(key=f"{VISUAL_KEY}_{n}")
    return SlideLayout(text=text, stage=Stage(visual=visual, controls=controls, more=more, present=True,
                                              visual_px=PRESENT_VISUAL_PX), nav=nav)
