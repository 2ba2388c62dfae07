# Two commands do everything on a fresh clone: `make demo` and `make test`.
# The first run creates .venv and installs the package with its pinned dependencies.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CKPT   := examples/digits/birealnet_digits.pt
OUT    := out/digits
JOBS   ?= 2

.PHONY: demo test test-slow train ablation lint bench bench-estimates bench-timing bench-bireal18 clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/bnn-hls demo $(CKPT) -o $(OUT)

test: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup --durations=15 tests

test-slow: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup -m slow tests

train: $(STAMP)
	$(BIN)/bnn-hls train -o $(CKPT)

ablation: $(STAMP)
	$(BIN)/python examples/digits/ablation.py

lint: $(STAMP)
	$(BIN)/ruff check bnn_hls tests hw_tests examples

bench: $(STAMP)
	$(BIN)/python -m bnn_hls.bench

bench-estimates: $(STAMP)
	$(BIN)/python -m bnn_hls.bench_estimates

# One whole Bi-Real-18 224x224 image through the RTL network in Verilator (tens of minutes).
bench-bireal18: $(STAMP)
	$(BIN)/python -m bnn_hls.bench_bireal18 --workdir build/bireal18

# Fmax of every RTL tile family, placed and routed alone (minutes); add
# ARGS=--network for the whole digits network (tens of minutes).
bench-timing: $(STAMP)
	$(BIN)/python -m bnn_hls.bench_timing $(ARGS)

clean:
	rm -rf out build dist sim_build *.egg-info .pytest_cache .ruff_cache
