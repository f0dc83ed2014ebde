# straxlab: the two commands a new machine needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app straxlab
PO := $(wildcard straxlab/translations/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)
TEST_DATABASE_URL ?=
export TEST_DATABASE_URL

export STRAXLAB_ENV ?= development

.PHONY: run test lint translations messages check-migrations pg-test browser-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-deps: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-deps: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.run-deps

%.mo: %.po | $(VENV)/.run-deps
	$(BIN)/pybabel compile -i $< -o $@ >/dev/null

translations: $(MO)

run: $(VENV)/.run-deps translations
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	STRAXLAB_RUN_JOBS=1 $(FLASK) run --host 127.0.0.1 --port $(PORT) --debug

lint: $(VENV)/.test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy straxlab/core straxlab/*/rules.py

check-migrations: $(VENV)/.test-deps
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	  DATABASE_URL=sqlite:///$$tmp/check.sqlite $(FLASK) db upgrade >/dev/null && \
	  DATABASE_URL=sqlite:///$$tmp/check.sqlite $(FLASK) db check

test: $(VENV)/.test-deps translations lint check-migrations
	$(BIN)/pytest -m "not browser"

pg-test: $(VENV)/.test-deps translations
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	  $(BIN)/pytest -m "not browser"

browser-test: $(VENV)/.test-deps translations
	$(BIN)/pytest -m browser

messages: $(VENV)/.test-deps
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 --no-location --sort-output --ignore-dirs=".* __pycache__" \
	  --project straxlab --copyright-holder "STRAX-lab" -o straxlab/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i straxlab/translations/messages.pot -d straxlab/translations

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache $(MO)

# Speed benchmarks (by hand or in CI; they print figures and never fail on a target):
# `make bench`, or `make bench BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test`.
BENCH_DATABASE_URL ?=
.PHONY: bench
bench: $(VENV)/.run-deps
	$(BIN)/python benchmarks/availability.py $(if $(BENCH_DATABASE_URL),--database-url $(BENCH_DATABASE_URL))
	$(BIN)/python benchmarks/reserve.py $(if $(BENCH_DATABASE_URL),--database-url $(BENCH_DATABASE_URL))
	$(BIN)/python benchmarks/compliance_report.py $(if $(BENCH_DATABASE_URL),--database-url $(BENCH_DATABASE_URL))
	$(BIN)/python benchmarks/feed_render.py $(if $(BENCH_DATABASE_URL),--database-url $(BENCH_DATABASE_URL))
