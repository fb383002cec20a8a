"""Teacher forcing vs test time, step by step, for one test picture.

Left: training (teacher forcing): at every step the decoder is fed the *reference* caption's previous
word and asked for the next one. Right: test time: it is fed its *own* previous word, so one early
mistake changes everything after it. Options: ``decoder`` (default gru), ``image``, ``mode``
(forced | free: which side the slide talks about first), ``untrained=1``.
"""
from __future__ import annotations

import math

import streamlit as st

from demos.kit import captioning as C
from demos.kit.options import choice, declare, flag, integer

# image: clamped to the test set's size in render
OPTIONS = declare(decoder=choice(C.decoder_names, "gru"), image=integer(7, 0), mode=choice(["forced", "free"], "forced"),
                  untrained=flag(False))


def render(key_prefix: str = "caption_steps", stage=None, **options: str) -> None:
    """Draw on ``stage`` (``deck/stage.py``): the picture, the two step tables and what test time wrote in
    ``stage.visual``; the picture, reference, decoder and untrained settings in ``stage.more`` (this demo
    computes on every change: it has no primary action)."""
    from deck.stage import default_stage

    stage = stage or default_stage()
    if not C.available():
        stage.visual.info(C.SHIP_HINT)
        return
    from models.captioning import decoders, infer

    o = OPTIONS.parse(options)
    ts = C.test_set()
    with stage.more:
        i = st.slider("Test picture number", 0, len(ts) - 1, min(o.image, len(ts) - 1), key=f"{key_prefix}_img")
        refs = ts.captions[i]
        r = st.selectbox("Reference caption fed in training", range(len(refs)), format_func=lambda k: refs[k],
                         key=f"{key_prefix}_ref")
        c1, c2 = st.columns(2, vertical_alignment="bottom")
        name = c1.selectbox("Decoder", decoders.DECODERS, format_func=decoders.LABELS.get,
                            index=decoders.DECODERS.index(o.decoder),
                            key=f"{key_prefix}_dec")
        untrained = c2.toggle("Untrained (epoch 0)", value=o.untrained, key=f"{key_prefix}_untr")
    model, vocab, _ = C.decoder(name, untrained)
    ref_ids = vocab.encode(ts.refs(i)[r], add_start_stop=False)
    rows = infer.forced_vs_free(model, ts.pooled[i], ts.regions[i], ref_ids)
    w = lambda k: vocab.words[k] if 0 <= k < len(vocab) else "?"  # noqa: E731
    forced = [{"step": x["step"], "fed (true word)": w(x["forced_input"]), "predicts": w(x["forced_pred"]),
               "p": round(x["forced_prob"], 2), "should be": w(x["target"]),
               "✓": "✓" if x["forced_pred"] == x["target"] else "✗"} for x in rows]
    free, written, stopped = [], [], False
    for x in rows:
        if stopped:
            break
        written.append(x["free_pred"])
        free.append({"step": x["step"], "fed (its own word)": w(x["free_input"]), "predicts": w(x["free_pred"]),
                     "p": round(x["free_prob"], 2)})
        stopped = x["free_pred"] == 3  # STOP
    if stage.present:  # narrower tables on the projector: the row order is the step
        forced = [{k: v for k, v in row.items() if k != "step"} for row in forced]
        free = [{k: v for k, v in row.items() if k != "step"} for row in free]
    panels = [("forced", "Training: teacher forcing", forced), ("free", "Test time: fed its own words", free)]
    if o.mode == "free":
        panels.reverse()
    right = sum(x["forced_pred"] == x["target"] for x in rows)
    loss = -sum(math.log(max(x["prob_of_target"], 1e-9)) for x in rows) / len(rows)
    wrote = " ".join(w(k) for k in written if k not in (0, 3))
    with stage.visual:
        top = st.columns([1, 4] if stage.present else [1, 5], vertical_alignment="center")
        top[0].image(C.picture(i), width="stretch", caption=f"test picture {i}")
        top[1].markdown(f"Test time wrote: **“{wrote}”**  \nTeacher forcing: **{right} of {len(rows)}** next "
                        f"words right given the true history · {decoders.LABELS[name]}"
                        + (" · epoch 0" if untrained else ""))
        cols = st.columns(2 if stage.present else [1.2, 1])
        for col, (kind, title, table) in zip(cols, panels):
            with col:
                st.markdown(f"**{title}**")
                # on the projector the table scrolls past 10 rows
                tall = min(380, 35 * (len(table) + 1) + 3) if stage.present else "auto"
                st.dataframe(table, hide_index=True, width="stretch", key=f"{key_prefix}_{kind}", height=tall)
    note = (f"Teacher forcing: {right} of {len(rows)} next words right given the true history "
            f"(the training loss on this caption: {loss:.2f} nats per word). Test time wrote: “{wrote}”. "
            "In training every step sees the correct history, all steps at once; at test time each step "
            "must live with the words before it.")
    (stage.more if stage.present else stage.visual).caption(note)
