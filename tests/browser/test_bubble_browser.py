"""Bubble Breaker on its real slide in Chromium: play a few moves by clicking bubbles."""
from playwright.sync_api import Page

from models.bubble import engine as E
from test_demos_browser import slide_url


def test_plays_a_few_moves_by_clicking(page: Page, deck_url, shots):
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(slide_url(deck_url, "fifth-elephant-2016", "Bubble Breaker : You", "bubble_play"))
    page.wait_for_selector('[class*="st-key-bubble_play"][class*="_c0_0"] button', timeout=60000)
    g = E.Game.of_size(1, "small")  # the slide's directive: size=small seed=1
    for _ in range(3):
        h, v = g.legal()[0]
        g.play(h, v)
        page.locator(f'[class*="st-key-bubble_play"][class*="_c{h}_{v}"] button').first.click()
        page.wait_for_function(
            "s => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
            ".some(e => e.textContent.trim() === s)", arg=str(g.score), timeout=20000)
        page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "bubble-play-slide.png"))
    assert page.get_by_text("Removed").count() >= 1
