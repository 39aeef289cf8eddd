# Every target sets itself up: Debian packages when missing, a .venv, the project installed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
EXTRAS ?= dev

.PHONY: setup debs venv up down demo test test-fast lint mutation histories bench bench-quick bench-api bench-scale quality clean

setup: debs venv

debs:
	@scripts/ensure-debs.sh

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[$(EXTRAS)]'
	@touch $@

up: setup
	@scripts/stack.sh up

down:
	@scripts/stack.sh down

demo: setup
	@scripts/stack.sh up
	@scripts/demo.sh

# Everything in one run of three processes on the two cores: the end-to-end tests spend much
# of their time waiting (heartbeat timeouts, retries, restarts), which a third process fills;
# each module stays in one process, so its fixtures are built once.
test: setup
	$(BIN)/pytest -q -n 3 --dist loadscope --durations=15

test-fast: setup
	$(BIN)/pytest -q -m "not slow" -n 2

bench: setup
	$(BIN)/python -m bench.run --out .state/bench/results.json

bench-quick: setup
	$(BIN)/python -m bench.run --quick --out .state/bench/results-quick.json

# The HTTP API under load: a 1 GiB upload's API memory, 200 SSE watchers of one job.
bench-api: setup
	$(BIN)/python -m bench.api_load --out .state/bench/api.json

# Scale simulation: 200 jobs through a real dev server and workflow worker, 1-16 GPU-worker
# processes with sleeping stand-in engines (about 17 minutes).
bench-scale: setup
	$(BIN)/python -m bench.scale --out .state/bench/scale.json

quality: setup
	$(BIN)/python -m bench.quality --out .state/quality/results.json

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

# Record the histories the replay test guards, from today's code (see the README first):
# `make histories SUFFIX=r2` adds a set beside the older ones.
histories: setup
	$(BIN)/python -m tests.record_histories $(SUFFIX)

# Mutation testing of the domain modules listed under [tool.mutmut] in pyproject.toml.
mutation: setup
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2 || true
	$(BIN)/mutmut results

clean: down
	rm -rf .state out
