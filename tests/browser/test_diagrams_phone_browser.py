"""Diagrams legible from the back of the room, and the deck usable on a phone (issue #22).

* Every slide with a ```` ```dot ```` diagram, present mode at 1280×720: the smallest label of every
  diagram is at least 16 px (``deck.diagram_check``); screenshots go to ``test-output/diagrams/``.
* A phone (390×844, browse mode): on a sample of text, diagram and demo slides the page never
  scrolls sideways, and the Next button is inside the window without scrolling.
"""
import os
from pathlib import Path

import pytest
from playwright.sync_api import Page

from deck.diagram_check import MIN_TEXT_PX, diagram_slides, measure_slide, smallest
from deck.nav import slide_url
from deck.parser import load_deck
from deck.rehearse import wait_run_after, wait_settled

ROOT = Path(__file__).resolve().parents[2]
DECK = load_deck(os.environ.get("DECK_SLIDES_DIR", ROOT / "slides"))


@pytest.mark.parametrize("talk", DECK.talks, ids=[t.id for t in DECK.talks])
def test_diagram_text_at_least_16px_in_present_mode_720p(page: Page, deck_url, shots, talk):
    slides = diagram_slides(talk)
    if not slides:
        pytest.skip(f"{talk.id} has no diagrams")
    out = shots / "diagrams"
    out.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 720})
    small = []
    for slide in slides:
        found = measure_slide(page, deck_url, slide)
        page.screenshot(path=str(out / f"present-720p-{talk.id}-{slide.index + 1:03d}.png"))
        assert len(found) >= sum(seg.kind == "dot" for seg in slide.segments), f"{slide.source}: diagram not measured"
        worst = smallest(found)
        if worst["min_px"] < MIN_TEXT_PX:
            small.append(f"{slide.source} '{slide.title}': '{worst['label']}' is {worst['min_px']:.1f} px")
    assert not small, "diagram labels under 16 px at 1280x720:\n" + "\n".join(small)


PHONE = {"width": 390, "height": 844}
# document width vs the window, and where the Next button is (page coordinates, as if scrolled to the top)
PHONE_JS = """() => {
  const doc = document.scrollingElement;
  const scrollers = [document.querySelector('[data-testid="stMain"]'),
                     document.querySelector('[data-testid="stAppViewContainer"]'), doc].filter(Boolean);
  const wide = Math.max(...scrollers.map(e => e.scrollWidth - e.clientWidth));
  const boxes = Array.from(document.querySelectorAll('.st-key-deck_next button'))
    .map(b => b.getBoundingClientRect()).filter(r => r.width > 0 && r.height > 0);
  const next = boxes[boxes.length - 1];
  return {scroll_width: doc.scrollWidth, inner_width: window.innerWidth, sideways: wide,
          next_top: next.top, next_bottom: next.bottom, next_left: next.left, next_right: next.right,
          height: window.innerHeight};
}"""


def _phone_sample():
    """Per talk: the first slide, a text slide with a long list, a diagram slide and a few demo slides."""
    picked = []
    for talk in DECK.talks:
        text = [s for s in talk.slides if all(seg.kind == "markdown" for seg in s.segments)]
        demo = [s for s in talk.slides if s.demos]
        dots = diagram_slides(talk)
        longest = max(text, key=lambda s: sum(len(seg.text) for seg in s.segments)) if text else None
        for s in [talk.slides[0], longest, *dots[:1], *demo[:: max(1, len(demo) // 4)][:4]]:
            if s is not None and s not in picked:
                picked.append(s)
    return picked


@pytest.mark.parametrize("slide", _phone_sample(), ids=lambda s: f"{s.talk_id}-{s.index + 1}")
def test_phone_no_sideways_scroll_and_next_in_view(browser, deck_url, shots, slide):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(slide_url(slide, deck_url))
        page.wait_for_selector(".st-key-deck_next button >> visible=true", timeout=30000)
        page.locator("[data-testid='stMain'] h2", has_text=slide.title).first.wait_for(timeout=30000)
        assert wait_run_after(page, 0, 90), f"{slide.source}: the slide's run did not finish"
        # the run has ended; let the page finish drawing it (no stale element, no loading placeholder)
        wait_settled(page, 20)
        try:
            page.wait_for_function("!document.querySelector('[data-testid=\"stMain\"] [data-testid=\"stSkeleton\"]')",
                                   timeout=20000)
        except Exception:
            pass  # measured as it is; the assertions below say what is wrong
        page.wait_for_timeout(300)
        r = page.evaluate(PHONE_JS)
        out = shots / "phone"
        out.mkdir(exist_ok=True)
        page.screenshot(path=str(out / f"phone-{slide.talk_id}-{slide.index + 1:03d}.png"))
    finally:
        context.close()
    where = f"{slide.source} '{slide.title}'"
    assert r["scroll_width"] <= r["inner_width"] and r["sideways"] <= 1, f"{where}: scrolls sideways {r}"
    assert 0 <= r["next_top"] and r["next_bottom"] <= r["height"], f"{where}: Next is outside the window {r}"
    assert 0 <= r["next_left"] and r["next_right"] <= r["inner_width"], f"{where}: Next is cut off {r}"
