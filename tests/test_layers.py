"""The layers stay layers: the import graph, drawn from the source (ast, nothing imported), points one way.

    domain  ←  metrics  ←  data_access  ←  importers, sample_data
                                       ←  ui  ←  views  ←  app.py, public_app.py

domain/ imports nothing of the project; metrics/ only domain/ (and neither streamlit nor sqlalchemy);
data_access/ only domain/ and metrics/; importers/ never the app (ui/, views/); ui/ never views/ (its one
reach sideways is the first start's build of the sample, ui/bootstrap.py → sample_data). Between packages
there is no cycle. A failure names the module, the line and the import that broke the rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("domain", "metrics", "data_access", "importers", "sample_data", "ui", "views", "benchmarks")
SKIPPED_DIRS = {".venv", ".git", "tests", "artifacts", "__pycache__"}

# What each package may import of the project (besides itself). Everything else is a reach upward.
ALLOWED = {
    "domain": set(),
    "metrics": {"domain"},
    "data_access": {"domain", "metrics"},
    "importers": {"domain", "metrics", "data_access"},
    "sample_data": {"domain", "metrics", "data_access"},
    "ui": {"domain", "metrics", "data_access", "sample_data"},  # sample_data: the first start's build (bootstrap)
    "views": {"domain", "metrics", "data_access", "ui"},
}
NOT_IN_METRICS = ("streamlit", "sqlalchemy")  # metrics/ is plain values and DataFrames in and out


def _modules() -> dict[str, Path]:
    """Every module of the project by dotted name (tests excluded: they may import anything)."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if SKIPPED_DIRS & set(rel.parts):
            continue
        name = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, int]]:
    """(imported module, line) of every import in the module, at any depth (imports inside functions
    count too), relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found.append((base, node.lineno))
            # `from ui import data` imports the module ui.data: count it under its own name.
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names if f"{base}.{alias.name}" in MODULES]
    return found


def _package(module: str) -> str:
    return module.split(".")[0]


EDGES = {name: _imports(name, path) for name, path in MODULES.items()}


def _project_imports(package: str) -> list[tuple[str, str, int]]:
    """(module, imported project module, line) for the modules of `package`."""
    return [
        (module, target, line)
        for module, targets in EDGES.items()
        if _package(module) == package
        for target, line in targets
        if _package(target) in MODULES or _package(target) in PACKAGES
    ]


def test_the_graph_sees_the_project():
    """A guard for the guard: the walk finds every package and real edges between them."""
    assert {_package(m) for m in MODULES} >= set(PACKAGES) | {"app", "cli", "public_app"}
    assert ("domain.settings", 0) not in EDGES["metrics.rates"]
    assert any(target == "domain.settings" for target, _ in EDGES["metrics.rates"])


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_nothing_reaches_upward(package):
    allowed = ALLOWED[package] | {package}
    wrong = [f"{m}:{line} imports {target}" for m, target, line in _project_imports(package) if _package(target) not in allowed]
    assert not wrong, f"{package}/ may import only {sorted(allowed)} of the project:\n" + "\n".join(wrong)


def test_metrics_imports_neither_streamlit_nor_sqlalchemy():
    wrong = [
        f"{module}:{line} imports {target}"
        for module, targets in EDGES.items()
        if _package(module) == "metrics"
        for target, line in targets
        if _package(target) in NOT_IN_METRICS
    ]
    assert not wrong, "\n".join(wrong)


def test_no_cycles_between_packages():
    graph: dict[str, set[str]] = {}
    for module, targets in EDGES.items():
        source = _package(module)
        for target, _ in targets:
            if _package(target) != source and _package(target) in PACKAGES:
                graph.setdefault(source, set()).add(_package(target))
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in trail:
                cycles.append(" → ".join(trail[trail.index(nxt):] + [nxt]))
            else:
                visit(nxt, trail + [nxt])

    for start in sorted(graph):
        visit(start, [start])
    assert not cycles, "cycles between packages:\n" + "\n".join(sorted(set(cycles)))


def test_importers_live_beside_data_access_not_inside_it():
    """Importers are a package of their own (they write through data_access, data_access never needs them)."""
    assert not (ROOT / "data_access" / "importers").exists()
    assert (ROOT / "importers" / "__init__.py").is_file()


@pytest.mark.parametrize("package", ["importers", "sample_data"])
def test_writers_and_generators_stay_out_of_the_app(package):
    """Only the CLI, the benchmarks and the tests use the importers and the sample generator's writers, except
    the first-start build of the embedded sample (ui/bootstrap.py)."""
    users = sorted(
        {
            _package(module) if _package(module) in PACKAGES else module
            for module, targets in EDGES.items()
            for target, _ in targets
            if _package(target) == package and _package(module) != package
        }
    )
    allowed = {"importers": ["benchmarks", "cli"], "sample_data": ["benchmarks", "cli", "ui"]}[package]
    assert users == allowed
