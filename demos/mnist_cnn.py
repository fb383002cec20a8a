"""The workshop's MNIST CNN trained live: 3 filters 3×3 -> dense 10, feature maps shown as RGB.

Slides "MNIST Example" and "Three filter layers - nice visual interpretation".
Options: ``steps`` (optimiser steps per refresh, default 60).

Fair share: each refresh's steps run in one of the process's training slots (``training_slot``);
"Start" trains for at most ``RUN_SECONDS`` (60 s) per press.
"""
from __future__ import annotations

import time

import streamlit as st

from demos.kit.options import declare, integer

from demos.kit.fair_share import CLICK_WAIT_S, RUN_SECONDS, live_tick, training_slot

OKABE = ["#D55E00", "#009E73", "#0072B2", "#E69F00", "#56B4E9", "#CC79A7"]
CKPT = "models/artefacts/vision/mnist_cnn_3filters.pt"


@st.cache_resource(show_spinner=False)
def _data():
    from models.data.mnist import load_mnist

    return load_mnist()


@st.cache_resource(show_spinner=False)
def _dense_error():
    """Test error of Session I's dense 784→10 SGD checkpoint on the same 1,000 digits (None if absent)."""
    from models.vision import mnist_cnn as mc

    dense = mc.load_dense_baseline()
    d = _data()
    return None if dense is None else mc.test_error(dense, d.x_test, d.y_test)


def _state(kp):
    return st.session_state.get(f"{kp}_run")


def _new_run(kp, seed: int, pretrained: bool):
    import torch

    from models.vision import mnist_cnn as mc
    from models.artefacts import ROOT

    d = _data()
    torch.manual_seed(seed)
    model = mc.load(ROOT / CKPT) if pretrained else mc.new_cnn(seed)
    trainer = mc.Trainer(model, d.x_train, d.y_train, lr=0.005, batch=64, seed=seed)
    err = mc.test_error(model, d.x_test, d.y_test)
    st.session_state[f"{kp}_run"] = {"trainer": trainer, "pretrained": pretrained, "seed": seed,
                                     "curve": [(0.0, err)], "start_err": err}
    st.session_state[f"{kp}_running"] = False


def _filters_fig(model, height: int = 230):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    w = model.conv.weight.detach().numpy()[:, 0]  # (3, 3, 3)
    lim = float(abs(w).max())
    names = ["filter 1 = red", "filter 2 = green", "filter 3 = blue"]
    fig = make_subplots(1, 3, subplot_titles=names, horizontal_spacing=0.05)
    for i in range(3):
        fig.add_trace(go.Heatmap(z=w[i], zmin=-lim, zmax=lim, colorscale="RdBu", showscale=i == 2,
                                 text=[[f"{v:.2f}" for v in r] for r in w[i]], texttemplate="%{text}", textfont=dict(size=13),
                                 hovertemplate="%{z:.3f}<extra></extra>"), 1, i + 1)
        fig.update_yaxes(autorange="reversed", showticklabels=False, row=1, col=i + 1)
        fig.update_xaxes(showticklabels=False, row=1, col=i + 1)
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=30, b=0), title=None)
    return fig


def _maps_fig(model, x, y, pred, height: int = 170):
    import numpy as np
    import plotly.express as px

    from models.vision.mnist_cnn import feature_rgb

    rgb = feature_rgb(model, x)  # (10, 28, 28, 3)
    grey = np.repeat((x * 255).astype(np.uint8)[..., None], 3, -1)
    pad = np.full((10, 28, 2, 3), 255, np.uint8)
    top = np.concatenate([np.concatenate([g, p], 1) for g, p in zip(grey, pad)], 1)
    bottom = np.concatenate([np.concatenate([f, p], 1) for f, p in zip(rgb, pad)], 1)
    img = np.concatenate([top, np.full((2, top.shape[1], 3), 255, np.uint8), bottom], 0)
    fig = px.imshow(img, binary_string=True)
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=10, b=30), dragmode=False)
    fig.update_yaxes(showticklabels=False)
    fig.update_xaxes(tickfont=dict(size=13), tickvals=[14 + 30 * i for i in range(10)],
                     ticktext=[f"{t}→{p}" if t == p else f"{t}→<b>{p}</b> (wrong)" for t, p in zip(y, pred)])
    return fig


OPTIONS = declare(steps=integer(60, 1, 400))


def render(key_prefix: str = "mnist_cnn", stage=None, **options: str) -> None:
    """Error read-out, feature maps, filters and the error curve in ``stage.visual``; Start/Pause, Train 1
    epoch, Step, Reset and Load trained in ``stage.controls``; the seed and the long captions in
    ``stage.more``."""
    from deck.stage import default_stage
    from models.vision import mnist_cnn as mc

    stage = stage or default_stage()
    kp = key_prefix
    per_tick = OPTIONS.parse(options).steps
    if _state(kp) is None:
        _new_run(kp, 0, pretrained=True)  # open on the shipped, trained state: the slide never waits

    def _toggle():
        st.session_state[f"{kp}_running"] = not st.session_state.get(f"{kp}_running")
        st.session_state[f"{kp}_until"] = None  # Start: run until paused (at most RUN_SECONDS)
        st.session_state[f"{kp}_spent"] = 0.0
        st.session_state[f"{kp}_capped"] = False

    def _one_epoch():
        st.session_state[f"{kp}_until"] = _state(kp)["trainer"].steps + mc.BATCHES_PER_EPOCH
        st.session_state[f"{kp}_running"] = True
        st.session_state[f"{kp}_spent"] = 0.0
        st.session_state[f"{kp}_capped"] = False

    def _step():
        t = _state(kp)["trainer"]
        with training_slot(t, wait=CLICK_WAIT_S) as slot:
            if slot:
                t.step(per_tick)
        st.session_state[f"{kp}_note"] = slot.note
        st.session_state[f"{kp}_running"] = False

    def _seed():
        return int(st.session_state.get(f"{kp}_seed", 0))

    c = stage.controls.container(horizontal=True)
    c.button("Pause" if st.session_state.get(f"{kp}_running") else "▶ Start", key=f"{kp}_startpause",
             type="primary", on_click=_toggle,
             help="Train live until paused (at most a minute per press): Adam lr 0.005, batch 64, a few "
                  "steps per refresh.")
    c.button("Train 1 epoch", key=f"{kp}_action", on_click=_one_epoch,
             help="781 batches of 64 (the notebook's epoch), shown live, then stop.")
    c.button("Step", key=f"{kp}_step", on_click=_step, help=f"{per_tick} optimiser steps, then stop.")
    c.button("Reset", key=f"{kp}_reset", on_click=lambda: _new_run(kp, _seed(), pretrained=False),
             help="Random weights from the seed: train from scratch.")
    c.button("Load trained", key=f"{kp}_trained", on_click=lambda: _new_run(kp, _seed(), pretrained=True),
             help="Back to the shipped checkpoint (5 notebook epochs = 3,905 batches of 64).")
    with stage.more:
        st.number_input("Seed", 0, 10_000, 0, key=f"{kp}_seed", help="Same seed, same initial weights and batches.")
        st.caption("The feature maps: top, ten test digits; bottom, the same digits' three feature maps as one RGB "
                   "picture (red, green, blue = filters 1, 2, 3). Labels: true→predicted.")
    running = bool(st.session_state.get(f"{kp}_running"))

    @st.fragment(run_every=0.5 if running else None)
    def live():
        run = _state(kp)
        t = run["trainer"]
        stop, note = False, st.session_state.pop(f"{kp}_note", "")
        training = bool(st.session_state.get(f"{kp}_running"))
        until = st.session_state.get(f"{kp}_until")
        # One of the process's training slots, or skip this tick: many visitors, few cores. The drawing
        # happens inside the slot too; a skipped tick redraws from the figures it kept (``memo``).
        with live_tick(t, train=training) as tick:
            if tick:
                t0 = time.perf_counter()
                t.step(per_tick if until is None else max(0, min(per_tick, until - t.steps)))
                st.session_state[f"{kp}_spent"] = st.session_state.get(f"{kp}_spent", 0.0) + time.perf_counter() - t0
            if training:
                note = tick.note or note
                stop = until is not None and t.steps >= until
                if until is None and st.session_state.get(f"{kp}_spent", 0.0) >= RUN_SECONDS:
                    stop = True  # the per-press cap: other visitors get the CPU back
                    st.session_state[f"{kp}_capped"] = True
                tick.pause = not stop
            _draw(kp, run, t, note, present)
        if stop:  # the epoch (or the time cap) is done: stop the timer (a full rerun re-declares the
            # fragment without it)
            st.session_state[f"{kp}_running"] = False
            st.session_state[f"{kp}_until"] = None
            st.rerun()

    present = stage.present
    with stage.visual:
        live()


def _draw(kp, run, t, note, present=False):
    """One refresh of the live part: metrics, feature maps, filters and the error curve."""
    import numpy as np
    import torch

    from demos.kit.fair_share import memo
    from models.vision import mnist_cnn as mc

    d = _data()
    store = st.session_state.setdefault(f"{kp}_memo", {})
    version = t.steps
    err = memo(store, "err", t, version, lambda: mc.test_error(t.model, d.x_test, d.y_test))
    if t.epoch > run["curve"][-1][0]:
        run["curve"].append((t.epoch, err))
    dense = _dense_error()
    if note:
        st.caption(note)
    if st.session_state.get(f"{kp}_capped") and not st.session_state.get(f"{kp}_running"):
        st.caption(f"Stopped after {RUN_SECONDS:g} s of training (press Start for more).")
    label = "CNN test error" + (" (shipped checkpoint" if run["pretrained"] else " (from scratch") + \
        f", +{t.epoch:.2f} epochs)"
    if present:  # one line instead of three metrics
        line = f"{label}: **{err:.1%}**"
        if dense is not None:
            line += f" · dense 784→10: **{dense:.1%}** · CNN errors vs dense **{err / dense:.0%}**"
        st.markdown(line)
    else:
        m = st.columns(3)
        m[0].metric(label, f"{err:.1%}", delta=None if dense is None else f"{(err - dense) * 100:+.1f} points vs dense",
                    delta_color="inverse", help="On the 1,000 held-out digits of the shared MNIST split. An epoch is "
                                                "the notebook's: 781 batches of 64.")
        if dense is None:
            m[1].metric("Dense 784→10 test error", "–", help="Session I's dense checkpoint is not installed.")
        else:
            m[1].metric("Dense 784→10 test error", f"{dense:.1%}",
                        help="The previous slide's dense net (784→10 softmax, SGD 0.05, 10 epochs): Session I's "
                             "shipped checkpoint, evaluated here on the same 1,000 digits.")
            m[2].metric("CNN errors vs dense", f"{err / dense:.0%}",
                        help="CNN mistakes as a share of the dense net's: lower is better.")

    def maps():
        idx = np.arange(10)
        x, y = d.x_test[idx], d.y_test[idx]
        with torch.no_grad():
            pred = t.model(torch.as_tensor(x)).argmax(1).numpy()
        return _maps_fig(t.model, x, y, pred, 200 if present else 170)

    st.plotly_chart(memo(store, "maps", t, (version, present), maps), key=f"{kp}_maps", config={"displayModeBar": False})
    if present:
        st.caption("top: ten test digits · bottom: their 3 feature maps as RGB · labels: true→predicted")
    else:
        st.caption("Top: ten test digits. Bottom: the same digits' three feature maps as one RGB picture "
                   "(red, green, blue = filters 1, 2, 3). Labels: true→predicted.")
    g1, g2 = st.columns([3, 2])
    g1.plotly_chart(memo(store, "filters", t, (version, present), lambda: _filters_fig(t.model, 250 if present else 230)), key=f"{kp}_filters",
                    config={"displayModeBar": False})
    g2.plotly_chart(memo(store, "curve", t, (version, len(run["curve"]), dense, present), lambda: _curve_fig(run["curve"], dense, 250 if present else 230)),
                    key=f"{kp}_curve", config={"displayModeBar": False})


def _curve_fig(curve, dense, height: int = 230):
    import plotly.graph_objects as go

    ep, err = zip(*curve)
    fig = go.Figure(go.Scatter(x=ep, y=err, mode="lines+markers", name="CNN", line=dict(color=OKABE[2])))
    if dense is not None:
        fig.add_hline(y=dense, line=dict(color=OKABE[0], dash="dash"), annotation_text="dense 784→10",
                      annotation_position="top right")
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=30, b=0), title="test error",
                      xaxis=dict(title="notebook epochs trained here", rangemode="tozero"), yaxis=dict(tickformat=".0%", rangemode="tozero"),
                      showlegend=False)
    return fig
