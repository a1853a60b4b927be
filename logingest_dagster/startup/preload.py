"""Modules the forkserver imports once, so every step process starts with them loaded.

A step process rebuilds the job and a Dagster instance from its ref; the instance's SQLite storages
pull in SQLAlchemy dialects and alembic lazily, and running a step imports more (the IO manager's
paths through upath and fsspec, the secrets loader: found by diffing `sys.modules` around a step).
Imported here, in the forkserver, a step pays for a fork instead (figures: benchmarks/README.md).
"""

# Imported for their side effect, after pausing the collector:
# ruff: noqa: E402, F401
from logingest_dagster import startup

startup.pause_collection()

import alembic.command
import alembic.runtime.migration
import dagster._core.definitions.repository_definition.repository_data_builder
import dagster._core.instance.factory
import dagster._core.secrets.env_file
import dagster._core.storage.event_log.sqlite
import dagster._core.storage.migration.utils
import dagster._core.storage.noop_compute_log_manager
import dagster._core.storage.root
import dagster._core.storage.runs.sqlite
import dagster._core.storage.schedules.sqlite
import dagster._core.storage.sqlite_storage
import dagster._core.system_config.composite_descent
import dagster._core.utility_ops
import dagster._core.workspace.autodiscovery
import dagster._utils.temp_file
import dagster._utils.test.definitions
import fsspec.implementations.local
import pyarrow.parquet
import upath
import upath.implementations.local

# The Dagster layer's step code and the engine it calls. The job's own module comes next in the
# preload list, named by that module (`startup.forkserver`): importing it from here would close a
# cycle through the executor config that names this module.
import logingest_dagster.defs.checks
import logingest_dagster.defs.ops
import logingest_dagster.engine.scan.batch  # the ops import the scanner lazily
import logingest_dagster.engine.warehouse
from logingest_dagster.engine.scan import level_fields
from logingest_dagster.startup import alembic_cache

alembic_cache.install()
level_fields.is_available()  # loads the compiled library once, not in every step
startup.resume_collection()  # step processes start with all of this frozen
