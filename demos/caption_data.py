"""The words the decoders trained on Flickr8k can write: the shipped vocabulary, and any sentence checked against it.

The talk's rules for a learnable vocabulary (each word in at least 5 different training images and in
GloVe's 100k; stop words first) applied to Flickr8k's training captions give the vocabulary shipped in
models/artefacts/captioning_photos/vocab.json. Type a caption: the words the decoders could write are
shown plainly, the others struck through (a decoder can never say them). Option: ``text`` (the sentence
shown first; underscores stand for spaces, as slide options cannot hold one).
"""
from __future__ import annotations

import streamlit as st

from demos.kit.options import declare, text

DEFAULT = "a brown dog plays with a garden hose on the lawn ."
OPTIONS = declare(text=text(DEFAULT))
MAX_CHARS = 300


def _vocab():
    from models.captioning import photos

    return photos.load_vocab()


def render(key_prefix: str = "caption_data", stage=None, **options: str) -> None:
    """Draw on ``stage`` (``deck/stage.py``): the typed caption word by word (known / unknown) and the
    vocabulary's make-up in ``stage.visual``; the text box in ``stage.controls``; the whole word list in
    ``stage.more``."""
    from deck.stage import default_stage

    stage = stage or default_stage()
    o = OPTIONS.parse(options)
    try:
        v = _vocab()
    except (OSError, ValueError) as err:
        stage.visual.info(f"The Flickr8k vocabulary is not shipped here (models/artefacts/captioning_photos/vocab.json): {err}")
        return
    from models.captioning.cocoeval import tokens

    sentence = stage.controls.text_input("A caption to check", o.text.replace("_", " ")[:MAX_CHARS], max_chars=MAX_CHARS,
                                         key=f"{key_prefix}_text",
                                         help="Any sentence: each word is looked up in the decoders' vocabulary.")
    words = tokens(sentence or "")[:60]
    known = [w for w in words if w in v]
    content = len(v) - v.n_base
    with stage.visual:
        if words:
            shown = " ".join(f"**{w}**" if w in v else f"~~{w}~~" for w in words).replace("$", "\\$")
            st.markdown(f"<div style='font-size:1.5rem;line-height:1.5'>\n\n{shown}\n\n</div>", unsafe_allow_html=True)
            st.caption(f"{len(known)} of {len(words)} words can be written by the decoders; a struck-through word is "
                       "not in the vocabulary: they can never say it.")
        else:
            st.caption("Type a caption to see which of its words the decoders can write.")
        c1, c2, c3 = st.columns(3)
        c1.markdown(f"**{len(v):,}** entries")
        c2.markdown(f"**{v.n_base - 5}** stop words & punctuation first")
        c3.markdown(f"**{content:,}** content words")
        st.caption("Content words, most common first in training (kept: in ≥ 5 different training photos and in "
                   "GloVe's 100,000 most frequent words):")
        st.markdown(" · ".join(v.words[v.n_base:v.n_base + 80]))
    with stage.more:
        st.caption("The whole vocabulary, in row order: 5 action tokens, the stop words (the one-hot 'base'), then "
                   "the content words (each starts from its GloVe 50-d vector).")
        st.code(" ".join(v.words), language=None, wrap_lines=True)
