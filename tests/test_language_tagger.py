"""UPPER-CASE proper-noun tagger: data prep, model, shipped checkpoint re-checked, and the demo."""
import json

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from models import artefacts
from models.data.glove import load_glove
from models.language.tagger import (BiGRUTagger, dialogue_sentences, encode_tokens, load_tagger, nnp_labels,
                                    pad_batch, predict, prf, tag_tokens, tokenize)

torch.set_num_threads(1)
ENTRY = (artefacts.entries("language", "tagger_bigru") or [None])[0]


def test_the_tagger_is_shipped():
    assert ENTRY is not None and artefacts.path_of(ENTRY).exists()


def test_dialogue_sentences_drop_speaker_lines_and_split():
    text = "HAMLET\nTo be, or not to be, that is the question.\nWhether 'tis nobler in the mind\n\nOPHELIA\nGood my lord.\n"
    s = dialogue_sentences(text)
    # speaker names go, a speech splits after '.', and the 3-word "Good my lord." is too short
    assert s == ["To be, or not to be, that is the question.", "Whether 'tis nobler in the mind"]


def test_prf():
    assert prf([[1, 0, 1]], [[1, 1, 0]]) == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert prf([[0, 0]], [[0, 0]])["f1"] == 0.0


def test_spacy_labels_and_case_collapse():
    words, spaces = tokenize("When are you off to New York, Chaitanya?")
    assert words[5:8] == ["New", "York", ","] and spaces[6] is False
    assert nnp_labels(tag_tokens(words, spaces))[5:7] == [1, 1]
    assert nnp_labels(["NNP", "NNPS", "NN"]) == [1, 0, 0]


def test_tagger_shapes_and_frozen_glove():
    emb = load_glove()
    m = BiGRUTagger(emb.vectors)
    ids, lengths = pad_batch([encode_tokens(["Paris", "is", "zzqqxx"], emb), encode_tokens(["hi"], emb)])
    assert ids[0, 2].item() == 1 and ids[1, 1].item() == 0          # UNK, PAD
    out = m(ids, lengths)
    assert out.shape == (2, 3, 2)
    assert not m.emb.weight.requires_grad
    assert len(m.state_dict_small()) == len(m.state_dict()) - 1


def test_shipped_tagger_reproduces_heldout_f1_in_every_case():
    held = json.loads((artefacts.folder("language") / "tagger_heldout.json").read_text())
    assert len(held) == ENTRY["metrics"]["heldout_sentences"]
    model = load_tagger(artefacts.path_of(ENTRY))
    gold = [h["nnp"] for h in held]
    for case, f in (("mixed", lambda w: w), ("lower", str.lower), ("UPPER", str.upper)):
        pred = predict(model, [[f(w) for w in h["tokens"]] for h in held])
        assert prf(gold, pred)["f1"] == pytest.approx(ENTRY["metrics"][f"rnn_{case}_f1"], abs=1e-3)
    # the slide's claim, on the recorded numbers: case-blind RNN beats spaCy on single-case text
    m = ENTRY["metrics"]
    assert m["rnn_UPPER_f1"] > m["spacy_UPPER_f1"] and m["spacy_mixed_f1"] == 1.0


def test_shipped_spacy_upper_score_recomputes_on_a_sample():
    held = json.loads((artefacts.folder("language") / "tagger_heldout.json").read_text())[:150]
    gold = [h["nnp"] for h in held]
    pred = [nnp_labels(tag_tokens([w.upper() for w in h["tokens"]], h["spaces"])) for h in held]
    assert prf(gold, pred)["f1"] == pytest.approx(ENTRY["metrics"]["spacy_UPPER_f1"], abs=0.12)   # 150 of the sentences


def test_upper_ner_demo():
    at = AppTest.from_string("from demos.upper_ner import render\nrender(key_prefix='un', preset='2')",
                             default_timeout=90).run()
    assert not at.exception
    df = at.dataframe[0].value
    assert list(df["token"])[:3] == ["When", "are", "you"]
    assert list(df["spaCy · as typed"])[5].startswith("NNP")
    at.button(key="un_preset_0").click().run()
    assert list(at.dataframe[0].value["token"])[:2] == ["Dr.", "Andrews"]
    at.text_input(key="un_sentence").set_value("").run()
    assert any("Type a sentence" in w.value for w in at.warning)
    at.text_input(key="un_sentence").set_value("Zoë met Ørsted in Köln. " * 40).run()
    assert not at.exception and any("first 400" in i.value for i in at.info)
    table = at.dataframe[-2].value  # the held-out table (the last one: scores against hand labels)
    assert len(table) == 6 and set(table["text case"]) == {"mixed", "lower", "UPPER"}
