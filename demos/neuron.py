"""Single neuron: two weights and a bias, an activation, and its output over the input plane.

Slide directive: ``::: demo neuron w1=1 w2=-1 b=0 activation=sigmoid``
"""
from __future__ import annotations

from demos.kit.options import choice, declare, number
from demos.kit.palette import DIVERGING, heatmap

ACTS = ["step", "sigmoid", "tanh", "relu"]
OPTIONS = declare(w1=number(1.0, -5, 5), w2=number(-1.0, -5, 5), b=number(0.0, -5, 5),
                  activation=choice(ACTS, "sigmoid"))


def neuron_figure(w1: float, w2: float, b: float, act: str, extent: float = 3.0, height: int = 430):
    """Heat map of act(w1 x + w2 y + b) with the line w1 x + w2 y + b = 0 drawn on top."""
    import numpy as np
    import plotly.graph_objects as go

    from models.basics.neuron import grid, neuron_output

    xs, ys = grid(extent, 101)
    z = neuron_output(w1, w2, b, act, xs, ys)
    if act == "tanh":
        zmin, zmax = -1.0, 1.0
    elif act == "relu":
        zmin, zmax = 0.0, max(1.0, float(z.max()))
    else:
        zmin, zmax = 0.0, 1.0
    fig = go.Figure(heatmap(z, xs, ys, zmin, zmax, DIVERGING, name="output"))
    # The boundary where the weighted sum is zero (where step flips, sigmoid = 0.5, ReLU starts).
    if abs(w2) > 1e-9:
        lx = np.array([-extent, extent])
        fig.add_trace(go.Scatter(x=lx, y=-(w1 * lx + b) / w2, mode="lines", name="w·x + b = 0",
                                 line=dict(color="black", dash="dash")))
    elif abs(w1) > 1e-9:
        fig.add_trace(go.Scatter(x=[-b / w1] * 2, y=[-extent, extent], mode="lines", name="w·x + b = 0",
                                 line=dict(color="black", dash="dash")))
    if abs(w1) + abs(w2) > 1e-9:  # the weight vector: the direction in which the output grows
        fig.add_annotation(x=w1 / (abs(w1) + abs(w2)), y=w2 / (abs(w1) + abs(w2)), ax=0, ay=0, xref="x", yref="y",
                           axref="x", ayref="y", showarrow=True, arrowhead=3, arrowwidth=2, arrowcolor="#D55E00")
    fig.update_layout(title=f"{act}({w1:g}·x + {w2:g}·y + {b:g})", height=height, margin=dict(l=10, r=10, t=40, b=10),
                      xaxis=dict(range=[-extent, extent], title="x", constrain="domain"),
                      yaxis=dict(range=[-extent, extent], title="y", scaleanchor="x"),
                      legend=dict(orientation="h", y=-0.15))
    return fig, z


def render(key_prefix: str = "neuron", stage=None, **options: str) -> None:
    """The neuron's output over the plane in ``stage.visual``; the activation in ``stage.controls``; the
    weights, the bias and the explanation in ``stage.more``."""
    import streamlit as st

    from deck.stage import default_stage

    stage = stage or default_stage()
    o = OPTIONS.parse(options)
    act0 = o.activation
    act = stage.controls.radio("activation", ACTS, index=ACTS.index(act0), key=f"{key_prefix}_act", horizontal=True,
                               help="step: 1980s perceptron; sigmoid/tanh: smooth 1990s units; ReLU: today's default.")
    with stage.more:
        w1 = st.slider("weight w₁ (on x)", -5.0, 5.0, o.w1, 0.1,
                       key=f"{key_prefix}_w1", help="How strongly input x pushes the neuron's sum.")
        w2 = st.slider("weight w₂ (on y)", -5.0, 5.0, o.w2, 0.1,
                       key=f"{key_prefix}_w2", help="How strongly input y pushes the neuron's sum.")
        b = st.slider("bias b", -5.0, 5.0, o.b, 0.1, key=f"{key_prefix}_b",
                      help="Shifts the boundary w·x + b = 0 away from the origin.")
        st.caption("The weights set the direction (orange arrow) and steepness of the ridge; the bias moves "
                   "it. One neuron can only ever draw one straight boundary.")
    fig, _ = neuron_figure(w1, w2, b, act, height=stage.height(560, 430))
    stage.visual.plotly_chart(fig, key=f"{key_prefix}_chart", width="stretch")
