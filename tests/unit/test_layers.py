"""The layers point one way (docs: `../shared/docs/architecture.md`, "Layers"):

    core  <-  tasks, db  <-  engine (harness/, less its CLI)  <-  cli (harness/cli.py), adapters, app

Every `import` and `from ... import` in the packages, at module level or inside a function, is an
edge; a function-level import that dodges a cycle is still one.
"""

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("core", "tasks", "db", "harness", "app", "adapters")
ALLOWED = {
    "core": set(),
    "tasks": {"core"},
    "db": {"core"},
    "engine": {"core", "tasks", "db"},
    "cli": {"core", "tasks", "db", "engine", "adapters"},
    "adapters": {"core", "db", "engine"},
    "app": {"core", "db"},
}


def layer(module: str) -> str | None:
    top = module.split(".", 1)[0]
    if top not in PACKAGES:
        return None
    if module == "harness.cli" or module.startswith("harness.cli."):
        return "cli"
    return "engine" if top == "harness" else top


def imported(tree: ast.AST, module: str) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing module's package
                base = module.split(".")[: -node.level]
                out.add(".".join([*base, node.module or ""]).rstrip("."))
            elif node.module:
                out.add(node.module)
                out.update(f"{node.module}.{alias.name}" for alias in node.names)
    return out


def edges() -> dict[str, dict[str, list[str]]]:
    """layer -> imported layer -> the modules making that import."""
    graph: dict[str, dict[str, list[str]]] = {}
    files = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
    assert len(files) > 100, f"only {len(files)} files found under {ROOT}"
    for path in files:
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        source = layer(module)
        assert source is not None
        graph.setdefault(source, {})
        for name in imported(ast.parse(path.read_text(encoding="utf-8")), module):
            target = layer(name)
            if target is not None and target != source:
                graph[source].setdefault(target, []).append(module)
    return graph


def test_each_layer_imports_only_the_layers_below_it() -> None:
    graph = edges()
    assert set(graph) == set(ALLOWED)
    wrong = {
        f"{source} -> {target} ({', '.join(sorted(set(modules))[:3])})"
        for source, targets in graph.items()
        for target, modules in targets.items()
        if target not in ALLOWED[source]
    }
    assert not wrong, sorted(wrong)


def test_no_cycle_between_layers() -> None:
    graph = {source: set(targets) for source, targets in edges().items()}
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            assert state.get(nxt) != "open", f"import cycle: {' -> '.join([*path, node, nxt])}"
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert len(state) == len(ALLOWED)


def test_the_walk_sees_function_level_imports(tmp_path: Path) -> None:
    tree = ast.parse("def f():\n    from harness.engine.run import evaluate\n")
    assert "harness.engine.run" in imported(tree, "db.store")
