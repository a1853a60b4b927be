"""Modules the forkserver imports once, so every step process starts with them loaded.

A step process rebuilds the job and a Dagster instance from its ref; the instance's SQLite storages
pull in SQLAlchemy dialects and alembic lazily, about 400 modules, and running a step imports ~50
more (the IO manager's paths through upath and fsspec, the secrets loader, found by diffing
`sys.modules` around a step: 25 ms a step). Imported here, in the forkserver, a step pays for a
fork instead (measured: `benchmarks/`, run vs scan).
"""

import alembic.command  # noqa: F401
import alembic.runtime.migration  # noqa: F401
import dagster._core.definitions.repository_definition.repository_data_builder  # noqa: F401
import dagster._core.instance.factory  # noqa: F401
import dagster._core.secrets.env_file  # noqa: F401
import dagster._core.storage.event_log.sqlite  # noqa: F401
import dagster._core.storage.migration.utils  # noqa: F401
import dagster._core.storage.noop_compute_log_manager  # noqa: F401
import dagster._core.storage.root  # noqa: F401
import dagster._core.storage.runs.sqlite  # noqa: F401
import dagster._core.storage.schedules.sqlite  # noqa: F401
import dagster._core.storage.sqlite_storage  # noqa: F401
import dagster._core.system_config.composite_descent  # noqa: F401
import dagster._core.utility_ops  # noqa: F401
import dagster._core.workspace.autodiscovery  # noqa: F401
import dagster._utils.temp_file  # noqa: F401
import dagster._utils.test.definitions  # noqa: F401
import fsspec.implementations.local  # noqa: F401
import pyarrow.parquet  # noqa: F401
import upath  # noqa: F401
import upath.implementations.local  # noqa: F401

import logingest_dagster.definitions  # noqa: F401
import logingest_dagster.engine.batch  # noqa: F401  (ops import the scanner lazily)
import logingest_dagster.engine.warehouse  # noqa: F401
import logingest_dagster.runner  # noqa: F401
from logingest_dagster import alembic_cache  # noqa: E402

alembic_cache.install()
