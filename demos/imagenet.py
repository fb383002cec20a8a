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


def _bar(top, title):
    import plotly.graph_objects as go

    names = [n.split(",")[0] for n, _ in top][::-1]
    probs = [p for _, p in top][::-1]
    fig = go.Figure(go.Bar(x=probs, y=names, orientation="h", marker_color=[OKABE_BLUE] * (len(top) - 1) + [OKABE_ORANGE],
                           text=[f"{p:.1%}" for p in probs], textposition="outside", cliponaxis=False,
                           hovertext=[n for n, _ in top][::-1], hoverinfo="text+x"))
    fig.update_layout(title=title, height=300, margin=dict(l=10, r=10, t=40, b=30),
                      xaxis=dict(range=[0, 1], tickformat=".0%", title="probability"))
    return fig


OPTIONS = declare(sample=text("cat (Chelsea)"))


def render(key_prefix: str = "imagenet", **options: str) -> None:
    from demos.kit.images import image_input
    from models.vision.imagenet import MODEL_NAME, centre_crop, classify

    kp = key_prefix
    st.caption(f"Model: **{MODEL_NAME}** (2019, 4.7 M parameters, published ImageNet top-1 75%), pretrained, "
               "running in this app. The 2016 talk used GoogLeNet (2014) and Inception-v3 (2015) in Theano, "
               "whose 1000-class weights do not install offline.")
    left, right = st.columns([1, 2])
    with left:
        img = image_input(kp, default_sample=OPTIONS.parse(options).sample, max_side=1024)
    if img is None:
        return
    model = _model()
    classify(model, img.array[:64, :64], 1)  # warm-up, so the time below is a steady-state figure
    top, ms = classify(model, img.array, 5)
    with left:
        st.image(centre_crop(img.array), caption="what the network sees: shorter side to 224 px, centre crop 224×224",
                 width=224)
    with right:
        st.plotly_chart(_bar(top, f"top-5: {top[0][0].split(',')[0]} ({top[0][1]:.0%})"), key=f"{kp}_top5",
                        config={"displayModeBar": False})
        st.markdown(f"This forward pass took **{ms:.0f} ms** on this machine's CPU "
                    "(the 2016 notebook warned of ~15 s per image for Inception-v3 on one CPU core).")
        _speed(kp, model)


def _speed(kp, model):
    """'Need for Speed': a proper timing on the CPU, and on the GPU when there is one."""
    from models.device import describe, pick_device
    from models.vision.imagenet import time_per_image

    dev = pick_device()
    c1, c2 = st.columns([1, 2])
    batch = c1.select_slider("Batch size", [1, 8, 32], value=1, key=f"{kp}_batch",
                             help="Images per forward pass; GPUs shine with bigger batches.")
    go = c2.button("Time it: CPU" + (" vs GPU" if dev.type != "cpu" else ""), key=f"{kp}_action", type="primary",
                   help="Median of 5 timed forward passes after a warm-up.")
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
        cols = st.columns(len(rows))
        for col, (name, ms) in zip(cols, rows):
            col.metric(name, f"{ms:.1f} ms / image", help=f"batch of {batch}; {1000 / ms:.0f} images per second")
        if len(rows) == 2:
            st.markdown(f"GPU speed-up: **{rows[0][1] / rows[1][1]:.1f}×** at batch {batch}.")
        else:
            st.caption("No GPU on this machine: only the CPU figure is shown.")
