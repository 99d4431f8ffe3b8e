"""A config that refuses what it does not understand: each bad config stops `snakemake -n --configfile BAD.yaml`
before any job, with a message naming the key (and file and line where there is one), and `xlner check-config`
says the same with exit code 2. Cases are grouped by class (issue 15)."""
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT
from xlner.cli import main

DEFAULT = yaml.safe_load((ROOT / "config/spanish.yaml").read_text())  # translate-train


def whole(change):
    """A whole experiment (it has `languages`): config.yaml changed by `change`."""
    def text():
        config = yaml.safe_load((ROOT / "config/spanish.yaml").read_text())
        change(config)
        return yaml.safe_dump(config, sort_keys=False)
    return text


def raw(text):
    return lambda: text


CASES = [
    # unknown keys, with the key probably meant
    ("typo in a language block", whole(lambda c: c["languages"]["es"].update(tset=c["languages"]["es"].pop("test"))),
     "unknown key 'tset' (did you mean 'test'?)"),
    ("seed instead of seeds in an overlay", raw("seed: [1, 2]\n"), "unknown key 'seed' (did you mean 'seeds'?)"),
    ("unknown align setting", raw("align: {aligner: simalign, layer: 8, matching: i, layr: 6}\n"),
     "unknown key 'layr' (did you mean 'layer'?)"),
    ("unknown key in a recipe", raw("project: {methods: [x], merge_distance: 1, ratio_threshold: 0.8, recipes: "
                                    "{x: {method: ngram, scores: align}}}\n"), "scores"),
    # duplicate keys and YAML syntax, with the line
    ("duplicate key", raw("seeds: [1]\nsizes: [100]\nseeds: [2]\n"), "duplicate key 'seeds' (first on line 1)"),
    ("duplicate nested key", raw("kd:\n  loss: mse\n  loss: kl\n  temperature: 1.0\n"), ":3: duplicate key 'loss'"),
    ("YAML syntax error", raw("sizes: [100, 300\nseeds: [1]\n"), ":2: not valid YAML"),
    # the results folder and language names
    ("results with a space", raw("results: my results\n"), "must be a folder name without spaces"),
    ("results at the root", raw("results: /\n"), "is the filesystem root"),
    ("empty results", raw("results: ''\n"), "must be a folder name without spaces"),
    ("language named after a rule", whole(lambda c: c["languages"].update(all=c["languages"].pop("es"))),
     "['all'] cannot be language names"),
    # what a run will need, checked now rather than in a job an hour later
    ("missing test file", whole(lambda c: c["languages"]["es"]["test"].update(path="data/no-such.tsv")),
     "languages.es.test.path: no such file 'data/no-such.tsv'"),
    ("missing encoder directory", raw("encoder: {build: none, path: ./models/nothing-here}\n"),
     "encoder.path: './models/nothing-here' is not a model directory"),
    ("sizes larger than the source pool", raw("sizes: [100, 5000]\n"), "5000 is larger than the projection pool"),
    ("sizes larger than the gold train pool", whole(lambda c: (c["languages"]["es"]["train"].update(max_sentences=50),
                                                               c.update(sizes=[40, 80], supervised_sizes=[20, 80]), c["source"].update(pool_size=80))),
     "80 is larger than the 50 sentences of languages.es's train pool"),
    # types and numbers
    ("duplicate entity types", raw("entity_types: [PER, LOC, PER]\n"), "has non-unique elements"),
    ("duplicate seeds", raw("seeds: [1, 1]\n"), "has non-unique elements"),
    ("a size of 0", raw("sizes: [0, 100]\n"), "sizes.0"),
]


def _write(tmp_path, make):
    bad = tmp_path / "bad.yaml"
    bad.write_text(make())
    return bad


@pytest.mark.parametrize("name,make,message", CASES, ids=[c[0] for c in CASES])
def test_check_config_names_the_problem(tmp_path, capsys, monkeypatch, name, make, message):
    monkeypatch.chdir(ROOT)
    bad = _write(tmp_path, make)
    assert main(["check-config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err


@pytest.mark.slow  # one Snakemake parse per case
@pytest.mark.parametrize("name,make,message", [c for c in CASES if c[0] != "YAML syntax error"],
                         ids=[c[0] for c in CASES if c[0] != "YAML syntax error"])
def test_snakemake_stops_before_any_job(tmp_path, name, make, message):
    bad = _write(tmp_path, make)
    done = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--configfile", str(bad), "--cores", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and message in done.stdout + done.stderr, (done.stdout + done.stderr)[-3000:]
    assert "Job stats" not in done.stdout


def test_the_shipped_configs_are_valid(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    for config in ("config.yaml", ".test/config.yaml", "config/paper.yaml", "config/projection-methods.yaml",
                   "config/three-languages.yaml", "config/spanish.yaml"):
        assert main(["check-config", config]) == 0, capsys.readouterr().err
