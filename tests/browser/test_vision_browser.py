"""Session II demos on their real slides in Chromium: upload a photo, click a pixel."""
import time

import numpy as np
from PIL import Image

from test_demos_browser import slide_url


def test_convolution_upload_and_click(deck_url, page, tmp_path):
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(slide_url(deck_url, "tfdl-sg-2017", "Play with a Filter", "convolution"))
    page.get_by_text("Output pixel (row").wait_for(timeout=60_000)
    # a greyscale PNG 120x80 with a bright square: the upload path, with its notice
    a = np.zeros((80, 120), np.uint8)
    a[20:60, 40:80] = 255
    f = tmp_path / "square.png"
    Image.fromarray(a).save(f)
    page.get_by_text("More settings").click()  # the photo picker is a setting of the stage (browse mode: an expander)
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
        chart = page.locator(".stPlotlyChart").nth(1)
        chart.scroll_into_view_if_needed()  # the open "More settings" pushes the visual down
        box = chart.bounding_box()
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


def test_imagenet_upload_a_photo(deck_url, page, tmp_path):
    from models.data.images import sample

    f = tmp_path / "my coffee.jpg"
    Image.fromarray(sample("coffee")).save(f, quality=90)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(slide_url(deck_url, "fifth-elephant-2016", "Workshop : GoogLeNet", "imagenet"))
    page.get_by_text("This forward pass took").wait_for(timeout=90_000)
    page.get_by_text("More settings").click()  # the photo picker is a setting of the stage (browse mode: an expander)
    page.get_by_text("Upload", exact=True).click()
    page.locator("input[type=file]").set_input_files(str(f))
    page.locator(".gtitle", has_text="espresso").first.wait_for(timeout=60_000)
    assert page.locator(".stException").count() == 0
