"""The launchpad is forgiving: run config that sets only `log_dirs` validates and runs; every other
resource field keeps the code location's own value (LOGINGEST_HOME, the settings file).

Each run is a real `dagster job execute` of the code location in its own process, under the job's
own executor: the code location must load with the test's environment, as `dagster dev` would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import yaml
from dagster import DagsterInstance, DagsterRunStatus

from logingest_dagster.cli.sample import write_sample
from logingest_dagster.environment import CONFIG_ENV, HOME_ENV
from tests.helpers import REPO

DAGSTER = str(Path(sys.executable).parent / "dagster")


def _run_with_only_log_dirs(tmp_path, env: dict, log_dir: Path):
    """An `ingest_logs` run whose whole resource config is one `log_dirs` line."""
    run_config = {"resources": {"logingest": {"config": {"log_dirs": [str(log_dir)]}}}}
    config = tmp_path / "run_config.yaml"
    config.write_text(yaml.safe_dump(run_config))
    Path(env["DAGSTER_HOME"]).mkdir()
    module = ["-m", "logingest_dagster.definitions", "-a", "defs", "-j", "ingest_logs"]
    done = subprocess.run(
        [DAGSTER, "job", "execute", *module, "-c", str(config)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        [run] = instance.get_runs()
    assert run.status == DagsterRunStatus.SUCCESS
    assert run.run_config == run_config  # nothing scaffolded


def test_a_run_config_with_only_log_dirs_keeps_home_and_the_settings_files_values(
    tmp_path, cli_env
):
    settings = tmp_path / "settings.json"
    settings.write_text(
        json.dumps(
            {
                "walker": {"log_dirs": [str(tmp_path / "elsewhere")]},
                "discovered_files_channel_size": 2,
            }
        )
    )
    files = write_sample(tmp_path / "logs", lines_per_file=40)
    env = cli_env | {HOME_ENV: str(tmp_path / "home"), CONFIG_ENV: str(settings)}
    _run_with_only_log_dirs(tmp_path, env, tmp_path / "logs")
    # Read from the overridden directory into LOGINGEST_HOME, two files a run: the settings
    # file's discovered_files_channel_size, not the declared default.
    stats = pq.read_table(tmp_path / "home" / "warehouse" / "file_stats.parquet").to_pylist()
    read = sorted(Path(row["path"]).name for row in stats)
    assert len(read) == 2 and set(read) <= {f.name for f in files}
