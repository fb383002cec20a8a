"""Teacher forcing vs test time, step by step, for one real photo and a decoder trained on Flickr8k.

Left: training (teacher forcing): at every step the decoder is fed the *reference* caption's previous
word and asked for the next one. Right: test time: it is fed its *own* previous word, so one early
mistake changes everything after it. The reference is a caption we wrote for each built-in photo (none
of them is in Flickr8k), or any sentence typed in. Options: ``decoder`` (default gru), ``photo``
(astronaut, cat, hopper, coffee, rocket, temple, flower), ``mode`` (forced | free: which side the slide
talks about first), ``untrained=1``.
"""
from __future__ import annotations

import math

import streamlit as st

from demos.kit import captioning as C
from demos.kit.options import choice, declare, flag

PHOTOS = {"astronaut": "astronaut", "cat": "cat (Chelsea)", "hopper": "Grace Hopper", "coffee": "coffee",
          "rocket": "rocket", "temple": "China (temple)", "flower": "flower"}
# Our own reference caption for each built-in photo (what teacher forcing feeds in).
REFERENCE = {
    "astronaut": "a woman in an orange suit smiles in front of a flag",
    "cat (Chelsea)": "a brown cat looks up at the camera",
    "Grace Hopper": "a woman in a uniform poses for a picture",
    "coffee": "a cup of coffee sits on a saucer on a table",
    "rocket": "a rocket stands on a launch pad under a blue sky",
    "China (temple)": "a red temple stands behind some trees",
    "flower": "a pink flower in front of green leaves",
}
MAX_CHARS = 200
OPTIONS = declare(decoder=choice(C.photo_decoder_names, "gru"), photo=choice(PHOTOS, "astronaut"),
                  mode=choice(["forced", "free"], "forced"), untrained=flag(False))


def render(key_prefix: str = "caption_steps", stage=None, **options: str) -> None:
    """Draw on ``stage`` (``deck/stage.py``): the photo, the two step tables and what test time wrote in
    ``stage.visual``; the photo, reference, decoder and untrained settings in ``stage.more`` (this demo
    computes on every change: it has no primary action)."""
    from deck.stage import default_stage

    stage = stage or default_stage()
    o = OPTIONS.parse(options)
    shipped = [d for d in C.photo_decoder_names() if d in C.photos_shipped()]
    labels = C.photo_labels()
    if not shipped:
        stage.visual.info("No decoder trained on Flickr8k is shipped yet (models/artefacts/captioning_photos/): "
                          "python -m models.captioning.photo_train makes them.")
        return
    from models.captioning import infer, photos
    from models.captioning.cocoeval import tokens
    from models.captioning.photo_train import BANNED
    from models.captioning.vocab import STOP, UNK
    from models.data.images import sample

    with stage.more:
        photo = st.selectbox("Photo", list(REFERENCE), index=list(REFERENCE).index(PHOTOS[o.photo]),
                             key=f"{key_prefix}_photo")
        ref_text = st.text_input("Reference caption fed in training", REFERENCE[photo], max_chars=MAX_CHARS,
                                 key=f"{key_prefix}_ref_{photo}", help="Ours, for this photo; type any other.")
        c1, c2 = st.columns(2, vertical_alignment="bottom")
        want = o.decoder if o.decoder in shipped else shipped[0]
        name = c1.selectbox("Decoder", shipped, format_func=labels.get, index=shipped.index(want), key=f"{key_prefix}_dec")
        untrained = c2.toggle("Untrained (epoch 0)", value=o.untrained, key=f"{key_prefix}_untr")
        if o.decoder not in shipped:
            st.caption(C.not_shipped_note(o.decoder) + f" Showing {labels[name]}.")
    rgb = sample(photo)
    vocab = photos.load_vocab()
    words = tokens(ref_text)[:30] or tokens(REFERENCE[photo])
    ref_ids = vocab.encode(words, add_start_stop=False)
    model, _ = C.photo_decoder(name, untrained)
    rows = infer.forced_vs_free(model, *C.photo_features(rgb), ref_ids, banned=BANNED)
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
        stopped = x["free_pred"] == STOP
    if stage.present:  # narrower tables on the projector: the row order is the step
        forced = [{k: v for k, v in row.items() if k != "step"} for row in forced]
        free = [{k: v for k, v in row.items() if k != "step"} for row in free]
    panels = [("forced", "Training: teacher forcing", forced), ("free", "Test time: fed its own words", free)]
    if o.mode == "free":
        panels.reverse()
    right = sum(x["forced_pred"] == x["target"] for x in rows)
    loss = -sum(math.log(max(x["prob_of_target"], 1e-9)) for x in rows) / len(rows)
    wrote = " ".join(vocab.decode(written))
    unknown = sorted({t for t, i in zip(words, ref_ids) if i == UNK})
    with stage.visual:
        top = st.columns([1, 4] if stage.present else [1, 5], vertical_alignment="center")
        top[0].image(rgb, width="stretch")
        top[1].markdown(f"Test time wrote: **“{wrote}”**  \nTeacher forcing: **{right} of {len(rows)}** next "
                        f"words right given the true history · {labels[name]}" + (" · epoch 0" if untrained else ""))
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
            "must live with the words before it."
            + (f" Not in the vocabulary (fed as <unk>): {', '.join(unknown)}." if unknown else ""))
    (stage.more if stage.present else stage.visual).caption(note)
