"""Find and run the live demo a slide names, isolating the deck from its failures."""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import sys
from pathlib import Path

from .parser import Deck, Segment, Slide

DEMOS_DIR = Path(__file__).resolve().parents[1] / "demos"
log = logging.getLogger("deck.demos")


def demo_exists(name: str) -> bool:
    return (DEMOS_DIR / f"{name}.py").is_file()


def missing_demos(deck: Deck) -> list[tuple[Slide, str]]:
    return [(s, seg.demo) for t in deck.talks for s in t.slides for seg in s.demos if not demo_exists(seg.demo)]


def undeclared_options(deck: Deck) -> list[tuple[Slide, str, str]]:
    """(slide, demo, option) for each slide option its demo does not declare in ``OPTIONS`` (see
    ``demos/kit/options.py``); the demo ignores those, so they are most likely typos."""
    out = []
    for t in deck.talks:
        for s in t.slides:
            for seg in s.demos:
                if not demo_exists(seg.demo):
                    continue
                declared = getattr(importlib.import_module(f"demos.{seg.demo}"), "OPTIONS", None)
                if declared is not None:
                    out += [(s, seg.demo, name) for name in declared.unknown(seg.opts)]
    return out


def plotly_ready() -> None:
    """Finish importing the modules Plotly peeks at before any Plotly figure is built in this thread.

    Plotly looks numpy, pandas and PIL up in ``sys.modules`` without importing them
    (``get_module(..., should_load=False)``) and uses what it finds. When several visitors arrive at
    once on a cold server, one session's thread can still be importing pandas while another builds a
    figure, which then fails with "partially initialized module 'pandas' has no attribute 'Series'".
    An ``import`` statement waits for another thread's import of the same module to finish, so
    importing them here first closes that window (about 1 s once per process; free afterwards)."""
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import PIL.Image  # noqa: F401


def settle_imports(names: tuple[str, ...] = ("numpy", "pandas", "PIL.Image")) -> None:
    """Wait for any of ``names`` that another thread is half-way through importing; import nothing new.

    The light form of :func:`plotly_ready` for the deck's off-screen Plotly warm-up on text slides:
    a module Plotly peeks at is either absent (Plotly then does without it), complete, or being
    imported by another session, and an ``import`` of a module already in ``sys.modules`` waits for
    that import to finish. Importing pandas itself (~70 MB, 1-3 s) only for the warm-up is what made
    every server heavier (``rss_text_slides_mb`` in ``benchmarks/deck.py``)."""
    for name in names:
        if name in sys.modules:
            importlib.import_module(name)


def demo_key_prefix(name: str, slide: Slide, occurrence: int) -> str:
    """The ``key_prefix`` a demo gets on a slide: unique per talk, slide and demo on the slide, and
    ending in ``_<slide index>_<occurrence>`` (read back by :func:`slide_place`)."""
    return f"{name}_{slide.talk_id.replace('-', '_')}_{slide.index}_{occurrence}"


def slide_place(key_prefix: str) -> tuple[int, int] | None:
    """(slide index in its talk, occurrence on the slide) of a key prefix made by :func:`demo_key_prefix`;
    None for any other prefix (a demo running outside the deck, e.g. in ``scripts/demo_harness.py``)."""
    parts = key_prefix.rsplit("_", 2)
    if len(parts) != 3 or not parts[0] or not (parts[1].isdigit() and parts[2].isdigit()):
        return None
    return int(parts[1]), int(parts[2])


def takes_stage(name: str) -> bool:
    """Whether ``demos/<name>.py``'s ``render`` accepts a ``stage`` (see ``demos/__init__.py``); False
    for a demo that cannot even be imported (:func:`run_demo` then shows the failure)."""
    try:
        render = importlib.import_module(f"demos.{name}").render
        return "stage" in inspect.signature(render).parameters
    except Exception:
        return False


def run_demo(st, segment: Segment, slide: Slide, occurrence: int, stage=None) -> None:
    """Import ``demos/<name>.py`` and call ``render``; any failure becomes a short message.

    ``stage`` (a :class:`deck.stage.Stage`) is passed on to a demo whose ``render`` takes one; a
    demo that does not draws in the current container, as before the stage existed."""
    name = segment.demo
    prefix = demo_key_prefix(name, slide, occurrence)
    opts = {k: v for k, v in segment.opts.items() if k not in ("key_prefix", "stage")}
    try:
        plotly_ready()
        module = importlib.import_module(f"demos.{name}")
        if st.session_state.get("deck_follower") and "autostart" in getattr(module, "OPTIONS", {}):
            opts["autostart"] = "0"  # a follower of a live room starts a demo with its own Play (deck/follow.py)
        if stage is not None and "stage" in inspect.signature(module.render).parameters:
            module.render(key_prefix=prefix, stage=stage, **opts)
        else:
            module.render(key_prefix=prefix, **opts)
    except Exception as exc:  # a broken demo must never take the slide down (st.rerun/st.stop
        # raise BaseException subclasses, so Streamlit's own control flow passes through)
        log.exception("demo %s failed on %s", name, slide.source)
        where = stage.visual if stage is not None else st
        where.error(f"The live demo '{name}' could not run here ({type(exc).__name__}). "
                    "The slide's text still stands; the presenter can carry on.")
