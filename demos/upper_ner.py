"""Learning proper nouns from lower-case vectors: spaCy on mixed / lower / UPPER case vs our BiGRU.

Slides "Learning Named Entity Recognition", "RNN Tagger Network". Options: ``sentence`` (default: the
notebook's first example), ``preset`` (0, 1, 2: the notebook's three sentences).
"""
from __future__ import annotations

import streamlit as st

from demos.kit.options import declare, integer, text

NOTEBOOK_SENTENCES = [
    "Dr. Andrews works at Red Cat Labs.",
    "Let's see what part of speech analysis on this sample text looks like.",
    "When are you off to New York, Chaitanya?",
]
MAX_CHARS = 400
MAX_TOKENS = 60
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


@st.cache_resource(show_spinner="Loading spaCy and the BiGRU tagger...")
def _assets():
    from models import artefacts
    from models.device import set_threads
    from models.language.tagger import load_spacy, load_tagger

    set_threads("single")
    ents = artefacts.entries("language", "tagger_bigru")
    if not ents:
        return None, None
    load_spacy()
    return load_tagger(artefacts.path_of(ents[0])), ents[0]


def _metrics_table(m):
    rows = []
    for who, label in (("spacy", "spaCy tagger"), ("rnn", "our BiGRU (lower-case GloVe)")):
        for case in ("mixed", "lower", "UPPER"):
            rows.append({"tagger": label, "text case": case,
                         "precision": m[f"{who}_{case}_precision"], "recall": m[f"{who}_{case}_recall"],
                         "F1": m[f"{who}_{case}_f1"]})
    return rows


# preset: which of the notebook's three sentences starts the box (counted round); sentence: your own instead.
OPTIONS = declare(sentence=text(""), preset=integer(0))


def _token_table_md(words, columns) -> str:
    """The tags as a Markdown table turned sideways (a column per token): it fits the projector's width."""
    esc = lambda t: t.replace("|", "\\|").replace("`", "'")  # noqa: E731
    lines = ["| | " + " | ".join(f"**{esc(w)}**" for w in words) + " |", "|---" * (len(words) + 1) + "|"]
    lines += [f"| {name} | " + " | ".join(esc(t) for t in tags) + " |" for name, tags in columns.items()]
    return "\n".join(lines)


def render(key_prefix: str = "upper_ner", stage=None, **options: str) -> None:
    """Draw on ``stage`` (``deck/stage.py``): the tags of the sentence by every tagger, the agreement and
    the F1 scores in ``stage.visual``, the sentence in ``stage.controls``, the notebook's sentences and the
    score tables in ``stage.more`` (present mode; elsewhere the tables stay under the chart)."""
    import plotly.graph_objects as go

    from deck.stage import default_stage
    from models.language.tagger import nnp_labels, predict, tag_tokens, tokenize

    stage = stage or default_stage()
    present = stage.present
    o = OPTIONS.parse(options)
    k = lambda name: f"{key_prefix}_{name}"  # noqa: E731
    model, entry = _assets()
    if model is None:
        stage.visual.error("The tagger checkpoint is not shipped (python -m models.language.train_tagger).")
        return
    start = NOTEBOOK_SENTENCES[o.preset % 3]
    st.session_state.setdefault(k("sentence"), o.sentence or start)

    def _set(s):
        st.session_state[k("sentence")] = s

    stage.controls.text_input("Sentence", key=k("sentence"), max_chars=2000,
                              help="Any English sentence; it is tagged as typed, in UPPER CASE and in lower case.")
    more = stage.more
    cols = more.columns(1 if present else 3)
    for i, s in enumerate(NOTEBOOK_SENTENCES):
        cols[i % len(cols)].button(s, key=k(f"preset_{i}"), on_click=_set, args=(s,), width="stretch",
                                   help="One of the notebook's three test sentences.")
    visual = stage.visual
    raw = st.session_state[k("sentence")]
    if not raw.strip():
        visual.warning("Type a sentence to tag.")
    else:
        text = raw[:MAX_CHARS]
        if len(raw) > MAX_CHARS:
            visual.info(f"Only the first {MAX_CHARS} of {len(raw):,} characters are tagged.")
        words, spaces = tokenize(text)
        words, spaces = words[:MAX_TOKENS], spaces[:MAX_TOKENS]
        tags = {case: tag_tokens([f(w) for w in words], spaces)
                for case, f in (("mixed", lambda w: w), ("UPPER", str.upper), ("lower", str.lower))}
        rnn = predict(model, [words])[0]
        mark = lambda t: f"{t}  ◆" if t == "NNP" else t  # noqa: E731
        columns = {"spaCy · as typed": [mark(t) for t in tags["mixed"]],
                   "spaCy · UPPER": [mark(t) for t in tags["UPPER"]],
                   "spaCy · lower": [mark(t) for t in tags["lower"]],
                   "BiGRU · any case": ["NNP  ◆" if r else "·" for r in rnn]}
        agree = {c: sum(a == b for a, b in zip(nnp_labels(tags[c]), nnp_labels(tags["mixed"]))) for c in ("UPPER", "lower")}
        rnn_agree = sum(a == b for a, b in zip(rnn, nnp_labels(tags["mixed"])))
        said = (f"Agreement with spaCy-as-typed on this sentence: spaCy UPPER {agree['UPPER']}/{len(words)}, "
                f"spaCy lower {agree['lower']}/{len(words)}, BiGRU {rnn_agree}/{len(words)}.")
        if present and len(words) <= 12:  # sideways: a column per token
            visual.markdown(_token_table_md(words, {n.replace(" · ", " ") : v for n, v in columns.items()}))
            visual.markdown("◆ = proper noun. " + said.replace("Agreement with spaCy-as-typed on this sentence",
                                                                 "Agree with spaCy as typed"))
        else:
            visual.dataframe({"token": words, **columns}, hide_index=True, width="stretch",
                             height=min(36 + 35 * len(words), 300) if present else "auto")
            visual.caption(f"◆ = proper noun (NNP). {said} "
                           "The BiGRU reads only lower-cased GloVe vectors, so its answer is the same in every case.")

    m = entry["metrics"]
    notes = more if present else visual
    heldout_note = (f"**Held-out scores** ({m['heldout_sentences']:,} Shakespeare sentences). The truth here is spaCy's "
                    "own NNP tags on the mixed-case text, so spaCy on mixed case scores 1.0 *by construction*; only its "
                    "UPPER and lower case scores, and ours, are measurements.")
    notes.markdown(heldout_note)
    rows = _metrics_table(m)
    fig = go.Figure()
    for i, who in enumerate(("spaCy tagger", "our BiGRU (lower-case GloVe)")):
        sel = [r for r in rows if r["tagger"] == who]
        fig.add_trace(go.Bar(x=[r["text case"] for r in sel], y=[r["F1"] for r in sel], name=who,
                             marker_color=OKABE_ITO[i * 2], text=[f"{r['F1']:.2f}" for r in sel], textposition="outside"))
    fig.update_layout(barmode="group", height=stage.height(250, 300), yaxis=dict(range=[0, 1.1], title="F1 for NNP tokens"),
                      margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.15))
    if present:
        left, right = visual.columns([3, 2])
        left.plotly_chart(fig, width="stretch", key=k("f1"))
        right.markdown("**Held-out F1** (truth: spaCy's own tags on mixed case, so its 1.0 is by construction)")
        hand = _handchecked_line()
        if hand:
            right.markdown(hand)
        more.dataframe(rows, hide_index=True, width="stretch")
    else:
        left, right = visual.columns([3, 2])
        left.dataframe(rows, hide_index=True, width="stretch")
        right.plotly_chart(fig, width="stretch", key=k("f1"))
    _handchecked_scores(notes)


def _handchecked_line() -> str | None:
    """One line of F1 against hand labels (recorded), or None when not recorded."""
    from models import artefacts

    e = artefacts.entry("language", "tagger_handchecked")
    if not e:
        return None
    m = e["metrics"]
    return (f"**Hand labels** ({m['sentences']} sentences): spaCy mixed **{m['spacy_mixed_f1']:.2f}**, "
            f"UPPER **{m['spacy_UPPER_f1']:.2f}**, lower **{m['spacy_lower_f1']:.2f}** · "
            f"BiGRU **{m['rnn_f1']:.2f}**")


def _handchecked_rows(m: dict) -> list[dict]:
    rows = [{"tagger": "spaCy tagger", "text case": case, "precision": m[f"spacy_{case}_precision"],
             "recall": m[f"spacy_{case}_recall"], "F1": m[f"spacy_{case}_f1"]} for case in ("mixed", "UPPER", "lower")]
    rows.append({"tagger": "our BiGRU (lower-case GloVe)", "text case": "any (case-blind)",
                 "precision": m["rnn_precision"], "recall": m["rnn_recall"], "F1": m["rnn_f1"]})
    return rows


def _handchecked_scores(where=None) -> None:
    """Both taggers against labels spaCy did not make (recorded by ``python -m models.language.tagger --score``),
    in ``where`` (the current container by default)."""
    from models import artefacts

    where = where or st.container()

    e = artefacts.entry("language", "tagger_handchecked")
    if not e:
        return
    m = e["metrics"]
    where.markdown(f"**Against hand labels** ({m['sentences']} sentences, {m['proper_nouns']} proper nouns, labelled by "
                "hand for this deck, not by spaCy; half Shakespearean, half modern)")
    where.dataframe(_handchecked_rows(m), hide_index=True, width="stretch")
    where.caption(f"Recorded by `{e['command']}`; the sentences are in `{e['path']}`.")
