"""Start-up helpers: the paused garbage collector and the alembic script cache."""

from __future__ import annotations

import gc

from alembic.config import Config
from alembic.script import ScriptDirectory

from logingest_dagster import startup
from logingest_dagster.startup import alembic_cache
from tests.helpers import modules_loaded_by


def test_resume_freezes_what_was_loaded_and_collects_again():
    frozen_before = gc.get_freeze_count()
    startup.pause_collection()
    try:
        assert not gc.isenabled()
        loaded = [[] for _ in range(1000)]  # lists: objects the collector tracks
        startup.resume_collection()
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen_before + len(loaded)
    finally:
        gc.enable()
        gc.unfreeze()


def test_resume_leaves_a_running_collector_alone():
    assert gc.isenabled()
    frozen_before = gc.get_freeze_count()
    startup.resume_collection()
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen_before


def _config(location: str) -> Config:
    config = Config()
    config.set_main_option("script_location", location)
    return config


def test_alembic_scripts_are_read_once_per_location(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for location in (first, second):
        (location / "versions").mkdir(parents=True)
    alembic_cache.install()
    one = ScriptDirectory.from_config(_config(str(first)))
    assert ScriptDirectory.from_config(_config(str(first))) is one
    assert ScriptDirectory.from_config(_config(str(second))) is not one


def test_the_job_definition_loads_without_the_scanner():
    # The process that launches a run builds the job and never scans: numpy and pyarrow load in
    # the step processes (from the forkserver's preload), not there.
    loaded = modules_loaded_by("from logingest_dagster.cli.run import build_ingest_job_default")
    assert "dagster" in loaded
    assert not {"numpy", "pyarrow", "pandas"} & loaded
