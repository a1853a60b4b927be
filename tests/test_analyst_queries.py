"""README "For analysts": every query, copied from the README, answers right on a real run."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.helpers import logingest

README = Path(__file__).parent.parent / "README.md"
NOW = datetime.now(UTC).replace(second=0, microsecond=0)


def blocks(language: str) -> list[str]:
    section = README.read_text().split("## For analysts", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, re.S)


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S,000")


def write_logs(logs: Path) -> None:
    api = []
    for m in range(1, 11):  # one timeout a minute for ten minutes
        api.append(
            f"{stamp(NOW - timedelta(minutes=m))} ERROR [main] c.e.Api: request {m} timed out after 30 s"
        )
    api += [f"{stamp(NOW - timedelta(minutes=5))} ERROR [main] c.e.Db: db connection refused"] * 12
    api.append(f"{stamp(NOW - timedelta(minutes=3))} ERROR [main] c.e.Handler: request failed")
    api += ["java.lang.IllegalStateException: closed", "\tat c.e.Handler.run(Handler.java:7)"]
    api += [
        f"{stamp(NOW - timedelta(hours=h))} WARN [main] c.e.Api: slow query {h} ms" for h in (2, 3)
    ]
    worker = [
        f"{stamp(NOW - timedelta(minutes=2))} INFO [w] c.e.Worker: job {i} done" for i in range(40)
    ]
    worker.append(f"{stamp(NOW - timedelta(days=1))} WARN [w] c.e.Worker: cache miss for key 1")
    worker.append(f"{stamp(NOW - timedelta(minutes=4))} WARN [w] c.e.Worker: cache miss for key 2")
    worker.append(f"{stamp(NOW - timedelta(minutes=4))} WARN [w] c.e.Worker: disk 91% full")
    (logs / "api.log").write_text("\n".join(api) + "\n")
    (logs / "worker.log").write_text("\n".join(worker) + "\n")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    import os

    home = tmp_path_factory.mktemp("home")
    logs = home / "logs"
    logs.mkdir()
    write_logs(logs)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOGINGEST_", "DAGSTER_"))}
    env["DAGSTER_HOME"] = str(home / "dagster_home")
    result = logingest("run", "--home", str(home), "--log-dir", str(logs), env=env)
    assert result.returncode == 0, result.stderr
    return home / "warehouse"


def run(sql: str, warehouse: Path) -> list[tuple]:
    return duckdb.sql(sql.replace("data/warehouse", str(warehouse))).fetchall()


def test_the_readme_has_nine_queries_and_a_polars_one():
    assert len(blocks("sql")) == 9 and len(blocks("python")) == 1


def test_each_query_answers_right(warehouse):
    (per_minute, top, new_today, warn_trend, noisiest, word, trace, rate, spikes) = [
        run(sql, warehouse) for sql in blocks("sql")
    ]
    assert sum(n for _, service, n in per_minute if service == "api") == 23
    assert {service for _, service, _ in per_minute} == {"api"}
    assert [(template, n, [Path(p).name for p in paths]) for template, n, paths in top] == [
        ("db connection refused", 12, ["api.log"]),
        ("request <*> timed out after <*> s", 10, ["api.log"]),
        ("request failed", 1, ["api.log"]),
    ]
    # Each a template first seen today; the cache misses' was first seen yesterday.
    assert ("disk <*> full",) in new_today
    assert ("cache miss for key <*>",) not in new_today
    assert sum(n for _, n in warn_trend) == 5
    assert Path(noisiest[0][0]).name == "worker.log"
    assert len(word) == 10 and all(Path(f).name == "api.log" for _, f, _ in word)
    assert "\tat c.e.Handler.run(Handler.java:7)" in trace[0][2]
    rates = {(Path(p).name, h): r for p, h, r in rate}
    assert all(r == 0 for (name, _), r in rates.items() if name == "worker.log")
    assert any(0 < r <= 1 for (name, _), r in rates.items() if name == "api.log")
    assert [m for m, _ in spikes] == [NOW - timedelta(minutes=5)]


def test_the_polars_query_answers_right(warehouse):
    [code] = blocks("python")
    scope: dict = {}
    exec(code.replace("data/warehouse", str(warehouse)), scope)
    assert scope["errors_per_service"].rows() == [("api", 23)]


def test_pandas_and_pyarrow_read_the_datasets_without_options(warehouse):
    import pandas as pd
    import pyarrow.dataset as ds

    events = pd.read_parquet(warehouse / "events")
    assert len(events) == 28 and str(events["level"].dtype) == "category"
    series = ds.dataset(warehouse / "severity_timeseries", partitioning="hive").to_table()
    assert series["count"].type == "int64" and sum(series["count"].to_pylist()) == 68
