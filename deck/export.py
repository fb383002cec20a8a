"""Take-away for attendees: the whole deck as one self-contained HTML file (and a PDF).

    python -m deck.export                       # -> build/deck.html and build/deck.pdf
    python -m deck.export --link-base https://<your-app>.streamlit.app

Every slide is captured in Chromium in present mode after its demo's default action ran, so the
file shows what the live deck showed; beside each picture are the slide's link and speaker notes.
"""
from __future__ import annotations

import argparse
import base64
import html
import sys
from pathlib import Path

from .nav import slide_url
from .parser import load_deck
from .rehearse import walk
from .serve import CHROMIUM_FLAGS, chromium_path, deck_server

ROOT = Path(__file__).resolve().parents[1]
PAGE_CSS = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1320px; padding: 1rem; color: #222; }
section.slide { page-break-inside: avoid; break-inside: avoid; margin: 0 0 2.5rem; }
section.slide img { width: 100%; border: 1px solid #ccc; }
.meta { display: flex; justify-content: space-between; font-size: 0.9rem; color: #555; }
.notes { white-space: pre-wrap; font-size: 0.95rem; background: #f4f6f8; padding: 0.6rem 0.8rem; }
h1 { margin-bottom: 0.2rem; } h2.talk { border-bottom: 2px solid #0072B2; padding-bottom: 0.2rem; }
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m deck.export")
    ap.add_argument("--out", default=str(ROOT / "build" / "deck.html"))
    ap.add_argument("--link-base", default="http://localhost:8501",
                    help="where the live deck is hosted, for the link beside each slide")
    ap.add_argument("--no-pdf", action="store_true")
    ap.add_argument("--talk", help="only this talk id")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    deck = load_deck(ROOT / "slides")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Live deep-learning deck"
             f"</title><style>{PAGE_CSS}</style></head><body><h1>Live deep-learning deck</h1>"
             "<p>Captured from the live deck; follow a slide's link to run its demo yourself.</p>"]
    failed = 0
    with sync_playwright() as p, deck_server() as (url, _proc, _):
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        for talk in deck.talks:
            if args.talk and talk.id != args.talk:
                continue
            parts.append(f"<h2 class='talk'>{html.escape(talk.title)} — {html.escape(talk.subtitle)}, "
                         f"{html.escape(talk.date)}</h2>")
            for slide, _secs, errors, _acted in walk(page, url, talk, True, 60.0, present=True):
                failed += bool(errors)
                shot = page.screenshot(type="jpeg", quality=70)
                link = slide_url(slide, args.link_base)
                text = " ".join(seg.text for seg in slide.segments if seg.kind == "markdown")[:600]
                parts.append(
                    f"<section class='slide' id='{talk.id}-{slide.index + 1}'>"
                    f"<div class='meta'><span>{slide.index + 1}. {html.escape(slide.title)}</span>"
                    f"<a href='{html.escape(link)}'>{html.escape(link)}</a></div>"
                    f"<img alt='{html.escape(slide.title + ': ' + text)}' "
                    f"src='data:image/jpeg;base64,{base64.b64encode(shot).decode()}'>"
                    f"<div class='notes'>{html.escape(slide.notes)}</div></section>")
                print(f"{'ERROR' if errors else 'ok':5s} {talk.id} {slide.index + 1:3d} {slide.title}", flush=True)
        parts.append("</body></html>")
        out.write_text("".join(parts), encoding="utf-8")
        print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
        if not args.no_pdf:
            pdf = out.with_suffix(".pdf")
            doc = browser.new_page()
            doc.goto(out.resolve().as_uri())
            doc.pdf(path=str(pdf), format="A4", landscape=True, print_background=True)
            print(f"wrote {pdf} ({pdf.stat().st_size / 1e6:.1f} MB)")
        browser.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
