import math

import pytest
from streamlit.testing.v1 import AppTest

from models.basics import autograd as A


def run(expr, **vals):
    nodes, names = A.parse(expr)
    out = A.evaluate(nodes, vals)
    return out, A.gradients(nodes), nodes


def test_theano_notebook_example_dlogx_at_2():
    out, g, _ = run("log(x)", x=2.0)
    assert out == pytest.approx(math.log(2)) and g["x"] == pytest.approx(0.5)


def test_neuron_gradients_match_the_chain_rule():
    out, g, nodes = run("sigmoid(w*x + b)", w=0.5, x=2.0, b=-0.3)
    s = 1 / (1 + math.exp(-(0.5 * 2 - 0.3)))
    assert out == pytest.approx(s)
    assert g["w"] == pytest.approx(s * (1 - s) * 2) and g["x"] == pytest.approx(s * (1 - s) * 0.5)
    assert g["b"] == pytest.approx(s * (1 - s))
    assert nodes[-1].grad == 1.0 and all(n.value is not None for n in nodes)


def test_shared_variable_accumulates_and_operators():
    _, g, _ = run("x*x + 3*x", x=1.5)
    assert g["x"] == pytest.approx(2 * 1.5 + 3)
    out, g, _ = run("-(a - b) / 2 + a^2", a=3.0, b=1.0)
    assert out == pytest.approx(-1 + 9) and g["a"] == pytest.approx(-0.5 + 6) and g["b"] == pytest.approx(0.5)


def test_constant_expression_and_nan():
    out, g, _ = run("2 + 3")
    assert out == 5 and g == {}
    out, g, _ = run("log(x)", x=-1.0)
    assert math.isnan(out)


@pytest.mark.parametrize("bad,msg", [("", "empty"), ("x" * 10_000, "characters"), ("__import__('os')", "unknown function"),
                                     ("x.real", "not allowed"), ("foo(x)", "unknown function"), ("log", "function"),
                                     ("log(x, 2)", "exactly one"), ("x +* 2", "parse"), ("αβγ * 2", "ASCII"),
                                     ("(lambda: 1)()", "not allowed"), ("+".join(["x"] * 80), "more than")])
def test_bad_expressions_give_readable_errors(bad, msg):
    with pytest.raises(ValueError, match=msg):
        A.parse(bad)


def test_dot_has_every_node_and_edge():
    _, _, nodes = run("sigmoid(w*x + b)", w=1.0, x=1.0, b=0.0)
    dot = A.to_dot(nodes)
    assert dot.startswith("digraph") and dot.count("->") == sum(len(n.children) for n in nodes)
    assert "grad 1" in dot


def test_autograd_demo_inputs_change_gradient_and_bad_formula():
    at = AppTest.from_string("from demos.autograd import render\nrender(key_prefix='ag')", default_timeout=60).run()
    assert not at.exception
    assert at.session_state["ag_result"]["grads"]["x"] == pytest.approx(0.5)
    assert len(at.get("graphviz_chart")) == 1
    at.number_input(key="ag_log_x").set_value(4.0).run()
    assert at.session_state["ag_result"]["grads"]["x"] == pytest.approx(0.25)
    at.radio(key="ag_preset").set_value("own").run()
    at.text_input(key="ag_expr").input("x**2 + ").run()
    assert not at.exception and "Cannot use that expression" in at.error[0].value
    at.text_input(key="ag_expr").input("x**2 * y").run()
    assert at.session_state["ag_result"]["grads"] == {"x": pytest.approx(2.0), "y": pytest.approx(1.0)}


def test_autograd_demo_options():
    at = AppTest.from_string("from demos.autograd import render\nrender(key_prefix='ag2', expr='exp(t)', t='1')",
                             default_timeout=60).run()
    assert not at.exception
    assert at.session_state["ag2_result"]["value"] == pytest.approx(math.e)


def test_autograd_demo_neuron_preset_option():
    at = AppTest.from_string("from demos.autograd import render\nrender(key_prefix='ag3', preset='neuron', b='2')",
                             default_timeout=60).run()
    assert not at.exception
    r = at.session_state["ag3_result"]
    s = 1 / (1 + math.exp(-(0.5 * 1 - 1 * 2 + 2)))
    assert r["value"] == pytest.approx(s) and r["grads"]["b"] == pytest.approx(s * (1 - s))
