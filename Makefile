# Every target sets itself up from nothing: a fresh clone needs only python3 (3.11+).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The engine's compiled level finders, loaded with ctypes (engine/scan/level_fields.py).
CC ?= cc
NATIVE := logingest_dagster/engine/scan/_level_fields.so

.PHONY: setup compiler postgres redis run test dev lint bench bench-smoke clean

# The package's bytecode too: with PYTHONDONTWRITEBYTECODE set (as on this machine), an editable
# install would otherwise compile every module from source at each start of a command.
setup: $(STAMP) $(NATIVE)
	$(BIN)/python -m compileall -q logingest_dagster

# Without a C compiler the engine still works, finding levels with RE2 (several times slower on
# most files); install one if missing and we can (root with apt-get).
# Built under another name, then renamed over the old one: a running process (dagster dev, a
# step) keeps the library it mapped, where writing into the same file would crash it.
$(NATIVE): logingest_dagster/engine/scan/level_fields.c | compiler
	@if command -v $(CC) >/dev/null; then \
		$(CC) -O2 -shared -fPIC -o $@.tmp $< && mv -f $@.tmp $@; \
	else echo "no C compiler ($(CC)): levels will be found with RE2, slower"; fi

compiler:
	@if ! command -v $(CC) >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing gcc for the engine's compiled part"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev >/dev/null; \
	fi

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

test: setup postgres redis
	$(BIN)/ruff check .
	$(BIN)/pytest -q

# The webserver and the daemon that `dagster dev` would start, started directly: `dagster dev`
# warns that it is superseded by `dg dev`, which needs the separate dagster-dg-cli and a dg project
# layout. The instance's dagster.yaml is written once from the package's instance.yaml (as
# `logingest run` does), then left for the user to edit.
DAGSTER_HOME_DIR := $(abspath data/dagster_home)
dev: setup
	mkdir -p $(DAGSTER_HOME_DIR)
	test -f $(DAGSTER_HOME_DIR)/dagster.yaml || cp logingest_dagster/instance.yaml $(DAGSTER_HOME_DIR)/dagster.yaml
	export DAGSTER_HOME=$(DAGSTER_HOME_DIR) LOGINGEST_HOME=$(abspath data); \
		$(BIN)/dagster-daemon run -w workspace.yaml & daemon=$$!; \
		trap 'kill $$daemon; wait $$daemon' EXIT INT TERM; \
		$(BIN)/dagster-webserver -h 127.0.0.1 -p 3000 -w workspace.yaml

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: setup
	$(BIN)/python benchmarks/run_all.py --size full

bench-smoke: setup
	$(BIN)/python benchmarks/run_all.py --size tiny

clean:
	rm -rf $(VENV) $(NATIVE) data/warehouse data/state data/dagster_home
