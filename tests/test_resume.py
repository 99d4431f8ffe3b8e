"""A run killed (SIGKILL, no clean-up) in the middle of translation, of alignment and of training resumes:
finished stages are not redone, nothing half written is left, and the metrics equal an uninterrupted run's."""
import os
import signal
import subprocess
import time

import yaml

from conftest import _snakemake, snakemake_command

# The projection arm's runs: translation, alignment, labelling, projection, training and evaluation, the stages
# a kill is aimed at. The rest of the workflow adds jobs of the same kinds, and minutes: left out here.
TARGETS = [f"results/es/projection/heuristic/n{size}/seed{seed}/metrics.json" for size in (10, 20) for seed in (1, 2)]


def _start(workdir, pause):
    """The run in a process group of its own (so one kill reaches every job), each stage slowed by `pause` s."""
    command, env = snakemake_command(workdir, *TARGETS)
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**env, "XLNER_PAUSE": str(pause)}, start_new_session=True)


def _kill_when(process, condition, timeout=300):
    """SIGKILL the whole run (Snakemake and its jobs) once `condition()` holds."""
    deadline = time.time() + timeout
    while not condition():
        assert process.poll() is None, "the run ended before the stage to interrupt started"
        assert time.time() < deadline, "timed out waiting for the stage to start"
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _running(log):
    return lambda: log.exists() and log.stat().st_size > 0


def test_killed_mid_stage_resumes_without_redoing_or_corrupting(tiny_run, tmp_path):
    workdir = tmp_path / "killed"
    workdir.mkdir()
    # Spanish only: the kills aim at its stages (the Basque ones would share the two cores and delay them); its runs'
    # records do not depend on the other languages, so they still equal the tiny run's byte for byte
    config = yaml.safe_load((tiny_run / "config.yaml").read_text())
    config["languages"] = {"es": config["languages"]["es"]}
    config["translate_test"]["languages"] = {"es": config["translate_test"]["languages"]["es"]}
    config["hybrid"]["methods"] = [m for m in config["hybrid"]["methods"] if m != "agree"]  # target-side only
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    results = workdir / "results/es"
    translations, alignments = results / "translate/translations.jsonl", results / "align/alignments.jsonl"

    # 1. killed in translation: its output was never written under its final name
    _kill_when(_start(workdir, pause=3), _running(results / "logs/translate.log"))
    assert not translations.exists()
    assert _snakemake(workdir, "--unlock").returncode == 0

    # 2. killed in alignment: translation is done and stays done
    _kill_when(_start(workdir, pause=3), lambda: translations.exists() and _running(results / "logs/align.log")())
    assert translations.exists() and not alignments.exists()
    translated_at = translations.stat().st_mtime_ns
    assert _snakemake(workdir, "--unlock").returncode == 0

    # 3. killed in training
    train_logs = results / "logs/train"
    _kill_when(_start(workdir, pause=3), lambda: alignments.exists() and train_logs.exists()
               and any(log.stat().st_size > 0 for log in train_logs.glob("projection_*.log")))
    aligned_at = alignments.stat().st_mtime_ns
    assert _snakemake(workdir, "--unlock").returncode == 0

    # 4. resumed to the end: nothing finished is redone, nothing half written is left
    dry = _snakemake(workdir, "-n", *TARGETS)
    assert "rule translate:" not in dry.stdout and "rule align:" not in dry.stdout
    done = _snakemake(workdir, *TARGETS)
    assert done.returncode == 0, done.stderr[-3000:]
    assert translations.stat().st_mtime_ns == translated_at and alignments.stat().st_mtime_ns == aligned_at
    assert not [p for p in workdir.rglob("*.tmp")], "temporary files left behind"
    resumed_runs = sorted((workdir / "results").rglob("metrics.json"))
    assert len(resumed_runs) == len(TARGETS)
    for resumed in resumed_runs:
        assert resumed.read_bytes() == (tiny_run / resumed.relative_to(workdir)).read_bytes(), resumed
