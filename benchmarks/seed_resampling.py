"""How the two-level bootstrap interval behaves with 3 and with 5 seeds (a simulation; no run needed).

Each simulated experiment trains K "seeds" of one arm: seed k finds each gold entity of a 1,000-sentence test set
with recall r_k = r + seed noise (F1 = 2r/(1+r), precision 1); the interval of the mean F1 is then computed as
`xlner curves` computes it (analysis/bootstrap.py). Coverage is counted against the expected mean F1 of the
population of seeds and test sets, for the two-level interval and the sentence-only one.

    .venv/bin/python benchmarks/seed_resampling.py [--experiments 400] [--seed-sd 1.5]
"""
import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main():
    from xlner.analysis.bootstrap import build_replicates, percentile_interval

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--experiments", type=int, default=400)
    parser.add_argument("--resamples", type=int, default=400)
    parser.add_argument("--seed-sd", type=float, default=1.5, help="sd of a seed's F1 around the mean (F1 points)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    f1_mean = 65.0
    print(f"seed sd {args.seed_sd} F1; {args.experiments} experiments; {args.resamples} replicates")
    print("seeds\ttwo-level coverage\tsentence-only coverage\tmedian two-level width\tmedian sentence width")
    for seeds in (3, 5):
        covered = {"two": 0, "sentence": 0}
        widths = {"two": [], "sentence": []}
        for _ in range(args.experiments):
            gold = rng.poisson(1.5, 1000)
            runs = {}
            for k in range(seeds):
                f1 = np.clip(f1_mean + rng.normal(0, args.seed_sd), 1, 99) / 100
                found = rng.binomial(gold, f1 / (2 - f1))
                runs[k + 1] = np.stack([found, found, gold], axis=1)
            cell = ("arm", "m", 100)
            reps = build_replicates({cell: runs}, args.resamples, int(rng.integers(1 << 30)))
            for name, values in (("two", reps.two_level(cell)), ("sentence", reps.sentence[cell])):
                low, high = percentile_interval(values)
                covered[name] += low <= f1_mean <= high
                widths[name].append(high - low)
        print(f"{seeds}\t{covered['two'] / args.experiments:.1%}\t{covered['sentence'] / args.experiments:.1%}\t"
              f"{np.median(widths['two']):.2f}\t{np.median(widths['sentence']):.2f}")


if __name__ == "__main__":
    main()
