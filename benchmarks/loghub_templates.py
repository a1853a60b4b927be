"""loghub's seven labelled samples as (message, true template id) pairs, and grouping accuracy.

The message is the part after each system's header (timestamp, level, pid, component), as loghub's
own benchmark cuts it, so a miner sees what `events.message` will hold. Used by
`bench_templates.py` and by the accuracy test; the samples stay outside the repository
(`../shared/loghub`).
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from pathlib import Path

LOGHUB = Path(__file__).resolve().parents[1].parent / "shared" / "loghub"

# Each system's header, up to where the message starts.
HEADERS = {
    "HDFS": r"\d+ \d+ \d+ \w+ [^:]+: ",
    "Hadoop": r"\S+ \S+ \w+ \[[^\]]*\] [^:]+: ",
    "Zookeeper": r"\S+ \S+ - \w+\s+\[.*?@\d+\] - ",
    "Apache": r"\[[^\]]*\] \[\w+\] ",
    "OpenStack": r"\S+ \S+ \S+ \d+ \w+ \S+ \[[^\]]*\] ",
    "Linux": r"\w{3} +\d+ \S+ \S+ [^:\[]+(?:\[\d+\])?: ",
    "OpenSSH": r"\w{3} +\d+ \S+ \S+ sshd\[\d+\]: ",
}
SYSTEMS = tuple(HEADERS)


def available() -> bool:
    return all((LOGHUB / f"{name}.templates.csv").is_file() for name in SYSTEMS)


def messages(name: str) -> list[str]:
    """Each line's message part (the whole line where the header does not match)."""
    header = re.compile(HEADERS[name])
    text = (LOGHUB / f"{name}.log").read_text(encoding="utf-8", errors="replace")
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    result = []
    for line in lines:
        match = header.match(line)
        result.append(line[match.end() :] if match else line)
    return result


def true_groups(name: str) -> list[str]:
    """Each line's true template id (`EventId`), in line order."""
    with open(LOGHUB / f"{name}.templates.csv", newline="", encoding="utf-8") as f:
        rows = sorted(csv.DictReader(f), key=lambda row: int(row["LineId"]))
    return [row["EventId"] for row in rows]


def grouping_accuracy(truth: Sequence[Hashable], predicted: Sequence[Hashable]) -> float:
    """The share of lines whose predicted group holds exactly the lines of their true group."""
    assert len(truth) == len(predicted)
    pairs = Counter(zip(truth, predicted, strict=True))
    true_sizes, predicted_sizes = Counter(truth), Counter(predicted)
    by_prediction: dict[Hashable, list[Hashable]] = defaultdict(list)
    for (true_id, predicted_id), _ in pairs.items():
        by_prediction[predicted_id].append(true_id)
    right = 0
    for predicted_id, true_ids in by_prediction.items():
        if len(true_ids) == 1 and true_sizes[true_ids[0]] == predicted_sizes[predicted_id]:
            right += predicted_sizes[predicted_id]
    return right / len(truth)
