"""Live demos on their real slides, in Chromium against the real deck server."""
import re
import time
from pathlib import Path

from playwright.sync_api import Page

from deck import nav
from deck.parser import load_deck

ROOT = Path(__file__).resolve().parents[2]
DECK = load_deck(ROOT / "slides")


def slide_url(base: str, talk_id: str, title: str, demo: str) -> str:
    talk = DECK.talk(talk_id)
    slide = next(s for s in talk.slides if s.title == title and any(d.demo == demo for d in s.demos))
    return nav.slide_url(slide, base)


def test_painting_trains_on_its_slide_and_loss_goes_down(page: Page, deck_url, shots):
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(slide_url(deck_url, "fifth-elephant-2016", "Two-Ply Network", "painting"))
    loc = page.get_by_text("image MSE").first
    loc.wait_for(timeout=60_000)

    def mse():
        txt = page.get_by_text("image MSE").first.inner_text()
        return float(re.search(r"image MSE\s*([0-9.]+)", txt).group(1)), txt

    first, t1 = mse()
    time.sleep(5)
    last, t2 = mse()
    page.screenshot(path=str(shots / "painting-slide.png"))
    assert t1 != t2, "the live preview did not refresh"
    assert last < first, f"loss did not go down: {t1!r} -> {t2!r}"
