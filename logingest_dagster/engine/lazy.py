"""Public names of a package that load their module on first use (PEP 562).

For stage packages whose modules import numpy or pyarrow: the offset store and the Dagster layer
name their types, and importing the package must not load those into a process that never scans.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any


def lazy_exports(package: str, public: dict[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: `public` maps each name to its module's full name."""

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module hook's own name
        module = public.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(module), name)

    return __getattr__
