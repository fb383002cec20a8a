"""The deck's colours (colour-blind-safe) and the heat-map trace the demos share. No Streamlit here."""
from __future__ import annotations

# Okabe-Ito: colour-blind-safe qualitative palette.
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]
# Diverging orange -> white -> blue (Okabe-Ito ends), as TensorFlow Playground colours its classes.
DIVERGING = [[0.0, "#E69F00"], [0.5, "#F7F7F7"], [1.0, "#0072B2"]]
SEQUENTIAL = "Viridis"


def heatmap(z, xs, ys, zmin=None, zmax=None, colorscale=DIVERGING, showscale=True, name=""):
    """A Plotly heat-map trace over the (xs, ys) grid."""
    import plotly.graph_objects as go

    return go.Heatmap(z=z, x=xs, y=ys, zmin=zmin, zmax=zmax, colorscale=colorscale, showscale=showscale,
                      name=name, hovertemplate="x=%{x:.2f}<br>y=%{y:.2f}<br>out=%{z:.3f}<extra></extra>")
