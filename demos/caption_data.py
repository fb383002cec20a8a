"""The built-in captioned-scenes data set: pictures and their five reference captions.

Flickr30k cannot be downloaded here, so the deck generates its own captioning data (see
``models/captioning/scenes.py``). This demo draws any scene of the data set with its captions, and the
vocabulary the decoders use. Option: ``start`` (first scene shown).
"""
from __future__ import annotations

import streamlit as st

from demos.kit.options import declare, integer

COUNT = 12000  # the data set the shipped decoders were trained on (python -m models.captioning.scenes)
OPTIONS = declare(start=integer(0, 0, COUNT - 4))


@st.cache_data(show_spinner=False, max_entries=64)
def _scene(i: int):
    from models.captioning.scenes import make_scene, render

    s = make_scene(i, count=COUNT)
    return render(s), s.captions, s.split


def render(key_prefix: str = "caption_data", **options: str) -> None:
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    start = c1.slider("Scenes", 0, COUNT - 4, OPTIONS.parse(options).start, 4, key=f"{key_prefix}_start",
                      help="12,000 generated pictures: 10,200 train, 900 validation, 900 test (split by picture).")
    more = c2.toggle("Vocabulary", key=f"{key_prefix}_vocab")
    cols = st.columns(4)
    for k, col in enumerate(cols):
        img, caps, split = _scene(start + k)
        with col:
            st.image(img, caption=f"scene {start + k} · {split}", width="stretch")
            st.markdown("\n".join(f"- {c}" for c in caps))
    if more:
        from demos.kit import captioning as C

        if not C.available():
            st.info(C.SHIP_HINT)
            return
        from models.captioning.shipped import load_vocab

        v = load_vocab()
        st.caption(f"{len(v)} entries: 5 action tokens, {v.n_base - 5} stop words and punctuation (the one-hot "
                   f"'base'), then {len(v) - v.n_base} content words, each with its GloVe 50-d vector.")
        st.code(" ".join(v.words), language=None, wrap_lines=True)
