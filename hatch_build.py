"""The package build compiles the engine's level finders (`engine/scan/level_fields.c`).

hatchling runs this hook for the wheel target: `pip install .`, `pip wheel .` and `pip install -e
.` (so `make setup`). An editable install is a plain path entry to the source tree, so there the
library is built into the tree (git-ignored), beside `level_fields.py` which loads it; otherwise
the wheel carries it and is tagged for this platform (any Python 3: ctypes loads it, it is no
CPython extension). Without a working C compiler the build still succeeds, with a warning, and the
engine finds levels with RE2 instead. `CC` names the compiler (default `cc`).
"""

from __future__ import annotations

import ast
import os
import shlex
import shutil
import subprocess
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SCAN_PACKAGE = "logingest_dagster/engine/scan"
SOURCE = f"{SCAN_PACKAGE}/level_fields.c"
DECLARATION = f"{SCAN_PACKAGE}/level_fields.py"
LIBRARY = f"{SCAN_PACKAGE}/_level_fields.so"
HEADER = "level_fields_interface.h"  # the name level_fields.c includes


class LevelFieldsBuildHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        self._work = tempfile.TemporaryDirectory(prefix="level_fields-")
        work = Path(self._work.name)
        editable = version == "editable"
        library = root / LIBRARY if editable else work / Path(LIBRARY).name
        problem = compile_library(root, work, library)
        if problem:
            self.app.display_warning(
                f"{SOURCE} not compiled ({problem}): the engine will find levels with RE2, slower"
            )
            return
        self.app.display_info(f"compiled {SOURCE}")
        if not editable:
            build_data["force_include"][str(library)] = LIBRARY
            build_data["pure_python"] = False
            build_data["tag"] = f"py3-none-{platform_tag()}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        self._work.cleanup()


def compile_library(root: Path, work: Path, library: Path) -> str | None:
    """Builds `library` from the project at `root` (`work`: a scratch directory); what went wrong,
    or None."""
    compiler = shlex.split(os.environ.get("CC") or "cc")
    if shutil.which(compiler[0]) is None:
        return f"no C compiler: {compiler[0]} not found"
    abi, finders = declarations(root / DECLARATION)
    (work / HEADER).write_text(header(abi, finders))
    # Built under another name, then renamed over the old one: a running process (dagster dev, a
    # step) keeps the library it mapped, where writing into the same file would crash it. The
    # process id keeps two builds at once from writing into one partial file.
    partial = library.with_name(f"{library.stem}.{os.getpid()}.so.tmp")
    command = [
        *compiler, "-O2", "-shared", "-fPIC", "-Werror=switch", "-I", str(work),
        "-o", str(partial), str(root / SOURCE),
    ]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        return f"{shlex.join(command)}: {exc}"
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        return f"{shlex.join(command)} failed: {result.stderr.strip()}"
    os.replace(partial, library)
    return None


def declarations(path: Path) -> tuple[int, list[tuple[str, int]]]:
    """`ABI` and the members of `Finder` (name, number) as `level_fields.py` declares them, read
    from its syntax tree: an isolated build environment has no numpy, which that module imports."""
    abi, finders = None, []
    for node in ast.parse(path.read_text(), str(path)).body:
        if isinstance(node, ast.Assign) and _names(node) == ["ABI"]:
            abi = ast.literal_eval(node.value)
        elif isinstance(node, ast.ClassDef) and node.name == "Finder":
            finders = [
                (_names(member)[0], ast.literal_eval(member.value))
                for member in node.body
                if isinstance(member, ast.Assign)
            ]
    if not isinstance(abi, int) or not finders:
        raise ValueError(f"{path}: no literal ABI or Finder members to build the library from")
    return abi, finders


def header(abi: int, finders: list[tuple[str, int]]) -> str:
    """The C declarations `level_fields.c` is compiled with."""
    members = ", ".join(f"{name} = {number}" for name, number in finders)
    listed = ",".join(f"{name}={number}" for name, number in finders)
    return (
        f"/* Written by hatch_build.py from {DECLARATION}: ABI and Finder. */\n"
        f"#define LEVEL_FIELDS_ABI {abi}\n"
        f'#define LEVEL_FIELDS_FINDERS "{listed}"\n'
        f"enum finder {{ {members} }};\n"
    )


def platform_tag() -> str:
    """This platform's wheel tag, as `bdist_wheel` writes it: `linux_x86_64`."""
    return sysconfig.get_platform().replace("-", "_").replace(".", "_")


def _names(assignment: ast.Assign) -> list[str]:
    return [target.id for target in assignment.targets if isinstance(target, ast.Name)]
