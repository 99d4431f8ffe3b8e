"""The GPU check (benchmarks/gpu_check.py) and the GPU-hours arithmetic (xlner.costs): the tiny check runs on CPU
so it cannot rot while no GPU is lent, and the hours follow the configuration's own counts."""
import copy
import json
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT
from xlner.costs import Assumptions, Rates, gpu_hours, seconds_per_language
from xlner.plan import Plan

PAPER = yaml.safe_load((ROOT / "config/paper.yaml").read_text())
RATES = Rates(mt_sentences_per_s=10.0, align_pairs_per_s=100.0, train_steps_per_s=5.0, student_sentences_per_s=500.0,
              teacher_sentences_per_s=200.0)


def plan(change=None):
    config = copy.deepcopy(PAPER)
    if change:
        change(config)
    return Plan(config)


def test_training_hours_follow_seeds_and_sizes():
    base = seconds_per_language(plan(), "bam", RATES)
    one_seed = seconds_per_language(plan(lambda c: c.update(seeds=[1])), "bam", RATES)
    assert one_seed["train"] == pytest.approx(base["train"] / 3) and one_seed["evaluate"] == pytest.approx(
        base["evaluate"] / 3)
    assert one_seed["translate"] == base["translate"]  # translation does not depend on seeds
    small = plan(lambda c: c.update(sizes=[100, 1000], supervised_sizes=None, seeds=[1]))
    settings = small.train(1)
    arms = len(small.trained_arms("bam"))  # 4 projection recipes, teacher-student, supervised
    assert arms == 6
    expected = arms * (settings.steps_for(100) + settings.steps_for(1000)) / RATES.train_steps_per_s
    assert seconds_per_language(small, "bam", RATES)["train"] == pytest.approx(expected)
    # "all": the projection pool (14,041 source sentences) or the assumed gold train split
    every = plan(lambda c: c.update(sizes=["all"], supervised_sizes=None, seeds=[1]))
    assumed = Assumptions(train_sentences=2000)
    expected = (4 * settings.steps_for(14041) + 2 * settings.steps_for(2000)) / RATES.train_steps_per_s
    assert seconds_per_language(every, "bam", RATES, assumed)["train"] == pytest.approx(expected)


def test_translation_and_alignment_count_the_pools_and_the_translate_test_table():
    parts = seconds_per_language(plan(), "bam", RATES)
    # the 14,041-sentence pool, its back-translation (heuristic-bt etc. are translate-test columns, not trained
    # recipes here), and 1,000 assumed test sentences translated both ways for the table
    trained_bt = any(plan().recipe(m).back_translation for m in PAPER["project"]["methods"])
    pool = 14041 * (1 + trained_bt)
    assert parts["translate"] == pytest.approx((pool + 1000 * 2) / RATES.mt_sentences_per_s)
    hours = gpu_hours(plan(), RATES)
    assert len(hours["per_language"]) == 57 and hours["total"] == pytest.approx(
        sum(hours["per_language"].values()), abs=0.01)


@pytest.mark.slow  # builds tiny models and runs every measurement (about a minute)
def test_tiny_check_runs_on_cpu_and_prints_the_estimate(tmp_path):
    output = tmp_path / "gpu_check.json"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks/gpu_check.py"), "--tiny", "--output", str(output)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "GPU-hours per language of paper.yaml: mean" in done.stdout
    result = json.loads(output.read_text())
    measured = result["measurements"]
    assert not [k for k in measured if k.endswith("/error")], measured
    assert measured["stages/smoke"]["ok"] and measured["stages/smoke"]["translated"] == 16
    assert measured["train/xlm-roberta-base/float32"]["steps_per_s"] > 0
    assert result["gpu_hours"]["mean_per_language"] > 0


def test_asking_for_cuda_without_it_is_refused_cleanly():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks/gpu_check.py"), "--device", "cuda"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "no CUDA device" in done.stderr and "Traceback" not in done.stderr
