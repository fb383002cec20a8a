"""Step through a simple RNN, a GRU and an LSTM on a typed sequence: hidden state and gates as heat maps.

Slides "Networks on Sequences" ... "Deeper too". Options: ``text`` (default "hello world"), ``cell``
(rnn, gru, lstm), ``hidden`` (units, default 8), ``seed``. The weights are random (seeded PyTorch-style
initialisation): the point is the mechanics, which gate does what at each step.
"""
from __future__ import annotations

import streamlit as st

from demos.kit.options import choice, declare, integer, text

MAX_CHARS = 40
CELL_NAMES = {"rnn": "Simple RNN", "gru": "GRU", "lstm": "LSTM"}
GATE_HELP = {
    "hidden": "h: the state passed to the next step (and the output).",
    "update": "z: 1 = keep the old state, 0 = take the candidate.",
    "reset": "r: how much of the old state the candidate may look at.",
    "candidate": "the proposed new content, in [-1, 1].",
    "input": "i: how much of the candidate to write into the cell.",
    "forget": "f: how much of the old cell to keep.",
    "output": "o: how much of the cell to show as h.",
    "cell": "c: the LSTM's memory cell (unbounded).",
}


def _heatmap(values, labels, title, zrange, colours, step, height=230):
    import numpy as np
    import plotly.graph_objects as go

    T, H = values.shape
    vals = np.round(values.T, 4).tolist()  # (H, T)
    z = [[v if t < step else None for t, v in enumerate(row)] for row in vals]  # steps not yet taken stay blank
    xs = [f"{t + 1}:{'␣' if c == ' ' else c}" for t, c in enumerate(labels)]
    fig = go.Figure(go.Heatmap(z=z, x=xs, y=[f"u{i}" for i in range(H)], zmin=zrange[0], zmax=zrange[1],
                               colorscale=colours, hovertemplate="step %{x}, unit %{y}: %{z:.3f}<extra></extra>",
                               colorbar=dict(thickness=10)))
    fig.update_layout(title=dict(text=title, font=dict(size=14)), height=height, margin=dict(l=10, r=10, t=35, b=10),
                      xaxis=dict(type="category", tickangle=0), yaxis=dict(autorange="reversed"))
    return fig


OPTIONS = declare(text=text("hello world"), cell=choice(CELL_NAMES, "gru"), hidden=integer(8, 2, 32),
                  seed=integer(0, 0, 10_000))


def render(key_prefix: str = "rnn_cells", stage=None, **options: str) -> None:
    """Draw on ``stage`` (``deck/stage.py``): the heat maps and a one-line read-out in ``stage.visual``,
    the step slider in ``stage.controls``, the sequence, cell, units and seed in ``stage.more``."""
    from deck.stage import default_stage
    from models.language.rnn_cells import ALPHABET, init_cell, one_hot_text, run_cell

    stage = stage or default_stage()
    o = OPTIONS.parse(options)
    k = lambda name: f"{key_prefix}_{name}"  # noqa: E731
    st.session_state.setdefault(k("text"), o.text)
    with stage.more:
        c1, c2 = st.columns([3, 2])
        c1.text_input("Sequence", key=k("text"), max_chars=500,
                      help=f"Up to {MAX_CHARS} characters; a-z and space get their own input, anything else shares one.")
        kind = c2.radio("Cell", list(CELL_NAMES), format_func=CELL_NAMES.get, horizontal=True, key=k("cell"),
                        index=list(CELL_NAMES).index(o.cell),
                        help="Same input, three recurrent cells.")
        c3, c4 = st.columns(2)
        H = c3.number_input("Units", 2, 32, o.hidden, key=k("hidden"), help="Hidden units (rows of each heat map).")
        seed_v = c4.number_input("Seed", 0, 10_000, o.seed, key=k("seed"), help="Seed of the random weights.")
        st.caption("The weights are random (seeded): the point is the mechanics, which gate does what at each "
                   "step. " + " ".join(GATE_HELP.values()))

    raw = st.session_state[k("text")]
    if not raw:
        stage.visual.warning("Type a short sequence (a word or two) to step through (More settings).")
        return
    seq = raw[:MAX_CHARS]
    if len(raw) > MAX_CHARS:
        stage.visual.info(f"Only the first {MAX_CHARS} of {len(raw):,} characters are used.")
    other = sorted({ch for ch in seq.lower() if ch not in ALPHABET})
    if other:
        stage.visual.caption("Sharing the 'other' input: " + " ".join(repr(ch) for ch in other[:10]))

    x = one_hot_text(seq)
    w = init_cell(kind, x.shape[1], int(H), seed=int(seed_v))
    states = run_cell(w, x)
    step = stage.controls.slider("Step", 1, len(seq), len(seq), key=k("step"),
                                 help="Show the state after this many characters have been read.")
    ch = seq[step - 1]
    keys = ["hidden"] + [g for g in ("update", "reset", "input", "forget", "output", "candidate", "cell") if g in states]
    rows = (len(keys) + 1) // 2
    # Present mode: every heat map fits the stage's ~640 px beside the slide's text (a short title each;
    # the long explanations are in More settings). Elsewhere: the roomy 230 px maps with long titles.
    height = stage.height(min(480, 590 // rows - 16), 230)
    with stage.visual:
        st.markdown(f"**{CELL_NAMES[kind]}** after step {step}: read `{ch}`  ·  |h| = "
                    f"{float((states['hidden'][step - 1] ** 2).sum() ** 0.5):.3f}")
        cols = st.columns(2 if len(keys) > 1 else 1)
        for i, g in enumerate(keys):
            signed = g in ("hidden", "candidate", "cell")
            if g == "cell":
                m = max(1.0, float(abs(states[g]).max()))
                zr = (-m, m)
            else:
                zr = (-1, 1) if signed else (0, 1)
            letter = GATE_HELP[g].split(":")[0] if ":" in GATE_HELP[g] else ""
            title = (f"{g} ({letter})" if letter else g) if stage.present else f"{g} — {GATE_HELP[g]}"
            fig = _heatmap(states[g], seq, title, zr, "RdBu" if signed else "Cividis", step, height)
            cols[i % len(cols)].plotly_chart(fig, width="stretch", key=k(f"fig_{g}"))
