"""Session III demos on their real slides in Chromium: each renders without an error message."""
import pytest
from playwright.sync_api import Page

from deck.nav import slide_url
from test_demos_browser import DECK


def first_slide_url(base: str, demo: str) -> str:
    for talk in DECK.talks:
        for s in talk.slides:
            if any(d.demo == demo for d in s.demos):
                return slide_url(s, base)
    raise AssertionError(f"no slide shows {demo}")


@pytest.mark.parametrize("demo,expect", [
    ("analogies", "queen"), ("rnn_cells", "after step"), ("rnn_gradients", "Gradient left after"),
    ("anomaly", "The ugly"), ("poetry", "chars/s"), ("word_junk", "Making up words"),
    ("upper_ner", "Held-out scores"),
])
def test_demo_renders_on_its_slide(page: Page, deck_url, demo, expect):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(first_slide_url(deck_url, demo))
    page.get_by_text(expect).first.wait_for(timeout=60_000)
    body = page.inner_text("body")
    errors = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count()
    assert errors == 0 and "Traceback" not in body


def test_anomaly_scores_a_drawn_digit(page: Page, deck_url):
    """Draw a stroke on the pad (fabric.js upper canvas); the slide then scores 'your drawing'."""
    page.set_viewport_size({"width": 1400, "height": 2000})
    page.goto(first_slide_url(deck_url, "anomaly"))
    pad = page.locator("canvas.upper-canvas").first
    pad.wait_for(timeout=60_000)
    box = pad.bounding_box()
    x0, y0 = box["x"] + box["width"] / 2, box["y"] + 40  # below the pad's toolbar
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 25):
        page.mouse.move(x0 + i % 3, y0 + 5 * i, steps=3)
    page.mouse.up()
    page.get_by_text("for your drawing").first.wait_for(timeout=60_000)
