"""Demo mirroring and a poll round trip in Debian's Chromium against a real deck server: the presenter
(with the room's key) and one audience page (``/room/<id>``). The painting demo's picture, as painted
on the presenter's screen, appears on the phone; the phone votes on the Playground's learning rate; the
presenter sees the count, applies the winner, and the running demo takes the new rate."""
from pathlib import Path

import cv2
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect

from deck.parser import load_deck
from deck.serve import deck_server, start_room_from_sidebar

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "room_demos"
TALK = load_deck(FIXTURE).talks[0]  # Welcome, Painting Live, Playground Live


@pytest.fixture(scope="module")
def demo_room_url():
    with deck_server(env={"DECK_SLIDES_DIR": str(FIXTURE)}) as (url, _proc, _secs):
        yield url


def start_room(page: Page, url: str) -> tuple[str, str]:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{url}/?talk={TALK.id}&section={TALK.slides[0].section_id}&slide=1")
    page.wait_for_selector(".deck-run-done", state="attached", timeout=60000)
    return start_room_from_sidebar(page)


def next_slide(page: Page, title: str):
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("ArrowRight")
    expect(page.locator("[data-testid='stMain'] h2").first).to_have_text(title, timeout=30000)


def test_mirrored_painting_and_a_poll_that_drives_the_playground(browser: Browser, demo_room_url, shots):
    presenter = browser.new_page()
    room_id, key = start_room(presenter, demo_room_url)
    panel = presenter.locator("[data-testid='stSidebar'] [data-testid='stExpander']").filter(
        has_text="Room: QR code and polls")
    expect(panel.locator("img").first).to_be_visible(timeout=15000)  # the audience link's QR code
    link = f"{demo_room_url}/room/{room_id}"
    expect(panel).to_contain_text(link)
    shot = np.frombuffer(panel.locator("img").first.screenshot(), np.uint8)  # the QR code as drawn
    assert cv2.QRCodeDetector().detectAndDecode(cv2.imdecode(shot, cv2.IMREAD_GRAYSCALE))[0] == link
    assert key not in panel.inner_text()

    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    phone.goto(f"{demo_room_url}/room/{room_id}")
    expect(phone.locator("#deck-status")).to_have_text("Following live", timeout=15000)
    expect(phone.locator("#deck-slide h2")).to_have_text("Welcome", timeout=15000)

    # the painting slide: the picture as painted on the presenter's screen reaches the phone
    next_slide(presenter, "Painting Live")
    expect(phone.locator("#deck-slide h2")).to_have_text("Painting Live", timeout=10000)
    img = phone.locator("#deck-mirror img")
    expect(img).to_be_visible(timeout=20000)
    first = img.get_attribute("src")
    assert first.startswith(("data:image/jpeg;base64,", "data:image/png;base64,"))
    assert len(first) < 90_000  # <= 60 kB of picture, base64
    expect(phone.locator("#deck-mirror .deck-mirror-text")).to_contain_text("iterations")
    # it keeps painting: a later picture replaces the first one
    phone.wait_for_function("src => document.querySelector('#deck-mirror img').src !== src", arg=first,
                            timeout=20000)
    natural = phone.evaluate("() => { const i = document.querySelector('#deck-mirror img');"
                             " return [i.naturalWidth, i.naturalHeight]; }")
    assert natural == [200, 200]
    phone.screenshot(path=str(shots / "room-mirror-phone.png"))

    # the Playground slide: a poll on its learning rate
    next_slide(presenter, "Playground Live")
    expect(phone.locator("#deck-slide h2")).to_have_text("Playground Live", timeout=10000)
    prefix = f"pg{TALK.slides[2].index}_lr"
    presenter.wait_for_function(f"new URLSearchParams(location.search).get('{prefix}') === '0.03'", timeout=30000)
    panel.get_by_role("button", name="Poll: Which learning rate?").click()
    poll = phone.locator("#deck-poll")
    expect(poll.locator(".deck-poll-q").first).to_have_text("Which learning rate?", timeout=10000)
    expect(poll.locator("button")).to_have_count(3)
    poll.locator("button").filter(has_text="0.3").filter(has_not_text="0.03").click()
    expect(poll.locator("button.mine")).to_contain_text("0.3")
    # the presenter's counts update live (a fragment reading the server's poll state)
    expect(panel).to_contain_text("1 vote", timeout=10000)
    expect(poll.locator("button.mine .deck-poll-count")).to_have_text("1", timeout=10000)

    panel.get_by_role("button", name="Apply the winner").click()
    expect(panel).to_contain_text("Applied: Which learning rate? → 0.3.", timeout=15000)
    presenter.wait_for_function(f"new URLSearchParams(location.search).get('{prefix}') === '0.3'", timeout=30000)
    expect(poll).to_contain_text("Voting is closed.", timeout=10000)
    presenter.screenshot(path=str(shots / "room-poll-presenter.png"))
    phone.screenshot(path=str(shots / "room-poll-phone.png"))
    # present mode (no sidebar): the same panel in a popover beside the navigation
    presenter.evaluate("document.activeElement && document.activeElement.blur()")
    presenter.keyboard.press("p")
    presenter.wait_for_function("new URLSearchParams(location.search).get('present') === '1'", timeout=15000)
    expect(presenter.locator("[data-testid='stSidebar']")).to_be_hidden(timeout=15000)
    presenter.get_by_role("button", name="Room: QR code and polls").click()
    pop = presenter.locator("[data-testid='stPopoverBody']")
    expect(pop.locator("img").first).to_be_visible(timeout=10000)
    pop.get_by_role("button", name="Poll: Which activation?").click()
    expect(poll.locator(".deck-poll-q").first).to_have_text("Which activation?", timeout=10000)
    expect(poll.locator("button")).to_have_count(3)
    presenter.screenshot(path=str(shots / "room-poll-present.png"))
    # the phone's page never saw the key
    assert key not in phone.content() and key not in phone.url
    presenter.close()
    phone.context.close()
