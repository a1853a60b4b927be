from logingest_dagster.engine.plan import pack_balanced


def test_groups_are_byte_balanced_and_keep_every_item():
    sizes = [1000, 900, 500, 400, 300, 300, 200, 100, 50, 50]
    groups = pack_balanced(sizes, 3, weight=lambda s: s)
    assert sorted(s for g in groups for s in g) == sorted(sizes)
    loads = [sum(g) for g in groups]
    assert len(groups) == 3
    assert max(loads) - min(loads) <= 100


def test_never_more_groups_than_items():
    assert pack_balanced([5, 6], 8, weight=lambda s: s) in ([[6], [5]], [[5], [6]])
    assert pack_balanced([], 4, weight=lambda s: s) == []
