"""A live room in Debian's Chromium against a real deck server (st.App with the room's routes):
one presenter window and two audience pages (``/room/<id>``, no Streamlit session) -- slide moves,
the laser pointer, the key never on an audience page -- and the fallback polling path."""
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Browser, Page, expect

from deck.parser import load_deck
from deck.serve import deck_server, start_room_from_sidebar

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "slides"
TALK = load_deck(FIXTURE).talks[0]  # alpha-talk: Alpha One, Alpha Two, Alpha Three, Beta One, Beta Two


@pytest.fixture(scope="module")
def room_url():
    with deck_server(env={"DECK_SLIDES_DIR": str(FIXTURE)}) as (url, _proc, _secs):
        yield url


def open_presenter(page: Page, url: str) -> tuple[str, str]:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{url}/?talk={TALK.id}&section={TALK.slides[0].section_id}&slide=1")
    page.wait_for_selector(".st-key-deck_next button", timeout=30000)
    page.wait_for_function("window.__deckKeys === true", timeout=10000)
    page.wait_for_selector(".deck-run-done", state="attached", timeout=30000)
    return start_room_from_sidebar(page)


def audience_title(page: Page):
    return page.locator("#deck-slide h2")


def next_slide(page: Page, title: str):
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("ArrowRight")
    expect(page.locator("[data-testid='stMain'] h2").first).to_have_text(title, timeout=15000)


def test_presenter_moves_and_points_two_audience_pages_follow(browser: Browser, room_url):
    presenter = browser.new_page()
    room_id, key = open_presenter(presenter, room_url)
    expect(presenter.locator(".deck-room-mode").first).to_contain_text("live push", timeout=10000)

    phones = []
    for size in ({"width": 390, "height": 844}, {"width": 1024, "height": 700}):
        ctx = browser.new_context(viewport=size)
        phone = ctx.new_page()
        sent = []
        phone.on("websocket", lambda ws, sent=sent: ws.on("framesent", lambda payload: sent.append(payload)))
        phone.goto(f"{room_url}/room/{room_id}")
        expect(phone.locator("#deck-status")).to_have_text("Following live", timeout=15000)
        expect(audience_title(phone)).to_have_text("Alpha One", timeout=15000)
        phones.append((phone, sent))

    next_slide(presenter, "Alpha Two")
    for phone, _ in phones:
        expect(audience_title(phone)).to_have_text("Alpha Two", timeout=5000)
    next_slide(presenter, "Alpha Three")
    for phone, _ in phones:
        expect(audience_title(phone)).to_have_text("Alpha Three", timeout=5000)
        expect(phone.locator("#deck-counter")).to_have_text(f"Slide 3 / {len(TALK.slides)}")
        href = phone.locator("#deck-try").get_attribute("href")
        assert href.startswith("../?talk=") and "room" not in href and "key" not in href

    # laser pointer: hold L, move the mouse over the slide; the dot shows on the projector and both phones
    box = presenter.locator("[data-testid='stMainBlockContainer']").bounding_box()
    presenter.mouse.move(box["x"] + 10, box["y"] + 10)
    presenter.keyboard.down("l")
    presenter.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.5, steps=5)
    expect(presenter.locator(".deck-laser")).to_be_visible()
    for phone, _ in phones:
        dot = phone.locator("#deck-pointer")
        expect(dot).to_be_visible(timeout=5000)
        where = """() => { const s = document.getElementById('deck-pointer').style;
                             return [parseFloat(s.left), parseFloat(s.top)]; }"""
        try:  # the last move arrives within the pointer's throttle (50 ms) and the push
            phone.wait_for_function("""() => { const s = document.getElementById('deck-pointer').style;
                const x = parseFloat(s.left), y = parseFloat(s.top); return x > 73 && x < 77 && y > 48 && y < 52; }""",
                                    timeout=5000)
        except Exception:
            raise AssertionError(f"pointer at {phone.evaluate(where)} %, expected (75, 50)")
    presenter.keyboard.up("l")
    for phone, _ in phones:
        expect(phone.locator("#deck-pointer")).to_be_hidden(timeout=5000)
    expect(presenter.locator(".deck-laser")).to_be_hidden()

    # an audience page changes nothing but itself: a forged move is dropped
    phone0 = phones[0][0]
    phone0.evaluate("""() => new Promise(done => {
        const ws = new WebSocket(location.href.replace(/^http/, 'ws') + '/ws');
        ws.onopen = () => { ws.send(JSON.stringify({type: 'slide', talk: 'alpha-talk', index: 0, html: '<h2>x</h2>'}));
                            ws.send(JSON.stringify({type: 'end'})); setTimeout(() => { ws.close(); done(); }, 300); };
    })""")
    presenter.wait_for_timeout(500)
    for phone, _ in phones:
        expect(audience_title(phone)).to_have_text("Alpha Three")
        expect(phone.locator("#deck-status")).to_have_text("Following live")

    # the key is on no audience page, in no frame it received, in no URL it knows
    for phone, sent in phones:
        html = phone.content()
        shown = phone.evaluate("JSON.stringify(window.__deckShown)")
        assert key not in html and key not in phone.url and key not in shown
        assert all(key not in str(s) for s in sent)
        assert phone.evaluate("document.cookie").find(key) < 0

    # the presenter ends the room: both pages say so
    presenter.get_by_role("button", name="End the live room").click()
    for phone, _ in phones:
        expect(phone.locator("#deck-ended")).to_be_visible(timeout=10000)
        expect(phone.locator("#deck-status")).to_have_text("Room ended")
    presenter.close()


def test_fallback_polling_when_the_socket_cannot_get_through(browser: Browser, room_url):
    presenter = browser.new_page()
    room_id, _key = open_presenter(presenter, room_url)
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    phone = ctx.new_page()
    phone.route_web_socket("**/room/*/ws", lambda ws: ws.close(code=1006 if False else 1011))
    phone.goto(f"{room_url}/room/{room_id}")
    # three failed connections: the page moves to the full deck following the room by polling
    phone.wait_for_url(lambda u: parse_qs(urlparse(u).query).get("room") == [room_id], timeout=30000)
    expect(phone.locator("[data-testid='stMain'] h2").first).to_have_text("Alpha One", timeout=30000)
    expect(phone.get_by_text("Following the presenter live")).to_be_visible()
    next_slide(presenter, "Alpha Two")
    expect(phone.locator("[data-testid='stMain'] h2").first).to_have_text("Alpha Two", timeout=15000)
    assert "key" not in parse_qs(urlparse(phone.url).query)
    presenter.get_by_role("button", name="End the live room").click()
    presenter.close()
    ctx.close()
