"""The preloaded worker (worker.py): a job it forks ends as the job's own process would (exit code, streams,
outputs, signals), a job it cannot run the same way gets its own process, and it does not outlive its run.
The workflow's side (the tiny run forked by a worker, rerun without one, byte-identical) is in test_workflow.py."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import shared_file
from xlner import worker
from xlner.delegate import ADDRESS_VARIABLE
from xlner.formats.conll import read_conll, write_conll
from xlner.settings import TrainSettings, to_json

XLNER = str(Path(sys.executable).parent / "xlner")
FORKED_LINE = "xlner: forked from the run's preloaded worker"

if worker.available():
    pytest.skip(f"no worker on this machine: {worker.available()}", allow_module_level=True)


@pytest.fixture(scope="module")
def serving(tmp_path_factory):
    """A worker as the Snakefile starts one; yields its log."""
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    process = worker.start(log)
    assert process is not None, log.read_text()
    # what Snakemake gives a 1-thread job: the run's environment as the worker started (pytest changes its own)
    _RUN_ENVIRONMENT.update(os.environ, **worker.ONE_THREAD)
    yield log
    worker.stop(process)
    assert process.returncode is not None


_RUN_ENVIRONMENT = {}


def _job_environment(**changes):
    return {**_RUN_ENVIRONMENT, **changes}


def _xlner(args, env):
    return subprocess.run([XLNER, *args], capture_output=True, text=True, env=env, timeout=300)


def _alone(env):
    return {k: v for k, v in env.items() if k != ADDRESS_VARIABLE}


@pytest.mark.parametrize("case", ["writes", "bad input", "bad option"])
def test_a_forked_job_ends_as_its_own_process_would(serving, tmp_path, case):
    pool = str(shared_file("wikiann_xtreme_panx", "es", "test.tsv"))
    args = {"writes": ["subset", "--pool", pool, "--size", "50", "--seed", "3"],
            "bad input": ["subset", "--pool", pool, "--size", "100000", "--seed", "3"],  # more than the pool has
            "bad option": ["subset", "--pool", pool, "--size", "-4", "--seed", "3"]}[case]
    env = _job_environment()
    forked = _xlner([*args, "--output", str(tmp_path / "forked.txt")], env)
    alone = _xlner([*args, "--output", str(tmp_path / "alone.txt")], _alone(env))
    first, *rest = forked.stderr.splitlines(keepends=True)
    assert first.startswith(FORKED_LINE), forked.stderr
    assert (forked.returncode, forked.stdout, "".join(rest).replace("forked.txt", "alone.txt")) == (
        alone.returncode, alone.stdout, alone.stderr)
    assert forked.returncode == {"writes": 0, "bad input": 2, "bad option": 2}[case]
    if case == "writes":
        assert (tmp_path / "forked.txt").read_bytes() == (tmp_path / "alone.txt").read_bytes()
        assert len((tmp_path / "forked.txt").read_text().split()) == 50
    else:
        assert not (tmp_path / "forked.txt").exists() and not (tmp_path / "alone.txt").exists()
        assert "Traceback" not in forked.stderr


def test_a_job_that_would_not_compute_the_same_gets_its_own_process(serving, tmp_path):
    pool = str(shared_file("wikiann_xtreme_panx", "es", "test.tsv"))
    two_threads = _job_environment(OMP_NUM_THREADS="2")  # the worker's torch has one thread
    done = _xlner(["subset", "--pool", pool, "--size", "10", "--seed", "1", "--output", str(tmp_path / "ids.txt")],
                  two_threads)
    assert done.returncode == 0 and len((tmp_path / "ids.txt").read_text().split()) == 10
    assert done.stderr.startswith("xlner: own process (its environment differs from the worker's in "
                                  "OMP_NUM_THREADS)"), done.stderr
    assert "declined ['subset', '--pool']" in serving.read_text()


def _child_of(log, marker):
    """The pid of the child the worker forked for the job whose command line contains `marker` (its log line)."""
    deadline = time.time() + 120
    while time.time() < deadline:
        for line in log.read_text().splitlines():
            if line.startswith("worker: ") and " runs " in line and line.endswith(f" in {marker}"):
                return int(line.split()[1])
        time.sleep(0.2)
    raise AssertionError(f"no child for {marker}: {log.read_text()}")


def _gone(pid, within=20):
    """The process ended (a zombie not yet reaped by whoever adopted it counts as ended)."""
    deadline = time.time() + within
    while time.time() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return True
        except (FileNotFoundError, ProcessLookupError):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_a_signal_to_the_job_reaches_its_forked_child(serving, tiny_encoder, tmp_path, signum):
    """SIGTERM (Snakemake stopping a job) is passed on; SIGKILL (the job killed outright) kills the child too."""
    sentences, _ = read_conll(shared_file("wikiann_xtreme_panx", "es", "train.tsv"), "iob2", {}, None, 32)
    write_conll(tmp_path / "train.conll", sentences)
    settings = to_json(TrainSettings(seed=1, min_steps=20, max_steps=20, batch_size=8, max_length=32))
    output = tmp_path / "model"
    # each optimizer step sleeps 30 s (pacing.py); the worker's log names the job's directory
    job = subprocess.Popen([XLNER, "train", "--train", "train.conll", "--encoder", str(tiny_encoder),
                            "--output", str(output), "--settings", settings], cwd=tmp_path,
                           env=_job_environment(XLNER_PAUSE="30"), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    child = _child_of(serving, str(tmp_path))
    time.sleep(1)
    job.send_signal(signum)
    job.wait(timeout=60)
    assert job.returncode == -signum
    assert _gone(child), "the forked child outlived its job"
    assert not output.exists()


def test_the_worker_ends_when_its_run_does(tmp_path):
    """A run killed without clean-up (no onsuccess/onerror): its worker notices and ends."""
    script = ("import sys; from xlner import worker; "
              f"process = worker.start({str(tmp_path / 'worker.log')!r}); print(process.pid, flush=True)")
    started = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    pid = int(started.stdout.split()[0])
    assert _gone(pid, within=60), "the worker outlived the process that started it"
