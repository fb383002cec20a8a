"""MNIST dense network: the workshop's 784 -> 10 softmax, its exercises, and your own digit.

Slide directive: ``::: demo mnist_dense`` (options: ``hidden`` 1/0, ``adam`` 1/0, ``draw`` 1/0 to show the
drawing pad).

Shows the shipped checkpoint at once (trained by ``python -m models.basics.mnist_dense``); "Train live"
retrains the chosen variant from scratch on the slide.
"""
from __future__ import annotations

import time
from pathlib import Path

from demos.kit.options import declare, flag
from demos.kit.palette import DIVERGING, OKABE_ITO
from demos.kit.fair_share import live_tick, memo

ART = Path(__file__).resolve().parents[1] / "models" / "artefacts" / "basics"
SLIDE_CLAIM = "around 8-9% error"


def _checkpoint(variant: str):
    import streamlit as st

    @st.cache_resource(show_spinner=False)
    def load(variant: str):
        from models.basics.mnist_dense import load

        return load(str(ART / f"mnist_{variant}.pt"))

    return load(variant)


def _data():
    import streamlit as st

    @st.cache_resource(show_spinner=False)
    def load():
        import torch

        from models.data.mnist import load_mnist

        d = load_mnist()
        return d, torch.from_numpy(d.x_test), torch.from_numpy(d.y_test)

    return load()


def weights_figure(w, hidden: bool, height: int = 350):
    """Ten 28×28 weight images in a 2×5 grid (blue positive, orange negative)."""
    import numpy as np
    from plotly.subplots import make_subplots

    from demos.kit.palette import heatmap

    titles = [f"digit {i}" if not hidden else f"hidden unit {i + 1}" for i in range(10)]
    fig = make_subplots(rows=2, cols=5, subplot_titles=titles, horizontal_spacing=0.02, vertical_spacing=0.1)
    lim = float(np.abs(w).max()) or 1.0
    for i in range(10):
        fig.add_trace(heatmap(w[i][::-1], list(range(28)), list(range(28)), -lim, lim, DIVERGING, showscale=False,
                              name=titles[i]), row=i // 5 + 1, col=i % 5 + 1)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False, scaleanchor="x")
    fig.update_layout(height=height, margin=dict(l=5, r=5, t=55, b=5),
                      title="learned weights: blue pushes towards the class, orange against")
    return fig


def confusion_figure(m, height: int = 360):
    import plotly.graph_objects as go

    fig = go.Figure(go.Heatmap(z=m, x=list(range(10)), y=list(range(10)), colorscale="Viridis", text=m,
                               texttemplate="%{text}", hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), title="confusion matrix (held-out digits)",
                      xaxis=dict(title="predicted", dtick=1), yaxis=dict(title="true", dtick=1, autorange="reversed"))
    return fig


def proba_figure(p, height: int = 240):
    import plotly.graph_objects as go

    best = int(p.argmax())
    fig = go.Figure(go.Bar(x=list(range(10)), y=p, marker_color=[OKABE_ITO[5] if i == best else OKABE_ITO[4]
                                                                 for i in range(10)]))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), title=f"prediction: {best} ({p[best]:.0%})",
                      xaxis=dict(dtick=1, title="digit"), yaxis=dict(range=[0, 1], title="probability"))
    return fig


def _history_table(history):
    import pandas as pd

    df = pd.DataFrame(history)
    if df.empty:
        return df
    return df.rename(columns={"train_loss": "train loss", "val_loss": "held-out loss", "ratio": "train/held-out",
                              "train_acc": "train acc", "val_acc": "held-out acc"}).set_index("epoch")


def _digit_input(kp: str, draw_default: bool):
    """Returns an image array from the drawing pad or an upload (or None), showing errors on the slide."""
    import numpy as np
    import streamlit as st

    img = None
    canvas = None
    if draw_default:
        try:
            from streamlit_drawable_canvas import st_canvas

            canvas = st_canvas(stroke_width=16, stroke_color="#FFFFFF", background_color="#000000", height=196,
                               width=196, drawing_mode="freedraw", key=f"{kp}_canvas", return_image_data=True)
        except Exception:  # component missing or broken: the upload still works
            st.caption("(drawing pad unavailable here: upload a picture of a digit instead)")
    if canvas is not None and canvas.image_data is not None and np.asarray(canvas.image_data)[..., :3].max() > 0:
        img = np.asarray(canvas.image_data)
    up = st.file_uploader("…or upload a picture of one digit", key=f"{kp}_upload",
                          help="A photo or scan of a single handwritten digit, any size; dark on light or light on dark.")
    if up is not None:
        # the shared checks: empty, not an image, truncated and bombs refused; huge photos downscaled
        from demos.kit.images import decode_upload, show_notices

        loaded, err = decode_upload(up)
        if err:
            st.error(f"Cannot read that picture: {err}")
        else:
            show_notices(loaded)
            img = loaded.array
    return img


OPTIONS = declare(hidden=flag(False), adam=flag(False), draw=flag(True))


def render(key_prefix: str = "mnist_dense", stage=None, **options: str) -> None:
    """The weights, the held-out error, the confusion matrix and your digit's prediction in ``stage.visual``;
    Train live / Use shipped in ``stage.controls``; the variant toggles, the per-epoch table, the variants'
    table (present mode) and the drawing pad / upload in ``stage.more``."""
    import numpy as np
    import streamlit as st

    from deck.stage import default_stage
    from models.basics.mnist_dense import VARIANTS, DenseTrainer, class_weight_images, confusion, evaluate
    from models.basics.mnist_dense import preprocess_digit

    stage = stage or default_stage()
    present = stage.present
    kp = key_prefix
    o = OPTIONS.parse(options)
    d, xte, yte = _data()
    with stage.more:
        top = st.columns(2)
        hidden = top[0].toggle("hidden layer (100 ReLU)", o.hidden, key=f"{kp}_hidden",
                               help="Exercise 2 of the notebook: 784 → 100 ReLU → 10, 15 epochs.")
        adam = top[1].toggle("Adam instead of SGD", o.adam, key=f"{kp}_adam",
                             help="Exercise 3: Adam, lr 0.001, instead of SGD lr 0.05.")
        variant = f"{'hidden100' if hidden else 'dense'}_{'adam' if adam else 'sgd'}"
        cfg = VARIANTS[variant]
        st.caption(f"**{cfg.name()}**, batch {cfg.batch}, {cfg.epochs} epochs of {cfg.batches_per_epoch} random "
                   f"batches. Data: {len(d.y_train):,} real MNIST training digits, {len(d.y_test):,} held out "
                   f"(the offline subset; the 2016 notebook had 50,000 / 10,000).")
        more_tables = st.container()
        st.markdown("**your digit**", help="Draw with the mouse, or upload a photo; it is centred and scaled "
                                           "to 20×20 inside 28×28, as MNIST digits were.")
        img = _digit_input(kp, o.draw)
        x_digit = None
        if img is not None:
            try:
                x_digit = preprocess_digit(img)
            except ValueError as e:
                st.warning(str(e))

    live_key = f"{kp}_live_{variant}"
    trainer = st.session_state.get(live_key)
    b = stage.controls.container(horizontal=True)
    if b.button("Train live", key=f"{kp}_action", type="primary",
                help="Retrain this variant from scratch, right here (about 5–30 s on a laptop CPU)."):
        trainer = st.session_state[live_key] = DenseTrainer(cfg, d)
    if trainer is not None and b.button("Use shipped", key=f"{kp}_shipped", help="Back to the shipped checkpoint."):
        del st.session_state[live_key]
        trainer = None
    weights_px = stage.height(290, 350)

    @st.fragment(run_every=0.4 if trainer is not None and not trainer.done else None)
    def results():
        tr = st.session_state.get(live_key)
        training = tr is not None and not tr.done
        # One of the process's training slots, or skip this tick: many visitors, few cores. The drawing
        # happens inside the slot too; a skipped tick redraws from what it kept (``memo``).
        with live_tick(tr, train=training) as tick:
            if tick:
                t0 = time.perf_counter()
                while time.perf_counter() - t0 < 0.3 and not tr.done:
                    tr.train_batches(100)
            draw(tr, tick.note)

    def draw(tr, note: str):
        store = st.session_state.setdefault(f"{kp}_memo", {})
        progress = ""
        if tr is not None:
            model, history = tr.model, tr.history
            total = tr.cfg.epochs * tr.cfg.batches_per_epoch
            progress = (f"live: batch {tr.batches:,} / {total:,}, epoch {tr.epoch}, {tr.seconds:.1f} s"
                        + (" — done" if tr.done else ""))
            if not present:
                st.progress(tr.batches / total, text=progress)
            source = "trained live on this slide"
            owner, version = tr, tr.batches
        else:
            model, _, history = _checkpoint(variant)
            source = "shipped checkpoint"
            owner, version = model, 0
        loss, acc = memo(store, "eval", owner, version, lambda: evaluate(model, xte, yte))
        weights = memo(store, "weights", owner, (version, hidden, weights_px),
                       lambda: weights_figure(class_weight_images(model), hidden, weights_px))
        if present:
            st.markdown(f"held-out error **{1 - acc:.1%}** ({progress or source}) · the 2016 slide said "
                        f"**{SLIDE_CLAIM.split(' error')[0].replace('around ', '≈ ')}**")
            if note:
                st.caption(note)
            st.plotly_chart(weights, key=f"{kp}_weights", width="stretch")
        else:
            if note:
                st.caption(note)
            c1, c2 = st.columns([1, 1.3])
            with c1:
                m = st.columns(2)
                m[0].metric(f"held-out error ({source})", f"{1 - acc:.1%}")
                m[1].metric("the 2016 slide said", SLIDE_CLAIM.split(" error")[0].replace("around ", "≈ "))
                st.caption("Per epoch, as the notebook printed it:")
                st.dataframe(_history_table(history), height=250, width="stretch")
            c2.plotly_chart(weights, key=f"{kp}_weights", width="stretch")
        st.session_state[f"{kp}_model"] = model
        st.session_state[f"{kp}_error"] = 1 - acc
        st.session_state[f"{kp}_history"] = history

    with stage.visual:
        results()
    model = st.session_state[f"{kp}_model"]

    def variants_table():
        st.markdown("**the notebook's exercises** (shipped)" if present else
                    "**the notebook and its exercises** (shipped checkpoints, same held-out digits)")
        rows = []
        for name, vc in VARIANTS.items():
            mdl, _, _ = _checkpoint(name)
            rows.append({"model": vc.name(), "epochs": vc.epochs,
                         "error" if present else "held-out error": f"{1 - evaluate(mdl, xte, yte)[1]:.1%}"})
        st.dataframe(rows, hide_index=True, width="stretch")

    if present:
        with more_tables:
            st.caption("Per epoch, as the notebook printed it:")
            st.dataframe(_history_table(st.session_state[f"{kp}_history"]), height=200, width="stretch")
    p = None
    if x_digit is not None:
        import torch

        with torch.no_grad():
            p = torch.softmax(model(torch.from_numpy(x_digit)[None]), 1)[0].numpy()
        st.session_state[f"{kp}_proba_value"] = p
    with stage.visual:
        c3, c4 = st.columns([1, 1]) if present else st.columns([1.2, 1])
        c3.plotly_chart(confusion_figure(confusion(model, xte, yte), stage.height(270, 360)), key=f"{kp}_confusion",
                        width="stretch")
        with c4:
            if not present:
                variants_table()
            if p is not None and present:  # one level of columns in the visual: the 28×28 under More settings
                st.plotly_chart(proba_figure(p, 270), key=f"{kp}_proba", width="stretch")
                more_tables.image((x_digit * 255).astype(np.uint8), caption="what the net sees (28×28)", width=84)
            elif p is not None:
                cc = st.columns([1, 2.5])
                cc[0].image((x_digit * 255).astype(np.uint8), caption="what the net sees (28×28)", width=84)
                cc[1].plotly_chart(proba_figure(p, stage.height(250, 240)), key=f"{kp}_proba", width="stretch")
            elif present:
                variants_table()
                st.caption("Draw a digit under More settings to see its prediction here.")
