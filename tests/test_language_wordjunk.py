"""Words vs junk: dictionary, n-grams, discriminator and generator (re-checked), and the demo."""
import json

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from models import artefacts
from models.language.wordjunk import (DICT_PATH, Discriminator, NGram, WordGenerator, encode_batch,
                                      load_dictionary, real_word_rate, split_dictionary)

torch.set_num_threads(1)
pytestmark = pytest.mark.skipif(not DICT_PATH.exists(), reason="apt package wamerican not installed")


def test_dictionary_and_split():
    words = load_dictionary()
    assert 60_000 < len(words) < 70_000 and "apposite" in words and "idyllic" in words
    assert all(w.isascii() and w.isalpha() and w.islower() and 3 <= len(w) <= 15 for w in words[:2000])
    train, val = split_dictionary(words)
    assert not set(train) & set(val) and len(val) == len(words) // 10


def test_ngram_generates_from_its_table():
    m = NGram(2, ["abc", "abd"])
    rng = np.random.default_rng(0)
    assert {m.generate(rng) for _ in range(50)} == {"abc", "abd"}
    assert m.logprob_per_char("abc") == pytest.approx(np.log(0.5) / 4)
    assert m.logprob_per_char("zzz") < np.log(1e-5)
    assert real_word_rate(["abc", "x"], {"abc"}) == 0.5


def test_encode_batch_one_hot_with_end():
    x, lengths = encode_batch(["ab", "c3d"])
    assert x.shape == (2, 3, 27) and lengths.tolist() == [3, 3]
    assert x[0, 2, 26] == 1 and x.sum().item() == 6


def test_models_forward():
    d = Discriminator(hidden=8)
    p = d.score(["word", "xq"])
    assert p.shape == (2,) and ((p > 0) & (p < 1)).all()
    g = WordGenerator(hidden=8, emb=4)
    assert g.loss(["abc", "de"]).item() == pytest.approx(np.log(27), abs=0.3)
    out = g.generate(5, seed=1)
    assert len(out) == 5 and all(set(w) <= set("abcdefghijklmnopqrstuvwxyz") for w in out)
    assert out == g.generate(5, seed=1)


ENTS = {e["name"]: e for e in artefacts.entries("language", "wordjunk_")}


def _load(cls, name):
    m = cls()
    m.load_state_dict(torch.load(artefacts.path_of(ENTS[name]), weights_only=True))
    return m.eval()


def test_shipped_discriminator_reproduces_accuracy():
    from models.language.train_wordjunk import eval_discriminator

    words = load_dictionary()
    train, val = split_dictionary(words)
    disc = _load(Discriminator, "wordjunk_discriminator")
    acc = eval_discriminator(disc, val, NGram(2, train), words)
    assert acc == pytest.approx(ENTS["wordjunk_discriminator"]["metrics"]["heldout_accuracy_vs_bigram_junk"], abs=1e-3)
    assert acc > 0.8
    p = dict(zip(["apposite", "rrwqsite"], disc.score(["apposite", "rrwqsite"])))
    assert p["apposite"] > p["rrwqsite"]


def test_shipped_generator_beats_ngrams():
    m = ENTS["wordjunk_generator"]["metrics"]
    gen = _load(WordGenerator, "wordjunk_generator")
    words = load_dictionary()
    samples = gen.generate(m["samples"], seed=m["sample_seed"])      # all the recorded samples (~7 s)
    assert len(samples) == m["samples"] == 10_000
    assert real_word_rate(samples, words) == pytest.approx(m["real_word_rate"], abs=2e-3)
    _, val = split_dictionary(words)
    held = set(val)
    assert np.mean([w in held for w in samples]) == pytest.approx(m["heldout_word_rate"], abs=2e-3)
    assert m["real_word_rate"] > m["trigram_real_word_rate"] > m["bigram_real_word_rate"] > m["unigram_real_word_rate"]
    _, val = split_dictionary(words)
    with torch.no_grad():
        assert float(gen.loss(val[:5000])) == pytest.approx(m["val_loss_nats_per_symbol"], abs=1e-3)


def test_word_junk_demo():
    at = AppTest.from_string("from demos.word_junk import render\nrender(key_prefix='wj')", default_timeout=60).run()
    assert not at.exception
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    scores = dict(zip(fig["data"][0]["y"], fig["data"][0]["x"]))
    assert len(scores) == 8 and scores["apposite"] > scores["rrwqsite"]
    rates = json.loads(at.get("plotly_chart")[1].proto.spec)["data"][0]
    assert rates["x"] == ["unigram", "bigram", "trigram", "GRU generator"]
    at.number_input(key="wj_seed").set_value(5).run()
    assert json.loads(at.get("plotly_chart")[1].proto.spec)["data"][0]["y"] != rates["y"]
    at.text_input(key="wj_words").set_value("Hello, w\u00f6rld!, 123").run()
    assert any("a-z" in i.value for i in at.info)
    assert json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["y"] == ["hello", "wrld"]
    at.text_input(key="wj_words").set_value("").run()
    assert any("Type some" in w.value for w in at.warning)
    at.text_input(key="wj_words").set_value("\u4e2d\u6587 !!!").run()
    assert any("nothing to score" in w.value for w in at.warning) and not at.exception
    at.text_input(key="wj_words").set_value("ab " * 5000).run()
    assert not at.exception and len(json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["y"]) == 40
