import pytest

from logingest_dagster.engine.scan import level_fields, records, time_keys


@pytest.fixture(params=["python-re", "pyarrow-re2", "compiled"])
def token_engine(request, monkeypatch):
    """Where a block's level tokens come from: Python's `re` (a small block), RE2 through pyarrow
    (a large one), or, for the formats it knows, the compiled `level_fields` (any block). A test that
    asks for this fixture counts its samples all three ways."""
    if request.param == "compiled":
        if not level_fields.is_available():
            pytest.skip("level_fields is not built (make setup builds it)")
        return request.param
    monkeypatch.setattr(level_fields, "tokens", lambda *args: None)
    if request.param == "pyarrow-re2":
        monkeypatch.setattr(records, "_SMALL_BLOCK", 0)
    return request.param


@pytest.fixture(params=["pyarrow-re2", "compiled"])
def time_engine(request, monkeypatch):
    """Where records' and events' times come from: the time families' RE2 patterns, or the
    compiled `time_keys` matchers. A test that asks for this fixture runs both ways."""
    if request.param == "compiled":
        if not time_keys.is_available():
            pytest.skip("time_keys is not built (make setup builds it)")
        return request.param
    monkeypatch.setattr(time_keys, "_library", None)
    monkeypatch.setattr(time_keys, "_loaded", True)
    return request.param
