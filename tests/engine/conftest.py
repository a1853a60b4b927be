import pytest

from logingest_dagster.engine import records


@pytest.fixture(params=["python-re", "pyarrow-re2"])
def token_engine(request, monkeypatch):
    """A small block's level tokens come from Python's `re`, a large one's from RE2 through
    pyarrow: a test that asks for this fixture counts its samples both ways."""
    if request.param == "pyarrow-re2":
        monkeypatch.setattr(records, "_SMALL_BLOCK", 0)
    return request.param
