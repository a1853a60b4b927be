"""Small, deterministic sample logs in several real formats, for `make run` and the tests."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

LEVEL_MIX = [("INFO", 70), ("DEBUG", 12), ("WARN", 10), ("ERROR", 6), ("FATAL", 1), ("TRACE", 1)]
MESSAGES = [
    "user login succeeded",
    "cache miss for key session:42",
    "request completed in 12 ms",
    "INFO user saw an error page",  # a level word in the message never decides the level
    "retrying connection to db-1",
    "disk usage at 81%",
]

# Yesterday, so the sample's events sit inside the warehouse's retention whenever it is written.
_DAY = datetime.fromtimestamp(datetime.now(UTC).timestamp() - 86400, UTC).strftime("%Y-%m-%d")


def _levels(rng: random.Random, n: int) -> list[str]:
    names, weights = zip(*LEVEL_MIX, strict=True)
    return rng.choices(names, weights=weights, k=n)


def _log4j(rng: random.Random, i: int, level: str) -> str:
    line = f"{_DAY} 12:{i // 60 % 60:02d}:{i % 60:02d},{i % 1000:03d} {level:<5} [main] com.acme.App - {rng.choice(MESSAGES)}\n"
    if level == "ERROR":
        line += (
            "java.lang.IllegalStateException: boom\n"
            "\tat com.acme.App.run(App.java:42)\n"
            "\tat com.acme.Main.main(Main.java:7)\n"
            "Caused by: java.io.IOException: broken pipe\n"
            "\t... 2 more\n"
        )
    return line


def _json(rng: random.Random, i: int, level: str) -> str:
    record = {
        "ts": f"{_DAY}T12:00:{i % 60:02d}Z",
        "msg": rng.choice(MESSAGES),
        "level": level.lower(),
    }
    return json.dumps(record) + "\n"


def _python(rng: random.Random, i: int, level: str) -> str:
    name = {"WARN": "WARNING", "FATAL": "CRITICAL", "TRACE": "DEBUG"}.get(level, level)
    line = f"{_DAY} 12:00:{i % 60:02d},123 - worker - {name} - {rng.choice(MESSAGES)}\n"
    if level == "ERROR":
        line += (
            "Traceback (most recent call last):\n"
            '  File "worker.py", line 10, in <module>\n'
            "    main()\n"
            "ValueError: bad input\n"
        )
    return line


def _nginx(rng: random.Random, i: int, level: str) -> str:
    name = {"WARN": "warn", "FATAL": "crit", "TRACE": "debug"}.get(level, level.lower())
    return f"{_DAY.replace('-', '/')} 12:00:{i % 60:02d} [{name}] 1234#0: *{i} {rng.choice(MESSAGES)}\n"


WRITERS: dict[str, Callable[[random.Random, int, str], str]] = {
    "app.log": _log4j,
    "api.log": _json,
    "worker.log": _python,
    "nginx-error.log": _nginx,
}


def write_sample(directory: str | Path, lines_per_file: int = 500, seed: int = 7) -> list[Path]:
    """Write the sample logs (CRLF in one file, as real Windows-born logs have). Deterministic."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, writer in WRITERS.items():
        rng = random.Random(f"{seed}-{name}")
        text = "".join(
            writer(rng, i, level) for i, level in enumerate(_levels(rng, lines_per_file))
        )
        if name == "worker.log":
            text = text.replace("\n", "\r\n")
        path = out / name
        path.write_bytes(text.encode())
        written.append(path)
    return written
