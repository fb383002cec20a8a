"""Layers of neurons: each hidden unit's function beside the output that combines them.

Slide directive: ``::: demo layers preset=bump``
"""
from __future__ import annotations

from demos.kit.options import choice, declare
from demos.kit.palette import DIVERGING, heatmap

ACTS = ["step", "sigmoid", "tanh", "relu"]


def layers_figures(net, extent: float = 3.0, row_px: int = 200, out_px: int = 430):
    """(hidden-units figure, combination figure, output grid) for a TwoLayerNet."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from models.basics.neuron import grid

    xs, ys = grid(extent, 61)
    h = net.hidden(xs, ys)  # (H, ny, nx)
    out = net.output(xs, ys)
    H = h.shape[0]
    cols = 2
    rows = (H + cols - 1) // cols
    titles = [f"h{i + 1}: {net.W[i, 0]:+.1f}x {net.W[i, 1]:+.1f}y {net.b[i]:+.1f}  (×{net.v[i]:+.1f})"
              for i in range(H)]
    hfig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.08,
                         vertical_spacing=0.14)
    lo, hi = (-1.0, 1.0) if net.hidden_act == "tanh" else (0.0, 1.0)
    if net.hidden_act == "relu":
        hi = max(1.0, float(h.max()))
    for i in range(H):
        hfig.add_trace(heatmap(h[i], xs, ys, lo, hi, DIVERGING, showscale=False, name=f"h{i + 1}"),
                       row=i // cols + 1, col=i % cols + 1)
    hfig.update_annotations(font_size=13)
    hfig.update_xaxes(showticklabels=False)
    hfig.update_yaxes(showticklabels=False)
    hfig.update_layout(height=row_px * rows + 40, margin=dict(l=5, r=5, t=40, b=5), title="hidden units")
    ofig = go.Figure(heatmap(out, xs, ys, 0.0, 1.0, DIVERGING, name="output"))
    terms = " ".join(f"{net.v[i]:+.1f}·h{i + 1}" for i in range(H))
    ofig.update_layout(title=f"output = {net.output_act}(<br>{terms} {net.c:+.1f})", height=out_px,
                       margin=dict(l=10, r=10, t=60, b=10), xaxis_title="x",
                       xaxis=dict(range=[-extent, extent], constrain="domain"), yaxis=dict(title="y", scaleanchor="x"))
    return hfig, ofig, out


def _presets():
    from models.basics.neuron import PRESETS

    return PRESETS


OPTIONS = declare(preset=choice(_presets, "bump"))


def render(key_prefix: str = "layers", stage=None, **options: str) -> None:
    """Hidden units and the output they make in ``stage.visual``; the combination in ``stage.controls``;
    the hidden activation, the weights and the explanation in ``stage.more``."""
    import numpy as np
    import streamlit as st

    from deck.stage import default_stage
    from models.basics.neuron import PRESETS, TwoLayerNet, preset

    stage = stage or default_stage()
    name = stage.controls.radio("combination", PRESETS, index=PRESETS.index(OPTIONS.parse(options).preset),
                                key=f"{key_prefix}_preset", horizontal=True,
                                help="Hand-set hidden units whose sum makes a shape no single neuron can.")
    with stage.more:
        act = st.radio("hidden activation", ACTS, index=1, key=f"{key_prefix}_act", horizontal=True,
                       help="Swap the hidden units' squashing function and watch the combination change.")
        base = preset(name)
        H = len(base.b)
        st.markdown("**edit the weights**")
        W, b, v = base.W.copy(), base.b.copy(), base.v.copy()
        for i in range(H):
            c = st.columns(4)
            k = f"{key_prefix}_{name}_{i}"
            W[i, 0] = c[0].number_input(f"h{i + 1} w₁", -20.0, 20.0, float(W[i, 0]), 0.5, key=k + "_w1")
            W[i, 1] = c[1].number_input(f"h{i + 1} w₂", -20.0, 20.0, float(W[i, 1]), 0.5, key=k + "_w2")
            b[i] = c[2].number_input(f"h{i + 1} b", -20.0, 20.0, float(b[i]), 0.5, key=k + "_b")
            v[i] = c[3].number_input(f"out weight v{i + 1}", -20.0, 20.0, float(v[i]), 0.5, key=k + "_v",
                                     help="How much this hidden unit counts in the output.")
        cbias = st.number_input("output bias c", -30.0, 30.0, float(base.c), 0.5, key=f"{key_prefix}_{name}_c")
        st.caption("Each hidden unit is one neuron: a single straight ridge. The output neuron adds them with its "
                   "weights and squashes the sum: ridges combine into bands, corners and bumps.")
    net = TwoLayerNet(np.asarray(W), np.asarray(b), np.asarray(v), float(cbias), hidden_act=act)
    rows = (H + 1) // 2
    hfig, ofig, _ = layers_figures(net, row_px=stage.height(min(260, 560 // max(rows, 1)), 200),
                                   out_px=stage.height(480, 430))
    left, right = stage.visual.columns([1, 1])
    left.plotly_chart(hfig, key=f"{key_prefix}_hidden", width="stretch")
    right.plotly_chart(ofig, key=f"{key_prefix}_output", width="stretch")
