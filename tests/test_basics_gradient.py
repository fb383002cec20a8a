import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from models.basics import gradient as G
from basics_helpers import fig, trace


def test_loss_surface_minimum_and_curvature():
    d = G.make_line_data(seed=1)
    w, b = G.optimum(d)
    assert abs(w - 2) < 0.3 and abs(b + 1) < 0.5
    assert G.loss(d, w, b) < G.loss(d, w + 0.1, b) and G.loss(d, w, b) < G.loss(d, w, b - 0.1)
    grid = G.loss(d, np.zeros((3, 4)), np.zeros((3, 4)))
    assert grid.shape == (3, 4)
    eps = 1e-4  # the Hessian matches finite differences of the loss
    h = (G.loss(d, w + eps, b) - 2 * G.loss(d, w, b) + G.loss(d, w - eps, b)) / eps ** 2
    assert h == pytest.approx(G.hessian(d)[0, 0], rel=1e-3)


def test_learning_rate_regimes():
    d = G.make_line_data()
    crit = G.critical_lr(d)
    slow = G.sgd_path(d, 0.3 * crit, 100, 300)
    assert G.describe_path(d, slow).startswith("converged")
    zig = G.sgd_path(d, 0.95 * crit, 100, 40)
    assert "oscillat" in G.describe_path(d, zig)
    boom = G.sgd_path(d, 1.1 * crit, 100, 200)
    assert G.describe_path(d, boom) == "diverged"
    assert G.describe_path(d, G.sgd_path(d, 0.001, 100, 20)) == "still descending"


def test_small_batches_are_noisy_but_reproducible():
    d = G.make_line_data()
    a = G.sgd_path(d, 0.1, 5, 50, seed=3)
    b = G.sgd_path(d, 0.1, 5, 50, seed=3)
    full = G.sgd_path(d, 0.1, 100, 50, seed=3)
    assert np.array_equal(a, b) and not np.allclose(a, full)


def test_blame_backprop_equals_finite_differences():
    for seed in range(3):
        theta = G.tiny_net_params(seed)
        r = G.blame(theta, [0.7, -1.2], 0.2)
        assert np.allclose(r["backprop"], r["numeric"], atol=1e-8)
        # the output bias's blame is exactly the output error signal
        assert r["backprop"][8] == pytest.approx(r["delta_out"])
        assert r["backprop"][4] == pytest.approx(r["delta_hidden"][0])


def test_gradient_step_reduces_error():
    theta = G.tiny_net_params(0)
    r = G.blame(theta, [1.0, -0.5], 1.0)
    r2 = G.blame(theta - 1.0 * r["backprop"], [1.0, -0.5], 1.0)
    assert r2["forward"]["error"] < r["forward"]["error"]


def test_gradient_descent_demo_lr_changes_path_and_animates():
    at = AppTest.from_string("from demos.gradient_descent import render\nrender(key_prefix='gd')",
                             default_timeout=60).run()
    assert not at.exception
    path0 = trace(at, 0, 1, "x")
    at.select_slider(key="gd_lr").set_value(0.3).run()
    assert "diverged" in at.caption[0].value
    at.select_slider(key="gd_lr").set_value(0.01).run()
    path1 = trace(at, 0, 1, "x")
    assert len(path1) == 81 and not np.allclose(path0, path1)
    at.button(key="gd_action").click().run()
    assert at.session_state["gd_shown"] <= 1
    at.run()
    at.run()
    assert 1 < at.session_state["gd_shown"] <= 3  # the fragment advanced the path
    assert len(trace(at, 0, 1, "x")) == at.session_state["gd_shown"] + 1


def test_backprop_demo_step_lowers_error_and_inputs_change_blame():
    at = AppTest.from_string("from demos.backprop import render\nrender(key_prefix='bp')", default_timeout=60).run()
    assert not at.exception
    e0 = at.session_state["bp_last"]["blame"]["forward"]["error"]
    g0 = trace(at, 1, 0, "y")
    assert len(g0) == 9
    at.button(key="bp_action").click().run()
    assert at.session_state["bp_last"]["blame"]["forward"]["error"] < e0
    at.slider(key="bp_target").set_value(0.0).run()
    g1 = trace(at, 1, 0, "y")
    assert np.sign(g1[-1]) != np.sign(g0[-1])  # output too high now: blame flips sign
