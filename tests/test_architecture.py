"""Architecture rules, read from the source with ``ast`` (nothing is imported):

- no import cycle among the modules of deck/, demos/ and models/, counting function-local imports
  (a cycle hidden inside a function is still a cycle: it only fails later, at the first call);
- models/ is plain PyTorch/numpy: nothing under it imports Streamlit.

An edge A -> B means module A has an ``import`` naming B (at the top, in a function, anywhere), or
``from B import name``; when ``name`` is itself a module (``from pkg import sub``) the edge goes to
that submodule. Imports under ``if TYPE_CHECKING:`` never run and are left out.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("deck", "demos", "models")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def collect_modules(root: Path, packages=PACKAGES) -> dict[str, Path]:
    found = {}
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            found[module_name(path, root)] = path
    return found


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the import nodes inside ``if TYPE_CHECKING:`` blocks."""
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else ""
            if name == "TYPE_CHECKING":
                for inner in node.body:
                    skip.update(id(n) for n in ast.walk(inner))
    return skip


def imported_names(path: Path, module: str, is_package: bool, known=None) -> list[tuple[str, int]]:
    """Every module name this file imports, anywhere in it, with the line. ``import a.b`` gives ``a.b``;
    ``from a import b`` gives ``a.b`` where that is one of the ``known`` modules, else ``a`` (with no
    ``known``, both)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skip = _type_checking_nodes(tree)
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if known is None:
                    out += [(target, node.lineno), (sub, node.lineno)]
                else:
                    out.append((sub if sub in known else target, node.lineno))
    return out


def import_graph(root: Path = ROOT, packages=PACKAGES) -> dict[str, dict[str, int]]:
    """module -> {imported module of ours: line of the first such import}."""
    modules = collect_modules(root, packages)
    graph: dict[str, dict[str, int]] = {}
    for name, path in modules.items():
        edges: dict[str, int] = {}
        for target, line in imported_names(path, name, path.name == "__init__.py", modules):
            if target in modules and target != name:
                edges.setdefault(target, line)
        graph[name] = edges
    return graph


def find_cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle (as a path that returns to its start) for every strongly connected group of
    modules that import each other; [] when the graph has none (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, groups = {}, {}, set(), [], []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, {})))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return [_cycle_in(graph, set(g)) for g in groups]


def _cycle_in(graph, group: set[str]) -> list[str]:
    """A shortest cycle through the group's first module, staying inside the group (BFS)."""
    start = min(group)
    prev = {start: None}
    queue = [start]
    for node in queue:
        for child in sorted(graph[node]):
            if child == start:
                path = [node]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return path[::-1] + [start]  # path runs node -> ... -> start; reversed it starts there
            if child in group and child not in prev:
                prev[child] = node
                queue.append(child)
    raise AssertionError(f"no cycle found in the group {sorted(group)}")


def describe(graph, cycle: list[str]) -> str:
    return " -> ".join(f"{a} (line {graph[a][b]})" for a, b in zip(cycle, cycle[1:])) + f" -> {cycle[-1]}"


def test_no_import_cycles_in_deck_demos_models():
    graph = import_graph()
    assert len(graph) > 50 and any(graph.values()), "the scan found too few modules: is ROOT right?"
    cycles = find_cycles(graph)
    assert not cycles, "import cycles (function-local imports included):\n" + "\n".join(
        describe(graph, c) for c in cycles)


def test_models_never_import_streamlit():
    offenders = []
    for name, path in collect_modules(ROOT, ("models",)).items():
        for target, line in imported_names(path, name, path.name == "__init__.py"):
            if target == "streamlit" or target.startswith("streamlit."):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: imports {target}")
    assert not offenders, "models/ must stay plain PyTorch/numpy:\n" + "\n".join(sorted(set(offenders)))


def test_the_checker_sees_cycles_hidden_in_functions(tmp_path):
    """The rules above must be able to fail: a two-module cycle through a function-local import,
    a three-module one through relative imports, and a TYPE_CHECKING import that is no cycle."""
    pkg = tmp_path / "deck"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from deck.a import thing\n")
    (pkg / "c.py").write_text("from .d import x\n")
    (pkg / "d.py").write_text("import deck.e\n")
    (pkg / "e.py").write_text("def g():\n    from .c import y\n")
    (pkg / "f.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from deck.g import T\n")
    (pkg / "g.py").write_text("from deck import f\n")
    graph = import_graph(tmp_path, ("deck",))
    assert graph["deck.a"] == {"deck.b": 1} and graph["deck.b"] == {"deck.a": 2}
    cycles = find_cycles(graph)
    assert sorted(cycles) == [["deck.a", "deck.b", "deck.a"], ["deck.c", "deck.d", "deck.e", "deck.c"]]
    assert describe(graph, cycles[0]) == "deck.a (line 1) -> deck.b (line 2) -> deck.a"
    (pkg / "m.py").write_text("def h():\n    import streamlit as st\n")
    offenders = [t for t, _ in imported_names(pkg / "m.py", "deck.m", False) if t.startswith("streamlit")]
    assert offenders == ["streamlit"]
