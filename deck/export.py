"""Take-away for attendees: the whole deck as one self-contained HTML file (and a PDF).

    python -m deck.export                       # -> build/deck.html and build/deck.pdf
    python -m deck.export --link-base https://<your-app>.streamlit.app
    python -m deck.export --talk tfdl-sg-2017 --slides 1-5,12
    python -m deck.export --no-stills --no-pdf  # text and diagrams only, no browser needed

Every slide is drawn by :mod:`deck.static_render`, the renderer of the live room's audience pages, so the
file carries the slides' real, searchable text, tables, formulas and diagrams (inline SVG). Where a demo
runs, the deck is started and the slide opened in Chromium in present mode at 1280x720; after the demo's
default action ran, the demo's output area (the stage's visual, or the whole window for a demo without a
stage) is captured as the still beside the slide's text. Beside each slide are its link into the live deck
and its speaker notes. Exit status 1 when a demo slide showed an error.
"""
from __future__ import annotations

import argparse
import html
import re
import sys
import time
from pathlib import Path

from .nav import slide_url
from .parser import Slide, Talk, load_deck
from .static_render import markdown_html, page_html, slide_html, warm_diagrams

ROOT = Path(__file__).resolve().parents[1]
VISUAL_SELECTOR = '[data-testid="stMain"] [class*="st-key-deck_stage_visual"]'
STILL_CSS = ("[data-stale] { opacity: 1 !important; } "
             "*, *::before, *::after { transition: none !important; animation: none !important; }")
EXPORT_CSS = """
body { color: #1f2328; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
.export-head, .export-talk { max-width: 1100px; margin: 0 auto; padding: 1rem; }
.export-head h1 { margin: 0.2em 0; }
.export-talk h2.talk { border-bottom: 3px solid #0072B2; padding-bottom: 0.2rem; margin-top: 2rem; }
.export-talk .talk-meta { color: #57606a; margin: 0.2rem 0 0.6rem; }
.export-talk ol.toc { columns: 2 18rem; font-size: 0.95rem; padding-left: 1.6rem; }
article.export-slide { max-width: 1100px; margin: 0 auto 2rem; border: 1px solid #d0d7de; border-radius: 8px;
  overflow: hidden; break-inside: avoid; page-break-inside: avoid; }
article.export-slide .meta { display: flex; flex-wrap: wrap; gap: 0.2rem 1rem; justify-content: space-between;
  font-size: 0.85rem; color: #57606a; background: #f6f8fa; padding: 0.35rem 1rem;
  border-bottom: 1px solid #d0d7de; }
article.export-slide .meta a { color: #0072B2; overflow-wrap: anywhere; }
article.export-slide .notes { border-top: 1px solid #d0d7de; background: #f6f8fa; padding: 0.3rem 1rem 0.5rem;
  font-size: 0.9rem; }
article.export-slide .notes h3 { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.05em;
  color: #57606a; margin: 0.4rem 0 0.2rem; }
article.export-slide .notes pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.85em; }
@media print {
  article.export-slide { break-before: page; page-break-before: always; border: none; }
  article.export-slide .notes { font-size: 9.5pt; }
  .export-talk { break-before: page; page-break-before: always; }
  .export-head + .export-talk { break-before: auto; page-break-before: auto; }
}
"""


def parse_numbers(spec: str | None, count: int) -> set[int]:
    """'1-5,12' -> the 0-based indexes {0..4, 11}; None -> every slide. ValueError on a bad spec."""
    if not spec:
        return set(range(count))
    chosen: set[int] = set()
    for part in spec.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match:
            raise ValueError(f"--slides {spec!r}: write slide numbers and ranges like 1-5,12")
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        if not 1 <= first <= last <= count:
            raise ValueError(f"--slides {spec!r}: slides are numbered 1 to {count}")
        chosen.update(range(first - 1, last))
    return chosen


def capture_still(page, url: str, slide: Slide, max_seconds: float, settle_s: float) -> tuple[bytes | None, list[str]]:
    """Open ``slide`` in present mode, press its demo's default action, and return (JPEG of the demo's
    output area, or of the window when the demo has none; the errors the slide showed)."""
    from .rehearse import ERRORS_JS, wait_run_after, wait_settled

    try:
        page.goto(slide_url(slide, url, present=1))
        page.wait_for_selector(".st-key-deck_next button", timeout=max_seconds * 1000)
        if not wait_run_after(page, 0, max_seconds):
            raise TimeoutError(f"the slide's run did not finish in {max_seconds:g} s")
        button = page.locator("[data-testid='stMain'] [class*='_action'] button:visible").first
        if button.count():
            button.click()
            page.wait_for_timeout(500)
            wait_settled(page, max_seconds)
        page.wait_for_timeout(settle_s * 1000)
        wait_settled(page, max_seconds)
        errors = page.evaluate(ERRORS_JS)
        # a live demo ticking in a fragment leaves its last drawing marked stale (faded) between ticks:
        # the still shows it at full strength
        page.add_style_tag(content=STILL_CSS)
        page.wait_for_timeout(100)
        visual = page.locator(VISUAL_SELECTOR).first
        box = visual.bounding_box() if visual.count() else None
        if box and box["height"] > 20 and box["width"] > 20:
            shot = visual.screenshot(type="jpeg", quality=78, animations="disabled")
        else:
            shot = page.screenshot(type="jpeg", quality=72, animations="disabled")
        return shot, errors
    except Exception as exc:  # a slide that never appeared: the export goes on without its still
        return None, [f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"]


def slide_article(slide: Slide, section_title: str, link: str, still: bytes | None) -> str:
    notes = (f"<div class='notes'><h3>Speaker notes</h3>{markdown_html(slide.notes)}</div>"
             if slide.notes.strip() else "")
    return (f"<article class='export-slide' id='{html.escape(slide.talk_id)}-{slide.index + 1}'>"
            f"<div class='meta'><span>{slide.index + 1}. {html.escape(section_title)}</span>"
            f"<a href='{html.escape(link, quote=True)}'>{html.escape(link)}</a></div>"
            f"{slide_html(slide, still_png=still)}{notes}</article>")


def talk_html(talk: Talk, chosen: set[int], link_base: str, stills: dict[int, bytes]) -> str:
    sections = {sec.id: sec.title for sec in talk.sections}
    slides = [s for s in talk.slides if s.index in chosen]
    meta = " · ".join(x for x in (talk.subtitle, talk.date, talk.speaker, talk.venue) if x)
    toc = "".join(f"<li value='{s.index + 1}'><a href='#{html.escape(talk.id)}-{s.index + 1}'>"
                  f"{html.escape(s.title)}</a></li>" for s in slides)
    parts = [f"<div class='export-talk'><h2 class='talk' id='{html.escape(talk.id)}'>{html.escape(talk.title)}"
             f"</h2><p class='talk-meta'>{html.escape(meta)}</p><ol class='toc'>{toc}</ol></div>"]
    for slide in slides:
        parts.append(slide_article(slide, sections.get(slide.section_id, ""), slide_url(slide, link_base),
                                   stills.get(slide.index)))
    return "".join(parts)


def main(argv: list[str] | None = None, browser=None) -> int:
    """``python -m deck.export``; ``browser``: a playwright Chromium to use instead of launching one."""
    ap = argparse.ArgumentParser(prog="python -m deck.export")
    ap.add_argument("--out", default=str(ROOT / "build" / "deck.html"))
    ap.add_argument("--link-base", default="http://localhost:8501",
                    help="where the live deck is hosted, for the link beside each slide")
    ap.add_argument("--no-pdf", action="store_true")
    ap.add_argument("--no-stills", action="store_true",
                    help="do not start the deck to capture demo pictures (demo slides say 'live demo')")
    ap.add_argument("--talk", help="only this talk id")
    ap.add_argument("--slides", help="only these slide numbers of --talk, e.g. 1-5,12")
    ap.add_argument("--max-seconds", type=float, default=60.0, help="longest wait for a demo slide")
    ap.add_argument("--settle", type=float, default=1.0,
                    help="seconds a demo runs after its action before its still is taken")
    args = ap.parse_args(argv)

    deck = load_deck(ROOT / "slides")
    talks = [t for t in deck.talks if not args.talk or t.id == args.talk]
    if not talks:
        print(f"no talk {args.talk!r}; known: {', '.join(t.id for t in deck.talks)}", file=sys.stderr)
        return 2
    if args.slides and not args.talk:
        print("--slides needs --talk (slide numbers count within one talk)", file=sys.stderr)
        return 2
    try:
        chosen = {t.id: parse_numbers(args.slides, len(t.slides)) for t in talks}
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    warm_diagrams([s for t in talks for s in t.slides if s.index in chosen[t.id]])
    stills: dict[tuple[str, int], bytes] = {}
    failed = 0
    need_browser = not (args.no_stills and args.no_pdf)
    with _browser(need_browser, browser) as browser:
        if not args.no_stills:
            from .serve import deck_server

            demo_slides = [s for t in talks for s in t.slides if s.demos and s.index in chosen[t.id]]
            if demo_slides:
                with deck_server() as (url, _proc, _secs):
                    page = browser.new_page(viewport={"width": 1280, "height": 720})
                    for slide in demo_slides:
                        shot, errors = capture_still(page, url, slide, args.max_seconds, args.settle)
                        failed += bool(errors)
                        if shot:
                            stills[(slide.talk_id, slide.index)] = shot
                        print(f"{'ERROR' if errors else 'ok':5s} {slide.talk_id} {slide.index + 1:3d} "
                              f"{slide.title}" + "".join(f"\n        {e}" for e in errors), flush=True)
                    page.close()
        pictures = ("with a picture of each live demo as the deck showed it" if stills else
                    "each live demo named where it runs")
        body = [f"<div class='export-head'><h1>Live deep-learning deck</h1><p>The slides' text and diagrams, "
                f"{pictures}; follow a slide's link to run its demo yourself.</p></div>"]
        for talk in talks:
            body.append(talk_html(talk, chosen[talk.id], args.link_base,
                                  {i: b for (tid, i), b in stills.items() if tid == talk.id}))
        out.write_text(page_html(body, title="Live deep-learning deck", extra_css=EXPORT_CSS), encoding="utf-8")
        print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB) in {time.perf_counter() - t0:.1f} s")
        if not args.no_pdf:
            pdf = out.with_suffix(".pdf")
            doc = browser.new_page()
            doc.goto(out.resolve().as_uri())
            doc.pdf(path=str(pdf), format="A4", landscape=True, print_background=True,
                    margin={"top": "1cm", "bottom": "1cm", "left": "1cm", "right": "1cm"})
            doc.close()
            print(f"wrote {pdf} ({pdf.stat().st_size / 1e6:.2f} MB) in {time.perf_counter() - t0:.1f} s")
    return 1 if failed else 0


class _browser:
    """Debian's Chromium through playwright when needed (or the one the caller gave), else nothing
    (``--no-stills --no-pdf``)."""

    def __init__(self, needed: bool, given=None):
        self.needed, self.given, self._pw, self.browser = needed, given, None, None

    def __enter__(self):
        if not self.needed or self.given is not None:
            return self.given
        from playwright.sync_api import sync_playwright

        from .serve import CHROMIUM_FLAGS, chromium_path

        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        return self.browser

    def __exit__(self, *exc):
        if self.browser is not None:
            self.browser.close()
        if self._pw is not None:
            self._pw.stop()
        return False


if __name__ == "__main__":
    sys.exit(main())
