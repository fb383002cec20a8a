"""Inception-v3 features, the transfer-learning classifier, the cached LFW features, and the demo."""
import io

import numpy as np
import pytest
import torch
from PIL import Image

from models.vision import inception as inc
from models.vision import transfer as tr
from models.data.images import sample
from models.artefacts import by_name

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def net():
    return inc.load_inception()


def test_features_are_the_pool_layer(net):
    imgs = [sample("cat (Chelsea)"), sample("coffee")]
    f = inc.features(net, imgs)
    assert f.shape == (2, 2048) and f.dtype == np.float32
    with torch.no_grad():
        ref = net(torch.cat([inc.to_input(a) for a in imgs])).numpy()  # the file's own 8×8 avg-pool head
    assert np.allclose(f, ref, atol=1e-4)
    with torch.no_grad():
        assert inc.run_to(net, inc.to_input(imgs[0]), "mixed_3").shape == (1, 768, 17, 17)
    # the same photo twice gives the same vector; different photos do not
    assert np.corrcoef(f)[0, 1] < 0.9


def test_cached_lfw_features_match_fresh_ones(net):
    cached = tr.load_cached_features()
    assert cached.shape == (200, 2048)
    idx = [0, 57, 99, 100, 150, 199]
    fresh = inc.features(net, [tr.lfw_rgb()[i] for i in idx], tr.LFW_SIZE)
    assert np.allclose(cached[idx], fresh, rtol=2e-2, atol=2e-2)


def test_cnn_features_beat_raw_pixels_as_recorded():
    _, y = tr.lfw()
    cnn = tr.cross_validate(tr.load_cached_features(), y)
    raw = tr.cross_validate(tr.raw_pixels(), y)
    rec = by_name("vision")["lfw_inception_v3_features"]["metrics"]
    assert cnn["mean"] > raw["mean"]
    assert abs(cnn["mean"] - rec["cv5_accuracy_cnn"]) <= 0.01 and abs(raw["mean"] - rec["cv5_accuracy_raw_pixels"]) <= 0.01
    assert len(cnn["decision"]) == 200 and ((cnn["decision"] > 0) == (y == 1)).mean() > 0.95


def test_predict_with_distance_two_and_three_classes():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [6, 0], [0, 6]], float)
    x = np.concatenate([c + rng.normal(size=(20, 2)) for c in centres])
    y = np.repeat([0, 1, 2], 20)
    pred, dist = tr.predict_with_distance(tr.fit(x[:40], y[:40]), np.array([[-3.0, 0], [9.0, 0]]))
    assert pred.tolist() == [0, 1] and dist[0] < -1 < 1 < dist[1]
    pred, dist = tr.predict_with_distance(tr.fit(x, y), centres)
    assert pred.tolist() == [0, 1, 2] and (dist > 0).all()


def png(arr) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()


APP = "from demos.transfer import render\nrender(key_prefix='tl')"


def test_demo_builtin_and_own_classes():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(APP, default_timeout=120).run()
    assert not at.exception
    cnn, raw = (float(at.metric[i].value.rstrip("%")) for i in (0, 1))
    assert cnn > raw
    assert any("hardest held-out" in c.value for c in at.caption)
    # your own classes: cats vs coffee, from crops of two sample photos
    cat, coffee = sample("cat (Chelsea)"), sample("coffee")
    at.text_input(key="tl_name0").set_value("cat").run()
    at.text_input(key="tl_name1").set_value("coffee").run()
    at.file_uploader(key="tl_files0").set_value(
        [("c1.png", png(cat[:250, :300]), "image/png"), ("c2.png", png(cat[50:, 150:]), "image/png"),
         ("bad.png", b"not an image", "image/png")]).run()
    assert any("not an image" in w.value for w in at.warning) and not at.exception
    at.file_uploader(key="tl_files1").set_value(
        [("k1.png", png(coffee[:300, :400]), "image/png"), ("k2.png", png(coffee[100:, 200:]), "image/png")]).run()
    assert "Trained a LinearSVC on 4 photos" in at.success[0].value
    at.file_uploader(key="tl_test").set_value(
        [("t_cat.png", png(cat[30:280, 60:400]), "image/png"), ("t_cof.png", png(coffee[50:350, 50:550]), "image/png")]
    ).run()
    preds = at.session_state["tl_predictions"]
    assert [p[1] for p in preds] == ["cat", "coffee"] and preds[0][2] < 0 < preds[1][2]
    at.text_input(key="tl_name1").set_value("cat").run()
    assert "share a name" in at.warning[-1].value
