# Helpers shared by all rules: config validation, path grammar, target lists, settings records.
import json
import shlex

from xlner.config import load_schema, validate_config

validate_config(config, load_schema(workflow.source_path("../schemas/config.schema.yaml")))

RESULTS = config.get("results", "results")
LANGS = list(config["languages"])
METHODS = config["project"]["methods"]
ENCODER = config["encoder"]["path"]
TYPES = ",".join(config["entity_types"])


wildcard_constraints:
    lang="|".join(LANGS),
    method="|".join(METHODS),
    size=r"\d+",
    seed=r"\d+",


def encoder_input(wildcards=None):
    """The encoder directory as a rule input when the workflow builds it, nothing when it is a Hub id."""
    return [ENCODER] if config["encoder"]["build"] != "none" else []


def has_test(lang):
    return "test" in config["languages"][lang]


def run_dir(lang, arm, method, size, seed):
    return f"{RESULTS}/{lang}/{arm}/{method}/n{size}/seed{seed}"


def all_metrics(langs=None):
    return [
        f"{run_dir(lang, 'projection', method, size, seed)}/metrics.json"
        for lang in (langs or LANGS)
        if has_test(lang)
        for method in METHODS
        for size in config["sizes"]
        for seed in config["seeds"]
    ]


def all_projections(langs=None):
    return [
        f"{RESULTS}/{lang}/project/{method}/projected.jsonl"
        for lang in (langs or LANGS)
        for method in METHODS
    ]


def dataset_input(dataset):
    """A local dataset file is a rule input; a Hugging Face dataset is not a file."""
    return [dataset["path"]] if "path" in dataset else []


def dataset_args(dataset):
    """`xlner prepare` arguments naming a dataset: a file, or a Hugging Face id/config/split/revision."""
    if "path" in dataset:
        return f"--input {shlex.quote(dataset['path'])}"
    hf = dataset["hf"]
    args = f"--hf-id {shlex.quote(hf['id'])} --hf-split {shlex.quote(hf['split'])}"
    for key in ("config", "revision"):
        if hf.get(key):
            args += f" --hf-{key} {shlex.quote(hf[key])}"
    return args


def mt_settings(lang):
    return config["languages"][lang]["mt"]


def train_settings(seed):
    return {**config["train"], "seed": int(seed)}


def run_settings(wildcards):
    """Everything a projection run's numbers depend on, recorded in its metrics.json."""
    return {
        "lang": wildcards.lang,
        "source": config["source"],
        "encoder": config["encoder"],
        "mt": mt_settings(wildcards.lang),
        "align": config["align"],
        "project": {
            "method": wildcards.method,
            "merge_distance": config["project"]["merge_distance"],
            "ratio_threshold": config["project"]["ratio_threshold"],
        },
        "test": config["languages"][wildcards.lang].get("test"),
        "size": int(wildcards.size),
        "train": train_settings(wildcards.seed),
    }


def as_json_arg(obj):
    return shlex.quote(json.dumps(obj, sort_keys=True))


def label_map_args(mapping):
    return " ".join(shlex.quote(f"{k}={v}") for k, v in (mapping or {}).items())
