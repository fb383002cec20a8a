import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from models.basics import playground as PG
from basics_helpers import fig, trace

torch.set_num_threads(1)


@pytest.mark.parametrize("name", PG.DATASETS)
def test_datasets_shapes_balance_and_range(name):
    p, y = PG.make_dataset(name, 200, 0.0, seed=3)
    assert p.shape == (200, 2) and y.shape == (200,)
    assert set(np.unique(y)) == {0, 1} and 60 < y.sum() < 140
    assert np.abs(p).max() < 7.5
    p2, y2 = PG.make_dataset(name, 200, 0.0, seed=3)
    assert np.array_equal(p, p2) and np.array_equal(y, y2)  # the seed reproduces the data


def test_noise_moves_points_and_circle_labels_follow_radius():
    p0, _ = PG.make_dataset("xor", 100, 0.0, 1)
    p1, _ = PG.make_dataset("xor", 100, 0.3, 1)
    assert not np.allclose(p0, p1)
    p, y = PG.make_dataset("circle", 300, 0.0, 0)
    r = np.hypot(p[:, 0], p[:, 1])
    assert r[y == 1].max() <= 2.5 + 1e-6 and r[y == 0].min() >= 3.5 - 1e-6


def test_split_and_features():
    p, y = PG.make_dataset("gauss", 100, 0.0, 0)
    xtr, ytr, xte, yte = PG.split(p, y, 0.3)
    assert len(xtr) == 30 and len(xte) == 70
    f = PG.features(np.array([[2.0, 3.0]], dtype=np.float32), ["x", "y", "x2", "y2", "xy", "sinx", "siny"])
    assert np.allclose(f[0], [2, 3, 4, 9, 6, np.sin(2), np.sin(3)])


def test_parse_csv_good_and_bad():
    pts, lab, note = PG.parse_csv(b"a,b,label\n1,2,cat\n3,4,dog\n5,6,cat\n7,8,dog\n0,1,dog\n")
    assert pts.shape == (5, 2) and lab.tolist() == [0, 1, 0, 1, 1] and "dog" in note
    assert np.abs(pts).max() == pytest.approx(5.0)
    pts, lab, note = PG.parse_csv(b"x;y;v\n1;2;0.1\n2;3;0.5\n3;4;0.9\n4;5;0.7\n")  # numeric label, ; separator
    assert lab.tolist() == [0, 0, 1, 1] and "median" in note
    for bad, msg in [(b"", "empty"), (b"name,city\nann,paris\nbob,rome\n", "two numeric"),
                     (b"x,y\n1,2\n3,4\n5,6\n7,8\n", "no label"), (b"x,y,label\n1,2,a\n3,4,a\n5,6,a\n7,8,a\n", "same label"),
                     ("x,y,label\n1,2,ü\n".encode() + b"\xff\xfe\x00garbage", None)]:
        with pytest.raises(ValueError) as e:
            PG.parse_csv(bad)
        if msg:
            assert msg in str(e.value)


def test_training_separates_xor_with_the_product_feature():
    run = PG.PlaygroundRun(PG.PlaygroundConfig("xor", features=("x", "y", "xy"), layers=(2,), lr=0.03, seed=0))
    loss0 = run.history[-1][1]
    run.train_epochs(30)
    assert run.epoch == 30 and run.history[-1][1] < 0.5 * loss0
    assert run.accuracy("test") > 0.95


def test_l2_shrinks_weights_and_grid_outputs_shapes():
    norms = []
    for l2 in (0.0, 0.3):
        run = PG.PlaygroundRun(PG.PlaygroundConfig("gauss", layers=(4,), l2=l2, seed=1))
        run.train_epochs(20)
        norms.append(sum(float((lin.weight.detach() ** 2).sum()) for lin in run.net.linears))
    assert norms[1] < norms[0]
    xs, feats, layers, out = run.grid_outputs(20)
    assert feats.shape == (2, 20, 20) and [h.shape for h in layers] == [(4, 20, 20)] and out.shape == (20, 20)
    assert 0 <= out.min() and out.max() <= 1


def test_config_validation_clamps():
    c = PG.PlaygroundConfig(features=("zz",), layers=(20,) * 9, activation="bogus", batch=99).validate()
    assert c.features == ("x", "y") and c.layers == (8,) * 6 and c.activation == "tanh" and c.batch == 30


APP = "from demos.playground import render\nrender(key_prefix='playground', {opts})"


def test_playground_demo_controls_and_url_mirror():
    at = AppTest.from_string(APP.format(opts="autostart='0'"), default_timeout=60).run()
    assert not at.exception
    run = at.session_state["playground_run"]
    assert run.cfg.data == "circle" and run.cfg.layers == (4, 2) and run.epoch == 0
    assert at.query_params["pg_data"] == "circle" and at.query_params["pg_layers"] == "4,2"
    z0 = trace(at, 0)
    at.button(key="playground_step").click().run()
    assert at.session_state["playground_run"].epoch == 1
    assert not np.allclose(trace(at, 0), z0)  # one epoch moved the decision map
    at.radio(key="playground_data").set_value("spiral").run()
    run = at.session_state["playground_run"]
    assert run.cfg.data == "spiral" and run.epoch == 0
    assert at.query_params["pg_data"] == "spiral"
    at.slider(key="playground_nlayers").set_value(1).run()
    assert at.session_state["playground_run"].cfg.layers == (4,)
    assert at.query_params["pg_layers"] == "4"
    at.checkbox(key="playground_f_x2").check().run()
    assert "x2" in at.session_state["playground_run"].cfg.features


def test_playground_link_reproduces_and_hides_controls():
    at = AppTest.from_string(APP.format(opts="autostart='0'"), default_timeout=60)
    for k, v in dict(pg_data="xor", pg_features="x,y,xy", pg_layers="none", pg_seed="7", pg_lr="0.1",
                     pg_hide="features,layers,seed", slide="12").items():
        at.query_params[k] = v
    at.run()
    assert not at.exception
    run = at.session_state["playground_run"]
    assert (run.cfg.data, run.cfg.features, run.cfg.layers, run.cfg.seed, run.cfg.lr) == \
        ("xor", ("x", "y", "xy"), (), 7, 0.1)
    keys = {w.key for w in at.checkbox} | {w.key for w in at.slider} | {w.key for w in at.number_input}
    assert "playground_f_x" not in keys and "playground_nlayers" not in keys and "playground_seed" not in keys
    assert "playground_noise" in keys
    assert at.query_params["slide"] == "12"  # the deck's own params are left alone


def test_playground_fragment_trains_while_playing():
    at = AppTest.from_string(APP.format(opts="data='gauss', layers='none'"), default_timeout=60).run()
    e1 = at.session_state["playground_run"].epoch
    at.run()
    e2 = at.session_state["playground_run"].epoch
    assert e2 > e1 > 0
    assert len(fig(at, 1)["data"]) == 2  # train and test loss curves


def test_url_prefix_per_deck_slide():
    from demos.playground import url_prefix

    assert url_prefix("playground") == "pg_"
    assert url_prefix("playground_fifth_elephant_2016_37_0") == "pg37_"
    assert url_prefix("playground_fifth_elephant_2016_37_1") == "pg37x1_"
    at = AppTest.from_string("from demos.playground import render\nrender(key_prefix='playground_t_5_0', autostart='0')",
                             default_timeout=60)
    at.query_params["pg5_data"] = "spiral"
    at.query_params["pg_data"] = "xor"  # another slide's parameters are ignored
    at.run()
    assert at.session_state["playground_t_5_0_run"].cfg.data == "spiral"


def test_playground_demo_csv_upload_good_and_bad():
    at = AppTest.from_string(APP.format(opts="autostart='0', data='csv'"), default_timeout=60).run()
    assert not at.exception and at.session_state["playground_run"].cfg.data == "circle"  # nothing uploaded yet
    at.get("file_uploader")[0].set_value(("cities.csv", b"name,city\nann,paris\nbob,rome\n", "text/csv"))
    at.run()
    assert not at.exception and "two numeric columns" in at.error[0].value
    rows = "\n".join(f"{i % 7},{(i * 3) % 5},{'a' if i % 2 else 'b'}" for i in range(40))
    at.get("file_uploader")[0].set_value(("pts.csv", ("x,y,label\n" + rows).encode(), "text/csv"))
    at.run()
    assert not at.exception and not at.error
    run = at.session_state["playground_run"]
    assert len(run.points) == 40 and set(run.labels.tolist()) == {0, 1}
