"""Deck speed and memory, measured in Debian's Chromium against a real Streamlit server.

    python -m benchmarks.deck            # prints one `name value unit` line per figure

cold_start_s        launching the server -> the first slide's title visible in Chromium (goal <= 3)
next_slide_p50_ms   key press -> next slide's title painted, warm, text slides (goal <= 60)
next_slide_p95_ms   the same, 95th percentile (goal <= 110)
rss_text_slides_mb  server RSS after visiting every text slide of both talks (goal <= 250)
next_slide_blank_frames    painted frames, over those presses, with no slide title in the main area (a blank
                    flash of the slide between the old and the new one; goal 0), and in how many presses
section_change_ms   key press on a section's last slide -> the next section's first title painted (text
section_change_blank_frames  slides on both sides, every such boundary of both talks); blank frames as above
demo_slides_fit_720p   demo slides that fit the window in present mode at 1280x720 (deck.fit: no scrolling, the
demo_slides_fit_1080p  demo's visual and action inside), then the number of demo slides; and at 1920x1080
                    (goal: all), each measured after the slide's run and ~3 s of updates
diagram_min_text_px smallest rendered label of any ```dot diagram, present mode at 1280x720 (goal >= 16)
follow_lag_p50_s    audience follow mode: presenter's key press -> an audience window (another browser
follow_lag_max_s    context) shows the new slide; median and worst of --follows moves (goal <= 1)
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deck.nav import slide_url  # noqa: E402
from deck.parser import load_deck  # noqa: E402
from deck.serve import CHROMIUM_FLAGS, chromium_path, deck_server, rss_mb  # noqa: E402

# In-page timer: keydown (window, capture phase: before the deck's own handler) starts the clock;
# the first animation frame after the new slide's title and counter are in the page stops it
# (the counter "Slide N / M" is unique per slide even where two slides share a title). Every animation
# frame in between is checked for a main area without any slide title (a blank flash).
TIMER_JS = """() => {
  window.__lat = []; window.__t0 = null; window.__blank = 0;
  const title = () => document.querySelector('[data-testid="stMain"] h2');
  window.addEventListener('keydown', () => {
    const t0 = performance.now(); window.__t0 = t0; window.__blank = 0;
    const frame = () => {  // every frame until the new slide is in: does any show no slide title?
      if (window.__t0 !== t0) { return; }
      const h = title();
      if (!h || !h.textContent.trim()) { window.__blank += 1; }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }, true);
  let last = null;
  const obs = new MutationObserver(() => {
    const h = title();
    const c = document.querySelector('.deck-counter');
    const text = h && c ? c.textContent + '|' + h.textContent : null;
    if (text && text !== last) {
      last = text;
      if (window.__t0 !== null) {
        const t0 = window.__t0, blank = window.__blank; window.__t0 = null;
        requestAnimationFrame(() => window.__lat.push([performance.now() - t0, text, blank]));
      }
    }
  });
  obs.observe(document.body, {subtree: true, childList: true, characterData: true});
  const h = title(), c = document.querySelector('.deck-counter');
  last = h && c ? c.textContent + '|' + h.textContent : null;
}"""


def is_text(slide) -> bool:
    return all(seg.kind == "markdown" for seg in slide.segments)


def follow_lags(browser, page, url, talk, moves: int) -> list[float]:
    """Open a live room as presenter, follow it from a second browser context, time each move."""
    start = next(i for i, s in enumerate(talk.slides) if is_text(s) and i + moves < len(talk.slides))
    s0 = talk.slides[start]
    page.goto(slide_url(s0, url))
    page.wait_for_function("window.__deckKeys === true", timeout=30000)
    page.get_by_text("Audience follow mode").click()
    page.get_by_role("button", name="Start a live room").click()
    page.wait_for_function("location.search.includes('key=')")
    room = page.evaluate("new URLSearchParams(location.search).get('room')")
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    audience = ctx.new_page()
    audience.goto(f"{url}/?room={room}")
    head = audience.locator("[data-testid='stMain'] h2").first
    head.filter(has_text=s0.title).wait_for(timeout=30000)
    lags = []
    for k in range(1, moves + 1):
        s = talk.slides[start + k]
        page.bring_to_front()
        page.keyboard.press("ArrowRight")
        t0 = time.perf_counter()
        audience.locator(".deck-counter", has_text=f"Slide {s.index + 1} /").wait_for(timeout=15000)
        lags.append(time.perf_counter() - t0)
        page.locator(".deck-counter", has_text=f"Slide {s.index + 1} /").wait_for(timeout=15000)
        page.wait_for_timeout(600)
    ctx.close()
    return lags


def settled(page, slide, url) -> None:
    """Open a slide by its link and wait until it is drawn, the key handler is in and the run has settled."""
    page.goto(slide_url(slide, url))
    page.wait_for_selector(".st-key-deck_next button", timeout=30000)
    page.wait_for_function("window.__deckKeys === true")
    page.locator("[data-testid='stMain'] h2", has_text=slide.title).wait_for()
    page.locator(".deck-counter", has_text=f"Slide {slide.index + 1} /").wait_for()
    page.wait_for_timeout(800)  # let the first run settle (Plotly warm-up etc.)


def section_changes(page, url, deck) -> list[tuple[float, int]]:
    """(ms, blank frames) of → on the last slide of a section, for every boundary of both talks with
    text slides on both sides."""
    out = []
    for talk in deck.talks:
        for a, b in zip(talk.slides, talk.slides[1:]):
            if a.section_id != b.section_id and is_text(a) and is_text(b):
                settled(page, a, url)
                page.evaluate(TIMER_JS)
                page.keyboard.press("ArrowRight")
                page.wait_for_function("window.__lat.length > 0", timeout=15000)
                page.locator(".deck-counter", has_text=f"Slide {b.index + 1} /").wait_for()
                out += [(ms, blank) for ms, _, blank in page.evaluate("window.__lat")]
    return out


def diagram_min_text(page, url, deck) -> tuple[float, str]:
    """The smallest diagram label (CSS px) over every slide with a diagram, present mode, and where it is."""
    from deck.diagram_check import diagram_slides, measure_slide, smallest

    worst = (float("inf"), "")
    for t in deck.talks:
        for s in diagram_slides(t):
            w = smallest(measure_slide(page, url, s))
            if w and w["min_px"] < worst[0]:
                worst = (w["min_px"], f"{s.source} '{w['label']}'")
    return worst


def demo_slides_fit(page, url, deck, size: tuple[int, int]) -> tuple[int, int, list[str]]:
    """(demo slides that fit, demo slides, the misfits' descriptions) in present mode at ``size``."""
    from deck.fit import measure
    from deck.rehearse import wait_settled

    page.set_viewport_size({"width": size[0], "height": size[1]})
    slides = [s for t in deck.talks for s in t.slides if s.demos]
    misfits = []
    for s in slides:
        page.goto(slide_url(s, url, present=1))
        page.wait_for_selector(".st-key-deck_next button", timeout=60000)
        page.wait_for_selector(".deck-run-done", state="attached", timeout=60000)
        page.wait_for_timeout(3000)  # a few live updates
        wait_settled(page, 10)
        fit = measure(page)
        if not fit.demo_fits:
            misfits.append(f"{s.source} ({s.title}): {fit.describe()}")
    page.set_viewport_size({"width": 1280, "height": 720})
    return len(slides) - len(misfits), len(slides), misfits


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presses", type=int, default=40)
    ap.add_argument("--follows", type=int, default=10)
    ap.add_argument("--no-fit", action="store_true", help="skip demo_slides_fit_* (two visits of every demo slide)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    deck = load_deck(ROOT / "slides")
    talk = deck.talks[0]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        t0 = time.perf_counter()
        with deck_server() as (url, proc, _):
            first = talk.slides[0]
            page.goto(url + "/")
            page.locator("[data-testid='stMain'] h2", has_text=first.title).wait_for(timeout=30000)
            print(f"cold_start_s {time.perf_counter() - t0:.2f} s")

            # Warm latency: runs of consecutive text slides, pressing → with the page settled.
            runs, current = [], []
            for s in talk.slides:
                if is_text(s):
                    current.append(s)
                else:
                    if len(current) > 1:
                        runs.append(current)
                    current = []
            if len(current) > 1:
                runs.append(current)
            lat, blanks = [], []
            for run in runs:
                if len(lat) >= args.presses:
                    break
                settled(page, run[0], url)
                page.evaluate(TIMER_JS)
                for s in run[1:]:
                    n = page.evaluate("window.__lat.length")
                    page.keyboard.press("ArrowRight")
                    page.wait_for_function(f"window.__lat.length > {n}", timeout=10000)
                    page.locator(".deck-counter", has_text=f"Slide {s.index + 1} /").wait_for()
                    page.wait_for_timeout(150)  # presenter pace, not a key-repeat storm
                got = page.evaluate("window.__lat")
                lat += [ms for ms, _, _ in got]
                blanks += [blank for _, _, blank in got]
            lat.sort()
            p50 = statistics.median(lat)
            p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))]
            print(f"next_slide_p50_ms {p50:.1f} ms")
            print(f"next_slide_p95_ms {p95:.1f} ms")
            print(f"next_slide_presses {len(lat)} count")
            print(f"next_slide_blank_frames {sum(blanks)} frames (in {sum(b > 0 for b in blanks)} of {len(blanks)} presses)")
            changes = section_changes(page, url, deck)
            print(f"section_change_ms {statistics.median(ms for ms, _ in changes):.1f} ms (median of {len(changes)})")
            print(f"section_change_blank_frames {sum(b for _, b in changes)} frames "
                  f"(in {sum(b > 0 for _, b in changes)} of {len(changes)} changes)")

            for t in deck.talks:
                for s in t.slides:
                    if is_text(s):
                        page.goto(slide_url(s, url))
                        page.locator("[data-testid='stMain'] h2", has_text=s.title).wait_for(timeout=30000)
            print(f"rss_text_slides_mb {rss_mb(proc.pid):.0f} MB")
            px, where = diagram_min_text(page, url, deck)
            print(f"diagram_min_text_px {px:.1f} px ({where})")
            if not args.no_fit:
                for size in ((1280, 720), (1920, 1080)):
                    k, n, misfits = demo_slides_fit(page, url, deck, size)
                    print(f"demo_slides_fit_{size[1]}p {k} {n} slides (fit, of all demo slides)", flush=True)
                    for m in misfits:
                        print(f"    does not fit {size[0]}x{size[1]}: {m}", file=sys.stderr)
            lags = follow_lags(browser, page, url, talk, args.follows)
            print(f"follow_lag_p50_s {statistics.median(lags):.2f} s")
            print(f"follow_lag_max_s {max(lags):.2f} s")
        browser.close()


if __name__ == "__main__":
    main()
