"""Several deck servers sharing a live room through Redis (issue #18), in Debian's Chromium:
redis-server + 2 deck servers + nginx (``deck.cluster.Cluster``, what ``bash deck.sh cluster 2`` runs).
The presenter is on server 1, an audience page and a deck visitor reach server 2 through nginx; the
audience page follows the presenter's moves; Redis killed -> "live follow unavailable, reconnecting"
while the presenter keeps presenting, then back (caught up) when Redis returns; server 2 killed -> its
audience page and visitor reconnect through nginx to server 1, on the same room and the same slide."""
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page, expect

from deck.backplane import UNAVAILABLE_TEXT
from deck.cluster import Cluster
from deck.parser import load_deck
from deck.serve import start_room_from_sidebar

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "slides"
TALK = load_deck(FIXTURE).talks[0]  # alpha-talk: Alpha One, Alpha Two, Alpha Three, Beta One, Beta Two


@pytest.fixture(scope="module")
def cluster():
    with Cluster(2, env={"DECK_SLIDES_DIR": str(FIXTURE)}) as c:
        yield c


def cookie_for(cluster: Cluster, server: int) -> str:
    """A deck_node cookie value that nginx's consistent hash sends to deck server ``server``."""
    want = urlparse(cluster.servers[server][0]).netloc
    for i in range(200):
        value = f"test{i}"
        req = urllib.request.Request(cluster.url + "/_stcore/health", headers={"Cookie": f"deck_node={value}"})
        with urllib.request.urlopen(req, timeout=5) as r:
            if r.headers.get("X-Deck-Upstream") == want:
                return value
    raise AssertionError(f"no cookie value among 200 reaches {want}")


def open_presenter(page: Page, url: str) -> tuple[str, str]:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{url}/?talk={TALK.id}&section={TALK.slides[0].section_id}&slide=1")
    page.wait_for_selector(".st-key-deck_next button", timeout=30000)
    page.wait_for_function("window.__deckKeys === true", timeout=10000)
    page.wait_for_selector(".deck-run-done", state="attached", timeout=30000)
    return start_room_from_sidebar(page)


def next_slide(page: Page, title: str):
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("ArrowRight")
    expect(page.locator("[data-testid='stMain'] h2").first).to_have_text(title, timeout=15000)


def test_cross_server_room_survives_redis_and_server_loss(browser: Browser, cluster: Cluster):
    server1, server2 = (urlparse(u).netloc for u, _ in cluster.servers)
    presenter = browser.new_page()
    room_id, key = open_presenter(presenter, cluster.servers[0][0])  # presenter on server 1, directly

    # an audience page and a deck visitor reach server 2 through nginx (sticky cookie)
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    ctx.add_cookies([{"name": "deck_node", "value": cookie_for(cluster, 1), "url": cluster.url}])
    phone = ctx.new_page()
    response = phone.goto(f"{cluster.url}/room/{room_id}")
    assert response.headers["x-deck-upstream"] == server2
    status, title = phone.locator("#deck-status"), phone.locator("#deck-slide h2")
    expect(status).to_have_text("Following live", timeout=15000)
    expect(title).to_have_text("Alpha One", timeout=15000)
    visitor = ctx.new_page()
    second = TALK.slides[1]
    response = visitor.goto(f"{cluster.url}/?talk={TALK.id}&section={second.section_id}&slide=2")
    assert response.headers["x-deck-upstream"] == server2
    expect(visitor.locator("[data-testid='stMain'] h2").first).to_have_text("Alpha Two", timeout=30000)

    next_slide(presenter, "Alpha Two")
    expect(title).to_have_text("Alpha Two", timeout=5000)  # server 1 -> Redis -> server 2 -> phone

    # Redis dies: the phone says so, the presenter keeps presenting and is told too
    cluster.redis.kill()
    expect(status).to_have_text(UNAVAILABLE_TEXT, timeout=10000)
    next_slide(presenter, "Alpha Three")
    expect(presenter.get_by_text(UNAVAILABLE_TEXT)).to_be_visible(timeout=10000)
    assert key not in phone.content()
    # Redis returns (empty): server 1 writes its room back and re-publishes; the phone catches up
    cluster.redis.start()
    expect(status).to_have_text("Following live", timeout=15000)
    expect(title).to_have_text("Alpha Three", timeout=10000)
    next_slide(presenter, "Beta One")
    expect(title).to_have_text("Beta One", timeout=5000)

    # server 2 dies: its phone reconnects through nginx to server 1, in the same room
    t0 = time.monotonic()
    cluster.kill_server(1)
    expect(status).not_to_have_text("Following live", timeout=5000)
    expect(status).to_have_text("Following live", timeout=15000)
    recovered = time.monotonic() - t0
    expect(title).to_have_text("Beta One")
    next_slide(presenter, "Beta Two")
    expect(title).to_have_text("Beta Two", timeout=5000)
    assert recovered < 10, f"the audience page took {recovered:.1f} s to come back"
    # ...and the deck visitor lands on the same slide (by its URL) on server 1, and can move on
    expect(visitor.locator("[data-testid='stMain'] h2").first).to_have_text("Alpha Two", timeout=30000)
    visitor.wait_for_selector(".deck-run-done", state="attached", timeout=30000)
    next_slide(visitor, "Alpha Three")
    assert key not in phone.content() and key not in visitor.url

    presenter.get_by_role("button", name="End the live room").click()
    expect(phone.locator("#deck-ended")).to_be_visible(timeout=10000)
    presenter.close()
    ctx.close()
