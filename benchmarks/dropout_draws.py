"""How much of one run's F1 is its dropout draw: the same student (data, subset, seed, initialisation, settings)
trained several times, each time with torch's global random stream advanced by k draws just before training, so
that only the dropout masks (and the later epochs' batch order, which transformers' length-grouped sampler draws
from the same stream) change. Run with whole batches and with micro-batches (`train.length_buckets`), it tells
whether a change between the two is the micro-batches or the draw (docs/speed.md, the accuracy guard).

    python benchmarks/dropout_draws.py --results results --size 1000 --seed 3 --draws 0 1 2 3 [--tsv F]

Needs a finished default run in `--results` (projected data, subsets, test set). Prints a Markdown table: F1 per
draw and mode, and the spread of each mode.
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ONE_RUN = """
import json, sys, torch
from transformers import Trainer
draws, buckets, results, size, seed, out = sys.argv[1:]
original = Trainer.train
def train(self, *args, **kwargs):
    torch.rand(int(draws))  # advance the global stream: other dropout masks, the same initialisation and subset
    return original(self, *args, **kwargs)
Trainer.train = train
from xlner.settings import TrainSettings
from xlner.stages.training import train as train_stage
settings = TrainSettings(epochs=5, min_steps=80, layers=6, learning_rate=3e-4, max_length=64, threads=1,
                         seed=int(seed), precision="auto", length_buckets=buckets == "true")
train_stage(f"{results}/es/project/heuristic/projected.jsonl", "resources/models/multilingual-e5-small",
            f"{out}/model", ["PER", "ORG", "LOC"], settings, ids_path=f"{results}/es/subsets/source/seed{seed}/n{size}.txt",
            metrics_path=f"{out}/metrics.json", predictions_path=f"{out}/predictions.conll",
            test_path=f"{results}/es/data/test.conll", eval_precision="auto")
"""


def run(draws, buckets, args, workdir):
    out = Path(workdir) / f"draw{draws}-{buckets}"
    out.mkdir()
    done = subprocess.run([sys.executable, "-c", ONE_RUN, str(draws), buckets, args.results, str(args.size),
                           str(args.seed), str(out)], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(done.stderr[-2000:])
    return json.loads((out / "metrics.json").read_text())["f1"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", default="results")
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--draws", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--tsv")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for draws in args.draws:
            rows.append((draws, run(draws, "false", args, workdir), run(draws, "true", args, workdir)))
    print(f"projection/heuristic, N = {args.size}, seed {args.seed}: F1 by dropout draw\n")
    print("| draw | whole batches | micro-batches |\n|---|---|---|")
    for draws, whole, split in rows:
        print(f"| {draws} | {whole:.2f} | {split:.2f} |")
    for name, column in (("whole batches", 1), ("micro-batches", 2)):
        values = [row[column] for row in rows]
        print(f"\n{name}: mean {statistics.mean(values):.2f}, range {min(values):.2f} to {max(values):.2f}"
              + (f", sd {statistics.stdev(values):.2f}" if len(values) > 1 else ""))
    if args.tsv:
        Path(args.tsv).write_text("draw\twhole_batches\tmicro_batches\n"
                                  + "".join(f"{d}\t{w}\t{m}\n" for d, w, m in rows))


if __name__ == "__main__":
    main()
