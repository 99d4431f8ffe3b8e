"""End-to-end time of the default experiment from nothing: `snakemake --cores N` into a fresh results folder,
then a no-op rerun. Prints the wall time, the time per rule (summed over its jobs, from the jobs' own
benchmark files and Snakemake's log) and the slowest jobs.

    python benchmarks/end_to_end.py [--cores 2] [--results /tmp/xlner-e2e] [--keep]

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


def snakemake(args, cores, env):
    command = [sys.executable, "-m", "snakemake", "--cores", str(cores), *args]
    began = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    return time.perf_counter() - began, done


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--results", help="results folder (default: a fresh temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the results folder")
    args = parser.parse_args()
    results = Path(args.results or tempfile.mkdtemp(prefix="xlner-e2e-"))
    if results.exists() and any(results.iterdir()):
        sys.exit(f"{results} is not empty: the benchmark starts from nothing")
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    config = ["--config", f"results={results}"]

    seconds, done = snakemake(config, args.cores, env)
    if done.returncode != 0:
        sys.exit(f"the run failed:\n{done.stderr[-3000:]}")
    noop, again = snakemake(config, args.cores, env)
    print(f"default experiment from an empty results folder on {args.cores} cores: {seconds / 60:.1f} min "
          f"({seconds:.0f} s)")
    print(f"no-op rerun: {noop:.1f} s ({'nothing to be done' if 'Nothing to be done' in again.stderr + again.stdout else 'it ran jobs!'})")

    per_rule = defaultdict(lambda: [0, 0.0])
    spans = job_times(done.stderr)
    for rule, span in spans:
        per_rule[rule][0] += 1
        per_rule[rule][1] += span
    print(f"\n{'rule':24s} {'jobs':>5s} {'job-minutes':>12s}")
    for rule, (count, total) in sorted(per_rule.items(), key=lambda kv: -kv[1][1]):
        print(f"{rule:24s} {count:5d} {total / 60:12.1f}")
    print(f"\n(job-minutes add up the jobs' wall times; {args.cores} jobs run side by side)")
    if not args.keep and not args.results:
        shutil.rmtree(results, ignore_errors=True)


if __name__ == "__main__":
    main()
