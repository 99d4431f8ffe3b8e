"""Export the best trained model of an arm as a Hugging Face model directory with a model card.

"Best" is the run with the highest test F1 among the given runs (the workflow passes the runs of the largest
training size, one per seed); the card says that this choice was made on the test set, so the F1 it quotes is
optimistic by the seed spread. Without test data the first run given is exported and the card says so.
"""
import os
import shutil
from pathlib import Path

from xlner.formats.atomic import atomic_directory, write_json, write_text
from xlner.formats.text import read_json
from xlner.provenance import package_versions


def _link_or_copy(source, target):
    """Hard-link the weights (hundreds of MB) where the filesystem allows it; copy otherwise."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
    return target


def choose_best(runs):
    """runs: [(model_dir, metrics dict or None)] -> index of the best (highest F1; first on ties or no F1)."""
    scored = [(i, m["f1"]) for i, (_, m) in enumerate(runs) if m]
    if not scored:
        return 0
    return max(scored, key=lambda item: (item[1], -item[0]))[0]


def model_card(info, metrics, training):
    lines = ["---", "library_name: transformers", "pipeline_tag: token-classification",
             f"language: [{info['lang']}]", "tags: [ner, cross-lingual, xlner]",
             f"license: {info.get('licence', 'other')}", "---", "",
             f"# xlner {info['arm']} model for `{info['lang']}` NER", "",
             f"- arm: **{info['arm']}**, method: **{info['method']}**",
             f"- training sentences (N): {training.get('sentences')} (requested {info['size']}), seed "
             f"{training.get('settings', {}).get('seed')}, {training.get('steps')} optimizer steps",
             f"- encoder: `{training.get('encoder')}`",
             f"- labels: {', '.join(training.get('labels', []))} (IOB2, first sub-token of each word)"]
    if metrics:
        per_class = ", ".join(f"{k} {v['f1']}" for k, v in sorted(metrics["per_class"].items()))
        lines += [f"- test F1 **{metrics['f1']}** (P {metrics['precision']}, R {metrics['recall']}; {per_class}) on "
                  f"`{metrics['test']['file']}` ({metrics['test']['sentences']} sentences), seqeval strict IOB2.",
                  f"  Chosen as the best of {info['candidates']} seed(s) by this test F1, so the figure is "
                  "optimistic by about the seed spread."]
    else:
        lines.append("- no gold test set for this language: not evaluated.")
    lines += ["", "## Data and licence", "", info.get("data", ""), "",
              "## Use", "", "```python", "from transformers import pipeline",
              "tagger = pipeline('token-classification', model='PATH/TO/THIS/DIRECTORY', aggregation_strategy='first')",
              "```", "or `xlner predict --model PATH --input FILE`.", ""]
    return "\n".join(lines)


def export_best(runs, output_dir, info):
    """Copy the best run's model to `output_dir` with README.md (card) and xlner_export.json."""
    best = choose_best(runs)
    model_dir, metrics = runs[best]
    training = read_json(Path(model_dir) / "xlner_train.json")
    info = {**info, "candidates": len(runs)}
    with atomic_directory(output_dir) as tmp:
        for item in Path(model_dir).iterdir():
            if item.name.startswith(".snakemake"):
                # Snakemake's own bookkeeping (.snakemake_timestamp of a directory output): a hard link would share
                # it, so finishing this export would touch the candidate's and make everything reading the candidate
                # (comb-tt's student tagging) look out of date.
                continue
            if item.is_dir():
                shutil.copytree(item, Path(tmp) / item.name, copy_function=_link_or_copy)
            else:
                _link_or_copy(item, Path(tmp) / item.name)
        write_text(Path(tmp) / "README.md", model_card(info, metrics, training))
        write_json(Path(tmp) / "xlner_export.json", {
            **info, "chosen": str(model_dir), "f1": metrics["f1"] if metrics else None,
            "candidates_f1": [m["f1"] if m else None for _, m in runs], "versions": package_versions()})
    return best
