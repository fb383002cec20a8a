"""The UPPER-CASE tagger against labels spaCy did not make: the hand-checked set, its recorded scores re-checked."""
import pytest
import torch
from streamlit.testing.v1 import AppTest

from models import artefacts
from models.language.tagger import (HANDCHECKED, label_marked, load_handchecked, load_tagger, main, parse_marked,
                                    score_handchecked)

torch.set_num_threads(1)


def _entry(name):
    ents = [e for e in artefacts.entries("language", name) if e["name"] == name]
    assert ents, f"{name} is listed in models/artefacts/language/manifest.json"
    return ents[0]


def test_parse_marked():
    assert parse_marked("[Romeo] is in [Verona].") == ("Romeo is in Verona.", [(0, 5), (12, 18)])
    assert parse_marked("no names here") == ("no names here", [])
    for bad in ("[Romeo is here", "Romeo] is", "[[Romeo]]"):
        with pytest.raises(ValueError, match="bracket"):
            parse_marked(bad)
    with pytest.raises(ValueError, match="whole token"):
        label_marked("[New York]'s mayor")  # two tokens in one bracket


def test_file_labels_are_the_hand_marks():
    """Every sentence's tokens and 0/1 labels follow from its hand-marked line (nothing from spaCy's tagger)."""
    items = load_handchecked()
    assert 40 <= len(items) <= 80
    for it in items:
        assert label_marked(it["marked"]) == it
    n = sum(sum(it["nnp"]) for it in items)
    assert 0.08 < n / sum(len(it["nnp"]) for it in items) < 0.25   # names are a minority, as in real text
    assert any(sum(it["nnp"]) == 0 for it in items)                  # and some sentences have none
    assert _entry("tagger_handchecked")["path"].endswith(HANDCHECKED.name)


def test_recorded_scores_recompute():
    e = _entry("tagger_handchecked")
    got = score_handchecked(load_tagger(artefacts.path_of(_entry("tagger_bigru"))), load_handchecked())
    assert set(got) == set(e["metrics"])
    for k, v in e["metrics"].items():
        assert got[k] == pytest.approx(v, abs=1e-4), k


def test_cli_needs_an_action(capsys):
    with pytest.raises(SystemExit):
        main([])
    assert "--score" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--handchecked", "/nonexistent/marked.txt"])
    assert "cannot read" in capsys.readouterr().err


def test_demo_shows_hand_label_scores_and_says_spacy_mixed_is_by_construction():
    at = AppTest.from_string("from demos.upper_ner import render\nrender(key_prefix='hc', preset='0')",
                             default_timeout=90).run()
    assert not at.exception
    md = " ".join(x.value for x in at.markdown)
    assert "1.0 *by construction*" in md and "labelled by hand for this deck, not by spaCy" in md
    m = _entry("tagger_handchecked")["metrics"]
    table = at.dataframe[-1].value
    assert list(table["text case"]) == ["mixed", "UPPER", "lower", "any (case-blind)"]
    assert list(table["F1"]) == [m["spacy_mixed_f1"], m["spacy_UPPER_f1"], m["spacy_lower_f1"], m["rnn_f1"]]
