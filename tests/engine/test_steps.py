"""How many ingestion steps a run gets: sized by planned bytes and the cost of a step."""

from logingest_dagster.engine.plan.steps import StepCost, plan_steps

# One step costs what scanning 100 bytes would; a file of 1,000 bytes is worth a step of its own.
COST = StepCost(seconds=1.0, scan_bytes_per_second=100, own_step_factor=10)


def sizes(groups):
    return sorted(sorted(group, reverse=True) for group in groups)


def plan(tasks, slots=2, **kw):
    return plan_steps(tasks, slots=slots, weight=lambda b: b, cost=COST, **kw)


def test_no_tasks_no_steps():
    assert plan([]) == []


def test_a_few_files_worth_less_than_a_step_share_one():
    assert sizes(plan([30, 20, 10])) == [[30, 20, 10]]


def test_work_worth_two_steps_gets_one_per_slot_balanced():
    groups = plan([90, 80, 30, 20])
    assert sizes(groups) == [[80, 30], [90, 20]]


def test_never_more_packed_steps_than_slots():
    groups = plan([90] * 20, slots=2)
    assert len(groups) == 2 and sum(len(g) for g in groups) == 20


def test_one_slot_packs_everything_into_one_step():
    assert len(plan([90] * 20, slots=1)) == 1


def test_a_file_worth_many_steps_gets_its_own_beyond_the_slots():
    groups = plan([5000, 3000, 1000, 40, 30], slots=2)
    assert sizes(groups) == [[40, 30], [1000], [3000], [5000]]


def test_fan_out_limit_forces_one_step_per_file_up_to_that_many_files():
    assert sizes(plan([3, 2, 1], one_step_per_file_up_to=3)) == [[1], [2], [3]]
    assert sizes(plan([3, 2, 1, 1], one_step_per_file_up_to=3)) == [[3, 2, 1, 1]]


def test_empty_files_still_get_a_step():
    assert sizes(plan([0, 0, 0])) == [[0, 0, 0]]


def test_the_default_cost_keeps_twenty_9_mb_files_to_one_step_per_core():
    groups = plan_steps([9_000_000] * 20, slots=2, weight=lambda b: b)
    assert len(groups) == 2
    assert sizes(plan_steps([9_000_000] * 20, slots=8, weight=lambda b: b)) == sizes(groups)
