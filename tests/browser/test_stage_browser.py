"""The stage layout (deck/stage.py) in Chromium: demo slides whose demo draws on a stage fit the projector
in present mode, and a slider in a stage's "More settings" never traps PageDown."""
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
STAGED = [s for t in DECK.talks for s in t.slides if any(takes_stage(seg.demo) for seg in s.demos)]


def _open(page: Page, url: str):
    page.goto(url)
    page.wait_for_selector(".st-key-deck_next button", timeout=60_000)
    page.wait_for_function("window.__deckKeys === true", timeout=10_000)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=["720p", "1080p"])
def test_staged_demo_slides_fit_in_present_mode(page: Page, deck_url, shots, size):
    assert STAGED, "no slide places a demo that draws on a stage"
    page.set_viewport_size({"width": size[0], "height": size[1]})
    misfits = []
    for slide in STAGED:
        _open(page, slide_url(slide, deck_url, present=1))
        page.wait_for_selector(".deck-run-done", state="attached", timeout=60_000)
        page.wait_for_timeout(3000)  # a few live updates
        wait_settled(page, 10)
        fit = measure(page)
        page.screenshot(path=str(shots / f"stage-{slide.talk_id}-{slide.index + 1}-{size[1]}p.png"))
        if not fit.demo_fits:
            misfits.append(f"{slide.source} ({slide.title}, {size[0]}×{size[1]}): {fit.describe()}")
    assert not misfits, "demo slides that do not fit:\n" + "\n".join(misfits)


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
