"""Small helpers shared by the Session I demos (option parsing, palette, heat maps). No Streamlit here."""
from __future__ import annotations

# Okabe-Ito: colour-blind-safe qualitative palette.
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]
# Diverging orange -> white -> blue (Okabe-Ito ends), as TensorFlow Playground colours its classes.
DIVERGING = [[0.0, "#E69F00"], [0.5, "#F7F7F7"], [1.0, "#0072B2"]]
SEQUENTIAL = "Viridis"


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


def heatmap(z, xs, ys, zmin=None, zmax=None, colorscale=DIVERGING, showscale=True, name=""):
    """A Plotly heat-map trace over the (xs, ys) grid."""
    import plotly.graph_objects as go

    return go.Heatmap(z=z, x=xs, y=ys, zmin=zmin, zmax=zmax, colorscale=colorscale, showscale=showscale,
                      name=name, hovertemplate="x=%{x:.2f}<br>y=%{y:.2f}<br>out=%{z:.3f}<extra></extra>")
