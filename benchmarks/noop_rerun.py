"""Time a rerun with nothing to do (target: 10 s or less) on a finished run of the default configuration.

    .venv/bin/python benchmarks/noop_rerun.py        # after `make run`

Prints the seconds `snakemake` takes to decide there is nothing to do, and fails if it would run anything.
"""
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main():
    snakemake = [sys.executable, "-m", "snakemake", "--cores", "2"]
    check = subprocess.run([*snakemake, "-n"], cwd=ROOT, capture_output=True, text=True)
    if check.returncode != 0 or "Nothing to be done" not in check.stdout + check.stderr:
        raise SystemExit("the run is not finished (or the configuration changed): run `make run` first")
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        done = subprocess.run(snakemake, cwd=ROOT, capture_output=True, text=True)
        timings.append(time.perf_counter() - started)
        if done.returncode != 0 or "Nothing to be done" not in done.stdout + done.stderr:
            print(done.stdout[-2000:], done.stderr[-2000:])
            raise SystemExit("the run is not finished (or the configuration changed): run `make run` first")
    print(f"no-op rerun: {min(timings):.1f} s best, {sum(timings) / len(timings):.1f} s mean of 3 "
          f"(target <= 10 s)")


if __name__ == "__main__":
    main()
