from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from models import artefacts
from models.data.mnist import load_mnist
from models.basics import mnist_dense as M
from basics_helpers import fig, trace

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[1]


def test_models_match_the_notebook():
    m = M.make_model(0)
    assert sum(p.numel() for p in m.parameters()) == 7850  # 784*10 + 10, as the notebook's dense net
    assert M.make_model(100)(torch.zeros(3, 28, 28)).shape == (3, 10)
    assert M.VARIANTS["dense_sgd"].learning_rate == 0.05 and M.VARIANTS["dense_adam"].learning_rate == 0.001
    assert M.VARIANTS["hidden100_sgd"].epochs == 15


def test_trainer_logs_epochs_and_learns():
    cfg = M.DenseConfig(hidden=0, optim="sgd", epochs=2, batches_per_epoch=60)
    tr = M.DenseTrainer(cfg)
    loss0, acc0 = M.evaluate(tr.model, tr.xte, tr.yte)
    tr.train_batches(1000)  # stops at the end of the last epoch
    assert tr.done and tr.batches == 120 and [r["epoch"] for r in tr.history] == [1, 2]
    assert set(tr.history[0]) == {"epoch", "train_loss", "val_loss", "ratio", "train_acc", "val_acc"}
    assert tr.history[-1]["val_acc"] > 0.75 > acc0
    cm = M.confusion(tr.model, tr.xte, tr.yte)
    assert cm.shape == (10, 10) and cm.sum() == 1000 and np.trace(cm) / 1000 == pytest.approx(tr.history[-1]["val_acc"])
    assert M.class_weight_images(tr.model).shape == (10, 28, 28)


def test_same_seed_same_run():
    outs = []
    for _ in range(2):
        tr = M.DenseTrainer(M.DenseConfig(epochs=1, batches_per_epoch=20))
        tr.train_batches(20)
        outs.append(tr.model[1].weight.detach().clone())
    assert torch.equal(outs[0], outs[1])


def test_preprocess_digit_centres_and_inverts():
    a = np.full((100, 80), 255, np.uint8)  # dark ink on white paper, off-centre
    a[10:60, 5:15] = 0
    x = M.preprocess_digit(a)
    assert x.shape == (28, 28) and x.max() > 0.9 and x[0].max() == 0
    ys, xs = np.nonzero(x > 0.1)
    assert abs(ys.mean() - 13.5) < 2 and abs(xs.mean() - 13.5) < 2 and ys.max() - ys.min() + 1 in (19, 20, 21)
    rgba = np.zeros((196, 196, 4), np.uint8)  # canvas: white stroke on black
    rgba[40:150, 90:104] = 255
    assert M.preprocess_digit(rgba).max() > 0.9
    with pytest.raises(ValueError, match="no digit"):
        M.preprocess_digit(np.zeros((50, 50), np.uint8))


@pytest.mark.parametrize("entry", artefacts.entries("basics", "mnist_"), ids=lambda e: e["name"])
def test_shipped_checkpoints_reach_their_recorded_metric(entry):
    model, cfg, history = M.load(str(ROOT / entry["path"]))
    d = load_mnist()
    loss, acc = M.evaluate(model, torch.from_numpy(d.x_test), torch.from_numpy(d.y_test))
    assert acc == pytest.approx(entry["metrics"]["test_accuracy"], abs=0.002)
    assert loss == pytest.approx(entry["metrics"]["test_loss"], abs=0.002)
    assert len(history) == cfg.epochs and entry["command"].startswith("python -m models.basics.mnist_dense")
    assert (ROOT / entry["path"]).stat().st_size < 5_000_000


def test_dense_checkpoint_matches_the_slide_claim():
    entry = artefacts.by_name("basics")["mnist_dense_sgd"]
    assert 0.06 <= 1 - entry["metrics"]["test_accuracy"] <= 0.11  # slide: "around 8-9% error"


APP = "from demos.mnist_dense import render\nrender(key_prefix='mn', draw='0')"


def test_mnist_demo_toggles_switch_models():
    at = AppTest.from_string(APP, default_timeout=60).run()
    assert not at.exception
    err_dense = at.session_state["mn_error"]
    w0 = trace(at, 0)
    assert w0.shape == (28, 28) and len(fig(at, 0)["data"]) == 10  # ten 28×28 weight images
    assert trace(at, 1).sum() == 1000  # confusion matrix over the 1,000 held-out digits
    at.toggle(key="mn_hidden").set_value(True).run()
    assert at.session_state["mn_error"] < err_dense  # the hidden layer helps
    assert "hidden unit" in fig(at, 0)["layout"]["annotations"][0]["text"]
    assert len(at.dataframe[0].value) == 15  # 15 epochs in the per-epoch table
    assert len(at.dataframe[1].value) == 4  # all four variants side by side


def test_mnist_demo_train_live_progresses():
    at = AppTest.from_string(APP, default_timeout=60).run()
    at.button(key="mn_action").click().run()
    tr = at.session_state["mn_live_dense_sgd"]
    b1 = tr.batches
    assert b1 > 0
    at.run()  # one more fragment tick
    assert at.session_state["mn_live_dense_sgd"].batches > b1
    assert "live" in at.metric[0].label


def test_mnist_demo_upload_predicts_or_explains():
    import io

    from PIL import Image

    at = AppTest.from_string(APP, default_timeout=60).run()
    at.get("file_uploader")[0].set_value(("x.png", b"not an image", "image/png"))
    at.run()
    assert not at.exception and "Cannot read" in at.error[0].value
    blank = io.BytesIO()
    Image.new("L", (50, 50), 255).save(blank, format="PNG")
    at.get("file_uploader")[0].set_value(("blank.png", blank.getvalue(), "image/png"))
    at.run()
    assert not at.exception and "no digit" in at.warning[0].value
    d = load_mnist()
    i = int(np.flatnonzero(d.y_test == 0)[0])  # a held-out zero, saved as a dark-on-light photo
    buf = io.BytesIO()
    Image.fromarray((255 - d.x_test[i] * 255).astype(np.uint8)).resize((112, 112)).save(buf, format="PNG")
    at.get("file_uploader")[0].set_value(("zero.png", buf.getvalue(), "image/png"))
    at.run()
    p = at.session_state["mn_proba_value"]
    assert p.shape == (10,) and abs(p.sum() - 1) < 1e-5 and int(p.argmax()) == 0
