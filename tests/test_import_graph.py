"""The package's import graph: no cycles, and the engine free of Dagster and of the layers above it.

Every import counts, at module level or inside a function, under `TYPE_CHECKING` or not, and so
does a string that names one of the package's modules (a forkserver preload list names the modules
it imports): a cycle through any of them is a design knot even when Python happens to resolve it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers import REPO

PACKAGE = "logingest_dagster"
ROOT = REPO / PACKAGE
# What the engine must never import: Dagster (and its integrations), and the layers built on it.
ENGINE_FORBIDDEN = (
    "dagster",
    "dagster_",
    f"{PACKAGE}.defs",
    f"{PACKAGE}.cli",
    f"{PACKAGE}.startup",
)
ENGINE_FORBIDDEN_MODULES = (f"{PACKAGE}.definitions",)


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules() -> dict[str, Path]:
    return {module_name(p): p for p in ROOT.rglob("*.py")}


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """Every module `path` imports (absolute names), and every module of ours a string names."""
    tree = ast.parse(path.read_text(), str(path))
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in modules else base)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value in modules
            and node.value != this
        ):
            found.add(node.value)
    return found


def graph() -> dict[str, set[str]]:
    modules = package_modules()
    names = set(modules)
    return {name: imports_of(path, names) & names for name, path in modules.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module, or a module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges[node]:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle_through_a_string_and_a_lazy_import(tmp_path):
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_package_has_no_import_cycles():
    assert cycles(graph()) == []


def test_the_engine_imports_no_dagster_no_defs_no_cli():
    modules = package_modules()
    names = set(modules)
    offenders = {}
    for name, path in modules.items():
        if not name.startswith(f"{PACKAGE}.engine"):
            continue
        bad = {
            imported
            for imported in imports_of(path, names)
            if imported.startswith(ENGINE_FORBIDDEN) or imported in ENGINE_FORBIDDEN_MODULES
        }
        if bad:
            offenders[name] = sorted(bad)
    assert offenders == {}


def test_the_graph_sees_lazy_imports_and_module_names_in_strings(tmp_path):
    """The walker itself: an import inside a function and a preload list both count."""
    ops = graph()[f"{PACKAGE}.defs.ops"]
    assert f"{PACKAGE}.engine.pipeline" in ops
    executor = graph()[f"{PACKAGE}.defs.executor"]
    assert f"{PACKAGE}.startup.forkserver" in executor
