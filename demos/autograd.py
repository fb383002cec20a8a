"""Live autograd: an expression, its computation graph, its value and gradients from PyTorch.

Slide directive: ``::: demo autograd`` (log x at x = 2, as the Theano notebook), ``::: demo autograd
preset=neuron`` (also ``cubic``, ``softplus``), or ``::: demo autograd expr="x*y + sin(x)" x=2 y=3`` (your
own formula; variables' values as options).
"""
from __future__ import annotations

from demos.kit.options import choice, declare, number, text


def _presets():
    from models.basics.autograd import PRESETS

    return list(PRESETS)


# Any further option is a variable's starting value (``x=2``).
OPTIONS = declare(preset=choice(_presets, "log"), expr=text("x*y + sin(x)"), other=number(1.0))


def render(key_prefix: str = "autograd", **options: str) -> None:
    import streamlit as st

    from models.basics.autograd import FUNCTIONS, PRESET_LABELS, PRESETS, evaluate, gradients, parse, to_dot

    kp = key_prefix
    names = list(PRESETS) + ["own"]
    o = OPTIONS.parse(options)
    p0 = "own" if "expr" in options else o.preset
    c = st.columns([1.3, 2])
    preset = c[0].radio("expression", names, index=names.index(p0), key=f"{kp}_preset", horizontal=True,
                        format_func=PRESET_LABELS.get,
                        help="log(x) is the Theano notebook's example: d log(x)/dx at x = 2 is 1/2.")
    default_expr, default_vals = PRESETS.get(preset, (o.expr, {}))
    if preset == "own":
        expr = c[1].text_input("formula", default_expr, max_chars=400, key=f"{kp}_expr",
                               help=f"Numbers, variables, + - * / ** (or ^), and {', '.join(FUNCTIONS)}.")
    else:
        expr = default_expr
        c[1].code(expr, language="python")
    try:
        nodes, variables = parse(expr)
    except ValueError as e:
        st.error(f"Cannot use that expression: {e}.")
        return
    vals = {}
    if variables:
        vc = st.columns(max(4, min(len(variables), 6)))
        for i, v in enumerate(variables):
            vals[v] = vc[i % len(vc)].number_input(v, -1e6, 1e6, number(default_vals.get(v, 1.0)).parse(options.get(v)),
                                                   0.1, key=f"{kp}_{preset}_{v}", format="%.4g",
                                                   help=f"value of {v}")
    out = evaluate(nodes, vals)
    grads = gradients(nodes)
    m = st.columns(1 + len(grads))
    m[0].metric("value", f"{out:.6g}")
    for i, (v, g) in enumerate(grads.items()):
        m[i + 1].metric(f"∂out/∂{v}", "–" if g is None else f"{g:.6g}")
    if out != out or any(g is not None and g != g for g in grads.values()):
        st.warning("The result is not a number here (for example log or sqrt of a negative value).")
    st.graphviz_chart(to_dot(nodes), width="content", height=min(520, 110 + 70 * len(variables)))
    st.caption("Forward: every box computes its value from its inputs. Backward: autograd walks the same graph "
               "from the output to the inputs, multiplying local derivatives (the chain rule); each box shows "
               "∂out/∂(that box). Theano in 2016 did this symbolically, on the graph before running it; PyTorch "
               "records the graph as the code runs.")
    st.session_state[f"{kp}_result"] = {"value": out, "grads": grads}
