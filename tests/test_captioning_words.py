"""Captioning words: the vocabulary (models/captioning/vocab.py), the four word representations
(models/captioning/wordreps.py) and their slide demo (demos/word_reps.py)."""
from __future__ import annotations

import itertools
import pathlib

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from models.captioning import wordreps as W
from models.captioning.vocab import (ACTION, EXTRA, PAD, START, STOP, STOP_WORDS, UNK, Vocab, build_vocab,
                                     glove_rows, tokenize)

torch.set_num_threads(1)
ROOT = pathlib.Path(__file__).resolve().parents[1]

CAPTIONS = [
    "A red circle above a small blue square.",
    "A small blue square below a big red circle.",
    "The green triangle is left of the red circle.",
    "A big green triangle, a red circle and a blue square.",
    "The dog's ball isn't red.",
]


# ---------------------------------------------------------------------------------------------
# vocab.py


def test_tokenize():
    assert tokenize("A red circle, left.") == ["a", "red", "circle", ",", "left", "."]
    assert tokenize("Don't take the dog's (ball)!") == ["do", "n't", "take", "the", "dog", "'s", "(", "ball", ")", "!"]
    assert tokenize("  ") == [] and tokenize("") == []
    assert tokenize("Café NAÏVE\u200b2x") == ["café", "naïve", "2x"]  # zero-width space is not a letter
    assert tokenize("#1 $5 & 50%") == ["#", "1", "$", "5", "&", "50", "%"]


def test_stop_words_include_punctuation():
    assert set("-.,:;'\"&$%()!?#") <= STOP_WORDS
    assert {"a", "the", "of", "above", "below", "is"} <= STOP_WORDS
    assert not {"red", "circle", "dog"} & STOP_WORDS


def test_action_tokens():
    assert ACTION == ["<pad>", "<unk>", "<start>", "<stop>", "<extra>"]
    assert (PAD, UNK, START, STOP, EXTRA) == (0, 1, 2, 3, 4)


def _small_vocab(min_count=2, glove_words=None):
    return build_vocab([tokenize(c) for c in CAPTIONS], min_count=min_count, glove_words=glove_words)


def test_vocab_order_and_min_count():
    v = _small_vocab(min_count=2)
    assert v.words[:5] == ACTION
    base = v.words[5 : v.n_base]
    rest = v.words[v.n_base :]
    assert base and all(w in STOP_WORDS for w in base)
    assert not any(w in STOP_WORDS for w in rest)
    # stop words are kept whenever they occur: "n't", "'s" and "and" occur once each
    assert {"n't", "'s", "and"} <= set(base)
    # frequency order inside each block; ties keep first-seen order
    counts = {w: sum(tokenize(c).count(w) for c in CAPTIONS) for w in v.words[5:]}
    for block in (base, rest):
        assert [counts[w] for w in block] == sorted((counts[w] for w in block), reverse=True)
    assert base[0] == "a" and rest[:2] == ["red", "circle"]
    # min_count: "triangle" occurs twice (kept), "dog" once (dropped -> <unk>)
    assert "triangle" in v and "dog" not in v and "ball" not in v
    assert "dog" in _small_vocab(min_count=1)
    assert len(_small_vocab(min_count=100)) == v.n_base


def test_vocab_glove_filter():
    v = build_vocab([["a", "zzqxv", "zzqxv", "zzqxv", "red", "red", "red"]], min_count=1, glove_words={"red", "a"})
    assert "zzqxv" not in v and "red" in v
    assert v.encode(["zzqxv"], add_start_stop=False) == [UNK]


def test_encode_decode_round_trip():
    v = _small_vocab()
    toks = tokenize("A red circle above the dog.")
    ids = v.encode(toks)
    assert ids[0] == START and ids[-1] == STOP and len(ids) == len(toks) + 2
    assert ids[toks.index("dog") + 1] == UNK
    assert v.decode(ids) == ["a", "red", "circle", "above", "the", "<unk>", "."]
    assert v.encode(toks, add_start_stop=False) == ids[1:-1]
    # padding, and truncation that keeps STOP last
    padded = v.encode(toks, length=12)
    assert len(padded) == 12 and padded[: len(ids)] == ids and set(padded[len(ids) :]) == {PAD}
    cut = v.encode(toks, length=4)
    assert len(cut) == 4 and cut[0] == START and cut[-1] == STOP and cut[1:3] == ids[1:3]
    assert v.decode(cut) == ["a", "red"]
    # decode stops at STOP, drops PAD/START, reads out-of-range ids as <unk>
    assert v.decode([START, v.index["red"], PAD, STOP, v.index["circle"]]) == ["red"]
    assert v.decode([len(v) + 5]) == ["<unk>"]


def test_vocab_json_round_trip(tmp_path):
    v = _small_vocab()
    v.to_json(tmp_path / "v.json")
    w = Vocab.from_json(tmp_path / "v.json")
    assert w == v and w.n_base == v.n_base and w.index == v.index
    with pytest.raises(ValueError):
        Vocab(["a", "b"])


def test_glove_rows_with_a_mapping():
    v = _small_vocab()
    fake = {w: np.full(50, i + 1.0) for i, w in enumerate(v.words[5:-1])}  # last word unknown to "GloVe"
    m = glove_rows(v, fake)
    assert m.shape == (len(v), 50) and m.dtype == np.float32
    assert not m[PAD].any()
    for i in range(1, 5):
        assert m[i, i] == 1.0 and m[i].sum() == 1.0
    assert (m[5] == 1.0).all() and not m[-1].any()


# ---------------------------------------------------------------------------------------------
# wordreps.py, on a real GloVe vocabulary


@pytest.fixture(scope="module")
def glove():
    from models.data.glove import load_glove

    return load_glove()


@pytest.fixture(scope="module")
def setup(glove):
    v = build_vocab([tokenize(c) for c in CAPTIONS], min_count=1, glove_words=glove.index)
    return v, glove_rows(v, glove)


def test_glove_rows_real(setup, glove):
    v, m = setup
    np.testing.assert_allclose(m[v.index["red"]], glove.vectors[glove.index["red"]])
    assert not m[PAD].any() and m[EXTRA, EXTRA] == 1.0


@pytest.mark.parametrize("name", list(W.REPRESENTATIONS))
def test_round_trip_every_word(setup, name):
    v, m = setup
    rep = W.make(name, v, m)
    assert rep.name == name
    ids = list(range(len(v)))
    rows = rep.encode(ids)
    assert rows.shape == (len(v), rep.width) and rows.dtype == np.float32
    assert rep.decode(rows) == ids
    assert rep.decode(rows[7]) == [7]  # a single row


def test_widths(setup):
    v, m = setup
    reps = {n: W.make(n, v, m) for n in W.REPRESENTATIONS}
    ecc = reps["base+ecc"]
    assert reps["glove"].width == 50
    assert reps["onehot"].width == len(v)
    assert reps["base+embedding"].width == v.n_base + 50
    assert ecc.bits == int(np.ceil(np.log2(len(v)))) and ecc.copies == 3
    assert ecc.width == v.n_base + 3 * ecc.bits
    with pytest.raises(KeyError):
        W.make("nope", v, m)


def test_base_codes_use_extra(setup):
    v, m = setup
    red = v.index["red"]
    for name in ("base+embedding", "base+ecc"):
        row = W.make(name, v, m).encode([red, v.index["a"]])
        assert row[0, EXTRA] == 1 and row[0, : v.n_base].sum() == 1
        assert row[1, v.index["a"]] == 1 and row[1, EXTRA] == 0


def test_decode_predictions_not_just_codes(setup):
    v, m = setup
    red, blue = v.index["red"], v.index["blue"]
    # a noisy GloVe vector still decodes to the nearest word
    g = W.make("glove", v, m)
    assert g.decode(m[red] + 0.05 * np.random.default_rng(0).normal(size=50)) == [red]
    # ECC decodes logits too (threshold 0)
    e = W.make("base+ecc", v, m)
    assert e.decode(e.encode([blue]) * 7.0) == [blue]
    assert W.make("onehot", v, m).decode(np.eye(len(v))[[red, blue]] * 3 - 1) == [red, blue]


# --- ECC -------------------------------------------------------------------------------------


def test_ecc_corrects_every_single_flip(setup):
    v, m = setup
    e = W.make("base+ecc", v, m)
    n = e.copies * e.bits
    for wid in range(len(v)):
        row = e.encode([wid])[0]
        for p in range(n):
            assert e.decode(W.flip_bits(row, [p], offset=v.n_base)) == [wid]
            assert e.decode_bits(W.flip_bits(row[v.n_base :], [p])) == [wid]


def test_ecc_corrects_one_flip_per_position_not_two(setup):
    v, m = setup
    e = W.make("base+ecc", v, m)
    wid = len(v) - 1
    bits = e.bits_block([wid])[0]
    # one flip in every bit position, each in some copy: all repaired
    rng = np.random.default_rng(0)
    for _ in range(30):
        spread = [c * e.bits + b for b, c in enumerate(rng.integers(0, e.copies, size=e.bits))]
        assert e.decode_bits(W.flip_bits(bits, spread)) == [wid]
    # the same bit in two copies: not repaired
    broken = W.flip_bits(bits, [0, e.bits])
    assert e.decode_bits(broken) != [wid]
    r = W.ecc_report(e, wid)
    assert r["single_flips_corrected"] == r["single_flips"] == 3 * e.bits
    assert r["max_flips_corrected"] == e.bits and r["uncorrectable_is_wrong"]
    assert W.ecc_report(e, UNK)["uncorrectable_is_wrong"]


def test_ecc_out_of_range_index_reads_unk(setup):
    v, m = setup
    e = W.make("base+ecc", v, m)
    assert len(v) < 2 ** e.bits
    assert e.bits_to_ids(np.ones(e.bits, int)).tolist() == [UNK]
    row = np.zeros(e.width, np.float32)
    row[EXTRA] = 1
    row[v.n_base :] = 0.5  # all ones
    assert e.decode(row) == [UNK]


def test_flip_bits_checks_range():
    with pytest.raises(IndexError):
        W.flip_bits(np.zeros(6), [6])
    np.testing.assert_array_equal(W.flip_bits(np.array([0.5, -0.5, 0.5]), [1, 2]), [0.5, 0.5, -0.5])


# --- losses -----------------------------------------------------------------------------------


def _perfect(rep, ids):
    """A confident, correct prediction for ``ids``: logits +-20 for the codes, the vector itself for GloVe."""
    rows = torch.tensor(rep.encode(np.asarray(ids).reshape(-1)))
    if rep.name == "glove":
        out = rows
    elif rep.name == "base+embedding":
        out = torch.cat([rows[:, : rep.vocab.n_base] * 40 - 20, rows[:, rep.vocab.n_base :]], dim=-1)
    elif rep.name == "base+ecc":
        out = torch.cat([rows[:, : rep.vocab.n_base] * 40 - 20, rows[:, rep.vocab.n_base :] * 40], dim=-1)
    else:
        out = rows * 40 - 20
    return out.reshape(*np.asarray(ids).shape, rep.width)


@pytest.mark.parametrize("name", list(W.REPRESENTATIONS))
def test_loss_scalar_grad_and_perfect(setup, name):
    v, m = setup
    rep = W.make(name, v, m)
    ids = torch.tensor([[START, v.index["red"], v.index["a"], STOP, PAD], [START, v.index["blue"], STOP, PAD, PAD]])
    pred = torch.randn(2, 5, rep.width, requires_grad=True)
    loss = rep.loss(pred, ids)
    assert loss.dim() == 0 and torch.isfinite(loss) and loss.item() > 0
    loss.backward()
    assert pred.grad is not None and pred.grad.abs().sum() > 0
    assert not pred.grad[ids == PAD].any()  # padding positions get no gradient
    assert rep.loss(_perfect(rep, ids.numpy()), ids).item() < 1e-4
    with pytest.raises(ValueError):
        rep.loss(torch.zeros(2, 4, rep.width), ids)


def test_loss_all_padding_is_zero(setup):
    v, m = setup
    rep = W.make("onehot", v, m)
    pred = torch.randn(3, rep.width, requires_grad=True)
    loss = rep.loss(pred, torch.zeros(3, dtype=torch.long))
    assert loss.item() == 0.0
    loss.backward()


def _buggy_ecc_loss(rep):
    """The 2017 notebook's mistake, re-created: ``[:base_width]`` slices the batch axis, so the
    softmax runs over every feature (bits included) of the first ``base_width`` rows, and the bit
    loss over the rows after them (none, when the batch is smaller than the base block)."""
    import torch.nn.functional as F

    def loss(pred, target):
        nb = rep.vocab.n_base
        true = torch.tensor(rep.encode(target.numpy()))
        true[:, nb:] += 0.5                                             # bits as 0 / 1
        ce = -(true[:nb] * F.log_softmax(pred[:nb], dim=-1)).sum(-1).mean()   # BUG: pred[:nb]
        bits, bits_true = pred[nb:], true[nb:]                                # BUG: pred[nb:]
        mse = ((torch.sigmoid(bits) - bits_true) ** 2).mean() if len(bits) else torch.tensor(0.0)
        return ce + mse
    return loss


def _ecc_loss_is_right(rep, loss_fn) -> bool:
    """What the test below demands of an ECC loss, as a predicate (so it can be run on the bug too)."""
    v = rep.vocab
    ids = torch.tensor([v.index["red"], v.index["circle"], v.index["blue"]])   # batch 3 != any width
    assert len(ids) not in (rep.width, v.n_base)
    perfect = _perfect(rep, ids.numpy())
    one_bit_wrong = perfect.clone()
    one_bit_wrong[1, v.n_base + 2] *= -1                     # one wrong bit in one word
    base_wrong = perfect.clone()
    base_wrong[2, : v.n_base] = perfect[2, : v.n_base].roll(1)  # wrong base token for one word
    l_ok, l_bit, l_base = (float(loss_fn(p, ids)) for p in (perfect, one_bit_wrong, base_wrong))
    expected_bit = 1.0 / (len(ids) * rep.copies * rep.bits)  # mean over positions of mean over bits of 1.0
    return l_ok < 1e-4 and abs(l_bit - expected_bit) < 1e-3 and l_base > 1.0


def test_ecc_loss_slices_the_feature_axis_not_the_batch(setup):
    v, m = setup
    rep = W.make("base+ecc", v, m)
    assert _ecc_loss_is_right(rep, rep.loss)
    assert not _ecc_loss_is_right(rep, _buggy_ecc_loss(rep))      # the test would have caught 2017's bug
    # and in (batch, time, width) layout: per-position losses follow the targets, not the batch index
    ids = torch.tensor([[v.index["red"], v.index["blue"]]])
    pred = _perfect(rep, ids.numpy())
    pred[0, 1, -1] *= -1
    assert rep.loss(pred, ids).item() == pytest.approx(1 / (2 * rep.copies * rep.bits), abs=1e-3)


def test_base_embedding_loss_weights_extra_words_only(setup):
    v, m = setup
    rep = W.make("base+embedding", v, m)
    a, red = v.index["a"], v.index["red"]
    ids = torch.tensor([a, red])
    pred = _perfect(rep, ids.numpy())
    pred_a = pred.clone()
    pred_a[0, v.n_base :] = -pred_a[0, v.n_base :]          # wrong embedding on a base word: ignored
    assert rep.loss(pred_a, ids).item() < 1e-4
    pred_red = pred.clone()
    pred_red[1, v.n_base :] = -pred_red[1, v.n_base :]      # wrong embedding on an extra word: cosine 2
    assert rep.loss(pred_red, ids).item() == pytest.approx(1.0, abs=1e-3)


# ---------------------------------------------------------------------------------------------
# demos/word_reps.py


def _app():
    script = (f"import sys\nroot = {str(ROOT)!r}\nif root not in sys.path:\n    sys.path.insert(0, root)\n"
              "from demos.word_reps import render\nrender(key_prefix='t')\n")
    return AppTest.from_string(script, default_timeout=60)


def _table(at):
    df = at.dataframe[0].value
    return {r: dict(zip(df.columns, row)) for r, row in zip(df["representation"], df.itertuples(index=False))}


def test_demo_default_table_and_keys():
    at = _app().run()
    assert not at.exception
    tab = _table(at)
    assert set(tab) == {"GloVe vector", "full one-hot", "base one-hot + GloVe", "base one-hot + binary ECC"}
    assert tab["GloVe vector"]["width"] == 50
    for row in tab.values():
        assert row["decoded round trip"] == "a red circle above a small blue square ."
        assert row["exact"] == "yes"
        assert row["numbers for this sentence"].startswith("11 × ")
    for w in itertools.chain(at.text_input, at.selectbox, at.multiselect, at.slider, at.number_input, at.button):
        assert w.key.startswith("t_")
    assert at.success or at.info  # the ECC panel's verdict


def test_demo_types_a_sentence_with_unknown_words():
    at = _app().run()
    at.text_input(key="t_sentence").input("A blue square and a zzqxvb wug.").run()
    assert not at.exception
    tab = _table(at)
    assert tab["full one-hot"]["decoded round trip"] == "a blue square and a <unk> <unk> ."
    assert any("zzqxvb" in c.value for c in at.caption)


def test_demo_reads_a_shipped_vocabulary(tmp_path, glove):
    v = build_vocab([glove.words[:3000]], min_count=1, glove_words=glove.index)
    v.to_json(tmp_path / "vocab.json")
    script = (f"import sys, pathlib\nroot = {str(ROOT)!r}\nif root not in sys.path:\n    sys.path.insert(0, root)\n"
              f"import demos.word_reps as d\nd.VOCAB_PATH = pathlib.Path({str(tmp_path / 'vocab.json')!r})\n"
              "d.render(key_prefix='t')\n")
    at = AppTest.from_string(script, default_timeout=60).run()
    assert not at.exception
    assert any("shipped" in c.value and f"{len(v):,} words" in c.value for c in at.caption)
    tab = _table(at)
    assert tab["full one-hot"]["width"] == len(v)
    assert all(row["exact"] == "yes" for row in tab.values())
    assert tab["base one-hot + binary ECC"]["width"] == v.n_base + 3 * int(np.ceil(np.log2(len(v))))


def test_demo_ecc_panel_corrects_and_breaks():
    at = _app().run()
    at.selectbox(key="t_ecc_word").select("circle").run()
    at.multiselect(key="t_ecc_flips").set_value([0, 1]).run()    # two bits, different positions
    assert not at.exception and at.success and "corrected" in at.success[0].value
    at.button(key="t_ecc_break").click().run()
    assert not at.exception and at.error and "not corrected" in at.error[0].value
    at.button(key="t_ecc_random").click().run()
    assert not at.exception and len(at.multiselect(key="t_ecc_flips").value) == 2


@pytest.mark.parametrize("junk", [
    "",
    "   \t  ",
    "?!.,;:" * 5,
    "\u202e\u0000\u200b" * 50,
    ("Ω≈ç√∫˜µ≤ 田中さんにあげて下さい 🐍🐍 \u0301\u0301 𝕿𝖍𝖊 ﷽ " * 200)[:10_000],
    "x" * 10_000,
])
def test_demo_junk_input(junk):
    at = _app().run()
    # what a browser can send: the box holds at most 200 characters (AppTest's input() ignores more)
    at.text_input(key="t_sentence").input(junk[:200]).run()
    assert not at.exception
    assert " ".join(w.value for w in at.warning)  # a clear message, never a traceback
    # and a longer value forced past the widget's limit is cut to 200 characters, with a note
    at.text_input(key="t_sentence").set_value(junk).run()
    assert not at.exception
    assert " ".join(w.value for w in at.warning)
    if len(junk) > 200:
        assert len(at.text_input(key="t_sentence").value) <= 200
        assert any("200 characters" in m.value for m in [*at.warning, *at.caption])


def test_demo_clean_caps_long_text():
    from demos.word_reps import MAX_CHARS, _clean

    text, notes = _clean("ab\u0000c " * 5000)
    assert len(text) == MAX_CHARS and "\u0000" not in text and notes and "first 200" in notes[0]
    assert _clean("a dog .") == ("a dog .", [])
