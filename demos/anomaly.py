"""Anomaly detection with an autoencoder (784 -> 50 tanh -> 784 sigmoid) on MNIST digits.

Slides "Bonus : Anomaly Detection", "Using an Autoencoder". Draw a digit (streamlit-drawable-canvas) or
upload one to see where its error falls. Options: ``heldout`` (digit class left
out of training for the ROC curve, default 0), ``probe`` (test, shifted, noise, blank, inverted).
"""
from __future__ import annotations

import streamlit as st

from demos.kit.options import choice, declare, integer

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
PROBES = {
    "test": "a test digit (never trained on)",
    "shifted": "the same digit moved 7 pixels right",
    "inverted": "the same digit, black on white",
    "noise": "random noise",
    "blank": "a blank image",
}


@st.cache_resource(show_spinner="Loading the autoencoders...")
def _models():
    import torch

    from models import artefacts
    from models.language.autoencoder import Autoencoder

    out = {}
    for e in artefacts.entries("language", "autoencoder_"):
        m = Autoencoder()
        m.load_state_dict(torch.load(artefacts.path_of(e), map_location="cpu", weights_only=True))
        m.eval()
        out[e["name"]] = (m, e)
    return out


@st.cache_data(show_spinner=False)
def _test_scores(name: str):
    from models.data.mnist import load_mnist
    from models.language.autoencoder import reconstruction_errors

    d = load_mnist()
    err, rec = reconstruction_errors(_models()[name][0], d.x_test)
    return d.x_test, d.y_test, err, rec


def _row(images, upscale=3):
    """Concatenate (n, 28, 28) images with a 2-px gap into one greyscale strip, upscaled."""
    import numpy as np

    n = len(images)
    strip = np.ones((28, n * 30 - 2), np.float32) * 0.35
    for i, im in enumerate(images):
        strip[:, i * 30: i * 30 + 28] = im
    strip = np.kron(strip, np.ones((upscale, upscale), np.float32))
    return (np.clip(strip, 0, 1) * 255).astype("uint8")


def _probe(kind: str, x_test):
    import numpy as np

    base = x_test[0]
    if kind == "shifted":
        return np.roll(base, 7, axis=1)
    if kind == "inverted":
        return 1.0 - base
    if kind == "noise":
        return np.random.default_rng(0).random((28, 28)).astype(np.float32)
    if kind == "blank":
        return np.zeros((28, 28), np.float32)
    return base


def _load_upload(up):
    """(image (28, 28) or None, error message or None, notices) for an uploaded file, decoded by the deck's
    one upload decoder (``demos.kit.images``)."""
    from demos.kit.images import decode_upload

    img, err = decode_upload(up)
    if err:
        return None, f"{err} (A PNG or JPEG of one digit works best.)", []
    from PIL import Image

    from models.language.autoencoder import prepare_upload

    return prepare_upload(Image.fromarray(img.array)), None, img.notices


def _read_upload(up):
    """(image (28, 28) or None, error message or None)."""
    img, msg, _ = _load_upload(up)
    return img, msg


OPTIONS = declare(heldout=integer(0), probe=choice(PROBES, "test"))


def render(key_prefix: str = "anomaly", stage=None, **options: str) -> None:
    """Draw on ``stage`` (``deck/stage.py``): the good / bad / ugly reconstructions, where the probe falls
    and the held-out digit's ROC curve in ``stage.visual``; the probe, drawing pad, upload, held-out digit
    and notes in ``stage.more`` (nothing to press: the demo answers every change)."""
    import numpy as np
    import plotly.graph_objects as go

    from deck.stage import default_stage
    from models.language.autoencoder import reconstruction_errors, roc_curve

    stage = stage or default_stage()
    present = stage.present
    o = OPTIONS.parse(options)
    k = lambda name: f"{key_prefix}_{name}"  # noqa: E731
    models = _models()
    if "autoencoder_all" not in models:
        stage.visual.error("The shipped autoencoder checkpoint is missing (run python -m models.language.train_autoencoder).")
        return
    model, entry = models["autoencoder_all"]
    x, y, err, rec = _test_scores("autoencoder_all")
    order = np.argsort(err)
    mid = len(order) // 2
    more, visual = stage.more, stage.visual
    # Present mode: the digits on the left (6 per group, legible), the probe's histogram and the ROC
    # curve stacked on the right, all within the stage; elsewhere 12 per group and roomier charts.
    n = 6 if present else 12
    (more if present else visual).caption(
        f"Autoencoder 784 → 50 tanh → 784 sigmoid, trained on 4,000 MNIST digits "
        f"(test mean error {entry['metrics']['test_mse']:.4f}). Each pair of rows: {n} test digits, then "
        "what the network rebuilt from its 50 numbers.")
    left, right = visual.columns([1, 1.1]) if present else (visual, visual)
    groups = {"The good (lowest error)": order[:n], "The bad (around the median)": order[mid - n // 2: mid + n // 2],
              "The ugly (highest error)": order[-n:]}
    for title, idx in groups.items():
        left.markdown(f"**{title}** — errors {err[idx].min():.4f} … {err[idx].max():.4f}")
        left.image(_row(x[idx]), clamp=True, width="stretch" if present else "content")
        left.image(_row(rec[idx]), clamp=True, width="stretch" if present else "content")

    if not present:
        visual.markdown("**Where does your digit fall?**")
        c1, c2 = visual.columns([1, 1])
    else:
        c1 = c2 = more
    pkey = o.probe
    choice = c1.radio("Try", list(PROBES), index=list(PROBES).index(pkey), format_func=PROBES.get,
                      key=k("probe"), help="Built-in probes; or draw or upload your own digit.")
    drawn = None
    with c2:
        try:
            from streamlit_drawable_canvas import st_canvas

            st.caption("Draw a digit (white on black), or upload one below")
            canvas = st_canvas(stroke_width=16, stroke_color="#FFFFFF", background_color="#000000", height=196,
                               width=196, drawing_mode="freedraw", key=k("canvas"), return_image_data=True)
            if canvas is not None and canvas.image_data is not None and np.asarray(canvas.image_data)[..., :3].max() > 0:
                drawn = np.asarray(canvas.image_data)[..., :3].astype("uint8")
        except Exception:  # component missing or broken: the upload still works
            st.caption("(drawing pad unavailable here: upload a picture of a digit instead)")
    up = c2.file_uploader("Upload a digit (PNG/JPEG, any size, dark on light or light on dark)",
                          type=None, key=k("upload"), help="One handwritten digit; it is centred and shrunk to 28×28 like MNIST.")
    img, label = _probe(choice, x), PROBES[choice]
    if drawn is not None:
        from PIL import Image

        from models.language.autoencoder import prepare_upload

        img, label = prepare_upload(Image.fromarray(drawn)), "your drawing"
    if up is not None:
        got, msg, notices = _load_upload(up)
        if msg:
            right.warning(msg)
        else:
            for note in notices:
                right.info(note, icon="ℹ️")
            img, label = got, f"your upload '{up.name[:40]}'"
    e_img, r_img = reconstruction_errors(model, img[None])
    pct = float((err < e_img[0]).mean() * 100)
    if present:
        a, b = right.columns([1, 2], vertical_alignment="center")
        a.image(_row(np.stack([img, r_img[0]]), upscale=4), caption="input · rebuilt", clamp=True, width="stretch")
        b.markdown(f"Error **{e_img[0]:.4f}** for {label}: higher than **{pct:.1f}%** of the test digits.")
    else:
        a, b = visual.columns([1, 2])
        a.image(_row(np.stack([img, r_img[0]]), upscale=5), caption="input · reconstruction", clamp=True)
        a.markdown(f"Error **{e_img[0]:.4f}** for {label}: higher than **{pct:.1f}%** of the test digits.")
    hist = go.Figure(go.Histogram(x=err.tolist(), nbinsx=60, marker_color=OKABE_ITO[0], name="test digits"))
    hist.add_vline(x=float(e_img[0]), line=dict(color=OKABE_ITO[3], width=3, dash="dash"),
                   annotation_text="yours", annotation_position="top")
    hist.update_layout(height=stage.height(200, 300), margin=dict(l=10, r=10, t=30, b=10),
                       xaxis_title="reconstruction error (MSE)",
                       yaxis_title="test digits", showlegend=False,
                       xaxis=dict(range=[0, max(float(err.max()), float(e_img[0])) * 1.05]))
    (right if present else b).plotly_chart(hist, width="stretch", key=k("hist"))

    if not present:
        visual.markdown("**A digit class the network never saw as the anomaly**")
    classes = [int(n.rsplit("_", 1)[1]) for n in models if n.startswith("autoencoder_without_")]
    if not classes:
        (right if present else visual).info("No held-out-class checkpoints shipped.")
        return
    want = o.heldout
    c = (more if present else visual).selectbox(
        "Held-out digit", sorted(classes), index=sorted(classes).index(want) if want in classes else 0,
        key=k("heldout"), help="The autoencoder was trained on the other nine digits only.")
    _, yh, errh, _ = _test_scores(f"autoencoder_without_{c}")
    fpr, tpr, auc = roc_curve(errh, yh == c)
    roc = go.Figure()
    roc.add_trace(go.Scatter(x=fpr.tolist(), y=tpr.tolist(), mode="lines", line=dict(color=OKABE_ITO[2], width=3),
                             name=f"digit {c} as anomaly (AUC {auc:.3f})"))
    roc.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(color="#999999", dash="dot"), name="chance"))
    roc.update_layout(height=stage.height(230, 360), margin=dict(l=10, r=10, t=30, b=10),
                      xaxis_title="false positives (normal digits flagged)" if present else
                      "false-positive rate (normal digits flagged)",
                      yaxis_title=f"digit {c} flagged" if present else "true-positive rate (digit %d flagged)" % c,
                      legend=dict(x=0.45, y=0.1), showlegend=not present,
                      title=f"Digit {c} never seen: ROC AUC {auc:.3f}" if present else None)
    per_class = {cc: float(errh[yh == cc].mean()) for cc in range(10)}
    per_class_said = "Mean error per test class: " + ", ".join(f"{cc}: {v:.3f}" for cc, v in per_class.items())
    if present:
        right.plotly_chart(roc, width="stretch", key=k("roc"))
        more.caption(per_class_said)
        return
    r1, r2 = visual.columns([2, 1])
    r1.plotly_chart(roc, width="stretch", key=k("roc"))
    r2.metric("ROC AUC", f"{auc:.3f}", help="1.0 = error alone separates the unseen digit perfectly; 0.5 = chance.")
    r2.caption(per_class_said)
