"""Deep Dream on Inception-v3: gradient ascent on one layer's activations, the picture updating live.

Slide "Deep Dreams". Options: ``layer`` (e.g. ``mixed_3``), ``steps``, ``sample``.

Fair share: a dream runs in one of the process's training slots (``training_slot``), at most 100 steps
× 4 octaves on a picture of at most 450 px a side.
"""
from __future__ import annotations

import io
import time

import streamlit as st

from demos.kit.options import choice, declare, integer, text

from demos.kit.fair_share import WAITING_NOTE, training_slot

DREAM_WAIT_S = 30.0  # a press of Dream waits this long for a free training slot

READY = "models/artefacts/vision/deepdream_cat_mixed_3.jpg"  # made by the command in the manifest


def _png(arr) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()


def _layers():
    from models.vision.inception import LAYERS

    return [n for n in LAYERS if n.startswith("mixed")]


OPTIONS = declare(layer=choice(_layers, "mixed_3"), steps=integer(20, 1, 100), sample=text("cat (Chelsea)"))


def render(key_prefix: str = "deepdream", stage=None, **options: str) -> None:
    """The input and the dream (updating as it runs) in ``stage.visual``; Dream and Download in
    ``stage.controls``; the picture, layer, steps, octaves, step size and seed in ``stage.more``."""
    from deck.stage import default_stage
    from demos.kit.images import image_input
    from demos.kit.inception import inception
    from models.vision.inception import SLIM_NAMES

    stage = stage or default_stage()
    kp = key_prefix
    o = OPTIONS.parse(options)
    choices = _layers()
    steps0 = o.steps
    buttons = stage.controls.container(horizontal=True)
    go = buttons.button("Dream", type="primary", key=f"{kp}_action", help="Run the gradient ascent now.")
    with stage.more:
        img = image_input(kp, default_sample=o.sample, max_side=450)
        lay = st.selectbox("Layer", choices, index=choices.index(o.layer), key=f"{kp}_layer",
                           format_func=lambda n: f"{n} ({SLIM_NAMES[n]})",
                           help="Early layers amplify strokes and textures; deeper ones, eyes, animal parts, objects.")
        c1, c2 = st.columns(2)
        n_steps = c1.slider("Steps per octave", 1, 100, steps0, key=f"{kp}_steps", help="Gradient-ascent steps.")
        octaves = c2.slider("Octaves", 1, 4, 1, key=f"{kp}_octaves",
                            help="Dream on smaller copies first (each 1.4× smaller), then add the detail back.")
        c3, c4 = st.columns(2)
        step_size = c3.slider("Step size", 0.002, 0.05, 0.015, step=0.001, format="%.3f", key=f"{kp}_step",
                              help="How far each step moves the pixels (image scaled to −1…1).")
        seed = c4.number_input("Seed", 0, 10_000, 0, key=f"{kp}_seed", help="Seeds the random jitter shifts.")
    if img is None:
        stage.visual.caption("No picture to dream on: pick or upload one under More settings.")
        return
    with stage.visual:
        a, b = st.columns([1, 2] if stage.present else [1, 1])  # on the projector the dream is the big one
        a.image(img.array, caption=f"input {img.array.shape[1]}×{img.array.shape[0]}", width="stretch")
        slot = b.empty()
        status = st.empty()
        result = st.session_state.get(f"{kp}_result")
        if go:
            from models.vision.deepdream import dream

            net = inception()
            bar = status.progress(0.0, "dreaming… (first waiting for a free training slot, if others are training)")

            def progress(done, total, frame):
                bar.progress(done / total, f"step {done}/{total} · {time.perf_counter() - t0:.1f} s")
                if frame is not None:
                    slot.image(frame, caption=f"step {done}/{total}", width="stretch")

            with training_slot(wait=DREAM_WAIT_S) as cpu:
                if cpu:
                    t0 = time.perf_counter()
                    out = dream(net, img.array, lay, n_steps, step_size, octaves, seed=int(seed),
                                callback=progress)
                    secs = time.perf_counter() - t0
            status.empty()
            if cpu:
                from models.device import release_memory

                release_memory()
                result = {"image": out, "secs": secs,
                          "desc": f"{lay}, {n_steps} steps × {octaves} octave(s), step "
                                  f"{step_size:.3f}, {img.array.shape[1]}×{img.array.shape[0]}"}
                st.session_state[f"{kp}_result"] = result
            else:
                status.caption(WAITING_NOTE + " Press Dream again in a moment.")
        if result is not None:
            slot.image(result["image"], caption=f"dreamed: {result['desc']} in {result['secs']:.1f} s", width="stretch")
            buttons.download_button("Download PNG", _png(result["image"]), "deepdream.png", "image/png",
                                    key=f"{kp}_download", help="Save the dreamed picture.")
        else:
            from models.artefacts import ROOT

            path = ROOT / READY
            if path.exists():
                slot.image(str(path), caption="ready-made: the cat, mixed_3, 20 steps (press Dream to run it live)",
                           width="stretch")
            else:
                slot.info("Press Dream to run it.")
