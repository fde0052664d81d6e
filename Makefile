# The two set-up commands on a fresh clone are `make demo` and `make test`;
# both create .venv and install the project when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench install clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/genrestore demo

# Three test processes on the 2-core machine: many tests wait on crawl windows, pauses and
# subprocesses, so a third overlaps the waits (1,004 tests: 16 min 15 s with -n 2, 13 min 08 s with
# -n 3, worksteal both, same commit, idle machine).
test: $(STAMP)
	$(BIN)/python -m pytest -n 3 --dist worksteal -q --durations=15

bench: $(STAMP)
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache
