"""Shared by the tests: the `logingest` command as a subprocess, and reference counts."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from logingest_dagster.defs.orphaned_runs import HOST_TAG, PROCESS_TAG
from logingest_dagster.engine.levels import add_counts, empty_counts
from logingest_dagster.engine.scan import scan_range

REPO = Path(__file__).resolve().parents[1]
LOGINGEST = str(Path(sys.executable).parent / "logingest")


def logingest(*args: str, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LOGINGEST, *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def modules_loaded_by(code: str) -> set[str]:
    """The top-level modules a fresh interpreter has loaded once it has run `code`."""
    script = f"{code}\nimport sys\nprint(' '.join(sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return {name.partition(".")[0] for name in result.stdout.split()}


def expected_totals(paths) -> dict[str, int]:
    """The engine's counts for whole files: what a pipeline run must commit, once."""
    totals = empty_counts()
    for path in paths:
        add_counts(totals, scan_range(str(path)).counts)
    return totals


def parquet_totals(home: Path) -> dict[str, int]:
    table = pq.read_table(home / "warehouse" / "severity_totals.parquet")
    return dict(zip(table["level"].to_pylist(), table["count"].to_pylist(), strict=True))


def dead_pid() -> int:
    """A pid that no process has now: one that ran and was reaped."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def dead_cli_process_tags() -> dict[str, str]:
    """The tags of a run executed by a `logingest run` of this host whose process has died."""
    return {HOST_TAG: socket.gethostname(), PROCESS_TAG: f"{dead_pid()}:1"}


def free_port() -> int:
    """A loopback port nothing listens on now (another process may take it before use)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(
    port: int, what: str, proc: subprocess.Popen | None = None, timeout: float = 30
) -> None:
    """Until something accepts connections on the loopback `port`; fails if `proc` exits."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            assert proc is None or proc.poll() is None, f"{what} exited with {proc.returncode}"
            assert time.monotonic() < deadline, f"{what} did not start in {timeout:.0f} s"
            time.sleep(0.1)


def published_events(home: Path):
    """Every row of `<home>/warehouse/events/`, as pyarrow reads the hive dataset."""
    import pyarrow.dataset as ds

    path = Path(home) / "warehouse" / "events"
    if not path.is_dir():
        return ds.dataset([], schema=_events_schema()).to_table()
    return ds.dataset(path, format="parquet", partitioning="hive").to_table()


def _events_schema():
    from logingest_dagster.engine.warehouse.events import SCHEMA

    return SCHEMA


def timeseries_sums(home: Path) -> dict[str, int]:
    """Records per level over every partition of `<home>/warehouse/severity_timeseries/`."""
    sums = empty_counts()
    for path in sorted((Path(home) / "warehouse" / "severity_timeseries").glob("*/*.parquet")):
        table = pq.read_table(path, columns=["level", "count"]).to_pydict()
        for level, count in zip(table["level"], table["count"], strict=True):
            sums[level] += count
    return sums


def run_summary_of(result) -> dict | None:
    """The figures and totals a run recorded (`defs.run_summary`), from its result's events."""
    from logingest_dagster.defs.run_summary import SUMMARY

    for event in result.get_asset_observation_events():
        observation = event.asset_observation_data.asset_observation
        if SUMMARY in observation.metadata:
            return observation.metadata[SUMMARY].value
    return None


def op_of(step_key: str) -> str:
    """`ingest_graph.ingest_log_files[f0_app_log]` -> `ingest_log_files`."""
    return step_key.partition("[")[0].rpartition(".")[2]


def read_history(dataset: Path):
    """Every part of severity_history/, oldest commit first, without the partition column."""
    import pyarrow as pa

    parts = [pq.read_table(path) for path in sorted(dataset.glob("date=*/*.parquet"))]
    return pa.concat_tables(parts).sort_by("committed_at")


def restart_forkserver() -> None:
    """Stop this process's forkserver (multiprocessing's own hook for tests), so that the next
    multiprocess run starts one with the current environment. The project's dagster.yaml names
    the event log through DAGSTER_HOME, which step processes read from their own environment: a
    forkserver an earlier test started would hand them that test's instance."""
    from multiprocessing import forkserver

    forkserver._forkserver._stop()
