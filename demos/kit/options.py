"""Parsing a demo's slide options (``::: demo NAME key=value``): values arrive as strings. No Streamlit here."""
from __future__ import annotations


def opt_float(options: dict, name: str, default: float, lo: float | None = None, hi: float | None = None) -> float:
    """Parse a slide option string as a float, falling back to the default and clamping to [lo, hi]."""
    try:
        v = float(options.get(name, default))
    except (TypeError, ValueError):
        v = float(default)
    if v != v:  # NaN
        v = float(default)
    if lo is not None:
        v = max(lo, v)
    if hi is not None:
        v = min(hi, v)
    return float(v)


def opt_int(options: dict, name: str, default: int, lo: int | None = None, hi: int | None = None) -> int:
    return int(round(opt_float(options, name, default, lo, hi)))


def opt_choice(options: dict, name: str, choices, default):
    """A slide option that must be one of ``choices`` (case-insensitive), else the default."""
    v = str(options.get(name, default)).strip().lower()
    for c in choices:
        if str(c).lower() == v:
            return c
    return default


def opt_bool(options: dict, name: str, default: bool) -> bool:
    v = str(options.get(name, default)).strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    return default
