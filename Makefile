# supportloop: `make demo` to try it, `make test` to test it, `make lint` to lint and type-check it.
PYTHON ?= python3
VENV := .venv
PG_URL ?= postgres://postgres@127.0.0.1:5432/supportloop
PYTEST_ARGS ?= -n 2 -q
export PYTHONDONTWRITEBYTECODE := 1
# makemessages reads src/supportloop (so tests/, benchmarks/ and .venv are outside it; dot directories are skipped
# anyway). References name the file without a line number, so moving code does not rewrite every .po. The test
# web/tests/test_translations.py runs makemessages with these very options: it reads them from this line.
MESSAGES_OPTIONS := -l zh_Hans -l ru -l en -e html,txt,jinja,py --ignore='*/tests/*' --ignore='*/migrations/*' --no-obsolete --add-location=file

.PHONY: demo lint audit test test-cluster test-sqlite test-postgres install install-dev system-deps migrations-check messages bench screenshots clean

$(VENV)/.installed: pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip setuptools  # the venv's bundled setuptools (65.5) has a known ReDoS (PYSEC-2022-43012)
	$(VENV)/bin/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	command -v msgfmt >/dev/null && SUPPORTLOOP_DEBUG=1 $(VENV)/bin/supportloop compilemessages --ignore='.venv/*' -v 0 || echo "gettext missing: the interface stays in English (make system-deps)"
	SUPPORTLOOP_DEBUG=1 $(VENV)/bin/supportloop demo

system-deps:
	bash scripts/setup-system.sh

# ruff's "S" rules are bandit's checks (every accepted finding is a `# noqa: S... - reason` or a per-file ignore with
# its reason in pyproject.toml); `audit` runs pip-audit (docs/decisions/0007-dependency-audit.md).
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/python scripts/audit.py

audit: install-dev
	$(VENV)/bin/python scripts/audit.py

migrations-check: install-dev
	SUPPORTLOOP_DEBUG=1 $(VENV)/bin/supportloop makemigrations --check --dry-run

# The browser tests (tests/browser) run once, on PostgreSQL: docs/decisions/0009-browser-tests-once.md.
test: install-dev system-deps migrations-check
	SUPPORTLOOP_DEBUG=1 $(VENV)/bin/supportloop compilemessages --ignore='.venv/*' -v 0 || true
	DATABASE_URL=sqlite:// SECRET_KEY=test bash scripts/pytest-on.sh SQLite $(PYTEST_ARGS) --ignore=tests/browser
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} SECRET_KEY=test bash scripts/pytest-on.sh PostgreSQL $(PYTEST_ARGS)

# The scale-out test (docs/deploy.md): PostgreSQL + streaming replica, Redis, Dovecot, aiosmtpd, 2 web hosts, 2 workers
# and 2 schedulers in network namespaces; once with the database task backend, once with RQ. About a minute each.
test-cluster: install-dev system-deps
	$(VENV)/bin/python scripts/cluster_test.py --tasks-backend database
	$(VENV)/bin/python scripts/cluster_test.py --tasks-backend rq

test-sqlite: install-dev
	DATABASE_URL=sqlite:// SECRET_KEY=test bash scripts/pytest-on.sh SQLite $(PYTEST_ARGS)

test-postgres: install-dev system-deps
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} SECRET_KEY=test bash scripts/pytest-on.sh PostgreSQL $(PYTEST_ARGS)

# Extract every translatable string into the .po files (new msgids come in empty, changed ones fuzzy), then compile.
messages: install
	cd src/supportloop && SUPPORTLOOP_DEBUG=1 $(abspath $(VENV))/bin/supportloop makemessages $(MESSAGES_OPTIONS)
	SUPPORTLOOP_DEBUG=1 $(VENV)/bin/supportloop compilemessages --ignore='.venv/*' -v 0

# docs/screenshots/*.png from a freshly seeded demo (SQLite in a temporary directory) with Playwright; look at them.
screenshots: install-dev
	bash scripts/setup-system.sh screenshots
	SUPPORTLOOP_DEBUG=1 $(VENV)/bin/supportloop compilemessages --ignore='.venv/*' -v 0 || true
	$(VENV)/bin/python scripts/screenshots.py

bench: install-dev
	$(VENV)/bin/python benchmarks/run.py --help

clean:
	rm -rf $(VENV) var build *.egg-info src/*.egg-info
