"""A real ImageNet classifier on the slide: top-5 labels, and how long one image takes here.

Slides "ImageNet Results", "Google ImageNet", "Google Inception v3", "Need for Speed".
Options: ``sample`` (a sample photo name).
"""
from __future__ import annotations

import streamlit as st

from demos.kit.options import declare, text

OKABE_BLUE, OKABE_ORANGE = "#0072B2", "#E69F00"


@st.cache_resource(show_spinner="Loading EfficientNet-Lite0 (18 MB, once per server)…")
def _model():
    from models.device import set_threads
    from models.vision.imagenet import load_classifier

    set_threads("shared_model")
    return load_classifier()


@st.cache_resource(show_spinner=False)
def _gpu_model(device_str: str):
    from models.vision.imagenet import load_classifier

    return load_classifier().to(device_str)


def _bar(top, title, height: int = 300):
    import plotly.graph_objects as go

    names = [n.split(",")[0] for n, _ in top][::-1]
    probs = [p for _, p in top][::-1]
    fig = go.Figure(go.Bar(x=probs, y=names, orientation="h", marker_color=[OKABE_BLUE] * (len(top) - 1) + [OKABE_ORANGE],
                           text=[f"{p:.1%}" for p in probs], textposition="outside", cliponaxis=False, textfont=dict(size=15),
                           hovertext=[n for n, _ in top][::-1], hoverinfo="text+x"))
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=40, b=30),
                      xaxis=dict(range=[0, 1], tickformat=".0%", title="probability"), yaxis=dict(tickfont=dict(size=15)))
    return fig


OPTIONS = declare(sample=text("cat (Chelsea)"))


def render(key_prefix: str = "imagenet", stage=None, **options: str) -> None:
    """The picture the network sees, its top-5 and the timings in ``stage.visual``; "Time it" in
    ``stage.controls``; the model note, the photo picker and the batch size in ``stage.more``."""
    from deck.stage import default_stage
    from demos.kit.images import image_input
    from models.device import describe, pick_device
    from models.vision.imagenet import MODEL_NAME, centre_crop, classify

    stage = stage or default_stage()
    kp = key_prefix
    dev = pick_device()
    go = stage.controls.button("Time it: CPU" + (" vs GPU" if dev.type != "cpu" else ""), key=f"{kp}_action",
                               type="primary", help="Median of 5 timed forward passes after a warm-up.")
    with stage.more:
        st.caption(f"Model: **{MODEL_NAME}** (2019, 4.7 M parameters, published ImageNet top-1 75%), pretrained, "
                   "running in this app. The 2016 talk used GoogLeNet (2014) and Inception-v3 (2015) in Theano, "
                   "whose 1000-class weights do not install offline.")
        img = image_input(kp, default_sample=OPTIONS.parse(options).sample, max_side=1024)
        batch = st.select_slider("Batch size", [1, 8, 32], value=1, key=f"{kp}_batch",
                                 help="Images per forward pass (for Time it); GPUs shine with bigger batches.")
    if img is None:
        stage.visual.caption("No picture to classify: pick or upload one under More settings.")
        return
    model = _model()
    classify(model, img.array[:64, :64], 1)  # warm-up, so the time below is a steady-state figure
    top, ms = classify(model, img.array, 5)
    with stage.visual:
        left, right = st.columns([1, 1.7])
        left.image(centre_crop(img.array), caption="what the network sees: 224×224 centre crop", width="stretch")
        right.plotly_chart(_bar(top, f"top-5: {top[0][0].split(',')[0]} ({top[0][1]:.0%})", stage.height(360, 300)),
                           key=f"{kp}_top5", config={"displayModeBar": False})
        st.markdown(f"This forward pass took **{ms:.0f} ms** on this machine's CPU "
                    "(the 2016 notebook warned of ~15 s per image for Inception-v3 on one CPU core).")
        _speed(kp, model, dev, describe, go, batch, stage.present)


def _speed(kp, model, dev, describe, go, batch, present):
    """'Need for Speed': a proper timing on the CPU, and on the GPU when there is one (when "Time it" was
    pressed), and the last result."""
    from models.vision.imagenet import time_per_image

    if go:
        import torch

        with st.spinner("Timing…"):
            rows = [(f"CPU ({torch.get_num_threads()} threads)", time_per_image(model, torch.device("cpu"), 5, batch))]
            if dev.type != "cpu":
                rows.append((describe(dev), time_per_image(_gpu_model(str(dev)), dev, 5, batch)))
        st.session_state[f"{kp}_timing"] = (batch, rows)
    result = st.session_state.get(f"{kp}_timing")
    if result:
        batch, rows = result
        if present:
            st.markdown(f"batch of {batch}: " + " · ".join(f"{name} **{ms:.1f} ms / image** ({1000 / ms:.0f}/s)"
                                                           for name, ms in rows)
                        + (f" · GPU speed-up **{rows[0][1] / rows[1][1]:.1f}×**" if len(rows) == 2 else
                           " (no GPU on this machine)"))
            return
        cols = st.columns(len(rows))
        for col, (name, ms) in zip(cols, rows):
            col.metric(name, f"{ms:.1f} ms / image", help=f"batch of {batch}; {1000 / ms:.0f} images per second")
        if len(rows) == 2:
            st.markdown(f"GPU speed-up: **{rows[0][1] / rows[1][1]:.1f}×** at batch {batch}.")
        else:
            st.caption("No GPU on this machine: only the CPU figure is shown.")
