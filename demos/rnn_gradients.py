"""How much gradient reaches k steps back: simple RNN vs GRU vs LSTM, computed live with autograd.

Slide "Simplest RNN ~ gradient problem". Options: ``steps`` (default 60), ``scale`` (recurrent weight
multiplier, default 1), ``gate_bias`` (memory-gate bias, default 2), ``seed``.
"""
from __future__ import annotations

import streamlit as st

from demos.kit.options import declare, integer, number

COLOURS = {"rnn": "#D55E00", "gru": "#0072B2", "lstm": "#009E73"}  # Okabe-Ito
NAMES = {"rnn": "Simple RNN", "gru": "GRU", "lstm": "LSTM"}


@st.cache_data(show_spinner=False, max_entries=64)
def _reach(kind, steps, hidden, scale, gate_bias, seed):
    from models.device import set_threads
    from models.language.rnn_cells import gradient_reach

    set_threads()
    return gradient_reach(kind, steps=steps, hidden=hidden, scale=scale, gate_bias=gate_bias, seed=seed)


OPTIONS = declare(steps=integer(60, 10, 200), scale=number(1.0, 0.25, 4.0), gate_bias=number(2.0, 0.0, 4.0),
                  seed=integer(0, 0, 10_000))


def render(key_prefix: str = "rnn_gradients", stage=None, **options: str) -> None:
    """Draw on ``stage`` (``deck/stage.py``): the gradient-reach chart and its one-line read-out in
    ``stage.visual``, the recurrent weight scale in ``stage.controls``, the rest in ``stage.more``."""
    import numpy as np
    import plotly.graph_objects as go

    from deck.stage import default_stage

    stage = stage or default_stage()
    o = OPTIONS.parse(options)
    k = lambda name: f"{key_prefix}_{name}"  # noqa: E731
    sc = stage.controls.slider("Recurrent weight scale", 0.25, 4.0, o.scale, step=0.25, key=k("scale"),
                               help="Multiplies the recurrent weights: small -> vanishing, large -> exploding "
                                    "(simple RNN).")
    with stage.more:
        c1, c2, c3 = st.columns(3)
        T = c1.slider("Sequence length", 10, 200, o.steps, step=10, key=k("steps"),
                      help="How far back to measure.")
        gb = c2.slider("Memory-gate bias", 0.0, 4.0, o.gate_bias, step=0.5, key=k("gate_bias"),
                       help="Added to the LSTM forget-gate / GRU update-gate bias: the gated cells start out "
                            "remembering.")
        sd = c3.number_input("Seed", 0, 10_000, o.seed, key=k("seed"), help="Random weights and inputs.")
        st.caption("32 units, mean over 16 random input sequences; loss = random read-out of the last state; "
                   "the plot floors at 1e-12.")

    fig = go.Figure()
    reach = {}
    for kind in ("rnn", "gru", "lstm"):
        g = _reach(kind, int(T), 32, float(sc), float(gb), int(sd))
        rel = g / max(float(g[0]), 1e-30)
        reach[kind] = rel
        fig.add_trace(go.Scatter(x=list(range(len(rel))), y=np.clip(rel, 1e-12, None).tolist(), mode="lines",
                                 name=NAMES[kind], line=dict(color=COLOURS[kind], width=3,
                                                             dash={"rnn": "solid", "gru": "dash", "lstm": "dot"}[kind])))
    fig.update_layout(yaxis_type="log", xaxis_title="k: steps back from the end of the sequence",
                      yaxis_title="|dL/dx(T−k)| relative to k = 0", height=stage.height(540, 400),
                      yaxis=dict(exponentformat="power"),
                      margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.08))
    k20 = min(20, int(T) - 1)
    with stage.visual:
        st.plotly_chart(fig, width="stretch", key=k("fig"))
        st.markdown(f"Gradient left after {k20} steps (relative): "
                    + " · ".join(f"{NAMES[c]} **{reach[c][k20]:.1e}**" for c in reach))
