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


def render(key_prefix: str = "caption_data", stage=None, **options: str) -> None:
    """Draw on ``stage`` (``deck/stage.py``): four scenes (three on the projector) with their captions in
    ``stage.visual``, "Next scenes" in ``stage.controls``, the scene slider and the vocabulary in ``stage.more``."""
    from deck.stage import default_stage

    stage = stage or default_stage()
    nxt = st.session_state.pop(f"{key_prefix}_start_next", None)
    if nxt is not None:
        st.session_state[f"{key_prefix}_start"] = nxt
    with stage.more:
        start = st.slider("Scenes", 0, COUNT - 4, OPTIONS.parse(options).start, 4, key=f"{key_prefix}_start",
                          help="12,000 generated pictures: 10,200 train, 900 validation, 900 test (split by picture).")
        more = st.toggle("Vocabulary", key=f"{key_prefix}_vocab")
    if stage.controls.button("Next scenes", key=f"{key_prefix}_next", help="The next four pictures of the data set."):
        st.session_state[f"{key_prefix}_start_next"] = start + 4 if start + 4 <= COUNT - 4 else 0
        st.rerun()
    cols = stage.visual.columns(3 if stage.present else 4)  # the projector: three, large enough to read
    for k, col in enumerate(cols):
        img, caps, split = _scene(start + k)
        with col:
            st.image(img, caption=f"scene {start + k} · {split}", width="stretch")
            if stage.present:  # the projector: compact lines, smaller than the slide's bullets
                st.caption("\n".join(f"- {c}" for c in caps))
            else:
                st.markdown("\n".join(f"- {c}" for c in caps))
    if more:
        from demos.kit import captioning as C

        with stage.more:
            if not C.available():
                st.info(C.SHIP_HINT)
                return
            from models.captioning.shipped import load_vocab

            v = load_vocab()
            st.caption(f"{len(v)} entries: 5 action tokens, {v.n_base - 5} stop words and punctuation (the one-hot "
                       f"'base'), then {len(v) - v.n_base} content words, each with its GloVe 50-d vector.")
            st.code(" ".join(v.words), language=None, wrap_lines=True)
