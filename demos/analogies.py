"""Word analogies and nearest neighbours with GloVe 6B 50d (100k most frequent words).

Slides "Word Embeddings", "Embedding Visualisation", "Word Analogies". Options: ``preset`` (king,
rome, dog, ran: the workshop notebook's four examples), or ``a``/``b``/``c`` words, ``word`` for
the neighbours box, ``own`` ("1" opens the train-your-own Shakespeare embedding).
"""
from __future__ import annotations

import time

import streamlit as st

from demos.kit.options import choice, declare, flag, text

# Okabe-Ito colour-blind-safe palette
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
MAX_WORD_CHARS = 40


@st.cache_resource(show_spinner="Loading GloVe vectors (100k words)...")
def _glove():
    from models.data.glove import load_glove
    from models.language.embeddings import analogy

    emb = load_glove()
    analogy(emb, "man", "woman", "king")  # warm-up: the first query pays for page faults, not the talk
    return emb


@st.cache_resource(show_spinner="Loading the Shakespeare embedding...")
def _own():
    from models import artefacts
    from models.language.embeddings import load_embedding

    ents = artefacts.entries("language", "embedding_shakespeare")
    if not ents:
        return None, None
    return load_embedding(artefacts.path_of(ents[0])), ents[0]


def _own_section(key_prefix, qa, qb, qc, w, where, notes, compact=False):
    """The Shakespeare embedding's answer and neighbours in ``where`` (one line each when ``compact``),
    its description in ``notes``."""
    from models.language.embeddings import analogy, nearest

    own, entry = _own()
    if own is None:
        where.info("The Shakespeare embedding is not shipped (python -m models.language.train_embedding).")
        return
    m = entry["metrics"]
    notes.caption(f"Word co-occurrences (±5 words) in 38 Shakespeare plays → PPMI → 50-d SVD, {len(own.words):,} words, "
                  f"built in {entry['train_seconds']:.0f} s. On the {m.get('shared_questions', 0):,} Google analogy "
                  f"questions it can read: **{m.get('analogy_accuracy', 0):.1%}** right vs GloVe "
                  f"**{m.get('glove_analogy_accuracy_same_questions', 0):.1%}** on the same questions.")
    if compact:
        where.markdown(f"**Shakespeare alone** (38 plays, {len(own.words):,} words): analogies "
                       f"**{m.get('analogy_accuracy', 0):.1%}** right vs GloVe "
                       f"**{m.get('glove_analogy_accuracy_same_questions', 0):.1%}**")
        l = r = where
    else:
        l, r = where.columns(2)
    own_msg = lambda msg: msg.replace("100,000 most frequent GloVe words", "Shakespeare embedding's 10,000 words")  # noqa: E731
    msg = _check(own, [qa, qb, qc])
    if msg:
        l.warning(own_msg(msg))
    else:
        ans = analogy(own, qa, qb, qc, k=5)
        l.markdown(f"Shakespeare: **{qa}** : **{qb}** :: **{qc}** : **{ans[0][0]}**"
                   + (" (then " + ", ".join(x for x, _ in ans[1:4]) + ")" if compact else ""))
        if not compact:
            l.dataframe({"answer": [x for x, _ in ans], "cosine": [round(v, 3) for _, v in ans]}, hide_index=True,
                        width="stretch", key=f"{key_prefix}_own_ans")
    msg = _check(own, [w])
    if msg:
        r.warning(own_msg(msg))
    else:
        nn_ = nearest(own, w, k=8)
        if compact:
            r.markdown(f"Shakespeare neighbours of **{w}**: " + ", ".join(x for x, _ in nn_[:6]))
        else:
            r.markdown(f"Shakespeare neighbours of **{w}**")
            r.dataframe({"neighbour": [x for x, _ in nn_], "cosine": [round(v, 3) for _, v in nn_]}, hide_index=True,
                        width="stretch", key=f"{key_prefix}_own_nn")


def _shown(word: str, limit: int = MAX_WORD_CHARS) -> str:
    """A word as it may be echoed in a message: no control or bidi characters, at most ``limit`` long."""
    return "".join(ch for ch in word if ch.isprintable())[:limit]


def _check(emb, words: list[str]) -> str | None:
    """A message for the user if a word is unusable, else None."""
    for w in words:
        if not w:
            return "Please type a word in every box."
        if len(w) > MAX_WORD_CHARS:
            return f"'{_shown(w, 20)}...' is too long to be a word ({len(w)} characters)."
        if " " in w:
            return f"'{_shown(w)}' has a space in it: one word per box, please."
    bad = [w for w in words if w not in emb]
    if bad:
        return ("Not among the 100,000 most frequent GloVe words (lower-case English): "
                + ", ".join(f"'{_shown(w)}'" for w in bad) + ".")
    return None


def _pca_figure(emb, a, b, c, answers, height=420, short=False):
    import numpy as np
    import plotly.graph_objects as go

    from models.language.embeddings import pca_2d

    best = answers[0][0]
    # the runner-up answers give the projection some context
    words = list(dict.fromkeys([a, b, c, best] + [w for w, _ in answers[1:3]]))
    xy = pca_2d(np.stack([emb.vectors[emb.index[w]] for w in words]))
    pos = {w: xy[i] for i, w in enumerate(words)}
    role = {a: 0, b: 1, c: 2, best: 3}
    colours = [OKABE_ITO[role.get(w, 7)] for w in words]
    fig = go.Figure(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers+text", text=words,
                               textposition="top center", marker=dict(size=11, color=colours),
                               hovertemplate="%{text}<extra></extra>"))
    for (s, e), col in (((a, b), OKABE_ITO[1]), ((c, best), OKABE_ITO[3])):
        fig.add_annotation(x=pos[e][0], y=pos[e][1], ax=pos[s][0], ay=pos[s][1], xref="x", yref="y",
                           axref="x", ayref="y", showarrow=True, arrowhead=3, arrowsize=1.4,
                           arrowwidth=2.5, arrowcolor=col)
    fig.update_layout(title=(f"PCA: {a} → {b} ∥ {c} → {best}?" if short else
                             f"PCA of the GloVe vectors: {a} → {b} is parallel to {c} → {best}?"),
                      xaxis_title="principal component 1", yaxis_title="principal component 2",
                      height=height, margin=dict(l=10, r=10, t=50, b=10), showlegend=False)
    return fig


def _presets():
    from models.language.embeddings import PRESETS

    return list(PRESETS)


OPTIONS = declare(preset=choice(_presets, "king"), a=text(""), b=text(""), c=text(""), word=text("frog"),
                  own=flag(False))


def render(key_prefix: str = "analogies", stage=None, **options: str) -> None:
    """Draw on ``stage`` (``deck/stage.py``): the answer, its PCA picture and the neighbours in
    ``stage.visual``, the three words in ``stage.controls``, the notebook's examples, the neighbours
    box and the Shakespeare switch in ``stage.more``."""
    from deck.stage import default_stage
    from models.language.embeddings import PRESETS, analogy, nearest, normalise_word

    stage = stage or default_stage()
    present = stage.present
    o = OPTIONS.parse(options)
    k = lambda name: f"{key_prefix}_{name}"  # noqa: E731
    start = PRESETS[o.preset]
    for name, default in (("a", o.a or start[0]), ("b", o.b or start[1]), ("c", o.c or start[2])):
        st.session_state.setdefault(k(name), default)

    def _set(p):
        st.session_state[k("a")], st.session_state[k("b")], st.session_state[k("c")], _ = PRESETS[p]

    try:
        emb = _glove()
    except (FileNotFoundError, ImportError) as e:
        stage.visual.error(f"GloVe vectors unavailable: {e}")
        return
    with stage.controls:
        # Present mode: the three words in one row without labels (the read-out over the picture says
        # "a is to b as c is to ..."); elsewhere labelled boxes.
        row = st.container(horizontal=True) if present else st.columns(3)
        box = dict(label_visibility="collapsed", width=80) if present else {}
        row = [row] * 3 if present else row
        row[0].text_input("a", key=k("a"), help="'a' is to 'b' ...", max_chars=200, **box)
        row[1].text_input("is to b", key=k("b"), help="... as 'c' is to ?", max_chars=200, **box)
        row[2].text_input("as c is to ?", key=k("c"), help="The demo finds the missing fourth word.",
                          max_chars=200, **box)
    more = stage.more
    more.caption("GloVe 6B 50-d, 100,000 most frequent words (as the 2016 notebook). "
                 "Answer = the word whose vector is closest (cosine) to **b − a + c**.")
    cols = more.columns(2 if present else 4)
    for i, (p, (pa, pb, pc, pd)) in enumerate(PRESETS.items()):
        cols[i % len(cols)].button(f"{pa} : {pb} :: {pc} : ?", key=k(f"preset_{p}"), on_click=_set, args=(p,),
                                   help=f"The notebook's example (expected answer: {pd})", width="stretch")
    st.session_state.setdefault(k("word"), o.word)
    more.text_input("Nearest neighbours of", key=k("word"), max_chars=200,
                    help="Any lower-case English word among the 100k most frequent.")
    own_on = more.toggle("Train your own: an embedding from Shakespeare alone", value=o.own, key=k("own"),
                         help="What the 2016 notebook tried first (its verdict: 'Embedding is Poor').")

    qa, qb, qc = (normalise_word(st.session_state[k(n)]) for n in "abc")
    w = normalise_word(st.session_state[k("word")])
    visual = stage.visual
    # Present mode: answer and table beside the PCA picture, the neighbours as one line, all within the
    # stage; elsewhere the roomier tables.
    left, right = visual.columns([2, 3])
    msg = _check(emb, [qa, qb, qc])
    if msg:
        left.warning(msg)
    else:
        t = time.perf_counter()
        answers = analogy(emb, qa, qb, qc, k=5)
        ms = (time.perf_counter() - t) * 1000
        left.markdown(f"**{qa}** is to **{qb}** as **{qc}** is to **{answers[0][0]}**")
        left.dataframe({"answer": [w for w, _ in answers], "cosine": [round(s, 3) for _, s in answers]},
                       hide_index=True, width="stretch")
        (more if present else left).caption(f"Query time: {ms:.1f} ms over {len(emb.words):,} words.")
        right.plotly_chart(_pca_figure(emb, qa, qb, qc, answers, stage.height(360 if own_on else 440, 420), present),
                           width="stretch", key=k("pca"))

    msg = _check(emb, [w])
    if msg:
        visual.warning(msg)
    else:
        nn_ = nearest(emb, w, k=10)
        if present:
            visual.markdown(f"Neighbours of **{w}**: " + ", ".join(x for x, _ in nn_[:8]))
        else:
            visual.dataframe({"neighbour": [x for x, _ in nn_], "cosine": [round(s, 3) for _, s in nn_]},
                             hide_index=True, width="content")
    if own_on:
        _own_section(key_prefix, qa, qb, qc, w, visual, more if present else visual, compact=present)
