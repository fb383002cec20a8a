"""Image captioning (June 2017 talk): data set, features, decoders, training, shipped checkpoints, slides."""
from __future__ import annotations

import json
import pathlib
import random

import numpy as np
import pytest
import torch

from models import artefacts
from models.captioning import decoders, infer, scenes
from models.captioning import shipped as shipped_mod
from models.captioning.vocab import START, STOP, Vocab, tokenize

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


# -- data set ----------------------------------------------------------------------------------


def test_scenes_are_deterministic_and_split_by_picture():
    a, b = scenes.make_scene(123), scenes.make_scene(123)
    assert a == b and a.captions == b.captions
    assert scenes.make_scene(124).shapes != a.shapes
    splits = [scenes.make_scene(i, count=2000).split for i in range(2000)]
    assert splits.count("train") == 1700 and splits.count("val") == 150 and splits.count("test") == 150
    assert splits == sorted(splits, key=["train", "val", "test"].index)  # contiguous blocks of pictures


def test_every_caption_names_every_shape_and_colour():
    for i in range(300):
        s = scenes.make_scene(i)
        assert len(s.captions) == 5 and len(set(s.captions)) == 5
        for cap in s.captions:
            for shape in s.shapes:
                assert shape.colour in cap.split(), (cap, shape)
                assert shape.shape in cap or scenes._plural(shape.shape) in cap, (cap, shape)
            assert " a orange" not in cap and " a a" not in cap


def test_render_draws_the_shapes_in_their_colours():
    s = scenes.make_scene(5)
    img = scenes.render(s)
    assert img.shape == (160, 160, 3) and img.dtype == np.uint8
    for shape in s.shapes:
        centre = img[int(shape.y), int(shape.x)].astype(int)
        assert np.abs(centre - np.array(scenes.COLOURS[shape.colour])).max() < 40


def test_scene_json_round_trip():
    s = scenes.make_scene(42)
    assert scenes.scene_from_json(json.loads(json.dumps(scenes.scene_to_json(s)))).captions == s.captions


# -- features ----------------------------------------------------------------------------------


def test_inception_features_pooled_and_regions():
    from models.captioning.features import encode_batch, fit_pca, project
    from models.vision.inception import load_inception

    net = load_inception()
    pics = [scenes.render(scenes.make_scene(i)) for i in range(2)]
    pooled, regions = encode_batch(net, pics)
    assert pooled.shape == (2, 2048) and regions.shape == (2, 9, 2048)
    assert np.allclose(pooled, regions.mean(1), atol=1e-4)
    mean, comps, kept = fit_pca(regions, dim=8)
    assert comps.shape == (2048, 8) and 0 < kept <= 1
    assert project(regions, mean, comps).shape == (2, 9, 8)


# -- decoders ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", decoders.DECODERS + ["blind"])
def test_decoder_shapes_and_causality(name):
    torch.manual_seed(0)
    model = decoders.build(name, 40).eval()
    tok = torch.randint(5, 40, (3, 16))
    p, r = torch.randn(3, 2048), torch.randn(3, 9, 256)
    y = model(tok, p, r)
    assert y.shape == (3, 16, 40)
    for cut in (1, 7, 15):  # changing words from position `cut` on must not change any earlier prediction
        tok2 = tok.clone()
        tok2[:, cut:] = torch.randint(5, 40, (3, 16 - cut))
        y2 = model(tok2, p, r)
        assert torch.allclose(y[:, :cut], y2[:, :cut], atol=1e-5), f"{name} looks ahead at position {cut}"
        assert not torch.allclose(y[:, cut:], y2[:, cut:]), f"{name} ignores its input words"


@pytest.mark.parametrize("name", decoders.DECODERS + ["blind"])
def test_decoders_use_the_picture_except_blind(name):
    torch.manual_seed(0)
    model = decoders.build(name, 40).eval()
    tok = torch.randint(5, 40, (2, 8))
    y1 = model(tok, torch.randn(2, 2048), torch.randn(2, 9, 256))
    y2 = model(tok, torch.randn(2, 2048), torch.randn(2, 9, 256))
    assert torch.allclose(y1, y2) == (name == "blind")


@pytest.mark.parametrize("name", ["dilated_cnn", "glu_cnn"])
def test_fast_inference_paths_match_the_plain_convolution(name):
    """Eval-mode matmul convolution and word-by-word incremental decoding give the training path's numbers."""
    torch.manual_seed(1)
    model = decoders.build(name, 40)
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    tok = torch.randint(5, 40, (2, 14))
    p, r = torch.randn(2, 2048), torch.randn(2, 9, 256)
    model.train()
    with torch.no_grad():
        plain = model(tok, p, r)
    model.eval()
    with torch.inference_mode():
        fast = model(tok, p, r)
        with decoders.incremental(model) as inc:
            assert inc
            steps = torch.cat([model(tok[:, i:i + 1], p, r) for i in range(tok.shape[1])], 1)
    assert torch.allclose(plain, fast, atol=1e-4) and torch.allclose(plain, steps, atol=1e-4)
    with decoders.incremental(decoders.build("transformer", 40)) as inc:
        assert not inc


def test_width_is_200_and_transformer_attention_is_over_regions():
    model = decoders.build("transformer", 30).eval()
    assert model.word_in.out_features == decoders.WIDTH == 200
    model(torch.tensor([[START, 7, 8]]), torch.randn(1, 2048), torch.randn(1, 9, 256))
    att = model.attention()
    assert att.shape == (1, 3, 10) and torch.allclose(att.sum(-1), torch.ones(1, 3), atol=1e-5)


# -- inference -----------------------------------------------------------------------------------


class _Parrot(torch.nn.Module):
    """A fake decoder that always says word 5, 6, 7 then STOP."""

    def forward(self, tokens, pooled, regions):
        b, t = tokens.shape
        out = torch.full((b, t, 10), -10.0)
        for i in range(t):
            out[:, i, [5, 6, 7, STOP][min(i, 3)]] = 10.0
        return out


def test_greedy_sample_beam_and_forced_vs_free():
    m = _Parrot()
    p, r = np.zeros(2048, np.float32), np.zeros((9, 256), np.float32)
    assert infer.greedy(m, p, r) == [[5, 6, 7]]
    assert infer.sample(m, p, r, temperature=0.5, n=3) == [[5, 6, 7]] * 3
    assert infer.beam(m, p, r, width=3) == [5, 6, 7]
    rows = infer.forced_vs_free(m, p, r, [5, 9, 7])
    assert [x["forced_input"] for x in rows] == [START, 5, 9, 7]
    assert [x["target"] for x in rows] == [5, 9, 7, STOP]
    assert [x["forced_pred"] for x in rows] == [5, 6, 7, STOP]
    assert [x["free_input"] for x in rows] == [START, 5, 6, 7]


def test_bleu_of_an_exact_reference_is_one_and_of_nonsense_low():
    refs = [tokenize("a red circle above a blue square ."), tokenize("a blue square below a red circle .")]
    assert infer.sentence_bleus(refs, refs[0])[3] == pytest.approx(1.0)
    assert infer.sentence_bleus(refs, tokenize("three green stars in a row ."))[3] < 0.2
    assert infer.corpus_bleus([refs], [refs[1]])[3] == pytest.approx(1.0)


# -- training ------------------------------------------------------------------------------------


def _tiny_features(path: pathlib.Path, n: int = 60):
    rng = np.random.default_rng(0)
    caps = [scenes.make_scene(i).captions for i in range(n)]
    splits = np.array(["train"] * (n - 10) + ["val"] * 5 + ["test"] * 5)
    np.savez(path, pooled=rng.normal(size=(n, 2048)).astype(np.float16),
             regions=rng.normal(size=(n, 9, 256)).astype(np.float16), names=np.array([f"s{i}" for i in range(n)]),
             splits=splits, captions=np.array(json.dumps(caps)), seconds=0.0, size=160)


def test_training_writes_a_checkpoint_per_epoch_and_resumes(tmp_path):
    from models.captioning.train import train

    feats = tmp_path / "features.npz"
    _tiny_features(feats)
    run = tmp_path / "run"
    out = train("gru", feats, run, epochs=1, batch=32, log=lambda s: None)
    assert [p.name for p in sorted(run.glob("gru_e*.pt"))] == ["gru_e001.pt"]
    assert (run / "vocab.json").exists() and len(out["history"]) == 1
    out = train("gru", feats, run, epochs=2, batch=32, log=lambda s: None)
    assert [h["epoch"] for h in out["history"]] == [1, 2]  # resumed: epoch 1 kept, only epoch 2 trained
    assert out["history"][1]["train_loss"] < out["history"][0]["train_loss"]


# -- shipped checkpoints -------------------------------------------------------------------------

# a missing shipped file fails these tests (tests/test_artefacts.py checks every manifest path exists)


@pytest.mark.parametrize("name", shipped_mod.ALL)
def test_shipped_checkpoint_reproduces_its_recorded_bleu4(name):
    ent = artefacts.entry("captioning", name)
    assert ent and ent["command"].startswith("python -m models.captioning.train")
    model, vocab, _ = shipped_mod.load_decoder(name)
    ts = shipped_mod.load_test_set()
    ev = infer.evaluate(model, vocab, ts.pooled, ts.regions, [ts.refs(i) for i in range(len(ts))])
    assert ev["bleu4"] == pytest.approx(ent["metrics"]["test_bleu4"], abs=0.003)


def test_every_decoder_clearly_beats_the_blind_baseline_and_the_best_reaches_half():
    arts = artefacts.by_name("captioning")
    blind = arts["blind"]["metrics"]["test_bleu4"]
    scores = [arts[n]["metrics"]["test_bleu4"] for n in decoders.DECODERS]
    assert all(s > blind + 0.1 for s in scores), (scores, blind)
    assert max(scores) >= 0.5
    assert sum(arts[n]["train_seconds"] for n in decoders.DECODERS) <= 20 * 60


def test_untrained_decoder_is_terrible():
    ts = shipped_mod.load_test_set()
    model, vocab, _ = shipped_mod.load_decoder("gru", untrained=True)
    ev = infer.evaluate(model, vocab, ts.pooled[:50], ts.regions[:50], [ts.refs(i) for i in range(50)])
    assert ev["bleu4"] < 0.05


# The captioning slides (demos caption_compare, caption_table, caption_steps, caption_data) run on real photos
# with the decoders trained on Flickr8k: tests/test_captioning_demos.py.


def test_real_format_pipeline_end_to_end(tmp_path):
    """A Karpathy-split JSON + an images folder go through the same featurise -> train -> ship commands."""
    from PIL import Image

    from models.captioning import features, shipped
    from models.captioning.ship import ship
    from models.captioning.train import train

    images = tmp_path / "images"
    images.mkdir()
    records = []
    for i in range(14):
        s = scenes.make_scene(i)
        Image.fromarray(scenes.render(s)).save(images / f"pic{i}.jpg", quality=90)
        split = "train" if i < 10 else "val" if i < 12 else "test"
        records.append({"filename": f"pic{i}.jpg", "split": split,
                        "sentences": [{"raw": c, "tokens": tokenize(c)} for c in s.captions]})
    records.append({"filename": "missing.jpg", "split": "train", "sentences": [{"raw": "a lost picture .", "tokens": []}]})
    capfile = tmp_path / "dataset_mine.json"
    capfile.write_text(json.dumps({"images": records}))
    out = tmp_path / "features.npz"
    features.main(["--captions", str(capfile), "--images", str(images), "--out", str(out), "--workers", "1"])
    z = np.load(out)
    assert z["pooled"].shape == (14, 2048) and z["regions"].shape[:2] == (14, 9)
    assert list(z["splits"]).count("test") == 2 and str(z["images"]) == str(images.resolve())
    run = tmp_path / "run"
    train("gru", out, run, epochs=1, batch=8, log=lambda s: None)
    art = tmp_path / "art"
    ship(run, out, {"gru": "python -m models.captioning.train --decoder gru --epochs 1"}, art=art)
    ts = shipped.load_test_set_from(art / "test_features.npz")
    assert len(ts) == 2 and ts.names == ["pic12.jpg", "pic13.jpg"] and ts.images_dir == str(images.resolve())
    entry = json.loads((art / "manifest.json").read_text())["artefacts"][-1]
    assert entry["name"] == "gru" and 0.0 <= entry["metrics"]["test_bleu4"] <= 1.0
