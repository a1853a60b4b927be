"""Alert examples: each minute's first records, decoded only for the files a rule asks about."""

from __future__ import annotations

from logingest_dagster.engine import pipeline
from logingest_dagster.engine.alerts.counts import EXAMPLES_PER_MINUTE, committed_minute_counts
from logingest_dagster.engine.scan import ScanOptions
from logingest_dagster.engine.state import open_store
from logingest_dagster.settings import Settings


def _line(minute: int, second: int, text: str) -> str:
    return f"2026-11-26 12:{minute:02d}:{second:02d},000 ERROR [main] a.B - {text}\n"


def _committed_pending(tmp_path) -> list[dict]:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "api.log").write_text(
        "".join(_line(m, s, f"api {m} {s}") for m in (1, 2) for s in range(5))
    )
    (logs / "db.log").write_text("".join(_line(1, s, f"db {s}") for s in range(5)))
    settings = Settings(log_dirs=[str(logs)], partial_line_grace_seconds=0)
    options = ScanOptions(max_events=100, minute_counts=True)
    with open_store(tmp_path / "home", None) as store:
        found = pipeline.discover(settings, store)
        read = pipeline.ingest(found.tasks, lambda _path: options)
        pipeline.commit(store, "run-1", found.plan, read, False)
        return store.run_pending("run-1")


class _Pending:
    def __init__(self, commits: list[dict]) -> None:
        self.commits = commits

    def run_pending(self, run_id: str) -> list[dict]:
        return self.commits


def test_each_minute_gives_its_first_records_first_lines_in_file_order(tmp_path):
    pending = _committed_pending(tmp_path)
    counts = committed_minute_counts(_Pending(pending), tmp_path / "warehouse", "run-1")
    api = next(p for p, _ in counts.focus if p.endswith("api.log"))
    first_minute = min(m for p, m in counts.focus if p == api)  # 12:01
    assert counts.examples[(api, first_minute)] == [
        _line(1, s, f"api 1 {s}").rstrip("\n") for s in range(EXAMPLES_PER_MINUTE)
    ]
    assert counts.examples[(api, first_minute + 1)][0] == _line(2, 0, "api 2 0").rstrip("\n")
    assert len(counts.examples) == 3  # api's two minutes and db's one


def test_a_file_whose_examples_no_rule_asks_for_is_never_decoded(tmp_path):
    pending = _committed_pending(tmp_path)
    for commit in pending:
        for read in commit["events"]:
            if read["path"].endswith("db.log"):
                read["batch"] = b"not an Arrow stream"  # decoding it would raise
    counts = committed_minute_counts(_Pending(pending), tmp_path / "warehouse", "run-1")
    api = next(p for p, _ in counts.focus if p.endswith("api.log"))
    first_minute = min(m for p, m in counts.focus if p == api)
    assert len(counts.examples[(api, first_minute)]) == EXAMPLES_PER_MINUTE
    assert (api, first_minute + 5) not in counts.examples
