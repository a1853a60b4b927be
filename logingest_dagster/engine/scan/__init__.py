"""Scanning: byte ranges of log files read in chunks, framed into lines, each record's level found
by its format (detected from the file's head), counted, and its error events collected.

The public names load on first use (PEP 562): the offset store and the Dagster layer name the
result types, and importing them must not pull numpy and pyarrow into a process that never scans.
"""

from logingest_dagster.engine.lazy import lazy_exports

_PUBLIC = {
    "BatchScan": "logingest_dagster.engine.scan.batch",
    "ScanRequest": "logingest_dagster.engine.scan.batch",
    "default_workers": "logingest_dagster.engine.scan.batch",
    "scan_files": "logingest_dagster.engine.scan.batch",
    "scan_paths": "logingest_dagster.engine.scan.batch",
    "RangeScanner": "logingest_dagster.engine.scan.range_scanner",
    "scan_range": "logingest_dagster.engine.scan.range_scanner",
    "Event": "logingest_dagster.engine.scan.result",
    "Events": "logingest_dagster.engine.scan.result",
    "EVENTS_PER_READ": "logingest_dagster.engine.scan.result",
    "ScanOptions": "logingest_dagster.engine.scan.result",
    "ScanResult": "logingest_dagster.engine.scan.result",
    "format_name_from_key": "logingest_dagster.engine.scan.result",
    "LogFormat": "logingest_dagster.engine.scan.formats",
    "format_from_key": "logingest_dagster.engine.scan.formats",
}

__all__ = sorted(_PUBLIC)

__getattr__ = lazy_exports(__name__, _PUBLIC)
