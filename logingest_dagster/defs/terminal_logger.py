"""The logger `logingest run` gives its runs: the ops' own warnings and errors as plain lines
(`logingest: warning: skipped ...`) on stderr, and nothing of Dagster's events.

Dagster's console logger prints a failed step as its whole traceback through the executor, 90
lines for a read-only warehouse. The command prints the run's outcome itself, from the run's
record (`cli/run.py`); the events, tracebacks included, stay in the instance for the UI.
"""

from __future__ import annotations

import logging
import sys

from dagster import Field, logger
from dagster._core.log_manager import LOG_RECORD_METADATA_ATTR


class _OpMessages(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        meta = getattr(record, LOG_RECORD_METADATA_ATTR, None)
        if meta is None or meta.get("dagster_event") is not None:
            return False
        record.msg, record.args = meta["orig_message"], ()
        return True


@logger(
    Field({"log_level": Field(str, is_required=False, default_value="WARNING")}),
    description="Op messages as one plain line each on stderr; Dagster's events left out.",
)
def terminal_logger(init_context) -> logging.Logger:
    log = logging.Logger("logingest", level=init_context.logger_config["log_level"])
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_OpMessages())
    handler.setFormatter(logging.Formatter("logingest: %(levelname)s: %(message)s"))
    log.addHandler(handler)
    return log
