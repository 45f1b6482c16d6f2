# Linli — the two commands a newcomer needs: `make run` and `make test`.
# Everything installs into this folder (.venv, node_modules, data/); nothing needs root.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
UV := $(BIN)/uv

.PHONY: run test setup setup-dev deps deps-dev frontend migrate demo serve lint typecheck bench bench-quick lock clean ci messages

run: setup demo
	@$(BIN)/linli serve --port $(PORT)

test: setup-dev
	$(BIN)/pytest $(PYTEST_ARGS)

setup: deps frontend migrate

setup-dev: deps-dev frontend migrate

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Linli needs Python >= 3.11") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

$(UV): $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==0.13.9"

# Installs are skipped while the lock file is unchanged (a second `make run` starts in seconds).
# Packages are byte-compiled at install, so start-up is fast even where PYTHONDONTWRITEBYTECODE is set.
# The development set is a superset of the runtime set: if it is installed and current, keep it.
$(VENV)/.stamp-deps: requirements.lock pyproject.toml | $(UV)
	@if [ -f $(VENV)/.stamp-deps-dev ] && [ $(VENV)/.stamp-deps-dev -nt requirements-dev.lock ]; then :; else \
	  $(UV) pip sync --quiet --compile-bytecode --python $(BIN)/python --require-hashes requirements.lock && \
	  $(UV) pip install --quiet --python $(BIN)/python --no-deps -e . ; fi
	@touch $@

$(VENV)/.stamp-deps-dev: requirements-dev.lock pyproject.toml | $(UV)
	$(UV) pip sync --quiet --compile-bytecode --python $(BIN)/python --require-hashes requirements-dev.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

deps: $(VENV)/.stamp-deps
deps-dev: $(VENV)/.stamp-deps-dev

node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

frontend: node_modules/.stamp

migrate:
	@$(BIN)/linli prepare

demo:
	@$(BIN)/linli demo --scale small

lint:
	$(BIN)/ruff check linli bench conftest.py
	$(BIN)/ruff format --check linli bench conftest.py
	$(BIN)/lint-imports

typecheck:
	$(BIN)/mypy linli

bench: setup-dev
	$(BIN)/python -m bench run --full

bench-quick: setup-dev
	$(BIN)/python -m bench run --quick

# Regenerate the lock files after editing pyproject.toml.
lock: $(UV)
	$(UV) pip compile --quiet --generate-hashes --python-version 3.11 pyproject.toml -o requirements.lock
	$(UV) pip compile --quiet --generate-hashes --python-version 3.11 --extra dev pyproject.toml -o requirements-dev.lock

# Extract translatable strings (needs GNU gettext) into linli/locale/*/LC_MESSAGES/django.po.
messages:
	cd linli && ../$(BIN)/django-admin makemessages -l zh_Hans -l en --settings=linli.settings --pythonpath=.. --ignore "tests/*" --ignore "*/tests/*" --no-obsolete

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .mypy_cache .ruff_cache
