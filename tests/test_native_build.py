"""The package build compiles the level finders and the time matchers (hatch_build.py): a wheel
carries the libraries, and without a compiler the build still succeeds and the engine says, once,
that it uses RE2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import hatch_build
from logingest_dagster.engine.scan import level_fields, time_keys

ROOT = Path(__file__).resolve().parents[1]
COMPILER = os.environ.get("CC") or "cc"


def build_wheel(out: Path, compiler: str) -> Path:
    """A wheel of the project, built as `pip wheel` does, with hatchling from this environment (no
    package index)."""
    env = {**os.environ, "CC": compiler}
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet"]
        + ["--wheel-dir", str(out), str(ROOT)],
        env=env,
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("*.whl")
    return wheel


@pytest.mark.slow
@pytest.mark.skipif(shutil.which(COMPILER.split()[0]) is None, reason="no C compiler")
def test_a_wheel_carries_the_library(tmp_path):
    in_tree = level_fields.LIBRARY.stat().st_mtime_ns if level_fields.LIBRARY.exists() else None

    wheel = build_wheel(tmp_path / "dist", COMPILER)

    assert wheel.name.endswith(f"-py3-none-{hatch_build.platform_tag()}.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert (
            "Root-Is-Purelib: false"
            in archive.read("logingest_dagster-0.1.0.dist-info/WHEEL").decode()
        )
        archive.extractall(tmp_path / "unpacked")
    assert hatch_build.LIBRARY in names
    assert hatch_build.SOURCE not in names  # an installed library has no source to be stale against
    # The wheel's library loads, with the ABI and finders this checkout declares.
    assert level_fields.load(tmp_path / "unpacked" / hatch_build.LIBRARY, tmp_path / "no.c")
    times = hatch_build.TIME_KEYS
    assert times.library in names and times.source not in names
    assert time_keys.load(tmp_path / "unpacked" / times.library, tmp_path / "no.c")
    # A wheel build leaves the editable install's library alone.
    if in_tree is not None:
        assert level_fields.LIBRARY.stat().st_mtime_ns == in_tree


@pytest.mark.slow
def test_without_a_compiler_the_build_succeeds_and_the_engine_says_re2_once(tmp_path, cli_env):
    wheel = build_wheel(tmp_path / "dist", str(tmp_path / "no-such-cc"))

    assert wheel.name.endswith("-py3-none-any.whl")  # nothing compiled: pure Python
    installed = tmp_path / "installed"
    with zipfile.ZipFile(wheel) as archive:
        assert hatch_build.LIBRARY not in archive.namelist()
        assert hatch_build.TIME_KEYS.library not in archive.namelist()
        archive.extractall(installed)
    logs = tmp_path / "logs"
    logs.mkdir()
    for i in range(4):  # formats with a compiled finder, scanned by two threads
        (logs / f"columns{i}.log").write_text("2026-01-01 00:00:00 ERROR disk full\n" * 50)
        (logs / f"json{i}.log").write_text('{"level":"warn","msg":"slow"}\n' * 50)

    scan = subprocess.run(
        [sys.executable, "-c", "from logingest_dagster.cli import main; main()"]
        + ["scan", "--workers", "2", str(logs)],
        env={**cli_env, "PYTHONPATH": str(installed)},  # ahead of the editable install's path
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    totals = json.loads(scan.stdout)["totals"]
    assert (totals["ERROR"], totals["WARN"]) == (200, 200)
    library = installed / hatch_build.LIBRARY
    assert scan.stderr.splitlines() == [
        f"{library} is not built (no C compiler at install?): levels are found with RE2, slower"
    ]
