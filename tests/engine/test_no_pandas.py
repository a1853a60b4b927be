"""A run's step bodies never import pandas: its import costs ~0.3 s of every run's publish step,
and Arrow calls such as `pa.scalar`, `pa.array(list)`, `np.asarray(array)` and `to_numpy()` load
it on their first use (engine/arrays.py builds those values from buffers instead)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_discover_ingest_commit_publish_and_expiry_load_no_pandas(tmp_path):
    # Days older than the retention: the expired rows' tally runs too.
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "old.log").write_text(
        "".join(
            f"2015-10-18 18:{i % 60:02d}:47,978 ERROR [main] a.B - failed {i}\n" for i in range(50)
        )
    )
    script = textwrap.dedent(
        f"""
        import sys
        from logingest_dagster.cli.sample import write_sample
        from logingest_dagster.engine import pipeline
        from logingest_dagster.engine.scan import ScanOptions
        from logingest_dagster.engine.state import open_store
        from logingest_dagster.settings import Settings

        logs, home = {str(tmp_path / "logs")!r}, {str(tmp_path / "home")!r}
        write_sample(logs, lines_per_file=300)
        settings = Settings(log_dirs=[logs])
        options = ScanOptions(max_events=1000, minute_counts=True)
        for run in ("r1", "r2"):
            with open_store(home, None) as store:
                found = pipeline.discover(settings, store, home=home)
                read = pipeline.ingest(found.tasks, lambda _path: options)
                pipeline.commit(store, run, found.plan, read, True)
                pipeline.publish(store, home, 30)
            write_sample(logs, lines_per_file=400)  # the files grow: the second run appends
        print(sorted(m for m in sys.modules if m.split(".")[0] == "pandas")[:3])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout
