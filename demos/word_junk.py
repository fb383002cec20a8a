"""Words vs junk: score any string with a GRU discriminator; compare word generators.

Slides "RNN Discrimination", "RNN Discriminator & more". Options: ``words`` (comma-separated strings
to score; default: the notebook's list), ``seed``, ``temperature``.
"""
from __future__ import annotations

import re

import streamlit as st

from demos.kit.options import declare, integer, number, text

NOTEBOOK_WORDS = "opposite, aposite, apposite, xposite, rrwqsite, deposit, idilic, idyllic"
MAX_INPUT = 2000
MAX_ITEMS = 40
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


@st.cache_resource(show_spinner="Loading the dictionary and the word models...")
def _assets():
    import torch

    from models import artefacts
    from models.device import set_threads
    from models.language.wordjunk import (Discriminator, NGram, WordGenerator, load_dictionary,
                                          split_dictionary)

    set_threads("single")
    words = load_dictionary()
    train, _ = split_dictionary(words)
    ngrams = {name: NGram(n, train) for n, name in ((1, "unigram"), (2, "bigram"), (3, "trigram"))}
    ents = {e["name"]: e for e in artefacts.entries("language", "wordjunk_")}
    disc, gen = Discriminator(), WordGenerator()
    disc.load_state_dict(torch.load(artefacts.path_of(ents["wordjunk_discriminator"]), weights_only=True))
    gen.load_state_dict(torch.load(artefacts.path_of(ents["wordjunk_generator"]), weights_only=True))
    return set(words), ngrams, disc.eval(), gen.eval(), ents


def _parse(raw: str) -> tuple[list[str], str | None]:
    """Split on commas/whitespace; report what was changed or dropped."""
    if not raw.strip():
        return [], "Type some strings to score, separated by commas."
    note = None
    if len(raw) > MAX_INPUT:
        raw, note = raw[:MAX_INPUT], f"Only the first {MAX_INPUT} characters are scored."
    items = [t for t in re.split(r"[,\s]+", raw) if t]
    if len(items) > MAX_ITEMS:
        items, note = items[:MAX_ITEMS], f"Only the first {MAX_ITEMS} strings are scored."
    cleaned = []
    for t in items:
        c = "".join(ch for ch in t.lower() if "a" <= ch <= "z")[:15]
        if c != t.lower():
            note = "The model reads only the letters a-z (15 at most); other characters were dropped."
        if c:
            cleaned.append(c)
    if not cleaned:
        return [], "None of that is letters a-z: nothing to score."
    return cleaned, note


OPTIONS = declare(words=text(NOTEBOOK_WORDS), seed=integer(0, 0, 1_000_000), temperature=number(1.0, 0.3, 1.5))


def render(key_prefix: str = "word_junk", stage=None, **options: str) -> None:
    """Draw on ``stage`` (``deck/stage.py``): the discriminator's scores and the generators' real-word
    rates (with a few samples) in ``stage.visual``, the strings to score in ``stage.controls``, the seed,
    temperature, score table and notes in ``stage.more``."""
    import numpy as np
    import plotly.graph_objects as go

    from deck.stage import default_stage
    from models.language.wordjunk import real_word_rate

    stage = stage or default_stage()
    present = stage.present
    o = OPTIONS.parse(options)
    k = lambda name: f"{key_prefix}_{name}"  # noqa: E731
    try:
        dictionary, ngrams, disc, gen, ents = _assets()
    except FileNotFoundError as e:
        stage.visual.error(f"Word list missing: {e}")
        return
    except KeyError:
        stage.visual.error("Shipped word models missing (run python -m models.language.train_wordjunk).")
        return
    dm, gm = ents["wordjunk_discriminator"]["metrics"], ents["wordjunk_generator"]["metrics"]
    more = stage.more
    more.caption(f"Dictionary: {len(dictionary):,} words (Debian wamerican, a-z, 3-15 letters). Discriminator: "
                 f"one-hot letters → GRU → P(word), trained on real words vs bigram junk; "
                 f"{dm['heldout_accuracy_vs_bigram_junk']:.1%} right on held-out words and fresh junk.")

    st.session_state.setdefault(k("words"), o.words)
    stage.controls.text_input("Strings to score (comma-separated)", key=k("words"), max_chars=5000,
                              help="Any strings; the discriminator says how word-like each looks.")
    c1, c2 = more.columns(2)
    sd = c1.number_input("Seed", 0, 1_000_000, o.seed, key=k("seed"), help="New seed = new samples.")
    temp = c2.slider("GRU temperature", 0.3, 1.5, o.temperature, 0.1, key=k("temp"),
                     help="Lower = safer, more common-looking words; higher = wilder.")
    visual = stage.visual
    # Present mode: scores | rates side by side, a few samples per generator as lines; elsewhere stacked.
    left, right = visual.columns(2) if present else (visual, visual)
    items, note = _parse(st.session_state[k("words")])
    if note:
        (left.warning if not items else left.info)(note)
    if items:
        p = disc.score(items)
        tri = ngrams["trigram"]
        fig = go.Figure(go.Bar(x=[float(v) for v in p], y=items, orientation="h",
                               marker_color=[OKABE_ITO[2] if w in dictionary else OKABE_ITO[3] for w in items],
                               text=[f"{v:.0%}" for v in p], textposition="auto",
                               hovertemplate="%{y}: P(word) %{x:.3f}<extra></extra>"))
        fig.update_layout(height=min(560, 70 + 34 * len(items)) if present else 60 + 28 * len(items),
                          margin=dict(l=10, r=10, t=30, b=10),
                          xaxis=dict(range=[0, 1], title="P(word) from the GRU discriminator"),
                          yaxis=dict(autorange="reversed"),
                          title=dict(text="green = in the dictionary, vermilion = not", font=dict(size=13)))
        left.plotly_chart(fig, width="stretch", key=k("scores"))
        (more if present else visual).dataframe(
            {"string": items, "in dictionary": [w in dictionary for w in items],
             "P(word)": [round(float(v), 3) for v in p],
             "trigram log-prob / char": [round(tri.logprob_per_char(w), 2) for w in items]},
            hide_index=True, width="stretch")

    right.markdown("**Making up words**: % of generated strings that are real dictionary words")
    rng = np.random.default_rng(int(sd))
    n = 500
    rows = {name: [m.generate(rng) for _ in range(n)] for name, m in ngrams.items()}
    rows["GRU generator"] = gen.generate(n, temperature=float(temp), seed=int(sd))
    rates = {name: real_word_rate(s, dictionary) for name, s in rows.items()}
    bar = go.Figure(go.Bar(x=list(rates), y=[100 * r for r in rates.values()], marker_color=OKABE_ITO[:4],
                           text=[f"{100 * r:.1f}%" for r in rates.values()], textposition="outside"))
    bar.update_layout(height=stage.height(280, 320), margin=dict(l=10, r=10, t=30, b=10),
                      yaxis_title=f"% real words ({n} samples, live)",
                      yaxis=dict(range=[0, max(10, 115 * max(rates.values()))]))
    right.plotly_chart(bar, width="stretch", key=k("rates"))
    (more if present else visual).caption(
        f"Shipped evaluation (10,000 samples each, seed 123): unigram {gm['unigram_real_word_rate']:.1%}, "
        f"bigram {gm['bigram_real_word_rate']:.1%}, trigram {gm['trigram_real_word_rate']:.1%}, "
        f"GRU {gm['real_word_rate']:.1%} (of which {gm['heldout_word_rate']:.1%} are real words it never "
        "saw in training).")
    if present:
        right.markdown("  \n".join(f"**{name}**: " + ", ".join(f"**{s}** ✓" if s in dictionary else s
                                                                 for s in [s for s in samples if s][:5])
                                     for name, samples in rows.items()))
        return
    cols = visual.columns(4)
    for col, (name, samples) in zip(cols, rows.items()):
        shown = [s for s in samples if s][:12]
        col.markdown(f"**{name}**  \n" + "  \n".join(f"**{s}** ✓" if s in dictionary else s for s in shown))
