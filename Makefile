# prodseg: every target installs what it needs first, so a fresh clone needs only `make demo` / `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DVC_VENV := .venv-dvc
DVC := $(DVC_VENV)/bin/dvc
# The Dagster instance lives under the runtime folder (PRODSEG_VAR, default var/) and persists.
export DAGSTER_HOME ?= $(abspath $(or $(PRODSEG_VAR),var))/dagster_home
# Its storage: sqlite files in DAGSTER_HOME, or Postgres for a team (DAGSTER_STORAGE=postgres plus
# the DAGSTER_PG_* variables; see config/dagster-postgres.yaml).
DAGSTER_STORAGE ?= sqlite
DAGSTER_CONFIG := config/$(if $(filter postgres,$(DAGSTER_STORAGE)),dagster-postgres,dagster).yaml

.PHONY: install system-packages demo test ui mlflow-ui bench lock dvc-venv dagster-home clean \
	dvc-repro dvc-status dvc-metrics dvc-commit dvc-push

install: $(VENV)/.installed $(DVC_VENV)/.installed node_modules/.installed

# Packages go in with uv (pinned, from PyPI): the same pinned set as pip installs, in a fraction of the time
# (README "Measured"). uv does not read pip's configuration, so the indexes, wheel folders and constraints
# pip is configured with (pip.conf, PIP_* variables; none on a stock machine) are handed on; like pip, it
# takes the best match over all of them. Certificates come from the system store, as pip's do. Where uv
# cannot install (no uv wheel, an index it cannot read), pip installs the same set, saying so.
UV_VERSION := 0.13.8
UV_INSTALL = $(BIN)/uv pip install -q --system-certs --index-strategy unsafe-best-match \
	$$($(BIN)/python -m pip config list 2>/dev/null \
	   | sed -nE "s/^[^=]*\.(index-url|extra-index-url|find-links|constraint)='(.*)'$$/\1 \2/p" \
	   | awk '{for (i = 2; i <= NF; i++) printf "--%s %s ", $$1, $$i}')

# The project venv: pinned deps from pyproject.toml, transitive ones from constraints.txt.
$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	{ $(BIN)/python -m pip install -q uv==$(UV_VERSION) && $(UV_INSTALL) --python $(BIN)/python -c constraints.txt -e '.[dev]'; } \
	|| { echo "warning: uv could not install the venv; installing with pip (slower)"; \
	     $(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'; }
	touch $@

# The web page's device runtime (LiteRT.js) from npm, at the lockfile's versions; the server serves it from
# here. Without npm or the registry the page still works, cutting out on the server after asking.
node_modules/.installed: package.json package-lock.json
	if command -v npm >/dev/null 2>&1 && npm ci --no-audit --no-fund --loglevel=error; then touch $@; \
	else echo "warning: npm ci failed: the page's device runtime is unavailable (it falls back to the server)"; fi

# DVC lives in its own venv: its hydra/omegaconf pin antlr4 4.9, Dagster's
# asset-selection parser needs 4.13 (one venv breaks `dagster ... --select`).
dvc-venv: $(DVC_VENV)/.installed
$(DVC_VENV)/.installed: dvc-requirements.txt | $(VENV)/.installed
	test -x $(DVC_VENV)/bin/python || $(PYTHON) -m venv $(DVC_VENV)
	$(UV_INSTALL) --python $(DVC_VENV)/bin/python -r dvc-requirements.txt \
	|| { echo "warning: uv could not install the DVC venv; installing with pip (slower)"; \
	     $(DVC_VENV)/bin/python -m pip install -q -r dvc-requirements.txt; }
	touch $@

# Copied whenever it differs, so switching DAGSTER_STORAGE takes effect on the next target.
dagster-home:
	mkdir -p $(DAGSTER_HOME)
	cmp -s $(DAGSTER_CONFIG) $(DAGSTER_HOME)/dagster.yaml || cp $(DAGSTER_CONFIG) $(DAGSTER_HOME)/dagster.yaml

# The whole asset graph on the embedded demo shop through Dagster (generate, serve, crawl, label,
# split, train, evaluate, export, promote), then the summary. Runs and materializations stay in
# DAGSTER_HOME: `make ui` shows them. The dg CLI: Dagster 1.13 marks `dagster asset materialize`
# and `dagster dev` superseded (and warns); `dg launch` / `dg dev` run the same code on explicit targets.
# Each step still gets its own process (a fresh TensorFlow: evaluation pins its threads), forked from a
# server that has imported the code location once instead of a new interpreter each (README "Measured").
DEMO_EXECUTION := {"execution": {"config": {"multiprocess": {"start_method": {"forkserver": {"preload_modules": ["pipelines.definitions"]}}}}}}
demo: install dagster-home
	$(BIN)/dg launch --assets '*' --config-json '$(DEMO_EXECUTION)'
	$(BIN)/prodseg status

test: install system-packages
	$(BIN)/pytest

# Debian packages some tests need: chromium (the browser tests), postgresql (the Dagster Postgres-storage
# test). Installed once, where this user can (root with apt-get); elsewhere ONE line says how, and those
# tests skip saying the same (pytest -ra lists the reasons at the end). Override to try either branch:
# `make system-packages CHROMIUM=/nonexistent APT_GET=false`.
CHROMIUM ?= /usr/bin/chromium
PG_CTL ?= $(or $(firstword $(wildcard /usr/lib/postgresql/*/bin/pg_ctl)),$(shell command -v pg_ctl))
APT_GET ?= apt-get
system-packages:
	@missing="$(if $(wildcard $(CHROMIUM)),,chromium) $(if $(PG_CTL),,postgresql)"; missing=$$(echo $$missing); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v $(APT_GET) >/dev/null 2>&1; then \
	  echo "installing Debian's $$missing for the browser/Postgres tests ($(APT_GET) install)"; \
	  DEBIAN_FRONTEND=noninteractive $(APT_GET) update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq $$missing >/dev/null && exit 0; \
	fi; \
	echo "NOTE: $$missing missing and not installable here (needs root and apt-get): their tests skip; run them after: sudo apt-get install $$missing"

ui: install dagster-home
	$(BIN)/dg dev -w workspace.yaml

mlflow-ui: install
	$(BIN)/mlflow ui --backend-store-uri "$$($(BIN)/python -c 'from prodseg.settings import Settings; print(Settings.load().mlflow_tracking_uri)')"

# The REST API + web page for the registry's champion (serve.host:port, default http://127.0.0.1:8000).
serve: install
	$(BIN)/prodseg serve

# DVC: the same stages as `dvc.yaml` pipeline (run from its own venv, see above).
dvc-repro: install
	$(DVC) repro
dvc-status: install
	$(DVC) status
dvc-metrics: install
	$(DVC) metrics show
	$(DVC) plots show --out var/dvc_plots
# Record outputs Dagster produced in dvc.lock and the DVC cache, then copy them to the remote
# (default: the folder var/dvc-remote; see .dvc/config for S3 and others).
dvc-commit: install
	$(DVC) commit --force
dvc-push: dvc-commit
	$(DVC) push

bench: install
	$(BIN)/python benchmarks/crawl_bench.py
	$(BIN)/python benchmarks/label_bench.py
	$(BIN)/python benchmarks/train_bench.py
	$(BIN)/python benchmarks/serve_bench.py

# Re-pin the transitive dependencies after changing pyproject.toml.
lock:
	$(BIN)/python -m pip freeze --exclude-editable > constraints.txt

clean:
	rm -rf var data
