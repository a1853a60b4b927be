"""Each warehouse invariant holds on what runs publish, and fails on files that disagree."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from lifecycle_driver import LogWriter, run_pipeline
from test_warehouse import COMMIT, State, runs_and_a_reset

from logingest_dagster.engine.levels import LEVELS
from logingest_dagster.engine.warehouse import CHECKS, FILE_STATS, publish, run_check
from tests.helpers import modules_loaded_by

TOTALS = {"INFO": 3, "ERROR": 1}
FILES = [
    {"path": "/a.log", "lines": 2, "bytes": 20, "INFO": 2},
    {"path": "/b.log", "lines": 3, "bytes": 20, "INFO": 1, "ERROR": 1},  # a continuation line
]


# The checks a State given outright can satisfy: it has no time series to sum.
WITHOUT_TIMESERIES = [c for c in CHECKS if c.asset != "severity_timeseries"]


def outcomes(home, checks=CHECKS) -> dict[tuple[str, str], bool]:
    return {(c.asset, c.name): run_check(c, home).passed for c in checks}


def failing(home, checks=CHECKS) -> list[tuple[str, str]]:
    return [key for key, passed in outcomes(home, checks).items() if not passed]


def test_every_check_passes_on_what_runs_and_a_reset_publish(tmp_path):
    runs_and_a_reset(tmp_path)  # the history holds a row of negative counts
    assert failing(tmp_path) == []


def test_consistent_state_passes(tmp_path):
    publish(tmp_path, State(TOTALS, FILES, [COMMIT]))
    assert failing(tmp_path, WITHOUT_TIMESERIES) == []


@pytest.mark.parametrize(
    ("state", "fails"),
    [
        # Files that count one more INFO than the totals.
        (State(TOTALS, [*FILES, {"path": "/c.log", "lines": 1, "INFO": 1}], [COMMIT]),
         [("file_stats", "sums_to_severity_totals")]),
        # A file with more records than lines.
        (State(TOTALS, [FILES[0] | {"lines": 1, "INFO": 1}, FILES[1] | {"INFO": 2, "lines": 2}], [COMMIT]),
         [("file_stats", "records_within_lines")]),
        # A history without its run.
        (State(TOTALS, FILES), [("severity_history", "sums_to_severity_totals")]),
        # Negative totals, which no history or file can explain either.
        (State({"INFO": -1}, [{"path": "/a.log", "lines": 1, "INFO": -1}],
               [COMMIT | {"info": -1, "error": 0}]),
         [("severity_totals", "one_row_per_level"), ("file_stats", "records_within_lines")]),
    ],
)  # fmt: skip
def test_each_check_fails_on_files_that_disagree(tmp_path, state, fails):
    publish(tmp_path, state)
    assert sorted(failing(tmp_path, WITHOUT_TIMESERIES)) == sorted(fails)


def test_a_missing_time_series_part_fails_its_sum(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    LogWriter().append(logs / "a.log", 30)
    run_pipeline(tmp_path, [logs], write_parquet=True)
    assert failing(tmp_path) == []
    next((tmp_path / "warehouse" / "severity_timeseries").glob("*/*.parquet")).unlink()
    assert failing(tmp_path) == [("severity_timeseries", "sums_to_committed")]


def test_a_read_past_the_event_cap_fails_the_caps_check(tmp_path, monkeypatch):
    import lifecycle_driver

    capped = lifecycle_driver.SCAN_OPTIONS.__class__(
        chunk_size=4096, max_events=2, minute_counts=True
    )
    monkeypatch.setattr(lifecycle_driver, "SCAN_OPTIONS", capped)
    logs = tmp_path / "logs"
    logs.mkdir()
    LogWriter().append(logs / "a.log", 30)  # 11 WARN, ERROR or FATAL records
    run_pipeline(tmp_path, [logs], write_parquet=True)
    [check] = [c for c in CHECKS if c.name == "within_caps"]
    outcome = run_check(check, tmp_path)
    assert not outcome.passed
    assert outcome.metadata["events_dropped"] == 9


def test_totals_with_a_level_missing_fail(tmp_path):
    publish(tmp_path, State(TOTALS, FILES, [COMMIT]))
    path = tmp_path / "warehouse" / "severity_totals.parquet"
    pq.write_table(pq.read_table(path).slice(0, len(LEVELS) - 1), path)
    outcome = run_check(CHECKS[0], tmp_path)
    assert not outcome.passed
    assert "not the 8 canonical ones" in outcome.description


def test_a_missing_file_fails_with_its_reason(tmp_path):
    publish(tmp_path, State(TOTALS, FILES, [COMMIT]))
    (tmp_path / "warehouse" / FILE_STATS).unlink()
    [check] = [c for c in CHECKS if c.name == "records_within_lines"]
    outcome = run_check(check, tmp_path)
    assert not outcome.passed
    assert outcome.description.startswith("cannot check: FileNotFoundError")


def test_checking_does_not_load_pandas():
    # The publish step runs every check; pq.read_table and to_numpy() would import pandas there
    # (~0.2 s a run).
    loaded = modules_loaded_by(
        "import tempfile\n"
        "from logingest_dagster.engine.state.store import open_store\n"
        "from logingest_dagster.engine.warehouse.writers import publish\n"
        "from logingest_dagster.engine.warehouse.checks import CHECKS, run_check\n"
        "home = tempfile.mkdtemp()\n"
        "with open_store(home) as store:\n"
        "    publish(home, store)\n"
        "assert all(run_check(check, home).passed for check in CHECKS if check.after_each_run)"
    )
    assert "pyarrow" in loaded
    assert "pandas" not in loaded
