"""RNN cells (models/language/rnn_cells.py) and the rnn_cells / rnn_gradients demos."""
import json

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from models.language.rnn_cells import CELLS, gradient_reach, init_cell, one_hot_text, run_cell

torch.set_num_threads(1)


def test_one_hot_text_other_slot():
    x = one_hot_text("aZ é")
    assert x.shape == (4, 28) and (x.sum(1) == 1).all()
    assert x[0, 0] == 1 and x[1, 25] == 1 and x[2, 26] == 1 and x[3, 27] == 1


@pytest.mark.parametrize("kind,torch_cls", [("rnn", torch.nn.RNN), ("gru", torch.nn.GRU), ("lstm", torch.nn.LSTM)])
def test_numpy_cells_match_torch(kind, torch_cls):
    w = init_cell(kind, 28, 6, seed=3, scale=1.5)
    x = one_hot_text("recurrent nets")
    net = torch_cls(28, 6)
    with torch.no_grad():
        net.weight_ih_l0.copy_(torch.tensor(w.W))
        net.weight_hh_l0.copy_(torch.tensor(w.U))
        net.bias_ih_l0.copy_(torch.tensor(w.b))
        net.bias_hh_l0.zero_()
        out, _ = net(torch.tensor(x)[:, None])
    np.testing.assert_allclose(run_cell(w, x)["hidden"], out[:, 0].numpy(), atol=1e-5)


def test_gates_in_range():
    x = one_hot_text("hello")
    g = run_cell(init_cell("gru", 28, 4), x)
    assert set(g) == {"hidden", "reset", "update", "candidate"}
    l = run_cell(init_cell("lstm", 28, 4), x)
    for gate in ("input", "forget", "output"):
        assert ((l[gate] > 0) & (l[gate] < 1)).all()
    assert np.abs(l["hidden"]).max() < 1


def test_gradient_vanishes_for_simple_rnn_not_for_gated_cells():
    r = {c: gradient_reach(c, steps=40, hidden=16, gate_bias=2.0) for c in CELLS}
    rel = {c: v[30] / v[0] for c, v in r.items()}
    assert rel["rnn"] < 1e-4
    assert rel["lstm"] > 100 * rel["rnn"] and rel["gru"] > 100 * rel["rnn"]


def test_gradient_explodes_for_large_recurrent_weights():
    g = gradient_reach("rnn", steps=40, hidden=16, scale=4.0)
    assert g[39] > 10 * g[0]


def test_rnn_cells_demo():
    at = AppTest.from_string("from demos.rnn_cells import render\nrender(key_prefix='rc')", default_timeout=60).run()
    assert not at.exception
    titles = lambda: [json.loads(c.proto.spec)["layout"]["title"]["text"].split(" ")[0] for c in at.get("plotly_chart")]  # noqa: E731
    assert sorted(titles()) == ["candidate", "hidden", "reset", "update"]
    at.radio(key="rc_cell").set_value("lstm").run()
    assert sorted(titles()) == ["candidate", "cell", "forget", "hidden", "input", "output"]
    z_full = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["z"]
    at.slider(key="rc_step").set_value(3).run()
    z3 = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["z"]
    assert z3[0][2] == z_full[0][2] and z3[0][5] is None and z_full[0][5] is not None
    at.text_input(key="rc_text").set_value("").run()
    assert any("Type a short" in w.value for w in at.warning)
    at.text_input(key="rc_text").set_value("ü" * 10_000).run()
    assert not at.exception and at.info and "first 40" in at.info[0].value


def test_rnn_gradients_demo():
    at = AppTest.from_string("from demos.rnn_gradients import render\nrender(key_prefix='rg', steps='40')",
                             default_timeout=60).run()
    assert not at.exception
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [t["name"] for t in fig["data"]] == ["Simple RNN", "GRU", "LSTM"]
    rnn_before = fig["data"][0]["y"][-1]
    at.slider(key="rg_scale").set_value(3.0).run()
    rnn_after = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["y"][-1]
    assert rnn_after > 100 * rnn_before
