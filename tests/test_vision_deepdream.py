"""Deep Dream: gradient ascent really raises the layer's activations; the shipped picture reproduces."""
import numpy as np
import pytest
import torch
from PIL import Image

from models.vision import deepdream as dd
from models.data.images import fit_within, sample
from models.vision.inception import load_inception, run_to
from models.artefacts import ROOT, by_name

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def net():
    return load_inception()


def layer_energy(net, rgb, layer):
    x = torch.from_numpy(rgb.astype(np.float32)).permute(2, 0, 1)[None] / 127.5 - 1
    with torch.no_grad():
        return float(run_to(net, x, layer).pow(2).mean())


def test_dream_raises_the_chosen_layer(net):
    small = fit_within(sample("coffee"), 120)  # 80x120: a few steps are quick
    out = dd.dream(net, small, "mixed_1", steps=6, step_size=0.02)
    assert out.shape == small.shape and out.dtype == np.uint8
    assert layer_energy(net, out, "mixed_1") > 1.05 * layer_energy(net, small, "mixed_1")  # no-op would be 1.0
    assert np.array_equal(out, dd.dream(net, small, "mixed_1", steps=6, step_size=0.02))  # seeded jitter


def test_octaves_and_progress_callback(net):
    small = fit_within(sample("rocket"), 110)
    calls = []
    out = dd.dream(net, small, "mixed_3", steps=2, octaves=2, callback=lambda d, t, im: calls.append((d, t, im)))
    assert out.shape == small.shape
    assert [c[0] for c in calls] == [1, 2, 3, 4] and calls[-1][1] == 4 and calls[-1][2].shape == small.shape


def test_shipped_example_reproduces(net):
    rec = by_name("vision")["deepdream_example"]
    shipped = np.asarray(Image.open(ROOT / rec["path"]).convert("RGB"), dtype=float)
    cat = sample("cat (Chelsea)")
    out = dd.dream(net, cat, "mixed_3", steps=20, step_size=0.015)
    # Gradient ascent amplifies tiny float differences (another CPU's conv kernels), so compare the
    # pictures coarsely: 10x-downsampled colours must agree, and the amount of change must match.
    def coarse(a):
        return np.asarray(Image.fromarray(np.asarray(a, np.uint8)).resize((45, 30), Image.Resampling.BOX), float)

    assert np.abs(coarse(out) - coarse(shipped)).mean() < 4.0
    assert abs(np.abs(out.astype(float) - cat).mean() - rec["metrics"]["mean_abs_change"]) < 0.3


APP = "from demos.deepdream import render\nrender(key_prefix='dd', steps='2', layer='mixed_1')"


def test_demo_controls():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(APP, default_timeout=120).run()
    assert not at.exception and at.selectbox(key="dd_layer").value == "mixed_1"
    assert "dd_result" not in at.session_state and not at.get("download_button")  # ready-made picture only
    at.radio(key="dd_source").set_value("Sample photo").run()
    at.selectbox(key="dd_sample").set_value("rocket").run()
    at.selectbox(key="dd_layer").set_value("mixed_4").run()
    at.slider(key="dd_octaves").set_value(2).run()
    at.slider(key="dd_step").set_value(0.03).run()
    at.number_input(key="dd_seed").set_value(5).run()
    at.button(key="dd_action").click().run()
    res = at.session_state["dd_result"]
    assert not at.exception and res["image"].shape == (300, 450, 3)
    assert res["desc"].startswith("mixed_4, 2 steps × 2 octave(s), step 0.030") and at.get("download_button")
