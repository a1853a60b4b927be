"""The compiled time matchers and their loader agree on the ABI and the families, declared once in
`time_keys.py` and written into the C build by `hatch_build.py`; the families are the engine's."""

from __future__ import annotations

import ctypes
import os
import shutil
from pathlib import Path

import pytest

import hatch_build
from logingest_dagster.engine.scan import time_keys
from logingest_dagster.engine.scan.timestamps import FAMILIES

ROOT = Path(__file__).resolve().parents[2]
has_compiler = shutil.which((os.environ.get("CC") or "cc").split()[0]) is not None
built = pytest.mark.skipif(not time_keys.is_available(), reason="time_keys is not built")


def test_the_compiled_families_are_the_engines():
    assert [family.name.lower() for family in time_keys.Family] == [f.name for f in FAMILIES]


def test_the_build_reads_the_declaration_python_uses():
    abi, families = hatch_build.declarations(
        ROOT / hatch_build.TIME_KEYS.declaration, hatch_build.TIME_KEYS.enum_class
    )
    assert abi == time_keys.ABI
    assert families == [(family.name, family.value) for family in time_keys.Family]


@built
def test_the_library_reports_the_abi_and_families_python_declares():
    library = ctypes.CDLL(str(time_keys.LIBRARY))
    library.time_keys_families.restype = ctypes.c_char_p
    assert library.time_keys_abi() == time_keys.ABI
    assert library.time_keys_families().decode() == time_keys.families_declaration()


@built
def test_a_library_built_for_other_families_is_not_loaded(monkeypatch, caplog):
    monkeypatch.setattr(time_keys, "families_declaration", lambda: "ISO=0")
    assert time_keys.load(time_keys.LIBRARY, time_keys.SOURCE) is None
    assert "times are found with RE2" in caplog.text


@pytest.mark.skipif(not has_compiler, reason="no C compiler")
def test_a_family_declared_without_c_code_fails_the_build(tmp_path):
    native = hatch_build.TIME_KEYS
    scan = tmp_path / hatch_build.SCAN_PACKAGE
    scan.mkdir(parents=True)
    shutil.copy(ROOT / native.source, scan)
    declaration = (ROOT / native.declaration).read_text()
    extended = declaration.replace("    LOGCAT = 8\n", "    LOGCAT = 8\n    NEW = 9\n")
    assert extended != declaration
    (tmp_path / native.declaration).write_text(extended)
    (tmp_path / "work").mkdir()
    library = tmp_path / "built.so"

    problem = hatch_build.compile_library(tmp_path, tmp_path / "work", library, native)

    assert problem is not None and "NEW" in problem and "not handled in switch" in problem
    assert not library.exists()
