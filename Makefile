# Two entry points on a fresh Debian/Ubuntu machine with Python >= 3.10:
#   make run    set up, then run the default experiment (config.yaml) with Snakemake
#   make test   set up, then run the tests
# TORCH_BUILD=cpu (default) installs the CPU build of torch (small, ~750 MB); TORCH_BUILD=plain installs
# PyPI's default build (the CUDA one on Linux x86_64, ~5 GB), for GPU machines.

PYTHON ?= python3
VENV ?= .venv
TORCH_BUILD ?= cpu
TORCH_VERSION ?= 2.13.0
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
APERTIUM_PACKAGES ?= apertium apertium-eng-spa
CORES ?= 2

BIN := $(VENV)/bin
STAMP := $(VENV)/.xlner-installed

.PHONY: setup run test apertium lint clean

setup: $(STAMP) apertium

$(STAMP): envs/requirements.txt envs/requirements-nodeps.txt envs/requirements-test.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
ifeq ($(TORCH_BUILD),cpu)
	# The CPU wheel: from a local wheel directory or index when the machine has one, else PyTorch's CPU index.
	$(BIN)/pip install "torch==$(TORCH_VERSION)+cpu" || \
	  $(BIN)/pip install --index-url $(TORCH_CPU_INDEX) "torch==$(TORCH_VERSION)+cpu"
else
	$(BIN)/pip install "torch==$(TORCH_VERSION)"
endif
	$(BIN)/pip install -r envs/requirements.txt -r envs/requirements-test.txt
	$(BIN)/pip install --no-deps -r envs/requirements-nodeps.txt
	$(BIN)/pip install --no-deps -e .
	touch $(STAMP)

# Apertium (offline MT) comes from Debian packages: installed with apt when we can (root or sudo).
apertium:
	@if command -v apertium >/dev/null && apertium -l | grep -qx '  eng-spa'; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else \
	  echo "error: Apertium is missing; install the Debian/Ubuntu packages: $(APERTIUM_PACKAGES)" >&2; exit 1; fi; \
	$$SUDO apt-get update -q && $$SUDO apt-get install -y -q $(APERTIUM_PACKAGES) || { \
	  echo "error: could not install Apertium; please install the packages: $(APERTIUM_PACKAGES)" >&2; exit 1; }

run: setup
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/snakemake --cores $(CORES)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/snakemake --cores $(CORES) --report results/report.html

test: setup
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/pytest -v -ra

lint: setup
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/snakemake --lint

clean:
	rm -rf results resources .snakemake
