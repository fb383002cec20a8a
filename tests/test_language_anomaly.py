"""Autoencoder anomaly detection: model, shipped checkpoints re-checked, and the demo."""
import io
import json

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

from models.data.mnist import load_mnist
from models import artefacts
from models.language.autoencoder import Autoencoder, prepare_upload, reconstruction_errors, roc_curve

torch.set_num_threads(1)


def test_autoencoder_shapes_and_range():
    m = Autoencoder()
    assert sum(p.numel() for p in m.parameters()) == 784 * 50 + 50 + 50 * 784 + 784
    err, rec = reconstruction_errors(m, np.random.rand(3, 28, 28))
    assert err.shape == (3,) and rec.shape == (3, 28, 28) and (rec > 0).all() and (rec < 1).all()


def test_roc_curve_perfect_random_and_inverted():
    y = np.array([0, 0, 0, 1, 1])
    assert roc_curve(np.array([0.1, 0.2, 0.3, 0.8, 0.9]), y)[2] == pytest.approx(1.0)
    assert roc_curve(np.array([0.9, 0.8, 0.7, 0.1, 0.2]), y)[2] == pytest.approx(0.0)
    rng = np.random.default_rng(0)
    yy = rng.random(4000) < 0.3
    assert roc_curve(rng.random(4000), yy)[2] == pytest.approx(0.5, abs=0.05)


def test_prepare_upload_centres_dark_on_light_digit():
    a = np.full((200, 120), 255, np.uint8)
    a[20:180, 50:70] = 0                          # a black "1" on white paper, off to one side
    out = prepare_upload(Image.fromarray(a))
    assert out.shape == (28, 28) and out.max() > 0.9 and out[0].max() == 0
    ys, xs = np.nonzero(out > 0.5)
    assert abs(ys.mean() - 14) < 2 and abs(xs.mean() - 14) < 2 and ys.max() - ys.min() >= 18
    assert prepare_upload(Image.new("RGB", (50, 50), "white")).max() == 0


ENTRIES = artefacts.entries("language", "autoencoder_")


def test_all_checkpoints_shipped():
    names = {e["name"] for e in ENTRIES}
    assert "autoencoder_all" in names
    assert {f"autoencoder_without_{c}" for c in range(10)} <= names


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_checkpoint_reproduces_recorded_metrics(entry):
    d = load_mnist()
    m = Autoencoder()
    m.load_state_dict(torch.load(artefacts.path_of(entry), map_location="cpu", weights_only=True))
    err, _ = reconstruction_errors(m, d.x_test)
    assert err.mean() == pytest.approx(entry["metrics"]["test_mse"], abs=2e-4)
    assert err.mean() < 0.05                           # an untrained net is ~0.23
    if "heldout_class" in entry["metrics"]:
        c = entry["metrics"]["heldout_class"]
        auc = roc_curve(err, d.y_test == c)[2]
        assert auc == pytest.approx(entry["metrics"]["roc_auc"], abs=1e-3)


def _png(arr):
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def test_anomaly_demo_probes_and_heldout():
    at = AppTest.from_string("from demos.anomaly import render\nrender(key_prefix='ad')", default_timeout=60).run()
    assert not at.exception
    assert len(at.get("imgs")) >= 7 or len(at.get("image")) >= 7
    md = lambda: " ".join(m.value for m in at.markdown)  # noqa: E731
    assert "higher than" in md()
    figs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert figs[0]["data"][0]["type"] == "histogram"
    yours = figs[0]["layout"]["shapes"][0]["x0"]
    at.radio(key="ad_probe").set_value("noise").run()
    noisy = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["shapes"][0]["x0"]
    assert noisy > 3 * yours                               # noise reconstructs far worse than a digit
    auc0 = at.metric[0].value
    at.selectbox(key="ad_heldout").set_value(1).run()
    assert at.metric[0].value != auc0
    roc = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert roc["data"][0]["x"][0] == 0 and roc["data"][0]["y"][-1] == 1


class _Upload:
    def __init__(self, data, name="x.png"):
        self._d, self.name = data, name

    def getvalue(self):
        return self._d


def test_upload_reader_handles_bad_files():
    from demos.anomaly import _read_upload

    img, msg = _read_upload(_Upload(b"this is not an image at all"))
    assert img is None and "not an image" in msg
    img, msg = _read_upload(_Upload(b""))  # the deck's one decoder (demos.kit.images) answers for the demo
    assert img is None and "empty" in msg and "one digit works best" in msg
    a = np.zeros((60, 40), np.uint8)
    a[10:50, 18:22] = 255
    img, msg = _read_upload(_Upload(_png(a)))
    assert msg is None and img.shape == (28, 28) and img.max() > 0.5
