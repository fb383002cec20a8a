"""Command-line checks of the slide files: ``python -m deck check`` (or ``python -m deck list``)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .demo_runner import missing_demos, undeclared_options
from .parser import SlideFileError, load_deck

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m deck")
    ap.add_argument("command", choices=["check", "list"])
    ap.add_argument("--slides", default=str(ROOT / "slides"))
    args = ap.parse_args(argv)
    try:
        deck = load_deck(args.slides)
    except SlideFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    problems = missing_demos(deck)
    for slide, name in problems:
        print(f"error: {slide.source}: no demo module demos/{name}.py", file=sys.stderr)
    unknown = undeclared_options(deck)
    for slide, name, option in unknown:
        print(f"error: {slide.source}: demo {name} has no option '{option}' (see its OPTIONS)", file=sys.stderr)
    for talk in deck.talks:
        print(f"{talk.id}: {len(talk.slides)} slides in {len(talk.sections)} sections")
        if args.command == "list":
            for s in talk.slides:
                print(f"  {s.index + 1:3d}  {s.section_id}/{s.number_in_section:<3d} {s.title}")
    return 1 if problems or unknown else 0


if __name__ == "__main__":
    sys.exit(main())
