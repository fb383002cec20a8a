"""Place a ``::: demo`` line on a slide, found by file and title (occurrence n), before its notes.

    python scripts/place_demo.py slides/fifth-elephant-2016/01-session-1.md 'Single "Neuron"' 'neuron'
    python scripts/place_demo.py FILE TITLE 'painting preset=deep' --nth 2

Idempotent: does nothing if that slide already has the same directive.
"""
import argparse
import sys
from pathlib import Path

ap = argparse.ArgumentParser()
ap.add_argument("file")
ap.add_argument("title")
ap.add_argument("directive")
ap.add_argument("--nth", type=int, default=1)
a = ap.parse_args()
path = Path(a.file)
lines = path.read_text(encoding="utf-8").splitlines()
hits = [i for i, l in enumerate(lines) if l.strip() == f"## {a.title}"]
if len(hits) < a.nth:
    sys.exit(f"{path}: no slide #{a.nth} titled {a.title!r}")
start = hits[a.nth - 1]
end = next((i for i in range(start + 1, len(lines)) if lines[i].rstrip() == "---"), len(lines))
line = f"::: demo {a.directive}"
if any(l.strip() == line for l in lines[start:end]):
    sys.exit(0)
note = next((i for i in range(start, end) if lines[i].startswith("Note:")), end)
lines[note:note] = [line, ""]
path.write_text("\n".join(lines) + "\n", encoding="utf-8")
print(f"{path}:{note + 1}: {line}")
