"""Template mining accuracy on loghub's labelled samples (../shared/loghub, outside the repository):
grouping accuracy (benchmarks/loghub_templates.py) as the research benchmark scores it."""

from __future__ import annotations

import pytest

from benchmarks import loghub_templates as loghub
from logingest_dagster.engine.templates import TemplateMiner

pytestmark = pytest.mark.skipif(
    not loghub.available(),
    reason=f"loghub samples not found at {loghub.LOGHUB} (they live outside the repository)",
)

# Drain3 0.9.11 with its default settings on the message part (benchmarks/bench_templates.py
# measures it again; loghub's README quotes the same figures).
DRAIN3 = {
    "HDFS": 0.998,
    "Hadoop": 0.954,
    "Zookeeper": 0.967,
    "Apache": 1.000,
    "OpenStack": 0.309,
    "Linux": 0.684,
    "OpenSSH": 0.718,
}


def accuracy(name: str) -> float:
    miner = TemplateMiner()
    ids = [miner.mine(message).template_id for message in loghub.messages(name)]
    return loghub.grouping_accuracy(loghub.true_groups(name), ids)


@pytest.fixture(scope="module")
def accuracies() -> dict[str, float]:
    return {name: accuracy(name) for name in loghub.SYSTEMS}


def test_mean_grouping_accuracy_is_at_least_0_90(accuracies):
    assert sum(accuracies.values()) / len(accuracies) >= 0.90, accuracies


@pytest.mark.parametrize("name", loghub.SYSTEMS)
def test_at_least_drain3_on_each_system(accuracies, name):
    assert accuracies[name] >= DRAIN3[name]


def test_grouping_accuracy_counts_a_line_right_only_when_its_whole_group_is():
    truth = ["a", "a", "b", "c", "c"]
    assert loghub.grouping_accuracy(truth, [1, 1, 2, 3, 3]) == 1.0
    assert loghub.grouping_accuracy(truth, [1, 1, 1, 3, 3]) == 0.4  # a and b merged
    assert loghub.grouping_accuracy(truth, [1, 1, 2, 3, 4]) == 0.6  # c split
