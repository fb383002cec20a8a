"""The talk's headline: four caption decoders on one picture, side by side, live.

Options: ``decoder`` (one of gru, dilated_cnn, glu_cnn, transformer: show only that decoder, five sampled
captions, as on the "Results : …" slides), ``untrained=1`` (start with the epoch-0 toggle on),
``image`` (test picture number), ``mode`` (greedy | sampled | beam).
"""
from __future__ import annotations

import time

import numpy as np
import streamlit as st

from demos.kit import captioning as C
from demos.kit.options import choice, declare, flag, integer

MODES = {"greedy": "Greedy (most likely word)", "sampled": "Sampled (temperature)", "beam": "Beam search"}


# image: clamped to the test set's size in render; mode: greedy, or sampled when one decoder is shown.
OPTIONS = declare(decoder=choice(C.decoder_names, None), untrained=flag(False), image=integer(3, 0),
                  mode=choice(MODES, None))


def _features(key_prefix: str, ts, image: int):
    """(picture RGB, pooled, regions, reference token lists or [], label) from the chosen source."""
    source = st.radio("Picture", ["Test picture", "Upload your own"], horizontal=True, key=f"{key_prefix}_src",
                      help="Test pictures were never seen in training. An upload goes through the same Inception-v3 encoder.")
    if source == "Test picture":
        i = st.slider("Test picture number", 0, len(ts) - 1, min(image, len(ts) - 1), key=f"{key_prefix}_img")
        return C.picture(i), ts.pooled[i], ts.regions[i], ts.refs(i), f"test picture {i}"
    from demos.kit.images import decode_upload, show_notices

    up = st.file_uploader("Your picture", type=None, key=f"{key_prefix}_upload",
                          help="Any photo or drawing; it is squashed to 160×160 like the training pictures. "
                               "The decoders only know the shapes and colours of the built-in scenes.")
    img, err = decode_upload(up)
    if err:
        st.error(err)
        return None
    if img is None:
        st.caption("Nothing uploaded yet: showing test picture 0 meanwhile.")
        return C.picture(0), ts.pooled[0], ts.regions[0], ts.refs(0), "test picture 0"
    show_notices(img)
    from PIL import Image

    rgb = np.asarray(Image.fromarray(img.array).resize((160, 160), Image.LANCZOS))
    with st.spinner("Inception-v3 features…"):
        pooled, regions = C.encoder()(rgb)
    return rgb, pooled, regions, [], img.name


def _caption(model, mode, pooled, regions, temperature, width, seed, n=1):
    from models.captioning import infer

    if mode == "greedy":
        return infer.greedy(model, pooled, regions)
    if mode == "beam":
        return [infer.beam(model, pooled, regions, width=width)]
    return infer.sample(model, pooled, regions, temperature, seed=seed, n=n)


def _attention_strip(model, vocab, ids, rgb, pooled, regions):
    """One small copy of the picture per word, brightened where the transformer looked."""
    import torch

    from models.captioning.vocab import START

    if not ids:
        return
    with torch.inference_mode():
        model(torch.tensor([[START] + list(ids)]), torch.as_tensor(pooled[None], dtype=torch.float32),
              torch.as_tensor(regions[None], dtype=torch.float32))
    att = model.attention()[0].numpy()  # (T+1, 1 + R)
    r = att.shape[1] - 1
    side = int(round(r ** 0.5))
    if side * side != r:
        return
    words = vocab.decode(ids)
    cols = st.columns(min(len(words), 8))
    for k, w in enumerate(words[:16]):
        grid = att[k, 1:].reshape(side, side)
        grid = grid / max(grid.max(), 1e-6)
        mask = np.kron(grid, np.ones((rgb.shape[0] // side + 1, rgb.shape[1] // side + 1)))[: rgb.shape[0], : rgb.shape[1]]
        shown = (rgb * (0.25 + 0.75 * mask[..., None])).astype(np.uint8)
        cols[k % len(cols)].image(shown, caption=f"'{w}' · whole {att[k, 0]:.0%}", width="stretch")


def _cell(label, vocab, caps, refs, ms, ent, untrained, present):
    """One decoder's captions, each with its BLEU scores, and a line of figures."""
    from models.captioning import infer

    m = ent.get("metrics", {})
    st.markdown(f"**{label}**")
    for ids in caps:
        text = C.words(vocab, ids) or "(empty)"
        st.markdown(f"**“{text}”**")
        if refs:
            b = infer.sentence_bleus(refs, vocab.decode(ids))
            st.caption("BLEU-1…4: " + " · ".join(f"{v:.2f}" for v in b))
    if present:  # one short line on the projector; the rest is in the browse view
        st.caption(f"{ms:.0f} ms per caption · test BLEU-4 {m.get('test_bleu4', float('nan')):.3f}"
                   + (" · showing epoch 0" if untrained else ""))
    else:
        st.caption(f"{ms:.0f} ms per caption · {ent.get('params', 0):,} parameters · trained "
                   f"{ent.get('epochs', '?')} epochs in {ent.get('train_seconds', 0) / 60:.1f} min · "
                   f"test-split BLEU-4 {m.get('test_bleu4', float('nan')):.3f}"
                   + (" · showing epoch 0" if untrained else ""))


def render(key_prefix: str = "caption_compare", stage=None, **options: str) -> None:
    """Draw on ``stage`` (``deck/stage.py``): the picture and our decoders' captions in ``stage.visual``,
    "Random picture" (and "Sample again" while sampling) in ``stage.controls``, the picture source, the
    decoding settings, the untrained toggle and the reference captions in ``stage.more``."""
    from deck.stage import default_stage

    stage = stage or default_stage()
    if not C.available():
        stage.visual.info(C.SHIP_HINT)
        return
    from models.captioning import decoders, infer

    o = OPTIONS.parse(options)
    ts = C.test_set()
    only = o.decoder
    for name in ("img", "seed", "src"):  # a button's choice, applied before the widget is drawn
        nxt = st.session_state.pop(f"{key_prefix}_{name}_next", None)
        if nxt is not None:
            st.session_state[f"{key_prefix}_{name}"] = nxt
    with stage.more:
        got = _features(key_prefix, ts, min(o.image, len(ts) - 1))
        mode_default = "sampled" if only else "greedy"
        c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
        mode = c1.radio("Decoding", list(MODES), format_func=MODES.get, horizontal=True, key=f"{key_prefix}_mode",
                        index=list(MODES).index(o.mode or mode_default))
        untrained = c2.toggle("Untrained (epoch 0)", value=o.untrained,
                              key=f"{key_prefix}_untrained",
                              help="The same networks with their random starting weights, before any training: "
                                   "\"uninitialised model is terrible\".")
        c1, c2, c3 = st.columns(3)
        temperature = c1.slider("Temperature", 0.1, 2.0, 0.8, 0.1, key=f"{key_prefix}_temp", disabled=mode != "sampled",
                                help="Below 1: safer, repetitive words. Above 1: more adventurous, more mistakes.")
        width = c2.slider("Beam width", 2, 8, 3, key=f"{key_prefix}_beam", disabled=mode != "beam")
        seed = c3.number_input("Seed", 0, 9999, 0, key=f"{key_prefix}_seed", disabled=mode != "sampled")
    with stage.controls:
        b = st.container(horizontal=True)
        if b.button("Random picture", key=f"{key_prefix}_action", type="primary",
                    help="Another test picture, never seen in training."):
            st.session_state[f"{key_prefix}_img_next"] = int(np.random.default_rng().integers(len(ts)))
            st.session_state[f"{key_prefix}_src_next"] = "Test picture"
            st.rerun()
        if mode == "sampled" and b.button("Sample again", key=f"{key_prefix}_resample",
                                          help="New random draws: the next seed."):
            st.session_state[f"{key_prefix}_seed_next"] = (int(seed) + 1) % 10_000
            st.rerun()
    if got is None:
        return
    rgb, pooled, regions, refs, label = got
    if refs:
        stage.more.markdown("**Reference captions**\n" + "\n".join(f"- {' '.join(r)}" for r in refs))

    present = stage.present
    with stage.visual:
        left, right = st.columns([1, 2.2] if present else [1, 2.4])
    left.image(rgb, caption=f"{label} (what the decoders see, 160×160)", width="stretch")
    with right:
        names = [only] if only else decoders.DECODERS
        if only:
            cells = [st.container(border=True)]
        else:
            r1, r2 = st.columns(2), st.columns(2)
            cells = [c.container(border=True) for c in (*r1, *r2)]
    trans = None
    for name, cell in zip(names, cells):
        model, vocab, ent = C.decoder(name, untrained)
        t0 = time.perf_counter()
        caps = _caption(model, mode, pooled, regions, temperature, width, seed, n=5 if only else 1)
        ms = (time.perf_counter() - t0) * 1000 / len(caps)
        m = ent.get("metrics", {})
        with cell:
            if present and not only:  # the projector: name and caption, then one short line of figures
                text = C.words(vocab, caps[0]) or "(empty)"
                st.markdown(f"**{decoders.LABELS[name]}**{' · epoch 0' if untrained else ''}  \n**“{text}”**")
                b = infer.sentence_bleus(refs, vocab.decode(caps[0]))[3] if refs else None
                st.caption((f"BLEU-4 {b:.2f} " if b is not None else "BLEU-4 ")
                           + f"(test split {m.get('test_bleu4', float('nan')):.3f}) · {ms:.0f} ms")
            else:
                _cell(decoders.LABELS[name], vocab, caps, refs, ms, ent, untrained, present)
        if name == "transformer":
            trans = (model, vocab, caps[0])
    if trans is not None and trans[2]:
        # collapsed on the projector (the captions are the visual); open on a transformer slide in browse
        with stage.visual.expander("Where the transformer looked, word by word", expanded=bool(only) and not present):
            st.caption("Attention of the last layer over the picture's 3×3 Inception regions (bright = attended); "
                       "'whole' is the share given to the pooled whole-picture vector.")
            _attention_strip(trans[0], trans[1], trans[2], rgb, pooled, regions)
