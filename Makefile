# Parley: `make run` starts everything, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast bench eval install check-compose clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml tests/browser/package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	# axe-core for the accessibility check of the browser tests (from npm, pinned by the lock);
	# without npm that one check skips (and fails under CI=true), everything else runs
	if command -v npm >/dev/null; then npm ci --silent --prefix tests/browser; \
	else echo "npm not found: the accessibility check will not run"; fi
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/parley migrate
	$(BIN)/parley seed
	$(BIN)/honcho -f Procfile start

test: $(STAMP)
	$(BIN)/python -m pytest
ifeq ($(CI),true)
	PARLEY_TEST_BACKEND=server $(BIN)/python -m pytest tests/integration tests/e2e tests/faults
endif

test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit

bench: $(STAMP)
	$(BIN)/python -m bench

# screening quality on every test set, in full (make test runs a slice); the real corpus's
# part needs ../shared/corpora beside the checkout (or PARLEY_CORPORA)
eval: $(STAMP)
	$(BIN)/parley moderation eval

check-compose:
	SECRET_KEY=check EMAIL_HMAC_KEY=check docker-compose config -q

clean:
	rm -rf var/*.db var/redis var/mail
