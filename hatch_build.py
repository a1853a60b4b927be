"""The package build compiles the engine's level finders (`engine/scan/level_fields.c`) and time
matchers (`engine/scan/time_keys.c`), each into its own library.

hatchling runs this hook for the wheel target: `pip install .`, `pip wheel .` and `pip install -e
.` (so `make setup`). An editable install is a plain path entry to the source tree, so there the
library is built into the tree (git-ignored), beside `level_fields.py` which loads it; otherwise
the wheel carries them and is tagged for this platform (any Python 3: ctypes loads it, it is no
CPython extension). Without a working C compiler the build still succeeds, with a warning, and the
engine finds levels (and times) with RE2 instead. `CC` names the compiler (default `cc`).
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
from typing import Any, NamedTuple

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SCAN_PACKAGE = "logingest_dagster/engine/scan"
SOURCE = f"{SCAN_PACKAGE}/level_fields.c"
DECLARATION = f"{SCAN_PACKAGE}/level_fields.py"
LIBRARY = f"{SCAN_PACKAGE}/_level_fields.so"
HEADER = "level_fields_interface.h"  # the name level_fields.c includes


class Native(NamedTuple):
    """A compiled library: its C source, the Python module that declares its interface (`ABI` and
    an enum class), the library built, and the header the source includes."""

    source: str
    declaration: str
    library: str
    header: str
    enum_class: str  # the class in `declaration` whose members become the C `enum`
    prefix: str  # of the macros: <prefix>_ABI and <prefix>_<list>
    list_name: str


LEVEL_FIELDS = Native(SOURCE, DECLARATION, LIBRARY, HEADER, "Finder", "LEVEL_FIELDS", "FINDERS")
TIME_KEYS = Native(
    f"{SCAN_PACKAGE}/time_keys.c",
    f"{SCAN_PACKAGE}/time_keys.py",
    f"{SCAN_PACKAGE}/_time_keys.so",
    "time_keys_interface.h",
    "Family",
    "TIME_KEYS",
    "FAMILIES",
)
NATIVES = (LEVEL_FIELDS, TIME_KEYS)


class LevelFieldsBuildHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        self._work = tempfile.TemporaryDirectory(prefix="level_fields-")
        work = Path(self._work.name)
        editable = version == "editable"
        for native in NATIVES:
            library = root / native.library if editable else work / Path(native.library).name
            problem = compile_library(root, work, library, native)
            if problem:
                self.app.display_warning(
                    f"{native.source} not compiled ({problem}): the engine will use RE2, slower"
                )
                continue
            self.app.display_info(f"compiled {native.source}")
            if not editable:
                build_data["force_include"][str(library)] = native.library
                build_data["pure_python"] = False
                build_data["tag"] = f"py3-none-{platform_tag()}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        self._work.cleanup()


def compile_library(
    root: Path, work: Path, library: Path, native: Native = LEVEL_FIELDS
) -> str | None:
    """Builds `library` from `native`'s source in the project at `root` (`work`: a scratch
    directory); what went wrong, or None."""
    compiler = shlex.split(os.environ.get("CC") or "cc")
    if shutil.which(compiler[0]) is None:
        return f"no C compiler: {compiler[0]} not found"
    abi, members = declarations(root / native.declaration, native.enum_class)
    (work / native.header).write_text(header(abi, members, native))
    # Built under another name, then renamed over the old one: a running process (dagster dev, a
    # step) keeps the library it mapped, where writing into the same file would crash it. The
    # process id keeps two builds at once from writing into one partial file.
    partial = library.with_name(f"{library.stem}.{os.getpid()}.so.tmp")
    command = [
        *compiler, "-O2", "-shared", "-fPIC", "-Werror=switch", "-I", str(work),
        "-o", str(partial), str(root / native.source),
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


def declarations(path: Path, enum_class: str = "Finder") -> tuple[int, list[tuple[str, int]]]:
    """`ABI` and the members of `enum_class` (name, number) as the module at `path` (such as
    `level_fields.py`) declares them, read from its syntax tree: an isolated build environment has
    no numpy, which that module imports."""
    abi, finders = None, []
    for node in ast.parse(path.read_text(), str(path)).body:
        if isinstance(node, ast.Assign) and _names(node) == ["ABI"]:
            abi = ast.literal_eval(node.value)
        elif isinstance(node, ast.ClassDef) and node.name == enum_class:
            finders = [
                (_names(member)[0], ast.literal_eval(member.value))
                for member in node.body
                if isinstance(member, ast.Assign)
            ]
    if not isinstance(abi, int) or not finders:
        raise ValueError(
            f"{path}: no literal ABI or {enum_class} members to build the library from"
        )
    return abi, finders


def header(abi: int, members: list[tuple[str, int]], native: Native = LEVEL_FIELDS) -> str:
    """The C declarations `native`'s source is compiled with."""
    enum = ", ".join(f"{name} = {number}" for name, number in members)
    listed = ",".join(f"{name}={number}" for name, number in members)
    return (
        f"/* Written by hatch_build.py from {native.declaration}: ABI and {native.enum_class}. */\n"
        f"#define {native.prefix}_ABI {abi}\n"
        f'#define {native.prefix}_{native.list_name} "{listed}"\n'
        f"#define {native.prefix}_COUNT {len(members)}\n"
        f"enum {native.enum_class.lower()} {{ {enum} }};\n"
    )


def platform_tag() -> str:
    """This platform's wheel tag, as `bdist_wheel` writes it: `linux_x86_64`."""
    return sysconfig.get_platform().replace("-", "_").replace(".", "_")


def _names(assignment: ast.Assign) -> list[str]:
    return [target.id for target in assignment.targets if isinstance(target, ast.Name)]
