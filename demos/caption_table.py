"""Scores of the decoders trained on Flickr8k, beside the papers' published figures, and how they trained.

Options: ``show`` = table (BLEU-1…4 and CIDEr per decoder and the image-blind baseline on the Flickr8k
test split, and BLEU-4 on coco-mini, as ``python -m models.captioning.photo_ship`` recorded them
in models/artefacts/captioning_photos/manifest.json, with NeuralTalk and Show, Attend and Tell beside
them) or curves (dev-split BLEU-4 against CPU minutes while training).
"""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from demos.kit import captioning as C
from demos.kit.options import choice, declare
from demos.kit.palette import OKABE_ITO

OPTIONS = declare(show=choice(["table", "curves"], "table"))
ROWS = ["gru", "dilated_cnn", "glu_cnn", "transformer", "blind"]
PAPER_GREY = "#8C8C8C"


def _shipped():
    """[(name, manifest entry)] of the decoders recorded so far, in the talk's order."""
    return [(n, e) for n in ROWS if (e := C.photo_manifest_entry(n)) and e.get("metrics")]


def _self_critical_note(ents, labels, curves: bool = False) -> str:
    """A sentence on the decoders fine-tuned on their own captions (photo_scst), or ''."""
    tuned = [(n, e["scst"]) for n, e in ents if e.get("scst")]
    return "".join(
        f" The {labels[n]} then wrote its own captions for {sc['cpu_minutes']:.1f} more CPU-minutes: sampled ones that "
        f"scored well against the references (CIDEr-D) were made more likely (self-critical training)"
        + ("; the dotted line, best dev point shipped." if curves else ".") for n, sc in tuned)


def render(key_prefix: str = "caption_table", stage=None, **options: str) -> None:
    """Draw on ``stage`` (``deck/stage.py``): the score table and the BLEU-4 bars beside the papers' (or the
    training curves) in ``stage.visual``; the explanation in ``stage.more`` on the projector (under the visual
    elsewhere). It has no primary action: the figures are recorded, not computed on the slide."""
    from deck.stage import default_stage

    stage = stage or default_stage()
    o = OPTIONS.parse(options)
    labels = C.photo_labels()
    ents = _shipped()
    notes = stage.more if stage.present else stage.visual
    missing = [labels[n] for n in ROWS if n not in dict(ents)]
    if not ents:
        stage.visual.info("No Flickr8k decoder is shipped yet (models/artefacts/captioning_photos/): "
                          "python -m models.captioning.photo_train makes them.")
        return
    if o.show == "table":
        rows = []
        for n, e in ents:
            m = e["metrics"]
            rows.append({"decoder": labels[n], **{f"BLEU-{k}": m.get(f"test_bleu{k}") for k in (1, 2, 3, 4)},
                         "CIDEr": m.get("test_cider"), "COCO BLEU-4": m.get("coco_mini_bleu4"),
                         "CPU min": e.get("cpu_minutes"), "decoding": e.get("decoding", {}).get("name", "")})
        stage.visual.dataframe(rows, hide_index=True, width="stretch", key=f"{key_prefix}_tbl",
                               column_config={k: st.column_config.NumberColumn(format="%.1f")
                                              for k in ("BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "CIDEr",
                                                        "COCO BLEU-4", "CPU min")})
        xs = [labels[n] for n, _ in ents] + [p for p, _ in C.PAPERS]
        ys = [e["metrics"]["test_bleu4"] for _, e in ents] + [v for _, v in C.PAPERS]
        colours = [OKABE_ITO[k % len(OKABE_ITO)] for k in range(len(ents))] + [PAPER_GREY] * len(C.PAPERS)
        short = [x.replace(" (Karpathy & Fei-Fei 2015)", "<br>2015").replace("Show, Attend and Tell, ", "SAT ")
                 .replace(" (Xu et al. 2015)", "<br>2015") for x in xs]
        fig = go.Figure(go.Bar(x=short, y=ys, marker_color=colours, text=[f"{y:.1f}" for y in ys],
                               textposition="outside", hovertext=xs))
        fig.update_layout(height=stage.height(300, 300), margin=dict(l=10, r=10, t=20, b=10),
                          yaxis_title="Flickr8k test BLEU-4", yaxis_range=[0, max(ys) * 1.25], showlegend=False)
        stage.visual.plotly_chart(fig, width="stretch", key=f"{key_prefix}_bar")
        stage.visual.caption("Like for like: the official Flickr8k test split (1,000 photos, 5 references each), "
                             "BLEU on the papers' 0–100 scale with coco-caption's scorer; grey bars are the papers' "
                             "published figures. COCO BLEU-4: 239 COCO photos never used for training or tuning."
                             + (f" Not shipped yet: {', '.join(missing)}." if missing else ""))
        total = sum(e.get("cpu_minutes") or 0 for _, e in ents)
        notes.caption(f"Each decoder was trained on the 6,000 training photos, its epoch chosen on the 1,000 dev "
                      f"photos, and scored once on the test split: {total:.0f} CPU-minutes of training in all "
                      "(the talk: 50 epochs, ≈ 3.5 h per model on a Titan X, no scores). The image-blind GRU never "
                      "sees the photo: it shows how much the grammar of the captions alone is worth."
                      + _self_critical_note(ents, labels))
    else:
        fig = go.Figure()
        for k, (n, e) in enumerate(ents):
            h = e.get("history", [])
            colour = OKABE_ITO[k % len(OKABE_ITO)]
            fig.add_trace(go.Scatter(x=[r.get("cpu_minutes") for r in h], y=[r.get("dev_bleu4") for r in h],
                                     mode="lines+markers", name=labels[n], line=dict(color=colour)))
            sc = e.get("scst")
            if sc:  # fine-tuned on its own captions after teacher forcing: the curve goes on, dotted
                start = sc["teacher_forced"]["cpu_minutes"]
                fig.add_trace(go.Scatter(x=[start + r["cpu_minutes"] for r in sc["history"]],
                                         y=[r["dev_bleu4"] for r in sc["history"]], mode="lines+markers",
                                         name=f"{labels[n]}, self-critical", line=dict(color=colour, dash="dot")))
        fig.update_layout(height=stage.height(520, 340), margin=dict(l=10, r=10, t=30, b=10),
                          xaxis_title="training CPU-minutes", yaxis_title="dev BLEU-4 (greedy, 0–100)",
                          legend=dict(orientation="h", y=1.15))
        fig.update_xaxes(rangemode="tozero")
        fig.update_yaxes(rangemode="tozero")
        stage.visual.plotly_chart(fig, width="stretch", key=f"{key_prefix}_curves")
        stage.visual.caption("One point per dev check (1,000 Flickr8k dev photos, greedy captions)."
                             + (f" Not shipped yet: {', '.join(missing)}." if missing else ""))
        notes.caption("Teacher forcing, Adam with a warm-up and a cosine decay, a fixed CPU-minute budget per decoder; "
                      "the best dev epoch is the one shipped." + _self_critical_note(ents, labels, curves=True))
