"""Automatic differentiation on a tiny expression, with its computation graph.

The modern counterpart of the workshop's Theano walkthrough (`0-TheanoBasics.ipynb`): there one built a
symbolic expression, printed its graph, and asked Theano for d log(x)/dx at x = 2 (= 0.5). Here a safe
parser turns a formula such as ``log(x)`` or ``sigmoid(w*x + b)`` into a tree of PyTorch operations; we
evaluate it forward, call ``backward()``, and read every node's value and the gradient of the output with
respect to it — exactly what autograd records. ``to_dot`` draws the graph (Graphviz DOT text).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

FUNCTIONS = ("log", "exp", "sin", "cos", "tanh", "sigmoid", "relu", "sqrt", "abs")
BINOPS = {ast.Add: "+", ast.Sub: "−", ast.Mult: "×", ast.Div: "÷", ast.Pow: "^"}
MAX_LEN, MAX_NODES = 200, 60

PRESETS = {  # name -> (expression, default values)
    "log": ("log(x)", {"x": 2.0}),
    "neuron": ("sigmoid(w1*x1 + w2*x2 + b)", {"w1": 0.5, "x1": 1.0, "w2": -1.0, "x2": 2.0, "b": 0.1}),
    "cubic": ("x**3 - 2*x + 1", {"x": 1.5}),
    "softplus": ("log(1 + exp(x))", {"x": 0.0}),
}
PRESET_LABELS = {"log": "log(x)", "neuron": "tiny neuron", "cubic": "polynomial", "softplus": "softplus",
                 "own": "your own"}


@dataclass
class Node:
    """One operation (or input) in the graph; children are node indices."""

    op: str  # "input", "const", "+", "×", "log", ...
    label: str
    children: list = field(default_factory=list)
    value: float | None = None
    grad: float | None = None


def parse(expr: str) -> tuple[list[Node], list[str]]:
    """Expression text -> (nodes in evaluation order, variable names). Raises ValueError with a readable reason."""
    text = (expr or "").strip()
    if not text:
        raise ValueError("the expression is empty")
    if len(text) > MAX_LEN:
        raise ValueError(f"the expression is {len(text)} characters long; keep it under {MAX_LEN}")
    try:
        tree = ast.parse(text.replace("^", "**"), mode="eval").body
    except SyntaxError as e:
        raise ValueError(f"cannot parse it ({e.msg})") from None
    nodes: list[Node] = []
    names: dict[str, int] = {}

    def visit(n) -> int:
        if len(nodes) > MAX_NODES:
            raise ValueError(f"the expression has more than {MAX_NODES} operations")
        if isinstance(n, ast.Name):
            if n.id in FUNCTIONS:
                raise ValueError(f"{n.id} is a function: write {n.id}(...)")
            if not n.id.isidentifier() or not n.id.isascii() or len(n.id) > 12:
                raise ValueError(f"use short ASCII variable names, not {n.id!r}")
            if n.id not in names:
                nodes.append(Node("input", n.id))
                names[n.id] = len(nodes) - 1
            return names[n.id]
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)) and not isinstance(n.value, bool):
            nodes.append(Node("const", f"{n.value:g}", value=float(n.value)))
            return len(nodes) - 1
        if isinstance(n, ast.BinOp) and type(n.op) in BINOPS:
            a, b = visit(n.left), visit(n.right)
            nodes.append(Node(BINOPS[type(n.op)], BINOPS[type(n.op)], [a, b]))
            return len(nodes) - 1
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            a = visit(n.operand)
            if isinstance(n.op, ast.UAdd):
                return a
            nodes.append(Node("neg", "−", [a]))
            return len(nodes) - 1
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
            if n.func.id not in FUNCTIONS:
                raise ValueError(f"unknown function {n.func.id!r}; available: {', '.join(FUNCTIONS)}")
            if len(n.args) != 1 or n.keywords:
                raise ValueError(f"{n.func.id} takes exactly one argument")
            a = visit(n.args[0])
            nodes.append(Node(n.func.id, n.func.id, [a]))
            return len(nodes) - 1
        raise ValueError(f"'{ast.unparse(n)}' is not allowed: use numbers, variables, + − × ÷ ^ and "
                         f"{', '.join(FUNCTIONS)}")

    visit(tree)
    return nodes, list(names)


def evaluate(nodes: list[Node], values: dict) -> float:
    """Forward with torch (float64), then backward from the last node; fills every node's value and grad.

    Returns the output value. grad of a node = d output / d node (None for constants).
    """
    import torch

    f = {"log": torch.log, "exp": torch.exp, "sin": torch.sin, "cos": torch.cos, "tanh": torch.tanh,
         "sigmoid": torch.sigmoid, "relu": torch.relu, "sqrt": torch.sqrt, "abs": torch.abs}
    ts = []
    for nd in nodes:
        if nd.op == "input":
            if nd.label not in values:
                raise ValueError(f"no value given for {nd.label}")
            t = torch.tensor(float(values[nd.label]), dtype=torch.float64, requires_grad=True)
        elif nd.op == "const":
            t = torch.tensor(nd.value, dtype=torch.float64)
        else:
            a = [ts[i] for i in nd.children]
            if nd.op == "+":
                t = a[0] + a[1]
            elif nd.op == "−":
                t = a[0] - a[1]
            elif nd.op == "×":
                t = a[0] * a[1]
            elif nd.op == "÷":
                t = a[0] / a[1]
            elif nd.op == "^":
                t = a[0] ** a[1]
            elif nd.op == "neg":
                t = -a[0]
            else:
                t = f[nd.op](a[0])
            if t.requires_grad:
                t.retain_grad()  # keep d out / d (this intermediate) for the picture
        ts.append(t)
    out = ts[-1]
    if out.requires_grad:
        out.backward()
    for nd, t in zip(nodes, ts):
        nd.value = float(t.detach())
        nd.grad = None if t.grad is None else float(t.grad)
    if nodes[-1].grad is None and nodes[-1].op != "const":
        nodes[-1].grad = 1.0
    return nodes[-1].value


def gradients(nodes: list[Node]) -> dict:
    """{variable: d output / d variable} after evaluate."""
    return {n.label: n.grad for n in nodes if n.op == "input"}


def to_dot(nodes: list[Node]) -> str:
    """Graphviz DOT of the evaluated graph, inputs on the left, output on the right; each node shows value and grad."""

    def fmt(v):
        return "–" if v is None else f"{v:.4g}"

    lines = ["digraph G {", "rankdir=LR;", 'node [fontname="Helvetica", fontsize=11];']
    for i, n in enumerate(nodes):
        shape, fill = ("ellipse", "#56B4E9") if n.op == "input" else (("plaintext", "white") if n.op == "const"
                                                                        else ("box", "#F0E442"))
        if i == len(nodes) - 1:
            fill = "#E69F00"
        label = n.label if n.op == "const" else f"{n.label}\\nvalue {fmt(n.value)}\\ngrad {fmt(n.grad)}"
        lines.append(f'n{i} [label="{label}", shape={shape}, style="filled,rounded", fillcolor="{fill}"];')
        for c in n.children:
            lines.append(f"n{c} -> n{i};")
    lines.append("}")
    return "\n".join(lines)
