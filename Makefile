# Two commands do all set-up on a fresh machine: `make run` and `make test`.
# System packages are installed with apt-get when run as root (else we say
# what to install); everything Python goes into $(VENV).

VENV        ?= .venv
PYTHON      ?= python3
PY          := $(VENV)/bin/python
PIP         := $(PY) -m pip --disable-pip-version-check -q
APT_PACKAGES := libdqlite0 libdqlite-dev go-dqlite groff-base man-db zsh fish openssl curl sqlite3 time \
                gcc python3-dev
PYTEST_ARGS ?=
# The dqlite servers of the test matrix (1.17.3, 1.18.6) are built from these
# sources into $(SERVERS_CACHE)/<version>/ (see native/build-servers.sh).
DQLITE_SOURCES ?= ../shared/dqlite
SERVERS_CACHE  ?= .cache/dqlite

.PHONY: run test lint bench servers system-deps venv install install-test install-completions clean

# The shell on a scratch node (deleted on exit). DQLITE_ARGS passes options,
# e.g. make run DQLITE_ARGS="--scratch 3" or DQLITE_ARGS="-s 127.0.0.1:9001".
DQLITE_ARGS ?=

run: system-deps install
	$(VENV)/bin/dqlite $(DQLITE_ARGS)

# The suite runs once per server of the matrix (tests/native/servers.py),
# each test in a worker process (xdist, one worker per core: a node that
# aborts, or a test stuck past its timeout, fails only itself: the thread
# method ends the worker, and xdist starts another). A server not built (no
# ../shared/dqlite outside CI) is skipped with one line.
TEST_SERVERS ?= 1.11 1.17 1.18
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)

# ruff (style, imports, bugbear, pyupgrade) and mypy, configured in
# pyproject.toml; make test runs them before the suite.
lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: system-deps install-test servers lint
	@status=0; for server in $(TEST_SERVERS); do \
	  if [ "$$server" = 1.11 ]; then \
	    echo "== the suite on dqlite 1.11 (the system's libdqlite)"; \
	    $(PY) -m pytest -q -p xdist -n $(TEST_WORKERS) --timeout-method=thread $(PYTEST_ARGS) || status=1; \
	  elif ! $(PY) -c "import sys; from tests.native.servers import SERVERS; sys.exit(not SERVERS['$$server'].present)"; then \
	    echo "== skipped: the suite on dqlite $$server (not built: make servers needs $(DQLITE_SOURCES))"; \
	  else \
	    echo "== the suite on dqlite $$server"; \
	    DQLITE_SHELL_SERVER=$$server $(PY) -m pytest -q -p xdist -n $(TEST_WORKERS) --timeout-method=thread $(PYTEST_ARGS) || status=1; \
	  fi; \
	done; exit $$status

# Builds each server once per tarball (about 25 s each on 2 cores), then is a
# no-op; without the sources it says so and the tests on those servers skip
# (with CI=true it fails).
servers:
	@native/build-servers.sh $(DQLITE_SOURCES) $(SERVERS_CACHE)

bench: system-deps install-test
	$(PY) -m compileall -q dqlite_shell
	$(PY) benchmarks/run.py

# Idempotent and quiet when everything is there.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "apt-get install$$missing"; \
	    apt-get update -qq >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "note: missing system packages:$$missing"; \
	    echo "      install them with: sudo apt-get install$$missing"; \
	    echo "      (the client works without them; native nodes and the Go oracle tests do not)"; \
	  fi; \
	fi

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

venv: $(VENV)/bin/python

# Editable in "compat" mode (a .pth path entry): the strict mode's import hook
# costs ~10 ms at every start of `dqlite`.
EDITABLE := --config-settings editable_mode=compat

# Byte-compiled as a wheel install would be (this environment may set
# PYTHONDONTWRITEBYTECODE, and compiling at every start costs ~40 ms).
# The install compiles the optional accelerator in place (gcc and Python's
# headers: without them it is skipped with a warning and output stays Python).
SPEEDUPS := setup.py dqlite_shell/_speedups/build.py $(wildcard dqlite_shell/_speedups/*.c)
$(VENV)/.installed: $(VENV)/bin/python pyproject.toml $(SPEEDUPS)
	$(PIP) install $(EDITABLE) -e .
	$(PY) -m compileall -q dqlite_shell
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PIP) install $(EDITABLE) -e '.[test]'
	@touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# Completions for the current user's bash, zsh and fish (zsh: add
# ~/.local/share/zsh/site-functions to fpath before compinit).
install-completions:
	install -D -m 644 completions/bash/dqlite $(HOME)/.local/share/bash-completion/completions/dqlite
	install -D -m 644 completions/bash/dqlite-node $(HOME)/.local/share/bash-completion/completions/dqlite-node
	install -D -m 644 completions/zsh/_dqlite $(HOME)/.local/share/zsh/site-functions/_dqlite
	install -D -m 644 completions/zsh/_dqlite-node $(HOME)/.local/share/zsh/site-functions/_dqlite-node
	install -D -m 644 completions/fish/dqlite.fish $(HOME)/.config/fish/completions/dqlite.fish
	install -D -m 644 completions/fish/dqlite-node.fish $(HOME)/.config/fish/completions/dqlite-node.fish

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis $(SERVERS_CACHE)
