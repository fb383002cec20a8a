"""Backprop "blame": how much each weight of a tiny 2-2-1 net is to blame for the error on one case.

Slide directive: ``::: demo backprop`` (options ``x1``, ``x2``, ``target``, ``seed``).
The gradient of the error for each weight, from backpropagation (PyTorch autograd), checked against
finite differences; "Take a step" moves every weight against its blame and the error drops.
"""
from __future__ import annotations

from demos.kit.options import declare, integer, number
from demos.kit.palette import OKABE_ITO


def blame_figure(b, height: int = 330):
    import plotly.graph_objects as go

    from models.basics.gradient import WEIGHT_NAMES

    fig = go.Figure()
    fig.add_trace(go.Bar(x=WEIGHT_NAMES, y=b["backprop"], name="backprop (autograd)", marker_color=OKABE_ITO[4]))
    fig.add_trace(go.Bar(x=WEIGHT_NAMES, y=b["numeric"], name="finite differences", marker_color=OKABE_ITO[0]))
    fig.update_layout(barmode="group", height=height, margin=dict(l=10, r=10, t=40, b=10),
                      title="blame = ∂ error / ∂ weight", legend=dict(orientation="h", y=-0.2))
    return fig


def network_figure(theta, b, x, height: int = 330):
    """The 2-2-1 net: edge width = |blame|, colour = sign of the weight; node labels = activations."""
    import numpy as np
    import plotly.graph_objects as go

    f = b["forward"]
    nodes = {"x1": (0, 1), "x2": (0, -1), "h1": (1, 1), "h2": (1, -1), "out": (2, 0)}
    edges = [("x1", "h1", 0), ("x2", "h1", 1), ("x1", "h2", 2), ("x2", "h2", 3), ("h1", "out", 6), ("h2", "out", 7)]
    g = np.abs(b["backprop"])
    gmax = float(g.max()) or 1.0
    fig = go.Figure()
    for a, c, i in edges:
        (x0, y0), (x1, y1) = nodes[a], nodes[c]
        fig.add_trace(go.Scatter(x=[x0, x1], y=[y0, y1], mode="lines", showlegend=False, hoverinfo="text",
                                 text=f"weight {theta[i]:+.2f}, blame {b['backprop'][i]:+.4f}",
                                 line=dict(width=1 + 12 * g[i] / gmax,
                                           color=OKABE_ITO[4] if theta[i] > 0 else OKABE_ITO[0])))
    vals = {"x1": x[0], "x2": x[1], "h1": f["h1"], "h2": f["h2"], "out": f["out"]}
    deltas = {"h1": b["delta_hidden"][0], "h2": b["delta_hidden"][1], "out": b["delta_out"]}
    fig.add_trace(go.Scatter(x=[p[0] for p in nodes.values()], y=[p[1] for p in nodes.values()],
                             mode="markers+text", marker=dict(size=54, color="white", line=dict(color="black", width=2)),
                             text=[f"{k}<br>{vals[k]:.2f}" for k in nodes], textfont=dict(size=13, color="black"), showlegend=False,
                             hovertext=[f"error signal δ = {deltas[k]:+.4f}" if k in deltas else "input" for k in nodes],
                             hoverinfo="text"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), title="edge width = blame, blue + / orange − weight",
                      xaxis=dict(visible=False, range=[-0.4, 2.4]), yaxis=dict(visible=False, range=[-1.6, 1.6]))
    return fig


OPTIONS = declare(x1=number(1.0, -2, 2), x2=number(-0.5, -2, 2), target=number(1.0, 0, 1), seed=integer(0, 0, 9999))


def render(key_prefix: str = "backprop", stage=None, **options: str) -> None:
    """The net with its blame and the blame bars in ``stage.visual``; Take a step and Reset in
    ``stage.controls``; the input, target, seed, learning rate and the long explanation in ``stage.more``."""
    import numpy as np
    import streamlit as st

    from deck.stage import default_stage
    from models.basics.gradient import WEIGHT_NAMES, blame, tiny_net_params

    stage = stage or default_stage()
    kp = key_prefix
    o = OPTIONS.parse(options)
    with stage.more:
        c = st.columns(2)
        x1 = c[0].slider("input x₁", -2.0, 2.0, o.x1, 0.1, key=f"{kp}_x1")
        x2 = c[1].slider("input x₂", -2.0, 2.0, o.x2, 0.1, key=f"{kp}_x2")
        target = c[0].slider("target", 0.0, 1.0, o.target, 0.05, key=f"{kp}_target",
                             help="What the output should be for this input.")
        lr = c[1].select_slider("learning rate", [0.1, 0.5, 1.0, 2.0, 5.0], 2.0, key=f"{kp}_lr",
                                help="How far 'Take a step' moves each weight against its blame.")
        seed = c[0].number_input("seed", 0, 9999, o.seed, key=f"{kp}_seed",
                                 help="Initial random weights.")
        explain = st.empty()
    tkey = f"{kp}_theta"
    if st.session_state.get(f"{kp}_seed_used") != seed or tkey not in st.session_state:
        st.session_state[tkey] = tiny_net_params(int(seed))
        st.session_state[f"{kp}_seed_used"] = seed
        st.session_state[f"{kp}_errors"] = []
    x = np.array([x1, x2])
    theta = st.session_state[tkey]
    b = blame(theta, x, target)
    bb = stage.controls.container(horizontal=True)
    if bb.button("Take a step", key=f"{kp}_action", type="primary",
                 help="Every weight moves by −lr × its blame: one step of gradient descent."):
        st.session_state[f"{kp}_errors"].append(b["forward"]["error"])
        theta = st.session_state[tkey] = theta - lr * b["backprop"]
        b = blame(theta, x, target)
    if bb.button("Reset weights", key=f"{kp}_reset"):
        theta = st.session_state[tkey] = tiny_net_params(int(seed))
        st.session_state[f"{kp}_errors"] = []
        b = blame(theta, x, target)
    errs = st.session_state[f"{kp}_errors"] + [b["forward"]["error"]]
    with stage.visual:
        st.markdown(f"output **{b['forward']['out']:.3f}** vs target {target:.2f} → error ½(out − t)² = "
                    f"**{b['forward']['error']:.5f}**" + (f" (was {errs[0]:.5f} before {len(errs) - 1} steps)"
                                                           if len(errs) > 1 else ""))
        h = stage.height(470, 330)
        left, right = st.columns(2)
        left.plotly_chart(network_figure(theta, b, x, h), key=f"{kp}_net", width="stretch")
        right.plotly_chart(blame_figure(b, h), key=f"{kp}_blame", width="stretch")
    diff = float(np.abs(b["backprop"] - b["numeric"]).max())
    explain.caption(f"Backprop walks the error signal back from the output (δ_out = {b['delta_out']:+.4f}) to each "
                    f"hidden unit (δ_h1 = {b['delta_hidden'][0]:+.4f}, δ_h2 = {b['delta_hidden'][1]:+.4f}): one "
                    f"backward pass, the same cost as the forward pass. Largest difference from finite differences: "
                    f"{diff:.1e}.")
    st.session_state[f"{kp}_last"] = {"theta": theta, "blame": b, "names": WEIGHT_NAMES}
