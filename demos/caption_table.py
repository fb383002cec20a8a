"""Scores of the shipped decoders over the whole test split, and how they trained.

Options: ``show`` = table (BLEU-1…4 per decoder and the image-blind baseline, from the manifest that
``python -m models.captioning.ship`` wrote after decoding every test picture greedily) or curves
(validation BLEU-4 per epoch while training). ``recheck=1`` adds a button that re-decodes the test
split live and recomputes the BLEU scores.
"""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from demos.kit import captioning as C
from demos.kit.options import choice, declare, flag
from demos.kit.palette import OKABE_ITO

OPTIONS = declare(show=choice(["table", "curves"], "table"), recheck=flag(False))


def render(key_prefix: str = "caption_table", stage=None, **options: str) -> None:
    """Draw on ``stage`` (``deck/stage.py``): the score table and its BLEU-4 bars (or the training curves)
    in ``stage.visual``, the re-decode button (``recheck=1``) in ``stage.controls``, the explanation in
    ``stage.more`` on the projector (under the visual elsewhere)."""
    from deck.stage import default_stage

    stage = stage or default_stage()
    if not C.available():
        stage.visual.info(C.SHIP_HINT)
        return
    from models.captioning import decoders
    from models.captioning.shipped import ALL

    ents = [(n, C.manifest_entry(n)) for n in ALL]
    ents = [(n, e) for n, e in ents if e]
    o = OPTIONS.parse(options)
    notes = stage.more if stage.present else stage.visual
    if o.show == "table":
        rows = [{"decoder": decoders.LABELS[n], **{f"BLEU-{k}": e["metrics"][f"test_bleu{k}"] for k in (1, 2, 3, 4)},
                 "parameters": e["params"], "epochs": e["epochs"], "training (min)": round(e["train_seconds"] / 60, 1),
                 "ms / caption": e["ms_per_caption"]} for n, e in ents]
        ts = C.test_set()
        live_key = f"{key_prefix}_live_scores"
        if o.recheck and stage.controls.button("Re-decode the test split now", key=f"{key_prefix}_re",
                                               help="Decode every test picture with every decoder, score again."):
            from models.captioning.infer import evaluate

            with stage.controls, st.spinner("Decoding every test picture with every decoder…"):
                live = {}
                for n, e in ents:
                    model, vocab, _ = C.decoder(n)
                    ev = evaluate(model, vocab, ts.pooled, ts.regions, [ts.refs(i) for i in range(len(ts))])
                    live[decoders.LABELS[n]] = round(ev["bleu4"], 4)
            st.session_state[live_key] = live
        live = st.session_state.get(live_key) if o.recheck else None
        if live:  # the re-decoded scores, a column beside the recorded ones
            rows = [{**r, "BLEU-4 now": live.get(r["decoder"])} for r in rows]
        stage.visual.dataframe(rows, hide_index=True, width="stretch", key=f"{key_prefix}_tbl")
        total = sum(e["train_seconds"] for n, e in ents if n != "blind")
        notes.caption(f"Greedy captions of all {len(ts)} test pictures, corpus BLEU against their 5 references (nltk). "
                      f"The four decoders trained in {total / 60:.1f} min in total on a 2-core CPU (the talk: 50 epochs, "
                      "≈ 3.5 h per model on a Titan X). The image-blind GRU never sees the picture: it shows how much "
                      "the grammar alone is worth.")
        fig = go.Figure(go.Bar(x=[decoders.LABELS[n] for n, _ in ents], y=[e["metrics"]["test_bleu4"] for _, e in ents],
                               marker_color=[OKABE_ITO[k % len(OKABE_ITO)] for k in range(len(ents))],
                               text=[f"{e['metrics']['test_bleu4']:.3f}" for _, e in ents], textposition="outside"))
        fig.update_layout(height=stage.height(330, 280), margin=dict(l=10, r=10, t=30, b=10),
                          yaxis_title="test BLEU-4", yaxis_range=[0, 1])
        stage.visual.plotly_chart(fig, width="stretch", key=f"{key_prefix}_bar")
    else:
        fig = go.Figure()
        for k, (n, e) in enumerate(ents):
            h = e.get("history", [])
            fig.add_trace(go.Scatter(x=[r["train_s"] / 60 for r in h], y=[r["val_bleu4"] for r in h], mode="lines+markers",
                                     name=decoders.LABELS[n], line=dict(color=OKABE_ITO[k % len(OKABE_ITO)])))
        fig.update_layout(height=stage.height(560, 340), margin=dict(l=10, r=10, t=30, b=10),
                          xaxis_title="training minutes (2-core CPU)",
                          yaxis_title="validation BLEU-4 (greedy)", legend=dict(orientation="h", y=1.15))
        stage.visual.plotly_chart(fig, width="stretch", key=f"{key_prefix}_curves")
        notes.caption("One point per epoch (every training caption once, teacher forcing, Adam). Each epoch's "
                      "weights are kept, so training resumes where it stopped.")
