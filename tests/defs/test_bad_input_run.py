"""Bad input never sinks a run or loses other files' counts; each problem is reported."""

import os

from dagster import DagsterInstance

from logingest_dagster.defs.jobs import build_ingest_job
from logingest_dagster.defs.resources import resource_from_settings
from logingest_dagster.settings import Settings
from tests.helpers import run_summary_of

GOOD = b"2026-11-26 12:00:00,000 INFO [main] c.a.B - fine\n2026-11-26 12:00:01,000 ERROR [main] c.a.B - bad\n"


def test_broken_files_and_directories_are_skipped_and_counted(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "good.log").write_bytes(GOOD)
    (logs / "binary.log").write_bytes(b"\x7fELF\x00\x00\x01" * 100)
    (logs / "latin1.log").write_bytes(b"2026-11-26 12:00:00,000 WARN [main] caf\xe9 \xff\xfe\n")
    (logs / "empty.log").write_bytes(b"")
    (logs / "subdir.log").mkdir()  # a directory with a .log name
    os.symlink(logs / "loop.log", logs / "loop.log")  # a symlink loop
    os.symlink(tmp_path / "nowhere", logs / "dangling.log")
    settings = Settings(log_dirs=[str(logs), str(tmp_path / "missing-dir")])
    job = build_ingest_job(1, resource=resource_from_settings(settings, str(tmp_path / "home")))
    instance = DagsterInstance.ephemeral()
    result = job.execute_in_process(instance=instance)
    assert result.success
    summary = run_summary_of(result)
    assert summary["totals"]["INFO"] == 1
    assert summary["totals"]["ERROR"] == 1
    assert summary["totals"]["WARN"] == 1  # invalid UTF-8 is counted, not dropped
    assert summary["files_skipped"] == 1  # the binary file
    # the missing directory, the symlink loop, the dangling link, the directory named .log
    assert summary["directory_problems"] >= 3
    tags = instance.get_run_by_id(result.run_id).tags
    assert tags["logingest/files_skipped"] == "1"
    assert tags["logingest/directory_problems"] == str(summary["directory_problems"])
    log_text = "\n".join(r.user_message for r in instance.all_logs(result.run_id))
    assert "binary.log: binary file" in log_text
    assert "missing-dir does not exist" in log_text
    assert "loop.log: symlink loop" in log_text


def test_a_file_name_that_is_not_utf8_is_skipped_with_a_warning_not_a_failed_run(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "good.log").write_bytes(GOOD)
    with open(os.path.join(os.fsencode(logs), b"b\xffd.log"), "wb") as f:
        f.write(b"2026-11-26 10:00:00,000 ERROR [main] x - msg 1\n")
    settings = Settings(log_dirs=[str(logs)])
    job = build_ingest_job(1, resource=resource_from_settings(settings, str(tmp_path / "home")))
    instance = DagsterInstance.ephemeral()
    for _ in range(2):  # and the next run too: the name does not block later runs
        result = job.execute_in_process(instance=instance)
        assert result.success
        summary = run_summary_of(result)
        assert summary["totals"]["INFO"] == 1 and summary["totals"]["ERROR"] == 1
    log_text = "\n".join(r.user_message for r in instance.all_logs(result.run_id))
    assert "b\\xffd.log: name is not valid UTF-8, skipped" in log_text
