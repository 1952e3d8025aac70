"""The layers point one way (docs: `../shared/docs/architecture.md`, "Layers"):

    core  <-  tasks, db  <-  harness.output  <-  scorers  <-  engine  <-  analysis  <-  adapters, cli
    core, db, analysis  <-  app    (the Adaptation page shows `harness.analysis.adaptation`'s comparisons)

`harness/scorers/` see only their own interface (`harness.scorers.base`), never the engine; the
command line (`harness/cli/`) is the top layer, which nothing imports. Every `import` and
`from ... import` in the packages, at module level or inside a function, is an edge; a
function-level import that dodges a cycle is still one. No two modules import each other, however
indirectly (the file-level test at the end).
"""

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("core", "tasks", "db", "harness", "app", "adapters")
ALLOWED = {
    "core": set(),
    "tasks": {"core"},
    "db": {"core"},
    "output": {"core"},
    "scorers": {"core", "tasks", "db", "output"},
    "engine": {"core", "tasks", "db", "output", "scorers"},
    "analysis": {"core", "tasks", "db", "output", "scorers", "engine"},
    "adapters": {"core", "tasks", "db", "output", "engine", "analysis"},
    "cli": {"core", "tasks", "db", "output", "scorers", "engine", "analysis", "adapters"},
    "app": {"core", "db", "analysis"},
}
ROOMS = ("cli", "engine", "scorers", "analysis")


def layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] not in PACKAGES:
        return None
    if parts[0] != "harness":
        return parts[0]
    if len(parts) > 1 and parts[1] in ROOMS:
        return parts[1]
    return "output"  # harness/__init__.py (the version) and harness/output.py


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


def module_graph() -> dict[str, set[str]]:
    """module -> the modules of ours it imports (a package import counts as its `__init__`)."""
    files = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
        for package in PACKAGES
        for p in sorted((ROOT / package).rglob("*.py"))
    }
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        targets = set()
        for name in imported(ast.parse(path.read_text(encoding="utf-8")), module):
            while name and name not in files:  # `from a.b import c`: c may be a name, not a module
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def test_no_cycle_between_modules() -> None:
    graph = module_graph()
    assert len(graph) > 140, len(graph)
    state: dict[str, str] = {}
    cycles: list[str] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(
                    " -> ".join([*path[path.index(nxt) :], node, nxt] if nxt in path else [node, nxt])
                )
            elif nxt not in state:
                visit(nxt, [*path, node])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert not cycles, cycles


def test_nothing_imports_the_command_line() -> None:
    graph = module_graph()
    importers = sorted(
        m
        for m, targets in graph.items()
        if not m.startswith("harness.cli")
        and any(t == "harness.cli" or t.startswith("harness.cli.") for t in targets)
    )
    assert not importers, importers


def test_no_module_of_harness_is_over_400_lines() -> None:
    sizes = {p: len(p.read_text(encoding="utf-8").splitlines()) for p in (ROOT / "harness").rglob("*.py")}
    assert len(sizes) > 50
    assert not {str(p.relative_to(ROOT)): n for p, n in sizes.items() if n > 400}


def test_the_app_reaches_analysis_only_through_its_light_comparison_modules() -> None:
    """The app may show `harness.analysis.adaptation`'s comparisons, but loading its pages must not load
    the engine, a scorer, a task family, torch or lm-eval: the app stays a reader of the database."""
    import subprocess
    import sys

    app_imports = {
        name
        for path in sorted((ROOT / "app").rglob("*.py"))
        for name in imported(ast.parse(path.read_text(encoding="utf-8")), "app")
        if layer(name) == "analysis"
    }
    assert app_imports <= {
        "harness.analysis.adaptation",
        "harness.analysis.adaptation.checkpoint_series",
        "harness.analysis.adaptation.Comparison",
        "harness.analysis.adaptation.SeriesPoint",
        "harness.analysis.adaptation.TaskChange",
        "harness.analysis.adaptation.MetricSummary",
    }, app_imports
    # The pages are Streamlit scripts that run on import; their analysis imports are loaded instead.
    probe = (
        "import sys, harness.analysis.adaptation, app.adaptation_charts, db.adaptation_queries; "
        "heavy = ('torch', 'lm_eval', 'transformers', 'tasks'); "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in heavy "
        "or m.startswith(('harness.engine', 'harness.scorers'))); print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]", out.stdout
