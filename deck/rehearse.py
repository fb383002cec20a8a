"""The night-before check: start the deck, walk every slide in Chromium, press each demo's default
action, and print per-slide render time and any error. The walk is in present mode at 1280×720 (the
projector), so every demo slide's fit is checked in the same visit: after the slide's run and its default
action, ``deck.fit.measure`` must find no scrolling and the demo's visual and action inside the window
(``Fit.demo_fits``); a demo slide that does not fit is an error naming the slide (1920×1080 is checked by
``tests/browser/test_stage_browser.py``).

    python -m deck.rehearse                    # both talks
    python -m deck.rehearse --talk tfdl-sg-2017 --no-actions

A demo marks its default action (e.g. "Train", "Classify") by giving that button a key ending in
``_action``; the rehearsal presses the first such button on each slide and waits for the demo to
settle. Exit status 1 when any slide showed an error, exceeded ``--max-seconds``, was not where
a key press should have landed (a lost or doubled press is a failure, never retried), or is a demo slide
that does not fit the window.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .fit import measure
from .nav import slide_url
from .parser import load_deck
from .serve import CHROMIUM_FLAGS, chromium_path, deck_server, rss_mb

ROOT = Path(__file__).resolve().parents[1]
ERRORS_JS = """() => Array.from(document.querySelectorAll(
  '[data-testid="stMain"] [data-testid="stException"], [data-testid="stMain"] [data-testid="stAlertContentError"]'
)).map(e => e.innerText.slice(0, 200))"""
MISFIT = "demo slide does not fit"
RUN_JS = """() => Math.max(0, ...Array.from(document.querySelectorAll('.deck-run-done'))
  .map(e => parseInt((e.className.match(/deck-run-(\\d+)/) || [0, 0])[1])))"""


def last_run(page) -> int:
    """Number of the last deck run that reached its end, as the page shows it."""
    return page.evaluate(RUN_JS)


def wait_run_after(page, before: int, timeout_s: float) -> bool:
    """Wait until a run newer than ``before`` has reached its end; False on timeout."""
    try:
        page.wait_for_function(f"({RUN_JS})() > {before}", timeout=timeout_s * 1000)
        return True
    except Exception:
        return False


def wait_settled(page, timeout_s: float) -> None:
    """Wait until no Streamlit element is stale (the run that replaces it has drawn it)."""
    try:
        page.wait_for_function("!document.querySelector('[data-testid=\"stMain\"] [data-stale=\"true\"]')",
                               timeout=timeout_s * 1000)
    except Exception:
        pass


def fit_error(page, slide) -> str | None:
    """None when the demo slide the page shows fits its window (``deck.fit``), else a message naming the
    slide and what is off (content height, where the visual and the action lie)."""
    fit = measure(page)
    if fit.demo_fits:
        return None
    return (f"{MISFIT} {page.viewport_size['width']}x{fit.window_px:.0f} in present mode: "
            f"{slide.source} ({slide.title}): {fit.describe()}")


def walk(page, url: str, talk, actions: bool, max_seconds: float, present: bool = False, fit: bool = False):
    """Move through every slide of ``talk`` with the keyboard, as a presenter would; after each
    slide has settled (and its default action, if asked, has run) yield
    ``(slide, seconds, errors, acted)`` with the page showing that slide. With ``fit``, a demo slide that
    does not fit the window (:func:`fit_error`, measured then) adds an error; the fit is no part of the
    seconds."""
    extra = {"present": 1} if present else {}

    def open_at(slide):
        page.goto(slide_url(slide, url, **extra))
        page.wait_for_selector(".st-key-deck_next button", timeout=60000)

    open_at(talk.slides[0])
    page.wait_for_function("window.__deckKeys === true", timeout=10000)
    for slide in talk.slides:
        t0 = time.perf_counter()
        before = last_run(page)
        if slide.index > 0:
            page.keyboard.press("PageDown")
        acted = False
        try:
            counter = page.locator(".deck-counter", has_text=f"Slide {slide.index + 1} /").first
            try:
                counter.wait_for(timeout=max_seconds * 1000)
            except Exception:
                # one PageDown must land on the next slide: a lost or doubled press is this slide's error
                shown = page.evaluate("Array.from(document.querySelectorAll('.deck-counter'))"
                                      ".map(e => e.innerText).join(' | ')")
                raise LookupError(f"after PageDown the deck showed {shown!r}, not slide {slide.index + 1} "
                                  "(a lost or doubled key press?)") from None
            if slide.index > 0 and not wait_run_after(page, before, max_seconds):
                raise TimeoutError(f"the slide's run did not finish in {max_seconds:g} s")
            if slide.demos and actions:
                button = page.locator("[data-testid='stMain'] [class*='_action'] button:visible").first
                if button.count():
                    button.click()
                    page.wait_for_timeout(500)
                    wait_settled(page, max_seconds)
                    acted = True
            errors = page.evaluate(ERRORS_JS)
            if not counter.count():  # a press that arrived twice moves the deck on by itself
                errors.append(f"the deck left slide {slide.index + 1} on its own (a doubled key press?)")
            secs = time.perf_counter() - t0
            if fit and slide.demos and not errors:
                misfit = fit_error(page, slide)
                if misfit:
                    errors.append(misfit)
        except Exception as exc:  # a slide that never appeared
            errors = [f"{type(exc).__name__}: {str(exc).splitlines()[0]}"]
            secs = time.perf_counter() - t0
        yield slide, secs, errors, acted
        if any(not e.startswith(MISFIT) for e in errors):
            # already counted as a failure: carry on from a clean page showing this slide (a slide that only
            # does not fit is a sound page: the walk goes on from it)
            open_at(slide)
            page.wait_for_function("window.__deckKeys === true", timeout=10000)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m deck.rehearse")
    ap.add_argument("--talk", help="only this talk id")
    ap.add_argument("--no-actions", action="store_true", help="do not press demos' default actions")
    ap.add_argument("--max-seconds", type=float, default=30.0, help="slowest acceptable slide")
    ap.add_argument("--no-fit", action="store_true",
                    help="walk in browse mode and do not check that demo slides fit the projector")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    deck = load_deck(ROOT / "slides")
    talks = [t for t in deck.talks if not args.talk or t.id == args.talk]
    if not talks:
        print(f"no talk {args.talk!r}; known: {', '.join(t.id for t in deck.talks)}")
        return 2
    problems = misfits = 0
    t_walk = time.perf_counter()
    with sync_playwright() as p, deck_server() as (url, proc, start_s):
        print(f"server healthy after {start_s:.1f} s")
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        for talk in talks:
            for slide, secs, errors, acted in walk(page, url, talk, not args.no_actions, args.max_seconds,
                                                   present=not args.no_fit, fit=not args.no_fit):
                slow = secs > args.max_seconds
                problems += bool(errors) or slow
                misfits += any(e.startswith(MISFIT) for e in errors)
                flag = "ERROR" if errors else ("SLOW" if slow else "ok")
                print(f"{flag:5s} {secs * 1000:7.0f} ms  {talk.id}/{slide.section_id}/"
                      f"{slide.number_in_section:<3d} {slide.title}{' +action' if acted else ''}"
                      + "".join(f"\n        {e}" for e in errors), flush=True)
        print(f"server RSS after rehearsal: {rss_mb(proc.pid):.0f} MB")
        browser.close()
    print(f"walk took {time.perf_counter() - t_walk:.0f} s" + ("" if args.no_fit else
          f"; {misfits} demo slide(s) do not fit 1280x720 in present mode"))
    print(f"{problems} slide(s) with problems" if problems else "all slides ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
