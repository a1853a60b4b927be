# Every target sets itself up from nothing: a fresh clone needs only python3 (3.11+).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The engine's compiled level finders, loaded with ctypes (engine/scan/level_fields.py). The
# package build compiles them (hatch_build.py) at each install: for this editable one, into the
# source tree. CC names the compiler for it.
CC ?= cc
export CC
SCAN := logingest_dagster/engine/scan
NATIVE := $(SCAN)/_level_fields.so
NATIVE_SOURCES := hatch_build.py $(SCAN)/level_fields.c $(SCAN)/level_fields.py \
	$(SCAN)/time_keys.c $(SCAN)/time_keys.py
NATIVE_STAMP := $(VENV)/.native

.PHONY: setup compiler postgres redis run test test-slow dev lint bench bench-smoke clean

# The package's bytecode too: with PYTHONDONTWRITEBYTECODE set (as on this machine), an editable
# install would otherwise compile every module from source at each start of a command.
setup: $(STAMP) $(NATIVE_STAMP)
	$(BIN)/python -m compileall -q logingest_dagster

# Without a C compiler the engine still works, finding levels with RE2 (several times slower on
# most files); install one if missing and we can (root with apt-get).
compiler:
	@if ! command -v $(CC) >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing gcc for the engine's compiled part"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev >/dev/null; \
	fi

$(STAMP): pyproject.toml | compiler
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP) $(NATIVE_STAMP)

# A change to the finders rebuilds the library by installing the package alone again: no
# dependencies, no package index (hatchling is in the dev extra).
$(NATIVE_STAMP): $(NATIVE_SOURCES) | $(STAMP) compiler
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(NATIVE_STAMP)

# The Postgres offset-store tests start a throwaway server of their own from Debian's binaries.
# Install them if missing and we can (root with apt-get); otherwise those tests skip.
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null \
		&& [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing postgresql for the offset-store tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi

# The Celery scale-out test uses a throwaway Redis server as its broker: the same.
redis:
	@if ! command -v redis-server >/dev/null \
		&& [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing redis-server for the Celery test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	fi

run: setup
	$(BIN)/logingest sample --home data
	$(BIN)/logingest run --home data --log-dir data/sample

# The suite without the tests marked slow or e2e (real servers, SIGKILL at every point, failing
# file systems): those run in `make test-slow`, which CI runs after this.
test: setup postgres redis
	$(BIN)/ruff check .
	$(BIN)/pytest -q -m "not slow and not e2e"

test-slow: setup postgres redis
	$(BIN)/pytest -q -m "slow or e2e"

# The webserver and the daemon that `dagster dev` would start, started directly: `dagster dev`
# warns that it is superseded by `dg dev`, which needs the separate dagster-dg-cli and a dg project
# layout. The instance's dagster.yaml is written once from the project's dagster.yaml (as
# `logingest run` does), then left for the user to edit.
DAGSTER_HOME_DIR := $(abspath data/dagster_home)
DEV_PORT ?= 3000
dev: setup
	$(BIN)/logingest sample --home data
	mkdir -p $(DAGSTER_HOME_DIR)
	test -f $(DAGSTER_HOME_DIR)/dagster.yaml || cp dagster.yaml $(DAGSTER_HOME_DIR)/dagster.yaml
	export DAGSTER_HOME=$(DAGSTER_HOME_DIR) LOGINGEST_HOME=$(abspath data); \
		$(BIN)/dagster-daemon run -w workspace.yaml & daemon=$$!; \
		trap 'kill $$daemon 2>/dev/null; wait $$daemon' EXIT INT TERM; \
		$(BIN)/dagster-webserver -h 127.0.0.1 -p $(DEV_PORT) -w workspace.yaml

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: setup
	$(BIN)/python benchmarks/run_all.py --size full

bench-smoke: setup
	$(BIN)/python benchmarks/run_all.py --size tiny

clean:
	rm -rf $(VENV) $(NATIVE) $(SCAN)/_level_fields.*.so.tmp data/warehouse data/state data/dagster_home
