"""Problems of the machine, not of the code: a full disk, a read-only home, a damaged offset store.

Each becomes one line that says what happened and what to do, for the run's failure and the
command line's stderr; a traceback would bury the one fact a user needs (issue 12, case 13).
Anything not recognised here is a bug, and keeps its traceback.
"""

from __future__ import annotations

import errno

from logingest_dagster.environment import HOME_ENV


class StoreDamaged(Exception):
    """The offset store's SQLite file is corrupt or is not a database."""


class PublishFailed(Exception):
    """The commit is visible (offsets and counts stored) but the warehouse was not written."""


_OS_ERRORS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}
_OS_ADVICE = {
    errno.ENOSPC: "free some space, then run again",
    errno.EDQUOT: "free some space, then run again",
    errno.EROFS: f"give --home (or {HOME_ENV}) a writable directory",
    errno.EACCES: f"give --home (or {HOME_ENV}) a directory this user can write",
    errno.EPERM: f"give --home (or {HOME_ENV}) a directory this user can write",
}
# SQLite reports a machine problem as a message, not an errno (sqlite3.OperationalError).
_SQLITE_MESSAGES = {
    "database or disk is full": "no space left on the device for the offset store; free some "
    "space, then run again",
    "attempt to write a readonly database": "the offset store is read-only (a read-only file "
    f"system or file mode); give --home (or {HOME_ENV}) a writable directory",
    "unable to open database file": "the offset store cannot be opened for writing (a read-only "
    f"or full file system, or no permission on <home>/state); give --home (or {HOME_ENV}) a "
    "writable directory",
}
CORRUPT_MESSAGES = ("database disk image is malformed", "file is not a database")


def explain(exc: BaseException) -> str | None:
    """One line for a known machine problem anywhere in `exc`'s chain, else None."""
    for cause in _chain(exc):
        if isinstance(cause, StoreDamaged | PublishFailed):
            return str(cause)
        if isinstance(cause, OSError) and cause.errno in _OS_ERRORS:
            where = f": {cause.filename}" if cause.filename else ""
            return f"{_OS_ERRORS[cause.errno]}{where}; {_OS_ADVICE[cause.errno]}"
        text = str(cause).lower()
        for message, line in _SQLITE_MESSAGES.items():
            if message in text:
                return line
        if any(message in text for message in CORRUPT_MESSAGES):
            return damaged_store_message("<home>/state/offsets.db", str(cause).splitlines()[0])
    return None


def damaged_store_message(path: str, detail: str) -> str:
    return (
        f"the offset store {path} is damaged ({detail}): restore it from a backup, or move it "
        "aside to count every file again from the start"
    )


def _chain(exc: BaseException):
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__
