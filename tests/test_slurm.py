"""The workflow on a real SLURM: a single-node cluster on localhost (../shared/docs/slurm.md), the tiny
configuration submitted through profiles/slurm (layered with this node's settings), results compared with a
local run. Also: the paper configuration's full DAG through the SLURM profile (a dry run, no SLURM needed).

Skipped on a machine where SLURM cannot run (not installed, or not root); in CI it must run (`make test`
installs slurm-wlm and munge), so there a missing SLURM fails the test instead.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from conftest import IN_CI, ROOT, snakemake_command

DAEMONS = ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "srun")


def _need_slurm():
    missing = [d for d in DAEMONS if shutil.which(d) is None and not Path("/usr/sbin", d).exists()]
    problem = (f"SLURM binaries missing: {missing} (apt-get install slurm-wlm munge)" if missing
               else "the single-node SLURM needs root" if os.geteuid() != 0 else None)
    if problem:
        if IN_CI:
            pytest.fail(problem + " -- CI must have it (make test installs it)")
        pytest.skip(problem)


def _binary(name):
    return shutil.which(name) or str(Path("/usr/sbin", name))


SLURM_CONF = """ClusterName=xlnertest
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={run}/munge/munge.socket.2
StateSaveLocation={run}/state/ctld
SlurmdSpoolDir={run}/state/d
SlurmctldPidFile={run}/state/slurmctld.pid
SlurmdPidFile={run}/state/slurmd.pid
SlurmctldLogFile={run}/log/slurmctld.log
SlurmdLogFile={run}/log/slurmd.log
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=300
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} Boards=1 SocketsPerBoard=1 CoresPerSocket={cpus} ThreadsPerCore=1 RealMemory={memory} State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def slurm():
    """munged + slurmctld + slurmd for this module; stopped (by PID) afterwards. Their directory is a fresh one
    under /tmp: munged insists that every directory above its socket is executable by all, which pytest's own
    temporary directories (mode 700) are not."""
    _need_slurm()
    run = Path(tempfile.mkdtemp(prefix="xlner-slurm-"))
    run.chmod(0o711)
    for sub in ("munge", "state/ctld", "state/d", "log", "bin"):
        (run / sub).mkdir(parents=True, exist_ok=True)
    (run / "munge").chmod(0o711)
    host = socket.gethostname().split(".")[0]
    conf = run / "slurm.conf"
    conf.write_text(SLURM_CONF.format(host=host, run=run, cpus=os.cpu_count() or 2, memory=4000,
                                      ctld_port=_free_port(), d_port=_free_port()))
    env = {**os.environ, "SLURM_CONF": str(conf)}
    key, socket_path = run / "munge/munge.key", run / "munge/munge.socket.2"
    subprocess.run([_binary("mungekey"), "--create", f"--keyfile={key}"], check=True, capture_output=True)
    processes = [subprocess.Popen([_binary("munged"), "-F", f"--key-file={key}", f"--socket={socket_path}",
                                   f"--pid-file={run}/munge/munged.pid", f"--log-file={run}/log/munged.log",
                                   f"--seed-file={run}/munge/munged.seed"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        _wait(lambda: socket_path.exists(), 20, "munged did not start")
        for daemon in ("slurmctld", "slurmd"):
            processes.append(subprocess.Popen([_binary(daemon), "-D", "-f", str(conf)], env=env,
                                              stdout=open(run / f"log/{daemon}.out", "w"), stderr=subprocess.STDOUT))
        _wait(lambda: "idle" in subprocess.run(["sinfo", "-h", "-o", "%t"], env=env, capture_output=True,
                                               text=True).stdout, 60,
              lambda: "the SLURM node did not come up: " + "\n".join(
                  f"{p.name}: {p.read_text()[-1500:]}" for p in sorted((run / "log").iterdir())))
        # The jobstep plugin drops SLURM_* variables before its nested srun (slurm.md): an `srun` first on PATH
        # puts SLURM_CONF back.
        wrapper = run / "bin/srun"
        wrapper.write_text(f"#!/bin/sh\nexport SLURM_CONF={conf}\nexec {shutil.which('srun')} \"$@\"\n")
        wrapper.chmod(0o755)
        yield {"conf": conf, "bin": run / "bin", "run": run}
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(run, ignore_errors=True)


def _wait(check, seconds, message):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(message() if callable(message) else message)


def _small_config(tiny_run, workdir):
    """The tiny run's configuration, cut to one size, one seed, one teacher and the projection and zero-shot arms."""
    config = yaml.safe_load((tiny_run / "config.yaml").read_text())
    config.update(sizes=[10], supervised_sizes=None, seeds=[1], arms=["projection", "zero-shot"])
    config["teacher"].update(seeds=1, ensemble=False)  # one teacher: no ensemble
    config.pop("translate_test")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    return workdir


def _layered_profile(slurm, directory):
    """profiles/slurm with this node's settings on top: partition debug, small memory, no GPUs (GPU rules run
    on CPU here), quick status checks."""
    profile = yaml.safe_load((ROOT / "profiles/slurm/config.yaml").read_text())
    listing = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--list-rules",
                              "--directory", str(ROOT)], capture_output=True, text=True, check=True).stdout
    rules = [line.split()[0] for line in listing.splitlines() if line and not line[0].isspace()]
    profile.update({
        "jobs": 2, "retries": 0, "latency-wait": 5, "local-cores": 1,
        "default-resources": {"slurm_partition": "debug", "mem_mb": 300, "runtime": 30, "cpus_per_task": 1},
        "set-resources": {rule: {"gpu": 0, "mem_mb": 300} for rule in rules},
        "slurm-init-seconds-before-status-checks": 2,
        "slurm-no-account": True,
        "slurm-keep-successful-logs": True,
        "slurm-logdir": str(directory / "slurm_logs"),
    })
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.yaml").write_text(yaml.safe_dump(profile))
    return directory


@pytest.mark.apertium("eng-spa")
def test_tiny_workflow_through_slurm_matches_a_local_run(slurm, tiny_run, tmp_path):
    cluster = _small_config(tiny_run, tmp_path / "cluster")
    profile = _layered_profile(slurm, tmp_path / "profile")
    runs = ("es/projection/heuristic/n10/seed1", "es/zero-shot/teacher/n0/seed1")
    # the two runs compared below and what they need (12 jobs): every job waits for the executor's status checks,
    # so the curves, exports and accounting would add a minute and test nothing SLURM-specific
    targets = [f"results/{run}/metrics.json" for run in runs]
    command, env = snakemake_command(cluster, "--profile", str(profile), "--workflow-profile", "none", *targets)
    command.remove("--cores")
    command.remove("2")
    env = {**env, "SLURM_CONF": str(slurm["conf"]), "PATH": f"{slurm['bin']}{os.pathsep}{env['PATH']}"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1200)
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-5000:])
    submitted = sorted((profile / "slurm_logs").rglob("*.log"))
    assert len(submitted) >= 10  # one SLURM log per job that ran on the node: they really went through sbatch

    for run in runs:
        mine = json.loads((cluster / "results" / run / "metrics.json").read_text())
        theirs = json.loads((tiny_run / "results" / run / "metrics.json").read_text())  # the same run, run locally
        for key in ("precision", "recall", "f1", "per_class", "run", "settings"):
            assert mine[key] == theirs[key], (run, key)
        assert (cluster / "results" / run / "predictions.conll").read_bytes() == \
            (tiny_run / "results" / run / "predictions.conll").read_bytes()


@pytest.mark.slow  # a Snakemake run
def test_paper_configuration_lists_the_whole_dag_through_the_slurm_profile():
    """`snakemake --configfile config/paper.yaml -n --profile profiles/slurm`: every language, every stage."""
    pytest.importorskip("snakemake_executor_plugin_slurm")
    paper = yaml.safe_load((ROOT / "config/paper.yaml").read_text())
    # --quiet rules: the job-count table without each of the ~12,500 jobs printed (a third of the time)
    done = subprocess.run([sys.executable, "-m", "snakemake", "--configfile", "config/paper.yaml", "-n",
                           "--profile", "profiles/slurm", "--quiet", "rules"], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    counts = {}
    table = done.stdout.split("job  ", 1)[1].split("\n\n", 1)[0]
    for line in table.splitlines()[2:]:
        name, count = line.split()
        counts[name] = int(count)
    langs, shards = len(paper["languages"]), paper["shards"]
    assert langs == 57 and len(paper["translate_test"]["languages"]) == 57
    runs = len(paper["sizes"]) * len(paper["seeds"])
    assert counts["translate"] == langs * shards and counts["gather_translations"] == langs
    assert counts["align"] == langs * shards and counts["gather_alignments"] == langs
    assert counts["train_projection"] == langs * len(paper["project"]["methods"]) * runs
    assert counts["train_distilled"] == langs * runs
    assert counts["train_supervised"] == langs * len(paper["supervised_sizes"]) * len(paper["seeds"])
    assert counts["zero_shot"] == counts["soft_labels"] == langs
    assert counts["tt_translate"] == counts["tt_tag"] == counts["tt_zero_shot"] == langs
    assert counts["tt_score"] == langs * len(paper["translate_test"]["columns"])
    assert counts["fetch_model"] == 5  # xlm-r base, mBERT, the XLM-R-large tagger, NLLB-3.3B, EasyProject NLLB
    assert counts["curves"] == counts["translate_test"] == 1
