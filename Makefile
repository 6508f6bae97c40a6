PYTHON ?= $(shell for p in python3.12 python3.11 python3; do command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not ((3,11) <= sys.version_info[:2] < (3,13)))' >/dev/null 2>&1 && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test pytest lint typecheck bench clean web web-check web-schema fuzz soak faults

# The browser app: Node 20+ builds web/ into web/dist, which the REST listener serves at /.
NPM := $(shell command -v npm 2>/dev/null)
NODE_OK := $(shell node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' 2>/dev/null && echo yes)
WEB_DEPS := web/node_modules/.stamp
WEB_STAMP := web/dist/.stamp
WEB_SOURCES := $(shell find web -path web/node_modules -prune -o -path web/dist -prune -o -type f -print 2>/dev/null)

install: $(STAMP) web

web:
	@if [ "$(NODE_OK)" != yes ] || [ -z "$(NPM)" ]; then \
		echo "community: Node.js 20+ not found, so the browser app is not built (the API still serves; install Node and run make install)"; \
	else $(MAKE) --no-print-directory $(WEB_STAMP); fi

$(WEB_DEPS): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $(WEB_DEPS)

$(WEB_STAMP): $(WEB_DEPS) $(WEB_SOURCES)
	cd web && npm run --silent build
	@touch $(WEB_STAMP)

web-check: web
	@test "$(NODE_OK)" = yes || (echo "community: make test needs Node.js 20+ for the browser app's checks" >&2; exit 1)
	cd web && npx tsc --noEmit -p . && npx eslint . && npx vitest run

# Regenerate web/src/api/schema.d.ts from the server's /openapi.json (make test fails when it drifts).
web-schema: install
	COMMUNITY_WRITE_SCHEMA=1 $(BIN)/python -m pytest -q tests/web/test_schema.py

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || (echo "need Python 3.11 or 3.12" >&2; exit 1)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

run: install
	$(BIN)/community serve

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

# Every check at once (ruff, mypy, the browser app's tsc/eslint/vitest, pytest on two workers): the
# static checks use the cores while pytest's workers wait on browsers and sockets. Each check's
# output is printed whole when it ends; make fails if any fails.
test: install
	@$(MAKE) --no-print-directory -j4 --output-sync=target lint typecheck web-check pytest

pytest: install
	$(BIN)/python -m pytest -q -n 2 --dist worksteal

# schemathesis over /openapi.json as every persona: make test runs 6 examples per operation and
# generation mode; this runs FUZZ_EXAMPLES (50 by default: 40 made 10,322 requests in 14 minutes on
# two shared cores at load 10; time grows linearly with it).
FUZZ_EXAMPLES ?= 50
fuzz: install
	COMMUNITY_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -p no:cacheprovider tests/hardening/test_fuzz.py

# The fault tests alone, with the issue's figure: the database frozen (SIGSTOP) 30 s under ~50 writes/s
# (make test runs them too, with the same 30 s: the wait is idle, 0.8 s more CPU than an 8 s freeze).
FROZEN_SECONDS ?= 30
faults: install
	COMMUNITY_FROZEN_SECONDS=$(FROZEN_SECONDS) $(BIN)/python -m pytest -q -p no:cacheprovider tests/faults

# Two nodes on one database under mixed load for SOAK_MINUTES (not in make test): RSS drift,
# open files, database connections, errors; a summary, and bench/results/soak.json.
SOAK_MINUTES ?= 10
soak: install
	$(BIN)/python -m bench.soak --minutes $(SOAK_MINUTES)

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache web/node_modules web/dist
