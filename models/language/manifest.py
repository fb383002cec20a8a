"""Read and update ``models/artefacts/language/manifest.json`` (one entry per shipped file)."""
from __future__ import annotations

import json
import pathlib

ARTEFACTS = pathlib.Path(__file__).resolve().parents[1] / "artefacts" / "language"
MANIFEST = ARTEFACTS / "manifest.json"


def read() -> dict:
    if MANIFEST.exists():
        return json.loads(MANIFEST.read_text())
    return {"artefacts": []}


def entries(prefix: str = "") -> list[dict]:
    return [a for a in read()["artefacts"] if a["name"].startswith(prefix)]


def upsert(entry: dict, drop_prefix: str | None = None) -> None:
    """Add or replace the entry with the same name; ``drop_prefix`` first removes a whole family."""
    data = read()
    arts = [a for a in data["artefacts"] if a["name"] != entry["name"]]
    if drop_prefix:
        arts = [a for a in arts if not a["name"].startswith(drop_prefix)]
    arts.append(entry)
    data["artefacts"] = sorted(arts, key=lambda a: a["name"])
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    MANIFEST.write_text(json.dumps(data, indent=1) + "\n")


def path_of(entry: dict) -> pathlib.Path:
    """Manifest paths are relative to the repository root."""
    return ARTEFACTS.parents[2] / entry["path"]
