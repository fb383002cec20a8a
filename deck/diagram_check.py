"""How large a slide's diagram text is on screen, measured in a real browser.

A diagram is legible from the back of a room only if its smallest label is big enough: the goal is
at least 16 CSS px (the label's font size after the SVG is scaled to its box) in present mode at
1280×720. The browser test and ``benchmarks/deck.py`` both measure with :func:`diagram_text_px`.

"Text height" here is the rendered font size (the em box): the ``font-size`` of each SVG ``<text>``
times the scale its screen transform applies. Only text that is drawn (non-empty, with a box) counts.
"""
from __future__ import annotations

from .nav import slide_url
from .rehearse import wait_run_after

DIAGRAM_SELECTOR = "[data-testid='stGraphVizChart'] svg"
MIN_TEXT_PX = 16.0

# Returns one entry per diagram on the page: {"min_px", "label", "texts"}, the smallest label first.
TEXT_PX_JS = """(sel) => Array.from(document.querySelectorAll(sel)).map((svg) => {
  let best = null, count = 0;
  for (const t of svg.querySelectorAll('text')) {
    const label = (t.textContent || '').trim();
    if (!label) continue;
    const box = t.getBoundingClientRect();
    if (box.width <= 0 || box.height <= 0) continue;
    const m = t.getScreenCTM();
    if (!m) continue;
    const scale = Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));
    const px = parseFloat(getComputedStyle(t).fontSize) * scale;
    count += 1;
    if (best === null || px < best.px) best = {px: px, label: label};
  }
  return best === null ? null : {min_px: best.px, label: best.label, texts: count};
}).filter(Boolean)"""


def diagram_text_px(page) -> list[dict]:
    """For each diagram drawn on the page: ``{"min_px", "label", "texts"}`` (its smallest label's
    rendered font size in CSS px, that label, how many labels were measured)."""
    return page.evaluate(TEXT_PX_JS, DIAGRAM_SELECTOR)


def dot_count(slide) -> int:
    return sum(seg.kind == "dot" for seg in slide.segments)


def diagram_slides(talk) -> list:
    """The slides of ``talk`` with at least one ```` ```dot ```` diagram."""
    return [s for s in talk.slides if dot_count(s)]


def measure_slide(page, base_url: str, slide, present: bool = True, timeout_s: float = 60) -> list[dict]:
    """Open ``slide`` (present mode by default), wait for its run to end and its diagrams to be
    drawn, and return :func:`diagram_text_px` for it. Raises ``RuntimeError`` naming the slide if
    the run does not finish or fewer diagrams than the slide has are drawn."""
    page.goto(slide_url(slide, base_url, **({"present": 1} if present else {})))  # a new session: runs from 1
    page.locator("[data-testid='stMain'] h2", has_text=slide.title).first.wait_for(timeout=timeout_s * 1000)
    if not wait_run_after(page, 0, timeout_s):
        raise RuntimeError(f"{slide.source} '{slide.title}': the slide's run did not finish")
    want = dot_count(slide)
    try:
        page.wait_for_function(
            "([sel, n]) => Array.from(document.querySelectorAll(sel))"
            ".filter(s => s.querySelector('text')).length >= n",
            arg=[DIAGRAM_SELECTOR, want], timeout=timeout_s * 1000)
    except Exception as exc:  # playwright's TimeoutError
        raise RuntimeError(f"{slide.source} '{slide.title}': {want} diagram(s) expected, not drawn") from exc
    page.wait_for_timeout(100)  # let the SVG take its final size
    return diagram_text_px(page)


def smallest(results: list[dict]) -> dict | None:
    return min(results, key=lambda r: r["min_px"]) if results else None
