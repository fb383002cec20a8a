"""Every Session I demo survives junk slide options (they arrive as strings from the slide text)."""
import pytest
from streamlit.testing.v1 import AppTest

JUNK = dict(w1="abc", w2="1e999", b="nan", activation="zz", preset="??", mode="x", fourier="-3", lr="0", momentum="9",
            compare="maybe", image="../../etc/passwd", seed="-1", autostart="0", data="moon", noise="500",
            split="abc", features="q,r", layers="a,b", act="swish", l2="-1", batch="0", hide="all", hidden="2",
            adam="yes", draw="0", steps="1e9", x1="5", x2="-5", target="2", expr="", x="ü", max_seconds="0")


@pytest.mark.parametrize("demo", ["neuron", "layers", "painting", "playground", "mnist_dense", "gradient_descent",
                                  "backprop", "autograd"])
def test_demo_survives_junk_options(demo):
    opts = ", ".join(f"{k}={v!r}" for k, v in JUNK.items())
    at = AppTest.from_string(f"from demos.{demo} import render\nrender(key_prefix='j', {opts})", default_timeout=60)
    at.run()
    assert not at.exception, at.exception


@pytest.mark.parametrize("demo", ["painting", "playground", "mnist_dense", "gradient_descent", "backprop"])
def test_demo_marks_its_main_action_for_the_rehearsal(demo):
    at = AppTest.from_string(f"from demos.{demo} import render\nrender(key_prefix='r', autostart='0', draw='0')",
                             default_timeout=60).run()
    assert "r_action" in [b.key for b in at.button]
    at.button(key="r_action").click().run()
    assert not at.exception
