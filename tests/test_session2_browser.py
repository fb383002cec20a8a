"""Real Chromium against a real Streamlit server: upload a photo, click a pixel."""
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]


def _free_port():
    for port in range(8529, 8519, -1):  # this area's port range, from the top
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    pytest.skip("no free port in 8520-8529")


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "scripts/demo_harness.py", "--server.headless=true",
         f"--server.port={port}", "--server.address=127.0.0.1", "--server.fileWatcherType=none"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        from deck.serve import CHROMIUM_FLAGS, chromium_path

        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield pg
        browser.close()


def test_convolution_upload_and_click(server, page, tmp_path):
    page.goto(server + "/?demo=convolution&preset=outline")
    page.get_by_text("Output pixel (row").wait_for(timeout=60_000)
    # a greyscale PNG 120x80 with a bright square: the upload path, with its notice
    a = np.zeros((80, 120), np.uint8)
    a[20:60, 40:80] = 255
    f = tmp_path / "square.png"
    Image.fromarray(a).save(f)
    page.get_by_text("Upload", exact=True).click()
    page.locator("input[type=file]").set_input_files(str(f))
    page.get_by_text("Greyscale image").wait_for(timeout=30_000)
    page.get_by_text("input 80×120").wait_for(timeout=30_000)
    # click the output image up and left of its centre: the explanation moves there (retried: on a
    # loaded machine the chart may still be redrawing when the first click lands)
    def explained():
        text = page.get_by_text("Output pixel (row").inner_text()
        return tuple(int(t.split()[-1]) for t in text.split("(")[1].split(")")[0].split(","))

    for _ in range(4):
        time.sleep(1.5)
        box = page.locator(".stPlotlyChart").nth(1).bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
        deadline = time.time() + 10
        while time.time() < deadline and explained() == (40, 60):
            time.sleep(0.3)
        if explained() != (40, 60):
            break
    row, col = explained()
    assert row < 35 and col < 55  # a pixel up and left of the default centre (40, 60)
    # a text file renamed .png: a clear message, no traceback
    bad = tmp_path / "fake.png"
    bad.write_bytes(b"this is not a picture")
    page.locator("input[type=file]").set_input_files(str(bad))
    page.get_by_text("is not an image this app can read").wait_for(timeout=30_000)
    assert page.locator(".stException").count() == 0


def test_imagenet_upload_a_photo(server, page, tmp_path):
    from models.session2.images import sample

    f = tmp_path / "my coffee.jpg"
    Image.fromarray(sample("coffee")).save(f, quality=90)
    page.goto(server + "/?demo=imagenet")
    page.get_by_text("This forward pass took").wait_for(timeout=90_000)
    page.get_by_text("Upload", exact=True).click()
    page.locator("input[type=file]").set_input_files(str(f))
    page.locator(".gtitle", has_text="espresso").first.wait_for(timeout=60_000)
    assert page.locator(".stException").count() == 0
