"""Gradient descent on a loss surface you can see: y ≈ w·x + b, two parameters, SGD path stepped live.

Slide directive: ``::: demo gradient_descent lr=0.15 batch=10`` (options ``lr``, ``batch``, ``steps``, ``seed``).
"""
from __future__ import annotations

from demos.kit.options import declare, integer, nearest
from demos.kit.palette import OKABE_ITO
from demos.kit.fair_share import live_tick

LRS = [0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.15, 0.2, 0.22, 0.24, 0.3]
BATCHES = [1, 2, 5, 10, 20, 50, 100]
OPTIONS = declare(lr=nearest(LRS, 0.15), batch=nearest(BATCHES, 10), steps=integer(80, 5, 300), seed=integer(0, 0, 9999))


def surface_figure(data, path, shown: int, height: int = 420):
    import numpy as np
    import plotly.graph_objects as go

    from models.basics.gradient import loss, optimum

    ws = np.linspace(-3, 5, 121)
    bs = np.linspace(-5, 6, 121)
    W, B = np.meshgrid(ws, bs)
    Z = loss(data, W, B)
    fig = go.Figure(go.Contour(x=ws, y=bs, z=np.log10(Z), colorscale="Viridis", ncontours=25, showscale=False,
                               contours=dict(coloring="heatmap"), name="log10 loss",
                               hovertemplate="w=%{x:.2f} b=%{y:.2f}<extra></extra>"))
    p = path[: shown + 1]
    fig.add_trace(go.Scatter(x=p[:, 0], y=p[:, 1], mode="lines+markers", name="SGD path",
                             line=dict(color=OKABE_ITO[0], width=2), marker=dict(size=5, color=OKABE_ITO[0])))
    w_opt, b_opt = optimum(data)
    fig.add_trace(go.Scatter(x=[w_opt], y=[b_opt], mode="markers", name="minimum",
                             marker=dict(symbol="star", size=14, color="white", line=dict(color="black", width=1))))
    fig.update_layout(title="loss surface over (w, b) — log scale", height=height, margin=dict(l=10, r=10, t=40, b=10),
                      xaxis=dict(title="w (slope)", range=[-3, 5]), yaxis=dict(title="b (intercept)", range=[-5, 6]),
                      legend=dict(orientation="h", y=-0.15))
    return fig


def loss_curve(data, path, shown: int, height: int = 260):
    import numpy as np
    import plotly.graph_objects as go

    from models.basics.gradient import loss

    p = path[: shown + 1]
    ok = np.all(np.isfinite(p), axis=1)
    fig = go.Figure(go.Scatter(x=np.arange(len(p))[ok], y=loss(data, p[ok, 0], p[ok, 1]), mode="lines+markers",
                               marker=dict(size=4), line=dict(color=OKABE_ITO[4]), name="loss"))
    fig.update_layout(title="loss per step", height=height, margin=dict(l=10, r=10, t=40, b=10), xaxis_title="step",
                      yaxis=dict(type="log", title="MSE"))
    return fig


def render(key_prefix: str = "gradient_descent", stage=None, **options: str) -> None:
    """The loss surface with the SGD path and the loss curve in ``stage.visual``; Animate, Step and Reset
    in ``stage.controls``; learning rate, batch size, steps and seed in ``stage.more``."""
    import streamlit as st

    from deck.stage import default_stage
    from models.basics.gradient import critical_lr, describe_path, make_line_data, sgd_path

    stage = stage or default_stage()
    kp = key_prefix
    o = OPTIONS.parse(options)
    with stage.more:
        c = st.columns(2)
        d_lr = o.lr
        lr = c[0].select_slider("learning rate", LRS, d_lr, key=f"{kp}_lr",
                                help="Step size. Small: slow crawl. Larger: zig-zag across the valley. Too large: "
                                     "diverges.")
        d_b = o.batch
        batch = c[1].select_slider("batch size", BATCHES, d_b, key=f"{kp}_batch",
                                   help="Points per step (100 = all of them: plain gradient descent). Small batches "
                                        "give noisy steps.")
        steps = c[0].number_input("steps", 5, 300, o.steps, 5, key=f"{kp}_steps",
                                  help="How many SGD steps to take.")
        seed = c[1].number_input("seed", 0, 9999, o.seed, key=f"{kp}_seed",
                                 help="Which points, and which batches.")
    data = make_line_data(seed=int(seed))
    path = sgd_path(data, lr, batch, int(steps), seed=int(seed))
    n = len(path) - 1

    sig = (lr, batch, int(steps), int(seed))
    shown_key, play_key = f"{kp}_shown", f"{kp}_play"
    if st.session_state.get(f"{kp}_sig") != sig:  # new settings: show the whole path at once
        st.session_state[f"{kp}_sig"] = sig
        st.session_state[shown_key] = n
        st.session_state[play_key] = False
    b = stage.controls.container(horizontal=True)
    if b.button("Animate", key=f"{kp}_action", type="primary", help="Replay the path step by step."):
        st.session_state[shown_key] = 0
        st.session_state[play_key] = True
    if b.button("Step", key=f"{kp}_step", help="Show one more step."):
        st.session_state[play_key] = False
        st.session_state[shown_key] = min(n, st.session_state[shown_key] + 1 if st.session_state[shown_key] < n else 0)
    if b.button("Reset", key=f"{kp}_reset", help="Back to the start point."):
        st.session_state[play_key] = False
        st.session_state[shown_key] = 0
    verdict = describe_path(data, path, batch)
    crit = critical_lr(data)
    stage.more.caption(f"Full-batch gradient descent diverges above lr ≈ {crit:.3f} (2 / largest curvature). "
                       f"This run: **{verdict}**.")
    present = stage.present
    surf_px, curve_px = stage.height(520, 420), stage.height(330, 260)

    @st.fragment(run_every=0.15 if st.session_state[play_key] else None)
    def live():
        with live_tick(train=False) as tick:  # nothing to train: an animation, paused after each frame
            if st.session_state[play_key]:
                st.session_state[shown_key] = min(n, st.session_state[shown_key] + 1)
                if st.session_state[shown_key] >= n:
                    st.session_state[play_key] = False
            shown = st.session_state[shown_key]
            if present:
                st.markdown(f"step **{shown} / {n}** · lr {lr:g}, batch {batch} · **{verdict}**")
            left, right = st.columns([1.4, 1])
            left.plotly_chart(surface_figure(data, path, shown, surf_px), key=f"{kp}_surface", width="stretch")
            with right:
                st.plotly_chart(loss_curve(data, path, shown, curve_px), key=f"{kp}_curve", width="stretch")
                if not present:
                    st.metric("step", f"{shown} / {n}")
            tick.pause = bool(st.session_state[play_key])

    with stage.visual:
        live()
