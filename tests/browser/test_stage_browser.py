"""The stage layout (deck/stage.py) in Chromium: every demo slide fits the projector in present mode at
1920×1080 (``python -m deck.rehearse`` checks 1280×720 on its walk), and a slider in a stage's "More
settings" never traps PageDown."""
import os
from pathlib import Path

import pytest
from playwright.sync_api import Page

from deck.demo_runner import takes_stage
from deck.fit import measure
from deck.nav import slide_url
from deck.parser import load_deck
from deck.rehearse import last_run, wait_run_after, wait_settled

ROOT = Path(__file__).resolve().parents[2]
DECK = load_deck(os.environ.get("DECK_SLIDES_DIR", ROOT / "slides"))
DEMO_SLIDES = [s for t in DECK.talks for s in t.slides if s.demos]
STAGED = [s for s in DEMO_SLIDES if any(takes_stage(seg.demo) for seg in s.demos)]


def _open(page: Page, url: str):
    page.goto(url)
    page.wait_for_selector(".st-key-deck_next button", timeout=60_000)
    page.wait_for_function("window.__deckKeys === true", timeout=10_000)


def test_every_demo_slide_fits_1080p_in_present_mode(page: Page, deck_url, shots):
    """Every slide that places a demo, present mode at 1920×1080, after its run and ~3 s of updates: no
    scrolling, the demo's visual (stage.visual: a demo that does not draw on a stage has none, and fails)
    and its action inside the window. 1280×720 is the rehearsal's check (same measurement, deck.fit)."""
    assert DEMO_SLIDES, "no slide places a demo"
    size = (1920, 1080)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    misfits = []
    for slide in DEMO_SLIDES:
        _open(page, slide_url(slide, deck_url, present=1))
        page.wait_for_selector(".deck-run-done", state="attached", timeout=60_000)
        page.wait_for_timeout(3000)  # a few live updates
        wait_settled(page, 10)
        fit = measure(page)
        page.screenshot(path=str(shots / f"fit-{slide.talk_id}-{slide.index + 1}-{size[1]}p.png"))
        if not fit.demo_fits:
            misfits.append(f"{slide.source} ({slide.title}, {size[0]}×{size[1]}): {fit.describe()}")
    assert not misfits, (f"{len(misfits)} of {len(DEMO_SLIDES)} demo slides do not fit "
                         f"(screenshots: test-output/fit-*):\n" + "\n".join(misfits))


def test_slider_in_more_settings_never_traps_pagedown(page: Page, deck_url):
    slide = next(s for s in STAGED if any(seg.demo == "playground" for seg in s.demos))
    page.set_viewport_size({"width": 1280, "height": 720})
    _open(page, slide_url(slide, deck_url, present=1))
    page.get_by_role("button", name="More settings").click()
    thumb = page.locator("[data-testid='stPopoverBody'] [data-testid='stSlider'] input").first
    thumb.wait_for(state="attached", timeout=30_000)
    thumb.focus()
    assert page.evaluate("document.activeElement.type") == "range", "the slider did not take the focus"
    page.keyboard.press("ArrowRight")  # the focused slider keeps the arrows
    before = last_run(page)
    page.keyboard.press("PageDown")  # ... but a clicker's PageDown moves on
    page.locator(".deck-counter", has_text=f"Slide {slide.index + 2} /").wait_for(timeout=30_000)
    assert wait_run_after(page, before, 60)
