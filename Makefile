# Every target sets itself up from nothing: a fresh clone needs only python3 (3.11+).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup postgres run test dev lint bench bench-smoke clean

# The package's bytecode too: with PYTHONDONTWRITEBYTECODE set (as on this machine), an editable
# install would otherwise compile every module from source at each start of a command.
setup: $(STAMP)
	$(BIN)/python -m compileall -q logingest_dagster

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The Postgres offset-store tests start a throwaway server of their own from Debian's binaries.
# Install them if missing and we can (root with apt-get); otherwise those tests skip.
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null \
		&& [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing postgresql for the offset-store tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi

run: setup
	$(BIN)/logingest sample --home data
	$(BIN)/logingest run --home data --log-dir data/sample

test: setup postgres
	$(BIN)/ruff check .
	$(BIN)/pytest -q

dev: setup
	mkdir -p data/dagster_home && cp dagster.yaml data/dagster_home/dagster.yaml
	DAGSTER_HOME=$(abspath data/dagster_home) LOGINGEST_HOME=$(abspath data) \
		$(BIN)/dagster dev -h 127.0.0.1 -p 3000 -w workspace.yaml

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: setup
	$(BIN)/python benchmarks/run_all.py --size full

bench-smoke: setup
	$(BIN)/python benchmarks/run_all.py --size tiny

clean:
	rm -rf $(VENV) data/warehouse data/state data/dagster_home
