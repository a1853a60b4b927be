"""Every LOGINGEST_* environment variable is named in `logingest_dagster/environment.py` alone;
other modules import the names. Docstrings and comments may mention a variable for the reader:
only code that spells one out (a string literal, f-strings included) counts."""

from __future__ import annotations

import ast
from pathlib import Path

import logingest_dagster
from logingest_dagster import environment

PACKAGE = Path(logingest_dagster.__file__).parent
PREFIX = "LOGINGEST_"


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the string nodes that are docstrings (module, class, function)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def variables_named_in(path: Path) -> list[str]:
    """Each `file:line: text` where the module's code spells out a LOGINGEST_ variable."""
    tree = ast.parse(path.read_text(), str(path))
    docstrings = _docstrings(tree)
    return [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and PREFIX in node.value
        and id(node) not in docstrings
    ]


def test_no_module_but_environment_names_a_logingest_variable():
    elsewhere = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != Path(environment.__file__)
        for hit in variables_named_in(path)
    ]
    assert elsewhere == []


def test_the_environment_module_names_each_variable_once():
    names = {k: v for k, v in vars(environment).items() if k.endswith("_ENV")}
    assert names and all(v.startswith(PREFIX) for v in names.values())
    assert len(set(names.values())) == len(names)
    assert len(variables_named_in(Path(environment.__file__))) == len(names)
