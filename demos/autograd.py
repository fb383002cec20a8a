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


def render(key_prefix: str = "autograd", stage=None, **options: str) -> None:
    """The expression, its value and gradients and its graph in ``stage.visual``; the expression picker in
    ``stage.controls``; your own formula, the variables' values and the explanation in ``stage.more``."""
    import streamlit as st

    from deck.stage import default_stage
    from models.basics.autograd import FUNCTIONS, PRESET_LABELS, PRESETS, evaluate, gradients, parse, to_dot

    stage = stage or default_stage()
    kp = key_prefix
    names = list(PRESETS) + ["own"]
    o = OPTIONS.parse(options)
    p0 = "own" if "expr" in options else o.preset
    preset = stage.controls.radio("expression", names, index=names.index(p0), key=f"{kp}_preset", horizontal=True,
                                  format_func=PRESET_LABELS.get,
                                  help="log(x) is the Theano notebook's example: d log(x)/dx at x = 2 is 1/2.")
    default_expr, default_vals = PRESETS.get(preset, (o.expr, {}))
    more = stage.more.container()
    if preset == "own":
        expr = more.text_input("formula", default_expr, max_chars=400, key=f"{kp}_expr",
                               help=f"Numbers, variables, + - * / ** (or ^), and {', '.join(FUNCTIONS)}.")
    else:
        expr = default_expr
    visual = stage.visual
    visual.code(expr, language="python")
    try:
        nodes, variables = parse(expr)
    except ValueError as e:
        visual.error(f"Cannot use that expression: {e}.")
        return
    vals = {}
    if variables:
        vc = more.columns(max(2, min(len(variables), 4)))
        for i, v in enumerate(variables):
            vals[v] = vc[i % len(vc)].number_input(v, -1e6, 1e6, number(default_vals.get(v, 1.0)).parse(options.get(v)),
                                                   0.1, key=f"{kp}_{preset}_{v}", format="%.4g",
                                                   help=f"value of {v}")
    more.caption("Forward: every box computes its value from its inputs. Backward: autograd walks the same graph "
                 "from the output to the inputs, multiplying local derivatives (the chain rule); each box shows "
                 "∂out/∂(that box). Theano in 2016 did this symbolically, on the graph before running it; PyTorch "
                 "records the graph as the code runs.")
    out = evaluate(nodes, vals)
    grads = gradients(nodes)
    with visual:
        if stage.present:
            st.markdown(" · ".join([f"value **{out:.6g}**"] + [f"∂out/∂{v} **{'–' if g is None else f'{g:.6g}'}**"
                                                              for v, g in grads.items()]))
        else:
            m = st.columns(1 + len(grads))
            m[0].metric("value", f"{out:.6g}")
            for i, (v, g) in enumerate(grads.items()):
                m[i + 1].metric(f"∂out/∂{v}", "–" if g is None else f"{g:.6g}")
        if out != out or any(g is not None and g != g for g in grads.values()):
            st.warning("The result is not a number here (for example log or sqrt of a negative value).")
        st.graphviz_chart(to_dot(nodes), width="content",
                          height=min(stage.height(460, 520), 110 + 70 * len(variables)))
    st.session_state[f"{kp}_result"] = {"value": out, "grads": grads}
