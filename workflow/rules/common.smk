# Snakemake glue: the validated config becomes a plan (xlner/plan.py), and these few names hand its answers to
# the rules. Planning logic, recipe checks, provenance and settings live in the package, under unit tests.
import os
import shlex

from xlner.config import check_config_file, load_schema, validate_config
from xlner.errors import ConfigError
from xlner.plan import POOL_FILES, Plan
from xlner.settings import to_json

for _file in workflow.configfiles:  # duplicate keys, which Snakemake's YAML reading keeps silently
    check_config_file(_file)
validate_config(config, load_schema(workflow.source_path("../schemas/config.schema.yaml")))
PLAN = Plan(config)
PLAN.check_inputs()
RESULTS = PLAN.results
TYPES = ",".join(PLAN.types)
# One software environment for every rule (used with `--sdm conda`; otherwise the active venv runs the jobs).
CONDA_ENV = "../../envs/xlner.yaml"
if PLAN.hub.get("snapshot"):
    # Read by `xlner`: every command but `prepare` (datasets, read on the submit host) and `fetch-model` turns
    # the Hub off, so a job that would reach for it fails loudly instead of downloading on a compute node.
    os.environ.update(XLNER_HUB_OFFLINE="1")


wildcard_constraints:
    **PLAN.wildcard_patterns(),


# Cluster resources of the model jobs (a GPU where there is one): inference over a pool, and training.
GPU_INFERENCE = {"gpu": 1, "mem_mb": 8000, "runtime": 60}
GPU_TRAINING = {"gpu": 1, "mem_mb": 6000, "runtime": 240}


def settings_arg(settings):
    """A stage's settings object as the one shell word its `--settings` option reads."""
    return shlex.quote(to_json(settings))


def json_arg(obj):
    import json

    return shlex.quote(json.dumps(obj, sort_keys=True))


INFERENCE_PRECISION = f"--precision {PLAN.precision('inference')}"


def run_outputs(arm, method):
    """What a training run leaves on the path grammar: its scores (computed by the training job itself, no second
    process loading the model again) and its model directory, temporary: kept only where export needs it."""
    run = f"{RESULTS}/{{lang}}/{arm}/{method}/n{{size}}/seed{{seed}}"
    metrics = report(f"{run}/metrics.json", caption="../report/metrics.rst", category="Metrics",
                     labels={"language": "{lang}", "arm": arm, "method": method, "N": "{size}", "seed": "{seed}"})
    return {"model": temp(directory(f"{run}/model")), "metrics": metrics, "predictions": f"{run}/predictions.conll"}


def test_input(wc):
    """The language's gold test data, or nothing (a language without one gets runs marked not scored)."""
    return f"{RESULTS}/{wc.lang}/data/test.conll" if PLAN.has_test(wc.lang) else []


def scoring_args(arm, method):
    """`xlner train*` options that score the trained model in the same job (params of the training rules)."""

    def args(wc, input, output):
        record = PLAN.run_record(wc.lang, arm, method.format(**dict(wc.items())), wc.size, wc.seed)
        test = f"--test {input.test} " if input.test else ""
        return (f"{test}--metrics {output.metrics} --predictions {output.predictions} --record {json_arg(record)} "
                f"--eval-precision {PLAN.precision('inference')}")

    return args


def train_params(command, arm, method, extra=None):
    """The params of a learning-curve training rule: the `xlner` command and its data option, the run's settings,
    options beyond them (by default the distillation loss of train-distilled), the scoring of the trained model."""
    if extra is None:
        extra = f"--kd-settings {settings_arg(PLAN.kd())}" if command == "train-distilled" else ""
    return {"command": command, "data": "--soft" if command == "train-distilled" else "--train",
            "settings": lambda wc: settings_arg(PLAN.train(wc.seed)), "extra": extra,
            "encoder": lambda wc: PLAN.encoder, "scoring": scoring_args(arm, method)}


def tagger_args(teacher=1):
    """A teacher as `xlner` tagger options (--model, --scheme, --map, --precision); teacher 1 unless named."""
    tagger = PLAN.tagger_options(int(teacher))
    args = f"--model {shlex.quote(tagger['model'])} {INFERENCE_PRECISION}"
    if tagger["scheme"]:
        args += f" --scheme {tagger['scheme']}"
    if tagger["label_map"]:
        args += " --map " + " ".join(shlex.quote(f"{k}={v}") for k, v in tagger["label_map"].items())
    return args


def dataset_input(settings):
    """A local dataset file is a rule input; a Hugging Face dataset is not a file."""
    return [settings.path] if settings.path else []


def shard_arg(wildcards):
    return f"--shard {wildcards.shard}/{PLAN.shards}" if PLAN.shards > 1 else ""


def sharded(folder, name, file):
    """(output, statistics, log/benchmark name) of a translation or alignment job: one job, or one per
    round-robin shard (`shards: n`, gathered after) to spread large pools over GPUs."""
    if PLAN.shards == 1:
        return f"{folder}/{file}.jsonl", f"{folder}/stats.json", name
    return f"{folder}/shards/{{shard}}.jsonl", f"{folder}/shards/{{shard}}.stats.json", f"{name}_{{shard}}"


# What `align` aligns: the translations, and the back-translations (one per teacher when they mark the teachers'
# labels: backtranslate/seed{t}).
ALIGN_STAGES = r"align|backtranslate(/seed\d+)?"


def aligned_pairs(wildcards):
    """What `align` aligns, per stage: the translations, or the labelled back-translations."""
    if wildcards.stage == "align":
        return f"{RESULTS}/{wildcards.lang}/translate/translations.jsonl"
    return f"{RESULTS}/{wildcards.lang}/{wildcards.stage}/pairs.jsonl"


def train_threads():
    return PLAN.config["train"].get("threads", 1) or 1

