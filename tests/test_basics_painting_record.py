"""The painting slide's three ConvNetJS ratios: recorded by benchmarks/painting.py --record, re-checked here."""
import importlib.util
import json

import pytest
import torch
from streamlit.testing.v1 import AppTest

from models import artefacts
from models.basics.painting import PaintConfig, Painter, sample_image, seconds_to_reach

ROOT = artefacts.ROOT
spec = importlib.util.spec_from_file_location("painting_benchmark", ROOT / "benchmarks" / "painting.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
ENTRY = artefacts.entry("basics", "painting_vs_convnetjs")
KEYS = ("ratio_same_net_same_optimiser", "ratio_adam_no_fourier", "ratio_modern_recipe")


def test_record_is_listed_and_its_ratios_follow_from_its_measurements():
    assert ENTRY is not None, "painting_vs_convnetjs is listed in models/artefacts/basics/manifest.json"
    rec = json.loads(artefacts.path_of(ENTRY).read_text())
    assert {k: rec[k] for k in KEYS} == ENTRY["metrics"] and rec["command"] == ENTRY["command"]
    cj = {"seconds": rec["convnetjs_seconds"], "samples": rec["convnetjs_samples_per_s"] * rec["convnetjs_seconds"]}
    again = bench.ratios(cj, rec["ours_sgd2016_samples_per_s"], rec["ours_adam_no_fourier_seconds"],
                         rec["ours_modern_seconds"])
    for k in KEYS:
        assert again[k] == pytest.approx(rec[k], rel=0.02), k
    # what the slide says about them: per sample the same recipe is slower in PyTorch; the method is what wins
    assert rec["ratio_same_net_same_optimiser"] < rec["ratio_adam_no_fourier"] < rec["ratio_modern_recipe"]


def test_ratios_helper():
    r = bench.ratios({"seconds": 20.0, "samples": 200_000}, 5_000, 2.0, None)
    assert r == {"ratio_same_net_same_optimiser": 0.5, "ratio_adam_no_fourier": 10.0, "ratio_modern_recipe": None}


def test_modern_recipe_reaches_the_recorded_convnetjs_loss_quickly():
    """Our side of the third ratio, re-run: the default live settings reach the loss ConvNetJS reached in its
    20 s within a third of that (recorded: under a second; a third leaves room for a loaded CI machine)."""
    rec = json.loads(artefacts.path_of(ENTRY).read_text())
    torch.set_num_threads(1)
    img = (sample_image("chelsea", 200) * 255).round().astype("uint8").astype("float32") / 255.0
    p = Painter(img, PaintConfig.from_preset("deep", "adam", 8, 0))
    t = seconds_to_reach(p, rec["convnetjs_mse"], budget=rec["convnetjs_seconds"] / 3)
    assert t is not None, f"no run reached MSE {rec['convnetjs_mse']} in {rec['convnetjs_seconds'] / 3:.1f} s"


def test_painting_demo_shows_the_three_labelled_ratios():
    at = AppTest.from_string("from demos.painting import render\nrender(key_prefix='pr', autostart='0')",
                             default_timeout=90).run()
    assert not at.exception
    text = " ".join(c.value for c in at.caption)
    m = ENTRY["metrics"]
    assert f"same net and optimiser** (SGD, batches of 5): {m['ratio_same_net_same_optimiser']:.2f}×" in text
    assert f"same net, Adam on batches of 4,000**: {m['ratio_adam_no_fourier']:.1f}×" in text
    assert f"today's recipe** (+ Fourier features): {m['ratio_modern_recipe']:.1f}×" in text
