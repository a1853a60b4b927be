"""The compiled level finders and their loader agree on the ABI and the finders, declared once in
`level_fields.py` and written into the C build by `hatch_build.py`."""

from __future__ import annotations

import ctypes
import os
import shutil
from pathlib import Path

import pytest

import hatch_build
from logingest_dagster.engine.scan import level_fields

ROOT = Path(__file__).resolve().parents[2]
has_compiler = shutil.which((os.environ.get("CC") or "cc").split()[0]) is not None


def test_the_build_reads_the_declaration_python_uses():
    abi, finders = hatch_build.declarations(ROOT / hatch_build.DECLARATION)
    assert abi == level_fields.ABI
    assert finders == [(finder.name, finder.value) for finder in level_fields.Finder]


@pytest.mark.skipif(not level_fields.is_available(), reason="level_fields is not built")
def test_the_library_reports_the_abi_and_finders_python_declares():
    library = ctypes.CDLL(str(level_fields.LIBRARY))
    library.level_fields_finders.restype = ctypes.c_char_p
    assert library.level_fields_abi() == level_fields.ABI
    assert library.level_fields_finders().decode() == level_fields.finders_declaration()
    assert level_fields.finders_declaration().startswith("COLUMN=0,JSON=1,")


@pytest.mark.skipif(not level_fields.is_available(), reason="level_fields is not built")
def test_a_library_built_for_other_finders_is_not_loaded(monkeypatch, caplog):
    monkeypatch.setattr(level_fields, "finders_declaration", lambda: "COLUMN=0,JSON=1")
    assert level_fields.load(level_fields.LIBRARY, level_fields.SOURCE) is None
    assert "levels are found with RE2" in caplog.text


@pytest.mark.skipif(not has_compiler, reason="no C compiler")
def test_a_finder_declared_without_c_code_fails_the_build(tmp_path):
    # The C switch must handle every declared finder; otherwise the build says why and the engine
    # keeps to RE2, rather than a library that mistakes the new finder for another.
    scan = tmp_path / hatch_build.SCAN_PACKAGE
    scan.mkdir(parents=True)
    shutil.copy(ROOT / hatch_build.SOURCE, scan)
    declaration = (ROOT / hatch_build.DECLARATION).read_text()
    extended = declaration.replace(
        "    PYTHON_DEFAULT = 7\n", "    PYTHON_DEFAULT = 7\n    NEW = 8\n"
    )
    assert extended != declaration
    (tmp_path / hatch_build.DECLARATION).write_text(extended)
    (tmp_path / "work").mkdir()
    library = tmp_path / "built.so"

    problem = hatch_build.compile_library(tmp_path, tmp_path / "work", library)

    assert problem is not None and "NEW" in problem and "-Wswitch" in problem
    assert not library.exists()
    assert not list(tmp_path.glob("*.tmp"))
