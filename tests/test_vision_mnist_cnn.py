"""The 3-filter MNIST CNN, its shipped checkpoint, the dense baseline, and the live demo."""
import numpy as np
import pytest
import torch

from models.data.mnist import load_mnist
from models.vision import mnist_cnn as mc
from models.artefacts import ROOT, by_name

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def data():
    return load_mnist()


def test_architecture_matches_notebook():
    m = mc.MnistCNN()
    assert m.conv.out_channels == 3 and m.conv.kernel_size == (3, 3) and m.conv.padding == (1, 1)
    assert mc.n_params(m) == 3 * 9 + 3 + 3 * 28 * 28 * 10 + 10 == 23_560
    assert m(torch.zeros(5, 28, 28)).shape == (5, 10) and m.features(torch.zeros(2, 1, 28, 28)).shape == (2, 3, 28, 28)


def test_feature_rgb(data):
    rgb = mc.feature_rgb(mc.new_cnn(0), data.x_test[:10])
    assert rgb.shape == (10, 28, 28, 3) and rgb.dtype == np.uint8 and rgb.max() == 255


def test_trainer_is_seeded_and_learns(data):
    runs = []
    for _ in range(2):
        t = mc.Trainer(mc.new_cnn(3), data.x_train, data.y_train, 0.005, 64, seed=3)
        t.step(30)
        runs.append(t)
    assert runs[0].losses == runs[1].losses
    assert np.mean(runs[0].losses[-5:]) < 0.6 * np.mean(runs[0].losses[:3])
    assert abs(runs[0].epoch - 30 / 781) < 1e-12  # notebook epochs: 781 batches


def test_shipped_checkpoint_reproduces_recorded_metric(data):
    rec = by_name("vision")["mnist_cnn_3filters"]
    model = mc.load(ROOT / rec["path"])
    err = mc.test_error(model, data.x_test, data.y_test)
    assert abs(err - rec["metrics"]["test_error"]) < 0.002
    assert (ROOT / rec["path"]).stat().st_size < 200_000


def test_cnn_beats_session1_dense_model(data):
    dense = mc.load_dense_baseline()
    assert dense is not None, "Session I's dense checkpoint should be on this branch"
    dense_err = mc.test_error(dense, data.x_test, data.y_test)
    rec = by_name("vision")["mnist_cnn_3filters"]["metrics"]
    assert abs(dense_err - rec["session1_dense_sgd_test_error"]) < 0.002
    assert rec["test_error"] < dense_err  # "lower error rate"


APP = "from demos.mnist_cnn import render\nrender(key_prefix='mc', steps='100')"


def test_demo_controls():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(APP, default_timeout=60).run()
    assert not at.exception
    assert "shipped checkpoint" in at.metric[0].label and at.metric[1].label.startswith("Dense")
    shipped = at.metric[0].value
    at.number_input(key="mc_seed").set_value(7).run()
    at.button(key="mc_reset").click().run()
    assert "from scratch, +0.0" in at.metric[0].label and float(at.metric[0].value.rstrip("%")) > 50
    at.button(key="mc_step").click().run()
    assert "+0.13 epochs" in at.metric[0].label  # 100 steps of the notebook's 781 per epoch
    at.button(key="mc_startpause").click().run()  # start: the fragment trains on every run
    assert at.button(key="mc_startpause").label == "Pause"
    at.run()
    at.run()
    assert "+0.51 epochs" in at.metric[0].label and float(at.metric[0].value.rstrip("%")) < 25
    at.button(key="mc_startpause").click().run()  # pause: no more steps
    label = at.metric[0].label
    at.run()
    assert at.metric[0].label == label and at.button(key="mc_startpause").label == "▶ Start"
    at.button(key="mc_action").click().run()  # train one epoch: 781 more steps, then it stops by itself
    for _ in range(10):
        at.run()
    assert "+1.51 epochs" in at.metric[0].label and not at.session_state["mc_running"]
    at.button(key="mc_trained").click().run()
    assert at.metric[0].value == shipped
