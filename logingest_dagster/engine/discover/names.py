"""File names that are not valid UTF-8.

Linux allows any bytes but `/` and NUL in a name; Python hands such a name over with surrogate
escapes (`b'b\\xffd.log'` becomes `'b\\udcffd.log'`), which no UTF-8 store, Parquet string or
Dagster event can hold. Discovery skips such a file with a warning that shows the name escaped,
rather than letting the name sink the commit of every other file.
"""

from __future__ import annotations

import os


def is_utf8(name: str) -> bool:
    """False for a name that only surrogate escapes could turn into a `str`."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown(path: str) -> str:
    """`path` as printable text: undecodable bytes written as `\\xff`."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")
