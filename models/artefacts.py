"""The shipped artefacts' manifests: ``models/artefacts/<area>/manifest.json``, one per area.

Each manifest is ``{"artefacts": [entry, ...]}``; an entry names one shipped file (``name``, ``path``
relative to the repository root) with the command that made it, its data and its metrics. Every script
that ships a file records it here, and every demo, test and benchmark that reads one looks it up here:

    from models import artefacts
    artefacts.entries("language", "charrnn_")        # the char-RNN checkpoints
    artefacts.path_of(artefacts.entry("bubble", "bubble_small"))
    artefacts.record("vision", {"name": ..., "path": ..., "command": ...})

Scripts with a ``--manifest PATH`` option pass it as ``manifest=`` (a copy elsewhere, e.g. in a test).
"""
from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTEFACTS = ROOT / "models" / "artefacts"
AREAS = ("basics", "vision", "language", "bubble", "captioning", "captioning_photos")


def folder(area: str) -> Path:
    """``models/artefacts/<area>``; ``area`` is one of ``AREAS``."""
    if area not in AREAS:
        raise ValueError(f"unknown artefact area {area!r}: one of {', '.join(AREAS)}")
    return ARTEFACTS / area


def manifest_path(area: str, manifest=None) -> Path:
    """The area's manifest file, or ``manifest`` when given (a path)."""
    return Path(manifest) if manifest else folder(area) / "manifest.json"


def read(area: str, manifest=None) -> dict:
    """The whole manifest (``{"artefacts": []}`` when there is none yet)."""
    p = manifest_path(area, manifest)
    return json.loads(p.read_text()) if p.exists() else {"artefacts": []}


def entries(area: str, prefix: str = "", manifest=None) -> list[dict]:
    """The entries whose name starts with ``prefix``, in manifest order."""
    return [a for a in read(area, manifest)["artefacts"] if a["name"].startswith(prefix)]


def entry(area: str, name: str, manifest=None) -> dict | None:
    """The entry called ``name``, or None."""
    return next((a for a in read(area, manifest)["artefacts"] if a["name"] == name), None)


def by_name(area: str, prefix: str = "", manifest=None) -> dict[str, dict]:
    """``{name: entry}`` for the entries whose name starts with ``prefix``."""
    return {a["name"]: a for a in entries(area, prefix, manifest)}


def write(area: str, arts: list[dict], manifest=None) -> Path:
    """Replace the whole manifest with ``arts``; returns the file written."""
    p = manifest_path(area, manifest)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps({"artefacts": arts}, indent=1) + "\n")
    return p


def record(area: str, new: dict, drop_prefix: str | None = None, manifest=None) -> Path:
    """Add ``new``, or replace the entry with the same name where it stands; ``drop_prefix`` first
    removes the other entries of a family (e.g. a fresh training run's checkpoints replace the last
    run's). Returns the file written."""
    old = read(area, manifest)["artefacts"]
    kept = [a for a in old if not (drop_prefix and a["name"].startswith(drop_prefix) and a["name"] != new["name"])]
    names = [a["name"] for a in kept]
    if new["name"] in names:
        kept[names.index(new["name"])] = new
    else:
        kept.append(new)
    return write(area, kept, manifest)


def relative(path) -> str:
    """``path`` as a manifest writes it: relative to the repository root, with forward slashes."""
    return Path(path).resolve().relative_to(ROOT).as_posix()


def path_of(entry: dict) -> Path:
    """The file an entry names (manifest paths are relative to the repository root)."""
    return ROOT / entry["path"]
