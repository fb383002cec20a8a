"""Read and update ``models/artefacts/vision/manifest.json`` (one entry per shipped artefact)."""
from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "models/artefacts/vision/manifest.json"


def entries(path=MANIFEST) -> dict:
    p = Path(path)
    if not p.exists():
        return {}
    return {a["name"]: a for a in json.loads(p.read_text())["artefacts"]}


def record(path, entry: dict) -> None:
    """Add or replace ``entry`` (matched by name)."""
    p = Path(path)
    arts = [a for a in (json.loads(p.read_text())["artefacts"] if p.exists() else []) if a["name"] != entry["name"]]
    arts.append(entry)
    p.write_text(json.dumps({"artefacts": arts}, indent=2) + "\n")
