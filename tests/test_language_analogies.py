"""GloVe analogies: the maths (models/language/embeddings.py) and the live demo (demos/analogies.py)."""
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from models.data.glove import load_glove
from models.language.embeddings import (PRESETS, analogy, evaluate_analogies, nearest, pca_2d,
                                        read_google_analogies)


@pytest.fixture(scope="module")
def emb():
    return load_glove()


def test_glove_is_first_100k_words(emb):
    assert len(emb.words) == 100_000 and emb.vectors.shape == (100_000, 50)
    assert emb.words[:3] == ["the", ",", "."]
    # Stanford's glove.6B.50d.txt starts "the 0.418 0.24968 -0.41242"
    np.testing.assert_allclose(emb.vectors[0, :3], [0.418, 0.24968, -0.41242], atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(emb.unit, axis=1), 1.0, atol=1e-4)


@pytest.mark.parametrize("preset", list(PRESETS))
def test_notebook_presets_answer_in_top5(emb, preset):
    a, b, c, d = PRESETS[preset]
    answers = analogy(emb, a, b, c, k=5)
    words = [w for w, _ in answers]
    assert d in words
    assert not {a, b, c} & set(words)
    scores = [s for _, s in answers]
    assert scores == sorted(scores, reverse=True) and all(-1 <= s <= 1 for s in scores)


def test_king_queen_is_top1(emb):
    assert analogy(emb, "man", "woman", "king")[0][0] == "queen"


def test_nearest_excludes_query(emb):
    words = [w for w, _ in nearest(emb, "frog", 6)]
    assert "frog" not in words and "toad" in words


def test_pca_2d_recovers_main_axis():
    rng = np.random.default_rng(0)
    x = np.outer(rng.normal(size=50), [3.0, 0, 0]) + rng.normal(scale=0.01, size=(50, 3))
    xy = pca_2d(x)
    assert xy.shape == (50, 2)
    assert abs(np.corrcoef(xy[:, 0], x[:, 0])[0, 1]) > 0.99


def test_evaluate_analogies_counts_and_skips(emb, tmp_path):
    f = tmp_path / "q.txt"
    f.write_text(": family\nman woman king queen\nman woman qqzzxx queen\n: gram1-adjective-to-adverb\n"
                 "quick quickly slow slowly\n")
    r = evaluate_analogies(emb, read_google_analogies(f))
    assert (r["total"], r["answered"], r["skipped"]) == (3, 2, 1)
    assert r["semantic"] == 1.0                     # king -> queen
    assert 0.0 <= r["syntactic"] <= 1.0


def _app(**opts):
    args = ", ".join(f"{k}={v!r}" for k, v in opts.items())
    return AppTest.from_string(f"from demos.analogies import render\nrender(key_prefix='an'{', ' + args if args else ''})",
                               default_timeout=60)


def _answers(at):
    return list(at.dataframe[0].value["answer"])


def test_demo_default_and_presets():
    at = _app().run()
    assert not at.exception
    assert _answers(at)[0] == "queen"
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert len(fig["layout"]["annotations"]) == 2           # the two analogy arrows
    at.button(key="an_preset_rome").click().run()
    assert _answers(at)[0] == "rome"
    at.button(key="an_preset_ran").click().run()
    assert "ran" in _answers(at)
    at.text_input(key="an_word").set_value("paris").run()
    assert "paris" not in list(at.dataframe[-1].value["neighbour"])


def test_demo_bad_input_gives_warning():
    at = _app(preset="dog").run()
    assert _answers(at)[0] == "dog"
    at.text_input(key="an_c").set_value("Zzqxv\u00e9\u4e2d").run()
    assert not at.exception
    assert any("Not among" in w.value for w in at.warning)
    at.text_input(key="an_c").set_value("").run()
    assert any("every box" in w.value for w in at.warning)
    at.text_input(key="an_word").set_value("x" * 10_000).run()
    assert not at.exception and any("too long" in w.value for w in at.warning)


def test_count_embedding_on_toy_corpus():
    from models.language.embeddings import train_count_embedding

    rng = np.random.default_rng(0)
    # two groups of words that share contexts: cats/dogs next to "pet", cars/vans next to "drive"
    toks = []
    for _ in range(3000):
        toks += [rng.choice(["cat", "dog"]), "pet", "the", rng.choice(["car", "van"]), "drive", "a"]
    e = train_count_embedding(toks, vocab_size=50, window=2, dim=3)
    assert nearest(e, "cat", 1)[0][0] == "dog" and nearest(e, "car", 1)[0][0] == "van"


def test_shipped_shakespeare_embedding_reproduces_metric(emb):
    from models import artefacts
    from models.language.embeddings import google_analogy_path, load_embedding, shared_questions

    entry = artefacts.entries("language", "embedding_shakespeare")[0]
    own = load_embedding(artefacts.path_of(entry))
    assert len(own.words) == entry["metrics"]["vocab"] == 10_000
    qs = shared_questions(own, read_google_analogies(google_analogy_path()))
    assert len(qs) == entry["metrics"]["shared_questions"]
    acc = evaluate_analogies(own, qs)["overall"]
    assert acc == pytest.approx(entry["metrics"]["analogy_accuracy"], abs=0.005)
    assert acc < evaluate_analogies(emb, qs)["overall"] / 3          # "Embedding is Poor"


def test_demo_train_your_own_section():
    at = _app().run()
    at.toggle(key="an_own").set_value(True).run()
    assert not at.exception
    assert any("Shakespeare" in m.value for m in at.markdown)
    at.text_input(key="an_word").set_value("father").run()
    assert "son" in list(at.dataframe[-1].value["neighbour"])[:3]
    at.text_input(key="an_a").set_value("kitten").run()
    assert any("10,000 words" in w.value for w in at.warning)
