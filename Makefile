# prodseg: every target installs what it needs first, so a fresh clone needs only `make demo` / `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DVC_VENV := .venv-dvc
export DAGSTER_HOME ?= $(CURDIR)/var/dagster_home

.PHONY: install demo test ui mlflow-ui bench lock dvc-venv dagster-home clean

install: $(VENV)/.installed $(DVC_VENV)/.installed

# The project venv: pinned deps from pyproject.toml, transitive ones from constraints.txt.
$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $@

# DVC lives in its own venv: its hydra/omegaconf pin antlr4 4.9, Dagster's
# asset-selection parser needs 4.13 (one venv breaks `dagster ... --select`).
dvc-venv: $(DVC_VENV)/.installed
$(DVC_VENV)/.installed: dvc-requirements.txt
	test -x $(DVC_VENV)/bin/python || $(PYTHON) -m venv $(DVC_VENV)
	$(DVC_VENV)/bin/python -m pip install -q --upgrade pip
	$(DVC_VENV)/bin/python -m pip install -q -r dvc-requirements.txt
	touch $@

dagster-home: $(DAGSTER_HOME)/dagster.yaml
$(DAGSTER_HOME)/dagster.yaml: config/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp $< $@

# The whole pipeline on the embedded demo shop, through Dagster.
demo: install dagster-home
	$(BIN)/dagster asset materialize -m pipelines --select '*'
	$(BIN)/prodseg status

test: install
	$(BIN)/pytest

ui: install dagster-home
	$(BIN)/dagster dev -w workspace.yaml

mlflow-ui: install
	$(BIN)/mlflow ui --backend-store-uri "$$($(BIN)/python -c 'from prodseg.settings import Settings; print(Settings.load().mlflow_tracking_uri)')"

# The REST API + web page for the registry's champion (serve.host:port, default http://127.0.0.1:8000).
serve: install
	$(BIN)/prodseg serve

bench: install
	$(BIN)/python benchmarks/crawl_bench.py
	$(BIN)/python benchmarks/label_bench.py
	$(BIN)/python benchmarks/train_bench.py

# Re-pin the transitive dependencies after changing pyproject.toml.
lock:
	$(BIN)/python -m pip freeze --exclude-editable > constraints.txt

clean:
	rm -rf var data
