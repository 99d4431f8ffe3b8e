"""End-to-end time of the default experiment from nothing: `snakemake --cores N` into a fresh results folder,
then a no-op rerun. Prints the wall time, the time per rule (summed over its jobs, from the jobs' own
benchmark files and Snakemake's log) and the slowest jobs.

    python benchmarks/end_to_end.py [--cores 2] [--results /tmp/xlner-e2e] [--keep] [--overlay F.yaml]
    python benchmarks/end_to_end.py --report-only SNAKEMAKE_LOG --wall SECONDS

Also printed: job-minutes per student run (training and scoring), the cores' utilisation (CPU time of Snakemake
and every job, from the kernel's accounting of finished children, over wall time x cores) and the CPU's flags (native bfloat16 or not: issue 18's levers depend
on them).

It takes as long as `make run` (about half an hour on a 2-core laptop). The encoder under resources/ is reused
if it is there (building it takes about 15 s).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def snakemake(args, cores, env):
    """(wall seconds, the finished process, CPU seconds of Snakemake and every job it ran)."""
    command = [sys.executable, "-m", "snakemake", "--cores", str(cores), *args]
    before = _children_cpu()
    began = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    return time.perf_counter() - began, done, _children_cpu() - before


def _children_cpu():
    """User + system CPU seconds of all finished descendants: exact, where Snakemake's benchmark files sample a
    job every 30 s and miss most of a short one's CPU time."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def job_times(log_text):
    """[(rule, seconds)] per job from Snakemake's log: a job's start stamp to its 'Finished jobid' stamp."""
    stamp, pending, started, spans = None, None, {}, []
    for line in log_text.splitlines():
        if line.startswith("[") and line.endswith("]"):
            try:
                stamp = datetime.strptime(line.strip("[]"), "%a %b %d %H:%M:%S %Y")
            except ValueError:
                pass
        elif match := re.match(r"(?:local)?rule (\S+):$", line):
            pending = match.group(1)
        elif (match := re.match(r"\s+jobid: (\d+)$", line)) and pending:
            started[match.group(1)] = (pending, stamp)
            pending = None
        elif (match := re.match(r"Finished jobid: (\d+)", line)) and match.group(1) in started:
            rule, began = started.pop(match.group(1))
            spans.append((rule, (stamp - began).total_seconds()))
    return spans


# Every rule that trains and scores one run of the learning curves (the scoring happens in the same job).
STUDENT_RULES = ("train_projection", "train_supervised", "train_distilled", "train_hybrid_agree", "train_hybrid_mixed",
                 "train_hybrid_refined", "train_hybrid_unitrans", "train_hybrid_voted")


def report(log_text, seconds, cores, cpu=None):
    from xlner.hardware import describe

    per_rule = defaultdict(lambda: [0, 0.0])
    for rule, span in job_times(log_text):
        per_rule[rule][0] += 1
        per_rule[rule][1] += span
    print(f"\n{'rule':24s} {'jobs':>5s} {'job-minutes':>12s}")
    for rule, (count, total) in sorted(per_rule.items(), key=lambda kv: -kv[1][1]):
        print(f"{rule:24s} {count:5d} {total / 60:12.1f}")
    print(f"\n(job-minutes add up the jobs' wall times; {cores} jobs run side by side)")
    total = sum(span for _, span in per_rule.values()) / 60
    longest = max((span for _, span in job_times(log_text)), default=0) / 60
    print(f"floor: {total:.1f} job-minutes / {cores} cores = {total / cores:.1f} min of wall time with perfect packing "
          f"(measured {seconds / 60:.1f}); the longest job alone takes {longest:.1f} min")
    students = sum(per_rule[r][0] for r in STUDENT_RULES)
    if students:
        train = sum(per_rule[r][1] for r in STUDENT_RULES) / 60
        print(f"per student run: {train / students:.2f} job-minutes, training and scoring ({students} runs)")
    if cpu is not None:
        print(f"core utilisation: {cpu / (seconds * cores):.0%} ({cpu / 60:.1f} CPU-minutes of Snakemake and its jobs / "
              f"{seconds / 60:.1f} min x {cores} cores)")
    else:
        print("core utilisation: not measured (only the run itself can count its CPU time)")
    hardware = describe()
    print(f"CPU: {hardware['cpu']}, {hardware['cores']} cores; native bfloat16: {hardware['native_bf16']} "
          f"(amx_bf16 {hardware['amx_bf16']}, avx512_bf16 {hardware['avx512_bf16']})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--results", help="results folder (default: a fresh temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the results folder")
    parser.add_argument("--overlay", help="a config file over config.yaml, e.g. precision: {inference: float32, "
                                          "training: float32} to time a CPU without native bfloat16")
    parser.add_argument("--report-only", metavar="LOG", help="only report on a finished run's Snakemake log")
    parser.add_argument("--wall", type=float, help="with --report-only: the run's wall time in seconds")
    args = parser.parse_args()
    if args.report_only:
        return report(Path(args.report_only).read_text(), args.wall, args.cores)
    results = Path(args.results or tempfile.mkdtemp(prefix="xlner-e2e-"))
    if results.exists() and any(results.iterdir()):
        sys.exit(f"{results} is not empty: the benchmark starts from nothing")
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    # A folder inside the repository is passed as `make run` names it (relative): Snakemake 9 keys its metadata by
    # the path as written, and a later run that names the same outputs relatively (`make run`) then misjudged what
    # to rerun (a column added to the config: "Nothing to be done", measured in session 19).
    inside = results.resolve().is_relative_to(ROOT)
    config = ["--config", f"results={results.resolve().relative_to(ROOT) if inside else results}"]
    if args.overlay:
        config = ["--configfile", str(ROOT / "config.yaml"), str(Path(args.overlay).resolve()), *config]

    seconds, done, cpu = snakemake(config, args.cores, env)
    if done.returncode != 0:
        sys.exit(f"the run failed:\n{done.stderr[-3000:]}")
    noop, again, _ = snakemake(config, args.cores, env)
    print(f"default experiment from an empty results folder on {args.cores} cores: {seconds / 60:.1f} min "
          f"({seconds:.0f} s)")
    print(f"no-op rerun: {noop:.1f} s ({'nothing to be done' if 'Nothing to be done' in again.stderr + again.stdout else 'it ran jobs!'})")

    report(done.stderr, seconds, args.cores, cpu)
    if not args.keep and not args.results:
        shutil.rmtree(results, ignore_errors=True)


if __name__ == "__main__":
    main()
