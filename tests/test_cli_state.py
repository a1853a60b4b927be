"""Operator commands over the offset store: state, reset, rebuild; and two runs at once."""

from __future__ import annotations

import json
import subprocess

import pyarrow.parquet as pq

from logingest_dagster.cli.sample import write_sample
from tests.helpers import LOGINGEST, expected_totals, logingest, parquet_totals


def run_json(home, logs, env) -> dict:
    result = logingest("run", "--home", str(home), "--log-dir", str(logs), "--json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_state_lists_offsets_and_unread_bytes(tmp_path, cli_env):
    files = write_sample(tmp_path / "logs", lines_per_file=20)
    longer = tmp_path / "logs" / "longer.log"
    longer.write_text(
        "".join(f"2026-11-26 12:00:00,{i:03d} INFO [main] c.a.B - {i}\n" for i in range(200))
    )
    home = tmp_path / "home"
    run_json(home, tmp_path / "logs", cli_env)
    with files[0].open("ab") as f:
        f.write(b"2026-11-26 13:00:00,000 INFO [main] c.a.B - appended\n")
    listing = logingest("state", "--home", str(home), "--json", env=cli_env)
    assert listing.returncode == 0, listing.stderr
    rows = {row["path"]: row for row in map(json.loads, listing.stdout.splitlines())}
    assert sorted(rows) == sorted(str(p.resolve()) for p in [*files, longer])
    # 200 lines settle a format, kept for the next reads; 20 lines are detected again next time.
    assert rows[str(longer.resolve())]["format"] == "bracket_column2"
    assert rows[str(files[0].resolve())]["format"] is None
    grown = rows[str(files[0].resolve())]
    assert grown["unread"] == len(b"2026-11-26 13:00:00,000 INFO [main] c.a.B - appended\n")
    assert grown["offset"] == grown["size"] - grown["unread"]
    assert grown["status"] == "tracked"
    assert all(row["unread"] == 0 for path, row in rows.items() if path != str(files[0].resolve()))
    table = logingest("state", "--home", str(home), env=cli_env)
    assert table.returncode == 0 and "tracked files" in table.stdout


def test_reset_one_file_reads_it_again_and_counts_it_once(tmp_path, cli_env):
    files = write_sample(tmp_path / "logs", lines_per_file=30)
    home = tmp_path / "home"
    first = run_json(home, tmp_path / "logs", cli_env)
    reset = logingest("reset", "--home", str(home), str(files[1]), env=cli_env)
    assert reset.returncode == 0 and "forgot 1" in reset.stderr
    again = run_json(home, tmp_path / "logs", cli_env)
    assert (again["files_read"], again["files_unchanged"]) == (1, 3)
    assert again["totals"] == first["totals"]


def test_rebuild_repairs_a_missing_or_stale_output(tmp_path, cli_env):
    write_sample(tmp_path / "logs", lines_per_file=30)
    home = tmp_path / "home"
    summary = run_json(home, tmp_path / "logs", cli_env)
    (home / "warehouse" / "severity_totals.parquet").unlink()
    (home / "warehouse" / "file_stats.parquet").write_bytes(b"not parquet")
    rebuilt = logingest("rebuild", "--home", str(home), env=cli_env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert parquet_totals(home) == summary["totals"]
    assert len(pq.read_table(home / "warehouse" / "file_stats.parquet")) == 4


def test_two_overlapping_runs_never_double_count(tmp_path, cli_env):
    files = write_sample(tmp_path / "logs", lines_per_file=300)
    home = tmp_path / "home"
    args = [LOGINGEST, "run", "--home", str(home), "--log-dir", str(tmp_path / "logs"), "--json"]
    procs = [
        subprocess.Popen(
            args, env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=180) for p in procs]
    for (_, stderr), proc in zip(outputs, procs, strict=True):
        assert proc.returncode == 0, stderr
    outcomes = [json.loads(stdout.strip().splitlines()[-1]) for stdout, _ in outputs]
    expected = expected_totals(files)
    assert all(o["status"] == "SUCCESS" for o in outcomes)
    assert sum(o["files_read"] for o in outcomes) == len(files)  # each file committed by one run
    assert parquet_totals(home) == expected
    final = run_json(home, tmp_path / "logs", cli_env)
    assert final["totals"] == expected and final["files_read"] == 0
