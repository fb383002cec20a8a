import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from models.basics import neuron as N
from basics_helpers import fig as _fig, trace


def test_activations_values():
    z = np.array([-2.0, 0.0, 2.0])
    assert N.activation("step")(z).tolist() == [0, 0, 1]
    assert np.allclose(N.activation("Sigmoid")(np.array([0.0])), 0.5)
    assert N.activation("relu")(z).tolist() == [0, 0, 2]
    with pytest.raises(ValueError):
        N.activation("softplusx")


def test_neuron_output_orientation_and_bias():
    xs, ys = N.grid(3.0, 7)
    z = N.neuron_output(1.0, 0.0, 0.0, "step", xs, ys)
    assert z.shape == (7, 7)
    assert z[:, -1].all() and not z[:, 0].any()  # high on the right (x > 0) for w1 > 0
    z2 = N.neuron_output(1.0, 0.0, -2.5, "step", xs, ys)  # bias shifts the boundary to x = 2.5
    assert z2.sum() == 7  # only the column x = 3 is on


def test_presets_make_shapes_one_neuron_cannot():
    xs, ys = N.grid(3.0, 61)
    c = 30
    bump = N.preset("bump").output(xs, ys)
    assert bump[c, c] > 0.9 and bump[0, 0] < 0.1 and bump[c, 0] < 0.1 and bump[0, c] < 0.1
    corner = N.preset("corner").output(xs, ys)
    assert corner[-1, -1] > 0.9 and corner[0, -1] < 0.1 and corner[-1, 0] < 0.1
    band = N.preset("band").output(xs, ys)
    assert band[c, c] > 0.9 and band[0, 0] < 0.1 and band[-1, -1] < 0.1
    assert N.preset("bump").hidden(xs, ys).shape == (4, 61, 61)




def test_neuron_demo_sliders_change_heatmap():
    at = AppTest.from_string("from demos.neuron import render\nrender(key_prefix='nn')", default_timeout=60).run()
    assert not at.exception
    z0 = trace(at, 0)
    at.slider(key="nn_b").set_value(2.0).run()
    z1 = trace(at, 0)
    assert z1.mean() > z0.mean() + 0.1  # a positive bias turns more of the plane on
    at.radio(key="nn_act").set_value("step").run()
    z2 = trace(at, 0)
    assert set(np.unique(z2)) <= {0.0, 1.0}
    assert "step" in _fig(at)["layout"]["title"]["text"]


def test_neuron_demo_bad_options_fall_back():
    at = AppTest.from_string("from demos.neuron import render\nrender(key_prefix='nb', w1='abc', activation='zzz')",
                             default_timeout=60).run()
    assert not at.exception
    assert at.slider(key="nb_w1").value == 1.0


def test_layers_demo_combination_changes():
    at = AppTest.from_string("from demos.layers import render\nrender(key_prefix='ly')", default_timeout=60).run()
    assert not at.exception
    out0 = trace(at, 1)
    assert len(_fig(at, 0)["data"]) == 4  # four hidden units for the bump
    at.radio(key="ly_preset").set_value("band").run()
    assert len(_fig(at, 0)["data"]) == 2
    out1 = trace(at, 1)
    assert not np.allclose(out0, out1)
    at.number_input(key="ly_band_0_v").set_value(0.0).run()  # drop the first ridge: the band disappears
    out2 = trace(at, 1)
    assert out2.max() < 0.1
