"""Opening one of the engine's compiled libraries (`level_fields`, `time_keys`), or refusing it.

Each library reports its ABI and a declaration of what it was built for through two functions,
`<name>_abi()` and `<name>_<declared>()`; the build writes both from the Python side's literals.
A library that is missing, older than its source (the C code changed since the last install), built
for another ABI or declaration, or that does not load is refused with one warning, and the caller
takes its RE2 path: the same results, slower.
"""

from __future__ import annotations

import ctypes
import logging
from pathlib import Path

log = logging.getLogger(__name__)


def open_checked(
    library_path: Path,
    source_path: Path,
    *,
    name: str,
    declared: str,
    abi: int,
    declaration: str,
    fallback: str,
) -> ctypes.CDLL | None:
    """The library at `library_path`, or None (with a warning ending in `fallback`, what the
    caller does instead) when it is missing, stale, or reports another (ABI, declaration) through
    `<name>_abi()` and `<name>_<declared>()`."""
    try:
        built = library_path.stat().st_mtime
    except OSError:
        log.warning("%s is not built (no C compiler at install?): %s", library_path, fallback)
        return None
    try:
        stale = source_path.stat().st_mtime > built
    except OSError:
        stale = False  # installed from a wheel, which carries no source: nothing to compare with
    if stale:
        log.warning(
            "%s is older than %s (run make setup): %s", library_path, source_path.name, fallback
        )
        return None
    try:
        library = ctypes.CDLL(str(library_path))
        report = getattr(library, f"{name}_{declared}")
        report.restype = ctypes.c_char_p
        built_for = (getattr(library, f"{name}_abi")(), report().decode())
    except (OSError, AttributeError) as exc:
        log.warning("cannot load %s (%s): %s", library_path, exc, fallback)
        return None
    if built_for != (abi, declaration):
        log.warning(
            "%s was built for ABI %s with %s %s, not ABI %s with %s (run make setup): %s",
            library_path,
            built_for[0],
            declared,
            built_for[1],
            abi,
            declaration,
            fallback,
        )
        return None
    return library
