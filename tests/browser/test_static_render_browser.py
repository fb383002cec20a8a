"""The static slides in Debian's Chromium: every slide of both talks readable on a phone 390 px wide and on
a 1280x720 projector (nothing wider than the screen, diagrams scaled to the width, text large enough), and
``python -m deck.export`` on a demo slide: the demo's still comes from the running deck, the PDF is written."""
from pathlib import Path

import pytest

from deck import export
from deck.parser import load_deck
from deck.diagram_check import TEXT_PX_JS
from deck.static_render import MIN_LABEL_PX, dot_binary, page_html, slide_html

ROOT = Path(__file__).resolve().parents[2]

LAYOUT_JS = """() => {
  const slides = Array.from(document.querySelectorAll('.deck-slide'));
  const out = {scrollWidth: document.documentElement.scrollWidth, wide: [], tallSvg: [], minFont: 1e9, svgs: 0};
  for (const s of slides) {
    const box = s.getBoundingClientRect();
    for (const el of s.querySelectorAll('.deck-diagram, figure, .deck-table, pre, p, li, h2')) {
      const r = el.getBoundingClientRect();
      if (r.right > box.right + 1 || r.left < box.left - 1) out.wide.push(s.dataset.index + ':' + el.tagName);
    }
    for (const svg of s.querySelectorAll('.deck-diagram svg')) {
      out.svgs += 1;
      const r = svg.getBoundingClientRect();
      if (r.height > window.innerHeight * 0.7 + 1) out.tallSvg.push(s.dataset.index);
    }
    for (const p of s.querySelectorAll('p, li')) {
      out.minFont = Math.min(out.minFont, parseFloat(getComputedStyle(p).fontSize));
    }
  }
  return out;
}"""


@pytest.fixture(scope="module")
def deck():
    return load_deck(ROOT / "slides")


@pytest.mark.parametrize("width,height,min_font,min_label", [(390, 844, 16.5, MIN_LABEL_PX - 0.2),
                                                             (1280, 720, 22, 16)])
def test_every_slide_fits_phone_and_projector(page, deck, tmp_path, width, height, min_font, min_label):
    """Nothing sticks out of its slide (a diagram too wide for a phone scrolls sideways in its own box);
    every diagram's smallest label is at least ``min_label`` px (the deck's goal of 16 px on the
    projector; on a phone the floor the renderer keeps); the text is large enough."""
    if dot_binary() is None:
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)")
    doc = tmp_path / "slides.html"
    slides = [s for t in deck.talks for s in t.slides]
    doc.write_text(page_html([slide_html(s) for s in slides], title="all slides"), encoding="utf-8")
    page.set_viewport_size({"width": width, "height": height})
    page.goto(doc.as_uri())
    got = page.evaluate(LAYOUT_JS)
    assert got["scrollWidth"] <= width, got
    assert got["wide"] == [], f"wider than the slide at {width}px: {got['wide'][:10]}"
    assert got["svgs"] == sum(seg.kind == "dot" for s in slides for seg in s.segments)
    if width > 500:  # on a projector a diagram leaves room for the rest of the slide
        assert got["tallSvg"] == [], f"diagrams taller than 70% of {height}px: {got['tallSvg']}"
    assert got["minFont"] >= min_font, got
    labels = page.evaluate(TEXT_PX_JS, ".deck-diagram svg")
    assert len(labels) == got["svgs"]
    small = [(round(d["min_px"], 1), d["label"]) for d in labels if d["min_px"] < min_label]
    assert not small, f"diagram labels under {min_label} px at {width}px: {small}"


def test_export_takes_the_demo_still_and_writes_the_pdf(browser, tmp_path, capsys):
    out = tmp_path / "deck.html"
    # slide 20 is text, slide 21 ('Single "Neuron"') runs the neuron demo
    rc = export.main(["--talk", "fifth-elephant-2016", "--slides", "20-21", "--out", str(out)], browser=browser)
    printed = capsys.readouterr().out
    assert rc == 0, printed
    page = out.read_text(encoding="utf-8")
    assert page.count("<article class='export-slide'") == 2
    demo = page[page.index("<figure class='deck-demo' data-demo='neuron'>"):]
    demo = demo[:demo.index("</figure>")]
    assert "<img src='data:image/jpeg;base64," in demo
    assert "Single &quot;Neuron&quot;" in page or 'Single "Neuron"' in page
    assert "Same as original Neural Networks" in page  # slide 20's text, searchable
    pdf = out.with_suffix(".pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000

