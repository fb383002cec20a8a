"""Convolution maths (against scipy) and the convolution demo's controls."""
import json

import numpy as np
import pytest
import scipy.signal as ss

from models.vision import conv


def scipy_valid(x, k):
    return ss.convolve2d(x, k[::-1, ::-1], mode="valid")  # scipy flips; CNN layers do not


@pytest.mark.parametrize("name", list(conv.PRESETS_3))
def test_presets_3_match_scipy_same(name):
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 255, (17, 23))
    k = conv.preset(name, 3)
    ours = conv.conv2d(x, k, padding=1)
    ref = ss.convolve2d(x, k[::-1, ::-1], mode="same", boundary="fill", fillvalue=0)
    assert ours.shape == x.shape and np.allclose(ours, ref)


@pytest.mark.parametrize("name", list(conv.PRESETS_5))
def test_presets_5_match_scipy_valid(name):
    x = np.random.default_rng(2).normal(size=(12, 9))
    k = conv.preset(name, 5)
    assert np.allclose(conv.conv2d(x, k), scipy_valid(x, k))


def test_identity_and_blur_sum():
    x = np.random.default_rng(3).uniform(0, 255, (10, 10))
    assert np.allclose(conv.conv2d(x, conv.preset("identity"), padding=1), x)
    assert abs(conv.preset("blur").sum() - 1) < 1e-12 and abs(conv.preset("Gaussian blur", 5).sum() - 1) < 1e-12


@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), (2, 0, 1), (3, 2, 1), (1, 0, 2), (2, 3, 3)])
def test_stride_padding_dilation_against_scipy(stride, padding, dilation):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(19, 22))
    k = rng.normal(size=(3, 3))
    # dilation = a kernel with zeros between taps; stride = every s-th output of the dense result
    kd = np.zeros((dilation * 2 + 1,) * 2)
    kd[::dilation, ::dilation] = k
    ref = scipy_valid(np.pad(x, padding), kd)[::stride, ::stride]
    ours = conv.conv2d(x, k, stride, padding, dilation)
    assert ours.shape == ref.shape == (conv.output_size(19, 3, stride, padding, dilation),
                                       conv.output_size(22, 3, stride, padding, dilation))
    assert np.allclose(ours, ref)


def test_output_size_formula():
    assert conv.output_size(28, 3, 1, 1, 1) == 28  # 'same' for the MNIST CNN
    assert conv.output_size(224, 7, 2, 3, 1) == 112  # GoogLeNet's first layer
    assert conv.output_size(5, 3, 1, 0, 3) == 0  # dilated kernel spans 7 > 5: no output
    assert conv.conv2d(np.ones((5, 5)), np.ones((3, 3)), dilation=3).shape == (0, 0)


def test_colour_is_per_channel():
    x = np.random.default_rng(5).uniform(0, 255, (8, 9, 3))
    k = conv.preset("sharpen")
    out = conv.conv2d(x, k, padding=1)
    assert out.shape == (8, 9, 3) and np.allclose(out[..., 2], conv.conv2d(x[..., 2], k, padding=1))


def test_explain_pixel_hand_computed_patch():
    x = np.arange(25, dtype=float).reshape(5, 5)
    k = conv.preset("Sobel x (vertical edges)")
    ex = conv.explain_pixel(x, k, 0, 0, padding=1)  # top-left corner: 5 of 9 taps on padding
    assert ex.patch.tolist() == [[0, 0, 0], [0, 0, 1], [0, 5, 6]]
    assert ex.total == -2 * 0 + 2 * 1 - 1 * 0 + 1 * 6 == conv.conv2d(x, k, padding=1)[0, 0]
    rng = np.random.default_rng(6)
    y = rng.normal(size=(30, 31))
    kk = rng.normal(size=(5, 5))
    full = conv.conv2d(y, kk, 2, 3, 2)
    for r, c in [(0, 0), (5, 7), (full.shape[0] - 1, full.shape[1] - 1)]:
        assert np.isclose(conv.explain_pixel(y, kk, r, c, 2, 3, 2).total, full[r, c])


def test_to_display_modes():
    v = np.array([-300.0, -10, 0, 100, 400])
    assert conv.to_display(v, "clip").tolist() == [0, 0, 0, 100, 255]
    assert conv.to_display(v, "abs").tolist() == [255, 10, 0, 100, 255]
    assert conv.to_display(v, "shift").tolist() == [0, 118, 128, 228, 255]
    assert conv.to_display(v, "stretch").tolist()[0] == 0 and conv.to_display(v, "stretch").tolist()[-1] == 255


# ------------------------------------------------------------------ the demo
APP = "from demos.convolution import render\nrender(key_prefix='cv')"


def _at():
    from streamlit.testing.v1 import AppTest

    return AppTest.from_string(APP, default_timeout=60).run()


def explanation(at):
    return next(m.value for m in at.markdown if m.value.startswith("Output pixel"))


def size_text(at):
    return next(m.value for m in at.markdown if m.value.startswith("**Output size**"))


def plotly_array(v):
    """Plotly JSON stores numpy arrays as {"dtype", "bdata" (base64), "shape"}."""
    import base64

    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        return a.reshape([int(n) for n in str(v.get("shape", len(a))).split(",")])
    return np.array(v)


def products(at):
    return plotly_array(json.loads(at.get("plotly_chart")[4].proto.spec)["data"][0]["z"])


def test_demo_controls_change_the_output():
    at = _at()
    assert not at.exception
    assert "= **200**" in size_text(at) and "= **300**" in size_text(at)  # sharpen, pad 1 keeps 200x300
    sharp = explanation(at)
    at.selectbox(key="cv_preset_3").set_value("blur").run()
    blur = explanation(at)
    assert blur != sharp and "taps fall on zero padding" not in blur
    assert np.isclose(products(at).sum(), float(blur.split("**")[1]))  # the products shown sum to the value
    at.number_input(key="cv_stride").set_value(2).run()
    assert "= **100**" in size_text(at) and "= **150**" in size_text(at)
    at.number_input(key="cv_dilation").set_value(3).run()
    assert "spans 7×7" in size_text(at) and "= **98**" in size_text(at)
    at.number_input(key="cv_padding").set_value(0).run()
    at.number_input(key="cv_row").set_value(0).run()
    at.number_input(key="cv_col").set_value(0).run()
    assert "rows 0…6, columns 0…6" in explanation(at)
    at.number_input(key="cv_padding").set_value(3).run()
    assert "taps fall on zero padding" in explanation(at)  # corner pixel now overlaps the padding
    at.toggle(key="cv_colour").set_value(True).run()
    assert "(red channel)" in json.loads(at.get("plotly_chart")[2].proto.spec)["layout"]["title"]["text"]
    at.radio(key="cv_ksize").set_value(5).run()
    assert not at.exception and len(products(at)) == 5
    at.selectbox(key="cv_display_identity").set_value("stretch").run()
    assert "stretch min–max" in explanation(at)


def test_demo_kernel_edit_and_huge_dilation():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(APP, default_timeout=60)
    at.session_state["cv_kernel_3_sharpen"] = {"edited_rows": {1: {"1": 1.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    kernel = plotly_array(json.loads(at.get("plotly_chart")[3].proto.spec)["data"][0]["z"])
    assert kernel.tolist() == [[0, -1, 0], [-1, 1, -1], [0, -1, 0]]
    assert json.loads(at.get("plotly_chart")[1].proto.spec)["layout"]["title"]["text"] == "output (edited)"
    at.number_input(key="cv_padding").set_value(0).run()
    at.number_input(key="cv_dilation").set_value(6).run()
    at.number_input(key="cv_stride").set_value(8).run()
    assert not at.exception and "= **24**" in size_text(at)


def test_demo_options_from_slide():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string("from demos.convolution import render\n"
                             "render(key_prefix='o', preset='emboss', size='5', sample='coffee', width='120')",
                             default_timeout=60).run()
    assert not at.exception
    assert at.selectbox(key="o_preset_5").value == "emboss" and "input 80×120" in size_text(at)
    assert "add 128" in explanation(at)


def test_demo_stride_padding_dilation_options():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string("from demos.convolution import render\n"
                             "render(key_prefix='d', preset='outline', dilation='2', stride='2', width='bad')",
                             default_timeout=60).run()
    assert not at.exception
    assert at.number_input(key="d_dilation").value == 2 and at.number_input(key="d_padding").value == 2
    assert "spans 5×5" in size_text(at) and "= **100**" in size_text(at)  # 200x300 cat, 'same' padding, stride 2
