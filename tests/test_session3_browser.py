"""Real Chromium against the demo harness: each session3 demo renders without an error message."""
import os
import socket
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.browser
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _free_port():
    for port in range(8530, 8540):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    pytest.skip("no free port in 8530-8539")


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "scripts/demo_harness.py",
                             "--server.headless=true", f"--server.port={port}"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(60):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.5)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


@pytest.mark.parametrize("demo,expect", [
    ("analogies", "queen"), ("rnn_cells", "after step"), ("rnn_gradients", "Gradient left after"),
    ("anomaly", "The ugly"), ("poetry", "chars/s"), ("word_junk", "Making up words"),
    ("upper_ner", "Held-out scores"),
])
def test_demo_renders_in_chromium(server, demo, expect):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{server}/?demo={demo}")
        page.get_by_text(expect).first.wait_for(timeout=60_000)
        body = page.inner_text("body")
        errors = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count()
        browser.close()
    assert errors == 0 and "Traceback" not in body


def test_anomaly_scores_a_drawn_digit(server):
    """Draw a stroke on the pad (fabric.js upper canvas); the slide then scores 'your drawing'."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2000})
        page.goto(f"{server}/?demo=anomaly")
        pad = page.locator("canvas.upper-canvas").first
        pad.wait_for(timeout=60_000)
        box = pad.bounding_box()
        x0, y0 = box["x"] + box["width"] / 2, box["y"] + 40          # below the pad's toolbar
        page.mouse.move(x0, y0)
        page.mouse.down()
        for i in range(1, 25):
            page.mouse.move(x0 + i % 3, y0 + 5 * i, steps=3)
        page.mouse.up()
        page.get_by_text("for your drawing").first.wait_for(timeout=60_000)
        browser.close()
