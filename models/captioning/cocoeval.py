"""Caption scores with the coco-caption definitions (the papers' Flickr8k numbers use them).

* ``tokens(text)``: the words of a caption the way coco-caption's PTBTokenizer leaves them -- lower case,
  clitics split off (``dog's`` -> ``dog 's``, ``don't`` -> ``do n't``), hyphenated words kept whole
  (``t-shirt``), punctuation dropped. coco-caption runs Stanford's Java PTBTokenizer; this is a plain-Python
  equivalent for captions (no Java needed), used for both the references and our captions, and for the
  training captions too, so the decoders write exactly the tokens that are scored.
* ``scores(references, hypotheses)``: corpus BLEU-1..4 from pycocoevalcap's own pure-Python BLEU scorer
  (``option="closest"``, as coco-caption's ``Bleu.compute_score``) and CIDEr-D from its CIDEr scorer, on the
  papers' 0-100 scale for BLEU (CIDEr as usual, x100).

    python -m models.captioning.cocoeval REFS.json HYPS.json    # {id: [captions]}, {id: caption}
"""
from __future__ import annotations

import argparse
import json
import re

_TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*(?=n't\b)|n't\b|'(?:s|re|ve|ll|d|m)\b|[a-z0-9]+(?:-[a-z0-9]+)*")


def tokens(text: str) -> list[str]:
    """Lower-cased words of a caption, punctuation removed (see the module docstring)."""
    return _TOKEN.findall(str(text).lower().replace("\u2019", "'"))


def scores(references: list[list[str]], hypotheses: list[str], cider: bool = True) -> dict:
    """``references``: per picture, its reference captions (raw text); ``hypotheses``: one caption per
    picture (raw text or already tokenised joined by spaces). Returns bleu1..bleu4 (0-100) and cider."""
    from pycocoevalcap.bleu.bleu_scorer import BleuScorer

    if len(references) != len(hypotheses):
        raise ValueError(f"{len(references)} reference sets for {len(hypotheses)} captions")
    gts = {i: [" ".join(tokens(r)) for r in refs] for i, refs in enumerate(references)}
    res = {i: [" ".join(tokens(h))] for i, h in enumerate(hypotheses)}
    scorer = BleuScorer(n=4)
    for i in gts:
        scorer += (res[i][0], gts[i])
    bleu, _ = scorer.compute_score(option="closest", verbose=0)
    out = {f"bleu{n + 1}": 100.0 * float(b) for n, b in enumerate(bleu)}
    if cider:
        from pycocoevalcap.cider.cider import Cider

        out["cider"] = 100.0 * float(Cider().compute_score(gts, res)[0])
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="coco-caption BLEU-1..4 and CIDEr of captions against references")
    ap.add_argument("references", help="JSON {id: [reference captions]}")
    ap.add_argument("hypotheses", help="JSON {id: caption}")
    a = ap.parse_args(argv)
    with open(a.references) as f:
        refs = json.load(f)
    with open(a.hypotheses) as f:
        hyps = json.load(f)
    ids = sorted(set(refs) & set(hyps))
    if not ids:
        ap.error("no id is in both files")
    s = scores([refs[i] for i in ids], [hyps[i] for i in ids])
    print(" ".join(f"{k} {v:.2f}" for k, v in s.items()), f"({len(ids)} pictures)")


if __name__ == "__main__":
    main()
