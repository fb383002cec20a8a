import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

from models.basics import painting as P
from basics_helpers import fig, trace

torch.set_num_threads(1)


def test_sample_image_and_coordinates():
    img = P.sample_image("chelsea", 32)
    assert img.shape == (32, 32, 3) and img.dtype == np.float32 and 0 <= img.min() and img.max() <= 1
    xy = P.coordinates(4, 8)
    assert xy.shape == (32, 2)
    assert xy[0].tolist() == [-0.5, -0.5] and xy[1, 0] == pytest.approx(-0.375)  # ConvNetJS centring
    with pytest.raises(ValueError):
        P.sample_image("nope")


def test_fourier_features_numpy_and_torch_agree():
    xy = P.coordinates(5, 5)
    f_np = P.fourier_features(xy, 3)
    f_t = P.fourier_features(torch.from_numpy(xy), 3).numpy()
    assert f_np.shape == (25, 2 + 12) and np.allclose(f_np, f_t, atol=1e-6)
    assert P.fourier_features(xy, 0) is xy
    assert P.make_mlp(7, 20, 3)[0].in_features == 14


def test_presets_build_the_slide_nets():
    for name, (layers, width) in P.PRESETS.items():
        net = P.make_mlp(layers, width)
        n_lin = sum(isinstance(m, torch.nn.Linear) for m in net)
        assert n_lin == layers + 1 and net[0].out_features == width


@pytest.mark.parametrize("mode", ["adam", "sgd2016"])
def test_training_lowers_full_image_loss(mode):
    img = P.sample_image("chelsea", 32)
    p = P.Painter(img, P.PaintConfig.from_preset("twoply", mode, fourier=2, seed=1, batch=256 if mode == "adam" else None))
    before = p.full_loss()
    p.train(steps=300 if mode == "adam" else 1500)
    assert p.iterations == (300 if mode == "adam" else 1500)
    assert p.samples == p.iterations * p.cfg.batch
    assert p.history[-1][3] < 0.7 * before
    assert p.predict().shape == (32, 32, 3)


def test_seed_reproduces_a_run():
    img = P.sample_image("coffee", 16)
    runs = []
    for _ in range(2):
        p = P.Painter(img, P.PaintConfig.from_preset("simple", "adam", seed=7, batch=64))
        p.train(steps=20)
        runs.append(p.predict())
    assert np.array_equal(runs[0], runs[1])


def test_seconds_to_reach_and_preview_tick():
    img = P.sample_image("chelsea", 24)
    p = P.Painter(img, P.PaintConfig.from_preset("twoply", "adam", fourier=4, batch=256))
    target = 0.5 * p.full_loss()
    t = P.seconds_to_reach(p, target, budget=10.0)
    assert t is not None and p.history[-1][3] <= target
    pngs = P.preview_tick([p], budget=0.05)
    assert Image.open(io.BytesIO(pngs[0])).size == (24, 24)


APP = "from demos.painting import render\nrender(key_prefix='pt', {opts})"


def _painters(at):
    return list(at.session_state["pt_painters"].values())


def test_painting_demo_step_trains_and_controls_rebuild():
    at = AppTest.from_string(APP.format(opts="autostart='0'"), default_timeout=60).run()
    assert not at.exception
    (p,) = _painters(at)
    assert (p.cfg.layers, p.cfg.width, p.cfg.mode) == (7, 20, "adam") and p.iterations == 0
    at.button(key="pt_step").click().run()
    (p,) = _painters(at)
    assert p.iterations > 0 and p.history[-1][3] < p.history[0][3]
    at.radio(key="pt_A_preset").set_value("simple").run()
    (p2,) = _painters(at)
    assert (p2.cfg.layers, p2.cfg.width) == (1, 5) and p2.iterations == 0
    at.toggle(key="pt_compare").set_value(True).run()
    assert len(_painters(at)) == 2
    assert len(fig(at)["data"]) == 2  # one loss curve per configuration


def test_painting_demo_options_and_fragment_ticks():
    at = AppTest.from_string(APP.format(opts="preset='wider', mode='sgd2016', compare='1', b_preset='deep', "
                                             "b_fourier='8', autostart='1'"), default_timeout=60).run()
    assert not at.exception
    a, b = _painters(at)
    assert (a.cfg.layers, a.cfg.width, a.cfg.mode, a.cfg.batch) == (1, 20, "sgd2016", 5)
    assert (b.cfg.layers, b.cfg.fourier, b.cfg.mode) == (7, 8, "adam")
    n0 = b.iterations
    at.run()  # AppTest has no timer: each run() is one fragment tick
    a, b = _painters(at)
    assert b.iterations > n0 > 0 and a.iterations > 0
    at.button(key="pt_reset").click().run()
    a, b = _painters(at)
    assert a is not None and b.history[0][1] == 0


def test_painting_demo_bad_upload_shows_error():
    at = AppTest.from_string(APP.format(opts="image='upload…', autostart='0'"), default_timeout=60).run()
    assert not at.exception and not at.error  # nothing uploaded yet: the cat is shown
    assert _painters(at)[0].image.shape == (200, 200, 3)
