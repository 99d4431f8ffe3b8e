"""Teachers pulled back towards the pretrained encoder (WiSE-FT), scored on English dev and Spanish dev only.

For each teacher that `teacher_recipes.py --keep` left under /tmp/xlner-teacher-recipes/RECIPE/seedN/model and each
weight w: the encoder's weights become w x fine-tuned + (1 - w) x pretrained (WiSE-FT, Wortsman et al., CVPR
2022: what fine-tuning forgot helps out of distribution, and every seed starts from the same pretrained point; the
head stays as fine-tuned), and the model is scored on English dev and on the first 1,000 sentences of WikiANN es dev, as
teacher_recipes.py scores a teacher (w = 1 is the teacher itself). Nothing here reads eu or is data or a test split.

    .venv/bin/python benchmarks/teacher_interpolation.py --recipe f3-avg-lr5e-5-e2-auto [--weights 1 0.8 0.6 0.4]

Appends to benchmarks/teacher_interpolation.tsv (recipe, seed, weight, English dev F1, es dev F1; rows already there
are not redone) and writes teacher_interpolation_summary.tsv (per recipe and weight: means, sds, the es dev sd's 95%
interval). The interpolation costs no training: a teacher at any w costs what its recipe costs. Session 23 tried it
on the default run's first teacher: w = 0.7 lost 9.5 F1 on English dev and 11.5 on es dev (the head was fitted to
the fine-tuned features), so it stopped there and the lever stays out of the package.
"""
import argparse
import csv
import shutil
import statistics
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from teacher_recipes import WORK, sd_interval  # noqa: E402 (the same teachers, data and interval)

COLUMNS = ["recipe", "seed", "weight", "en_dev_f1", "es_dev_f1"]


def interpolate_with_pretrained(model, encoder, weight):
    """In place: each encoder tensor becomes `weight` x fine-tuned + (1 - `weight`) x pretrained (`encoder`, an HF id
    or directory, loaded with the model's own layer count). The token-classification head, which the pretrained
    encoder has no counterpart for, stays as fine-tuned. Returns how many tensors changed (frozen ones do not)."""
    import torch
    from transformers import AutoModel

    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"interpolation weight {weight} is outside [0, 1]")
    base = model.base_model
    pretrained = AutoModel.from_pretrained(encoder, num_hidden_layers=base.config.num_hidden_layers).state_dict()
    changed = 0
    with torch.no_grad():
        for name, tensor in base.state_dict().items():
            start = pretrained.get(name)
            if start is None or not tensor.is_floating_point() or torch.equal(tensor, start):
                continue
            tensor.copy_(weight * tensor + (1.0 - weight) * start.to(tensor.dtype))
            changed += 1
    return changed


def score_interpolated(teacher, weight, plan):
    from transformers import AutoModelForTokenClassification

    from xlner.models.tokens import load_tokenizer
    from xlner.stages import models as stages

    model = AutoModelForTokenClassification.from_pretrained(teacher)
    interpolate_with_pretrained(model, plan.encoder, weight)
    out = teacher.parent / f"w{weight}"
    model.save_pretrained(out / "model")
    load_tokenizer(teacher).save_pretrained(out / "model")
    scores = {split: stages.evaluate(out / "model", WORK / f"{data}.conll", out / f"{split}.json",
                                     out / f"{split}.conll", plan.types, precision=plan.precision("inference"))["f1"]
              for split, data in (("en_dev", "en_dev"), ("es_dev", "es_dev"))}
    shutil.rmtree(out)
    return scores


def summarise(rows, output):
    lines = ["recipe\tweight\tteachers\ten_dev_mean\ten_dev_sd\tes_dev_mean\tes_dev_sd\tes_dev_sd_95\tes_dev_by_seed"]
    for key in dict.fromkeys((row["recipe"], float(row["weight"])) for row in rows):
        mine = sorted((r for r in rows if (r["recipe"], float(r["weight"])) == key), key=lambda r: int(r["seed"]))
        en, es = [float(r["en_dev_f1"]) for r in mine], [float(r["es_dev_f1"]) for r in mine]
        if len(mine) < 2:
            continue
        lines.append(f"{key[0]}\t{key[1]}\t{len(mine)}\t{statistics.mean(en):.2f}\t{statistics.stdev(en):.2f}"
                     f"\t{statistics.mean(es):.2f}\t{statistics.stdev(es):.2f}"
                     "\t[{:.2f}, {:.2f}]".format(*sd_interval(es)) + f"\t{es}")
    Path(output).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main():
    import torch

    from xlner.plan import Plan

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6])
    parser.add_argument("--weights", type=float, nargs="+", default=[1.0, 0.8, 0.6, 0.4])
    parser.add_argument("--output", default=str(ROOT / "benchmarks/teacher_interpolation.tsv"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    plan = Plan(yaml.safe_load((ROOT / "config.yaml").read_text()))
    output = Path(args.output)
    rows = list(csv.DictReader(output.open(), delimiter="\t")) if output.exists() else []
    done = {(row["recipe"], int(row["seed"]), float(row["weight"])) for row in rows}
    if not output.exists():
        output.write_text("\t".join(COLUMNS) + "\n")
    for seed in args.seeds:
        teacher = WORK / args.recipe / f"seed{seed}" / "model"
        if not teacher.is_dir():
            sys.exit(f"{teacher}: no kept teacher (run teacher_recipes.py --recipes {args.recipe} --keep)")
        for weight in args.weights:
            if (args.recipe, seed, weight) in done:
                continue
            scores = score_interpolated(teacher, weight, plan)
            row = {"recipe": args.recipe, "seed": seed, "weight": weight,
                   "en_dev_f1": round(scores["en_dev"], 2), "es_dev_f1": round(scores["es_dev"], 2)}
            with output.open("a") as handle:
                handle.write("\t".join(str(row[c]) for c in COLUMNS) + "\n")
            print(row, flush=True)
            rows.append(row)
    summarise(rows, output.with_name(output.stem + "_summary.tsv"))


if __name__ == "__main__":
    main()
