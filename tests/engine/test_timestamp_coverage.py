"""Issue 14 point 3: times are found in the real loghub logs, and the `timezone` setting places a
zone-less time at the right instant."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from logingest_dagster.defs.resources import resource_from_settings
from logingest_dagster.engine import pipeline
from logingest_dagster.engine.scan import ScanOptions, scan_range
from logingest_dagster.engine.scan.result import NO_TIME
from logingest_dagster.engine.state import open_store
from logingest_dagster.settings import Settings
from tests.helpers import published_events

LOGHUB = Path(__file__).parents[2].parent / "shared" / "loghub"
# A time of day anywhere in the first line (12:00:00), or HDFS's packed `081109 203615`: what a
# reader would call "a time in the text", found without the engine's format knowledge.
TIME_IN_TEXT = re.compile(rb"(?<!\d)\d{1,2}:\d\d:\d\d(?!\d)|^\d{6} \d{6} ")


@pytest.mark.skipif(
    not LOGHUB.is_dir(), reason=f"loghub samples not found at {LOGHUB} (outside the repository)"
)
def test_at_least_99_percent_of_loghub_records_with_a_time_in_their_text_get_one():
    with_time_text = got_time = 0
    per_file = {}
    for path in sorted(LOGHUB.glob("*.log")):
        result = scan_range(str(path), options=ScanOptions(minute_counts=True))
        assert result.error is None
        records = sum(result.counts.values())
        untimed = sum(n for (minute, _), n in result.minute_counts.items() if minute == NO_TIME)
        # Every record of these samples is one line (no continuation lines), so records with a
        # time in their text are the lines with one: syslog's UNKNOWN records count too.
        lines = path.read_bytes().splitlines()
        assert records == len(lines), path.name
        has = sum(bool(TIME_IN_TEXT.search(line)) for line in lines)
        per_file[path.name] = (records - untimed, has)
        with_time_text += has
        got_time += records - untimed
    assert with_time_text >= 14_000, per_file  # 7 samples of 2,000 records
    assert got_time / with_time_text >= 0.99, per_file


def test_a_zoneless_time_in_a_directory_set_to_another_zone_lands_at_the_right_instant(tmp_path):
    ny, tokyo = tmp_path / "ny", tmp_path / "tokyo"
    for directory in (ny, tokyo):
        directory.mkdir()
        (directory / "app.log").write_text("2026-01-15 09:30:00,000 ERROR [main] c.a.B - boom\n")
    settings = Settings(
        log_dirs=[str(ny), str(tokyo)],
        timezone="Asia/Tokyo",  # the default for directories not listed
        timezones={str(ny): "America/New_York"},
    )
    resource = resource_from_settings(settings, str(tmp_path / "home"))
    with open_store(tmp_path / "home") as store:
        found = pipeline.discover(settings, store)
        results = pipeline.ingest(found.tasks, resource.scan_options_for)
        pipeline.commit(store, "run", found.plan, results)
        pipeline.publish(store, tmp_path / "home", retention_days=0)
    events = published_events(tmp_path / "home").to_pylist()
    times = {Path(e["path"]).parent.name: (e["time"], e["time_source"]) for e in events}
    assert times == {
        "ny": (datetime(2026, 1, 15, 14, 30, tzinfo=UTC), "logged"),  # EST is UTC-5
        "tokyo": (datetime(2026, 1, 15, 0, 30, tzinfo=UTC), "logged"),  # JST is UTC+9
    }
