"""The Snakemake workflow end to end on a tiny configuration (real Apertium, tiny encoder), and its caching."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, require_apertium

SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def _snakemake(workdir, *args):
    env_path = str(Path(sys.executable).parent)
    import os
    env = {**os.environ, "PATH": env_path + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run([*SNAKEMAKE, "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir),
                           "--configfile", str(workdir / "config.yaml"), "--cores", "2", *args],
                          capture_output=True, text=True, env=env)


def _planned_rules(output):
    """Rule names of the jobs a dry run would run."""
    rules = set()
    for line in output.splitlines():
        line = line.strip()
        for prefix in ("localrule ", "rule "):
            if line.startswith(prefix) and line.endswith(":"):
                rules.add(line[len(prefix):-1])
    return rules


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, tiny_encoder):
    require_apertium("eng-spa")
    workdir = tmp_path_factory.mktemp("workflow")
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["source"].update(path=str(ROOT / "data/wikiann/en/train.tsv"), pool_size=30)
    config["languages"]["es"]["test"].update(path=str(ROOT / "data/wikiann/es/test.tsv"), max_sentences=20)
    config["encoder"] = {"build": "none", "path": str(tiny_encoder)}
    config["align"].update(layer=1, matching="a")
    config.update(sizes=[10, 20], seeds=[1])
    config["train"].update(max_steps=3, batch_size=8, max_length=32)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    done = _snakemake(workdir)
    assert done.returncode == 0, done.stderr[-3000:]
    return workdir


def test_tiny_run_produces_metrics_on_the_result_path_grammar(tiny_run):
    for size in (10, 20):
        run = tiny_run / "results/es/projection/heuristic" / f"n{size}" / "seed1"
        metrics = json.loads((run / "metrics.json").read_text())
        assert 0 <= metrics["f1"] <= 100
        assert metrics["settings"]["project"]["method"] == "heuristic" and metrics["settings"]["size"] == size
        assert metrics["settings"]["mt"]["mode"] == "eng-spa"
        assert (run / "predictions.conll").exists() and (run / "model" / "config.json").exists()
    small = set((tiny_run / "results/es/subsets/seed1/n10.txt").read_text().split())
    large = set((tiny_run / "results/es/subsets/seed1/n20.txt").read_text().split())
    assert small < large  # nested
    stats = json.loads((tiny_run / "results/es/project/heuristic/stats.json").read_text())
    assert stats["sentences"] == 30 and sum(stats["entities_in"].values()) > 0


def test_finished_run_has_nothing_to_do(tiny_run):
    dry = _snakemake(tiny_run, "-n")
    assert dry.returncode == 0, dry.stderr
    assert "Nothing to be done" in dry.stdout + dry.stderr


def test_changed_projection_setting_reruns_projection_and_after_only(tiny_run):
    config = yaml.safe_load((tiny_run / "config.yaml").read_text())
    config["project"]["ratio_threshold"] = 0.5
    changed = tiny_run / "changed.yaml"
    changed.write_text(yaml.safe_dump(config))
    dry = subprocess.run([*SNAKEMAKE, "--snakefile", str(ROOT / "Snakefile"), "--directory", str(tiny_run),
                          "--configfile", str(changed), "--cores", "1", "-n"], capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    planned = _planned_rules(dry.stdout + dry.stderr)
    assert {"project", "train_projection", "evaluate"} <= planned
    assert not planned & {"translate", "align", "label", "source_pool", "target_test", "build_encoder"}


def test_config_of_the_wrong_type_is_rejected_naming_the_key(tmp_path):
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["project"]["merge_distance"] = "one"
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    done = _snakemake(tmp_path, "-n")
    assert done.returncode != 0
    assert "config key project.merge_distance: 'one' is not of type 'integer'" in done.stdout + done.stderr


def test_workflow_lints_clean():
    done = subprocess.run([*SNAKEMAKE, "--lint"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and "Congratulations" in done.stdout + done.stderr, done.stdout + done.stderr
