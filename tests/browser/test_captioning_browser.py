"""The June 2017 captioning demos on their real slides in Chromium."""
import pytest
from playwright.sync_api import Page, expect

from test_language_browser import first_slide_url

ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


@pytest.mark.parametrize("demo,expect_text", [
    ("caption_data", "can be written by the decoders"), ("caption_steps", "Teacher forcing:"), ("word_reps", "Error correction in the binary code"),
    ("caption_table", "One point per dev check"),
])
def test_captioning_demo_renders_on_its_slide(page: Page, deck_url, demo, expect_text):
    page.set_viewport_size({"width": 1400, "height": 1400})
    page.goto(first_slide_url(deck_url, demo))
    page.get_by_text(expect_text).first.wait_for(timeout=60_000)
    assert page.locator(ERRORS).count() == 0 and "Traceback" not in page.inner_text("body")


def test_four_decoders_compared_live_on_a_real_photo(page: Page, deck_url, shots):
    """The comparison slide: a built-in real photo, a caption (or a "not shipped yet" note) per decoder, beam
    search and the untrained toggle from More settings, the transformer's attention strip."""
    from models.captioning import photos

    shipped = [d for d in photos.available() if d != "blind"]
    assert shipped, "no decoder trained on Flickr8k is shipped"
    page.set_viewport_size({"width": 1400, "height": 1700})
    page.goto(first_slide_url(deck_url, "caption_compare"))
    for label in ("GRU (RNN)", "Dilated CNN", "GLU CNN", "Transformer"):
        expect(page.get_by_text(label, exact=True).first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("ms per caption on one thread").nth(len(shipped) - 1)).to_be_visible()
    greedy = page.locator("strong").filter(has_text="“").all_inner_texts()
    assert len(greedy) == len(shipped)
    page.get_by_text("More settings").first.click()  # the decoding settings are in the stage's expander
    page.get_by_text("Beam search", exact=True).click()
    expect(page.get_by_text("Beam width")).to_be_visible()
    page.get_by_text("Untrained (epoch 0)").click()
    expect(page.get_by_text("epoch 0 (random weights)").first).to_be_visible(timeout=30_000)
    untrained = page.locator("strong").filter(has_text="“").all_inner_texts()
    assert untrained != greedy
    if "transformer" in shipped:
        expect(page.get_by_text("Where the transformer looked").first).to_be_visible()
    assert page.locator(ERRORS).count() == 0
    page.screenshot(path=str(shots / "caption-compare.png"))
