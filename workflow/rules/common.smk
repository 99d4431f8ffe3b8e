# Helpers shared by all rules: config validation, path grammar, target lists, settings records.
import json
import os
import re
import shlex
from pathlib import Path

from xlner.config import load_schema, validate_config

validate_config(config, load_schema(workflow.source_path("../schemas/config.schema.yaml")))

RESULTS = config.get("results", "results")
# Hub snapshots (config `hub`): every Hugging Face model named in config is fetched once, by a local rule on
# the submit host, into `hub.dir`; jobs then read local paths with the Hub switched off, so compute nodes
# need no internet (paper.md §8.4).
HUB = config.get("hub") or {}
HUB_DIR = HUB.get("dir", "resources/hub")
if HUB.get("snapshot"):
    # Read by `xlner`: every command but `prepare` (datasets, read on the submit host) and `fetch-model` turns
    # the Hub off, so a job that would reach for it fails loudly instead of downloading on a compute node.
    os.environ.update(XLNER_HUB_OFFLINE="1")


def hub_path(ref):
    """A model reference as jobs should use it: the local snapshot of a Hub id when snapshots are on."""
    if not ref or not HUB.get("snapshot") or os.path.exists(ref):
        return ref
    return f"{HUB_DIR}/models/{ref}"


def hub_revision_arg(model_id):
    revision = (HUB.get("revisions") or {}).get(model_id)
    return f"--revision {shlex.quote(revision)}" if revision else ""


def hub_inputs(*refs):
    """Snapshot directories a job reads (rule inputs, made by `fetch_model`)."""
    return [hub_path(r) for r in refs if r and hub_path(r) != r]


LANGS = list(config["languages"])
METHODS = config["project"]["methods"]
TT = config.get("translate_test") or {}
# Round-robin shards of translation and alignment (one job each, gathered after): spreads large pools over GPUs.
SHARDS = int(config.get("shards", 1))
TRANSLATE_NAME = "translate" if SHARDS == 1 else "translate_{shard}"
TRANSLATE_OUTPUT = (f"{RESULTS}/{{lang}}/translate/translations.jsonl" if SHARDS == 1
                    else f"{RESULTS}/{{lang}}/translate/shards/{{shard}}.jsonl")
TRANSLATE_STATS = (f"{RESULTS}/{{lang}}/translate/stats.json" if SHARDS == 1
                   else f"{RESULTS}/{{lang}}/translate/shards/{{shard}}.stats.json")
ALIGN_NAME = "{stage}" if SHARDS == 1 else "{stage}_{shard}"
ALIGN_OUTPUT = (f"{RESULTS}/{{lang}}/{{stage}}/alignments.jsonl" if SHARDS == 1
                else f"{RESULTS}/{{lang}}/{{stage}}/shards/{{shard}}.jsonl")
ALIGN_STATS = (f"{RESULTS}/{{lang}}/{{stage}}/stats.json" if SHARDS == 1
               else f"{RESULTS}/{{lang}}/{{stage}}/shards/{{shard}}.stats.json")
TT_LANGS = list(TT.get("languages", {}))
TT_COLUMNS = TT.get("columns", [])
ENCODER = hub_path(config["encoder"]["path"]) if config["encoder"]["build"] == "none" else config["encoder"]["path"]
ALIGN_MODEL = hub_path(config["align"].get("model")) or ENCODER
TYPES = ",".join(config["entity_types"])
ARMS = config.get("arms", ["projection"])
TEACHER = config.get("teacher", {"seed": 1})
KD = config.get("kd", {"loss": "mse", "temperature": 1.0})
# A pretrained teacher is used as named; otherwise the workflow trains one on English gold data.
TEACHER_DIR = hub_path(TEACHER.get("model")) or f"{RESULTS}/teacher/model"
# What each trained arm calls its method: projection methods, the distillation loss, gold labels.
ARM_METHODS = {"projection": METHODS, "teacher-student": [KD["loss"]], "supervised": ["gold"]}
# The sentence pool each arm's training subsets are drawn from.
ARM_POOL = {"projection": "source", "teacher-student": "unlabelled", "supervised": "train"}
POOL_FILES = {"source": "data/source.conll", "train": "data/train.conll", "unlabelled": "data/unlabelled.jsonl"}


# --- projection recipes: a name -> a method and its `xlner project` settings -------------------------------
BUILTIN_METHODS = ["heuristic", "heuristic-paper", "heuristic-thesis", "ngram", "aligned-window", "ner-candidates"]
RECIPES = {**{m: {"method": m} for m in BUILTIN_METHODS}, **config["project"].get("recipes", {})}
NMT = config["project"].get("nmt") or {}
METHOD_PATTERN = "|".join(map(re.escape, sorted({m for ms in ARM_METHODS.values() for m in ms} | set(RECIPES))))
RECIPE_PATTERN = "|".join(map(re.escape, sorted(RECIPES)))


wildcard_constraints:
    lang="|".join(LANGS),
    method=METHOD_PATTERN,
    recipe=RECIPE_PATTERN,
    ttlang="|".join(TT_LANGS) or "^$",
    arm="projection|teacher-student|supervised",
    pool="source|train|unlabelled",
    size=r"\d+|all",
    seed=r"\d+",
    shard=r"\d+",


def recipe(name):
    """A recipe with the project-level defaults filled in."""
    if name not in RECIPES:
        raise ValueError(f"config: projection recipe {name!r} is not defined; define it in project.recipes or use "
                         f"one of {BUILTIN_METHODS}")
    return {"merge_distance": config["project"]["merge_distance"],
            "ratio_threshold": config["project"]["ratio_threshold"], **RECIPES[name]}


def recipe_needs(name):
    """(reads the tagger's target-side output, needs an NMT model) for a recipe."""
    from xlner.match_projection import MATCH_METHODS, MatchSettings

    spec = recipe(name)
    if spec["method"] not in MATCH_METHODS:
        return False, False
    fields, nmt = MatchSettings(**{k: v for k, v in spec.items() if k in MatchSettings.__dataclass_fields__}).needs()
    return bool(fields), nmt


def project_args(name, nmt_tgt_lang=None):
    """`xlner project` options of a recipe; nmt_tgt_lang: the target language's code for the nmt score when
    project.nmt.tgt_lang is null (each language's own)."""
    spec = recipe(name)
    args = [f"--method {spec['method']}", f"--merge-distance {spec['merge_distance']}",
            f"--ratio-threshold {spec['ratio_threshold']}", f"--types {TYPES}"]
    for key in ("matcher", "score", "constraint", "n_proj", "solver", "top_k", "ner_alpha", "ner_threshold",
                "nmt_threshold"):
        if spec.get(key) is not None:
            args.append(f"--{key.replace('_', '-')} {shlex.quote(str(spec[key]))}")
    if "max_len" in spec:
        args.append(f"--max-len {spec['max_len'] or 0}")
    if spec.get("only_i"):
        args.append("--only-i")
    if spec.get("weights"):
        args.append("--weights " + " ".join(f"{k}={v}" for k, v in spec["weights"].items()))
    if recipe_needs(name)[1]:
        args.append(f"--nmt-model {shlex.quote(NMT['model'])}")
        args[-1] = f"--nmt-model {shlex.quote(hub_path(NMT['model']))}"
        codes = {"src_lang": NMT.get("src_lang"), "tgt_lang": NMT.get("tgt_lang") or nmt_tgt_lang}
        for key, code in codes.items():
            if code:
                args.append(f"--nmt-{key.replace('_', '-')} {shlex.quote(code)}")
    return " ".join(args)


def projection_input(base, name):
    """The aligned lines a recipe projects: through the back-translation or not, with the tagger's output when
    the recipe reads it."""
    stage = "backtranslate" if recipe(name).get("back_translation") else "align"
    return f"{base}/{stage}/{'tagged' if recipe_needs(name)[0] else 'alignments'}.jsonl"


def all_hub_models():
    """Every Hub model id named in config (what `fetch_models` snapshots)."""
    refs = [config["encoder"]["path"] if config["encoder"]["build"] == "none" else None,
            config["align"].get("model"), TEACHER.get("model"), NMT.get("model")]
    for spec in list(config["languages"].values()) + list(TT.get("languages", {}).values()):
        refs += [spec["mt"].get("model"), (spec.get("back_translation") or {}).get("model")]
    return sorted({r for r in refs if r and hub_path(r) != r})


def check_recipes():
    """Fail at parse time, naming the setting, rather than halfway through a run."""
    for name in set(METHODS) | set(TT_COLUMNS):
        spec = recipe(name)
        if recipe_needs(name)[1] and not NMT.get("model"):
            raise ValueError(f"config: recipe {name!r} uses the nmt score but project.nmt.model is not set")
        if spec.get("back_translation"):
            for lang in LANGS if name in METHODS else []:
                if not lang_config(lang).get("back_translation"):
                    raise ValueError(f"config: recipe {name!r} back-translates but languages.{lang} has no "
                                     f"back_translation")



def encoder_input(wildcards=None):
    """The encoder directory as a rule input when the workflow builds it, nothing when it is a Hub id."""
    return [ENCODER] if config["encoder"]["build"] != "none" else hub_inputs(config["encoder"]["path"])


def teacher_input(wildcards=None):
    """The teacher directory as an input when the workflow trains it (a named pretrained model is not a file
    the workflow makes; a local directory is still an input so a changed model reruns what depends on it)."""
    if not TEACHER.get("model") or hub_inputs(TEACHER["model"]):
        return [TEACHER_DIR]
    return [TEACHER_DIR] if os.path.isdir(TEACHER_DIR) else []


def teacher_args():
    args = f"--model {shlex.quote(TEACHER_DIR)}"
    if TEACHER.get("scheme"):
        args += f" --scheme {TEACHER['scheme']}"
    if TEACHER.get("label_map"):
        args += f" --map {label_map_args(TEACHER['label_map'])}"
    return args


def lang_config(lang):
    return config["languages"][lang]


def has_test(lang):
    return "test" in lang_config(lang)


def lang_arms(lang):
    """The arms a language can have: supervised needs gold train data, teacher-student an unlabelled pool."""
    arms = []
    for arm in ARMS:
        if arm == "supervised" and "train" not in lang_config(lang):
            continue
        if arm == "teacher-student" and not ({"train", "unlabelled"} & set(lang_config(lang))):
            continue
        arms.append(arm)
    return arms


def run_dir(lang, arm, method, size, seed):
    return f"{RESULTS}/{lang}/{arm}/{method}/n{size}/seed{seed}"


def largest_size():
    sizes = config["sizes"]
    return "all" if "all" in sizes else max(sizes)


def trained_runs(lang):
    return [
        (arm, method, size, seed)
        for arm in lang_arms(lang)
        if arm in ARM_METHODS
        for method in ARM_METHODS[arm]
        for size in config["sizes"]
        for seed in config["seeds"]
    ]


def all_metrics(langs=None):
    files = []
    for lang in langs or LANGS:
        if not has_test(lang):
            continue
        files += [f"{run_dir(lang, *run)}/metrics.json" for run in trained_runs(lang)]
        if "zero-shot" in ARMS:
            files.append(f"{RESULTS}/{lang}/zero-shot/teacher/metrics.json")
    return files


def all_run_dirs(langs=None):
    """Run directories that have metrics (the curves' inputs)."""
    return [str(Path(f).parent) for f in all_metrics(langs)]


def all_exports(langs=None):
    return [
        f"{RESULTS}/{lang}/export/{arm}/{method}"
        for lang in langs or LANGS
        for arm in lang_arms(lang)
        if arm in ARM_METHODS
        for method in ARM_METHODS[arm]
    ]


def all_projections(langs=None):
    return [f"{RESULTS}/{lang}/project/{method}/projected.jsonl" for lang in (langs or LANGS) for method in METHODS]


def accounting_inputs(wildcards):
    """NAME -> statistics file, for every stage this language has (see xlner/accounting.py)."""
    lang, base = wildcards.lang, f"{RESULTS}/{wildcards.lang}"
    arms = lang_arms(lang)
    files = {}
    if "projection" in arms:
        files.update(data_source=f"{base}/data/source.stats.json", translate=f"{base}/translate/stats.json",
                     align=f"{base}/align/stats.json", label=f"{base}/label/stats.json")
        files.update({f"project_{m}": f"{base}/project/{m}/stats.json" for m in METHODS})
        if any(recipe(m).get("back_translation") for m in METHODS):
            files["backtranslate"] = f"{base}/backtranslate/translate.stats.json"
    if has_test(lang):
        files["data_test"] = f"{base}/data/test.stats.json"
    if "train" in lang_config(lang):
        files["data_train"] = f"{base}/data/train.stats.json"
    if "teacher-student" in arms:
        files["soft"] = f"{base}/soft/stats.json"
    for i, metrics in enumerate(all_metrics([lang])):
        files[f"metrics_{i}"] = metrics
    return files


def language_targets(lang):
    """Everything one language produces: with a test set its metrics, otherwise its data, soft labels, models."""
    targets = all_exports([lang]) + [f"{RESULTS}/{lang}/accounting.tsv"]
    if "projection" in lang_arms(lang):
        targets += [f"{RESULTS}/{lang}/project/{method}/stats.json" for method in METHODS]
    if "teacher-student" in lang_arms(lang):
        targets.append(f"{RESULTS}/{lang}/soft/soft_labels.jsonl")
    return targets + all_metrics([lang])


def dataset_input(dataset):
    """A local dataset file is a rule input; a Hugging Face dataset is not a file."""
    return [dataset["path"]] if "path" in dataset else []


def dataset_args(dataset):
    """`xlner prepare` arguments naming a dataset: a file or a Hugging Face id, scheme, label map, limit."""
    if "path" in dataset:
        args = f"--input {shlex.quote(dataset['path'])}"
    else:
        hf = dataset["hf"]
        args = f"--hf-id {shlex.quote(hf['id'])} --hf-split {shlex.quote(hf['split'])}"
        for key in ("config", "revision"):
            if hf.get(key):
                args += f" --hf-{key} {shlex.quote(hf[key])}"
    args += f" --scheme {dataset['scheme']}"
    if dataset.get("max_sentences"):
        args += f" --max-sentences {dataset['max_sentences']}"
    if dataset.get("label_map"):
        args += f" --map {label_map_args(dataset['label_map'])}"
    return args


def mt_settings(lang):
    return with_hub_model(lang_config(lang)["mt"])


def translate_args(wildcards):
    """`xlner translate` options: the MT block, the language's script, the shard."""
    args = " ".join(f"--{key.replace('_', '-')} {shlex.quote(str(value))}"
                    for key, value in mt_settings(wildcards.lang).items())
    if lang_config(wildcards.lang).get("whitespace") is False:
        args += " --no-whitespace"
    if SHARDS > 1:
        args += f" --shard {wildcards.shard}/{SHARDS}"
    return args


def tt_translate_args(wildcards):
    spec = tt_config(wildcards.ttlang)
    args = " ".join(f"--{key.replace('_', '-')} {shlex.quote(str(value))}" for key, value in spec["mt"].items())
    return args + (" --no-whitespace" if spec.get("whitespace") is False else "")


def nmt_input(name):
    return hub_inputs(NMT.get("model")) if recipe_needs(name)[1] else []


def with_hub_model(spec):
    """An MT / back-translation block with its `model` read from the Hub snapshot when snapshots are on."""
    return {**spec, "model": hub_path(spec["model"])} if spec.get("model") else dict(spec)


def align_input(wildcards=None):
    """The aligner's model as an input: the encoder (built or fetched), or `align.model`'s snapshot."""
    return hub_inputs(config["align"]["model"]) if config["align"].get("model") else encoder_input()


def train_settings(seed):
    return {**config["train"], "seed": int(seed)}


def teacher_settings():
    return {**config["train"], "eval_steps": 0, **TEACHER.get("settings", {}), "seed": int(TEACHER["seed"])}


def teacher_record():
    """What the teacher's outputs depend on."""
    if TEACHER.get("model"):
        return {"model": TEACHER["model"], "scheme": TEACHER.get("scheme"), "label_map": TEACHER.get("label_map")}
    return {"encoder": config["encoder"], "train": TEACHER.get("train"), "dev": TEACHER.get("dev"),
            "settings": teacher_settings()}


def run_settings(wildcards, arm=None):
    """Everything a run's numbers depend on (its own settings and those upstream), recorded in metrics.json."""
    arm = arm or wildcards.arm
    lang = wildcards.lang
    size = str(getattr(wildcards, "size", 0))
    record = {
        "run": {"lang": lang, "arm": arm, "method": getattr(wildcards, "method", "teacher"),
                "size": int(size) if size.isdigit() else size,
                "seed": int(getattr(wildcards, "seed", TEACHER["seed"]))},
        "test": lang_config(lang).get("test"),
        "entity_types": config["entity_types"],
    }
    if arm == "zero-shot":
        record["run"]["size"] = 0
        record["teacher"] = teacher_record()
        return record
    record["encoder"] = config["encoder"]
    record["train"] = train_settings(wildcards.seed)
    if arm == "projection":
        record.update(source=config["source"], mt=mt_settings(lang), align=config["align"],
                      project={"recipe": wildcards.method, **recipe(wildcards.method)})
        if recipe(wildcards.method).get("back_translation"):
            record["back_translation"] = lang_config(lang)["back_translation"]
        if recipe_needs(wildcards.method)[1]:
            record["nmt"] = NMT
        if config["source"]["labels"] == "model" or recipe_needs(wildcards.method)[0]:
            record["teacher"] = teacher_record()
    elif arm == "teacher-student":
        record.update(teacher=teacher_record(), kd=KD, unlabelled=unlabelled_dataset(lang))
    elif arm == "supervised":
        record["gold_train"] = lang_config(lang)["train"]
    return record


def unlabelled_dataset(lang):
    return lang_config(lang).get("unlabelled") or {"from_train": lang_config(lang).get("train")}


def unlabelled_source(wildcards):
    spec = lang_config(wildcards.lang).get("unlabelled")
    return spec["path"] if spec else f"{RESULTS}/{wildcards.lang}/data/train.conll"


def train_threads():
    return config["train"].get("threads", 1) or 1


def export_runs(wildcards):
    size = largest_size()
    return [run_dir(wildcards.lang, wildcards.arm, wildcards.method, size, seed) for seed in config["seeds"]]


def export_candidates(wildcards):
    return [f"{RESULTS}/{wildcards.lang}/export/candidates/{wildcards.arm}/{wildcards.method}/seed{seed}"
            for seed in config["seeds"]]


def export_inputs(wildcards):
    runs = export_runs(wildcards)
    files = export_candidates(wildcards)
    if has_test(wildcards.lang):
        files += [f"{run}/metrics.json" for run in runs]
    return files


def export_info(wildcards):
    lang = lang_config(wildcards.lang)
    data = {"projection": f"{config['source']['name']} ({config['source'].get('path') or config['source'].get('hf')}) "
                          f"translated with {lang['mt']}",
            "teacher-student": f"unlabelled target text {unlabelled_dataset(wildcards.lang)} with soft labels from "
                               f"the teacher {teacher_record()}",
            "supervised": f"gold target data {lang.get('train')}"}[wildcards.arm]
    return {"lang": wildcards.lang, "arm": wildcards.arm, "method": wildcards.method, "size": largest_size(),
            "data": f"Trained on {data}. Check the licences of these data sets and of the encoder "
                    f"({config['encoder']['path']}) before redistributing; see LICENSES.md of xlner.",
            "licence": "other"}


CURVES = config.get("curves", {"bootstrap": 1000, "seed": 1})


def curves_runs(wildcards=None):
    return all_run_dirs()


def as_json_arg(obj):
    return shlex.quote(json.dumps(obj, sort_keys=True))


def label_map_args(mapping):
    return " ".join(shlex.quote(f"{k}={v}") for k, v in (mapping or {}).items())


# --- translate-test (the paper's intrinsic table) -------------------------------------------------------------
def tt_config(lang):
    spec = TT["languages"][lang]
    return {**spec, "mt": with_hub_model(spec["mt"])}


def tt_dir(lang):
    return f"{RESULTS}/translate-test/{lang}"


def tt_available(lang, name):
    """A back-translation column exists only where the language has an English -> target direction."""
    return not recipe(name).get("back_translation") or bool(tt_config(lang).get("back_translation"))


def tt_cells():
    """(language, column) -> metrics file, or None where the column is not available for the language."""
    cells = {}
    for lang in TT_LANGS:
        cells[(lang, "zero-shot")] = f"{tt_dir(lang)}/zero-shot/metrics.json"
        for name in TT_COLUMNS:
            cells[(lang, name)] = f"{tt_dir(lang)}/project/{name}/metrics.json" if tt_available(lang, name) else None
    return cells


def tt_targets():
    return [f"{RESULTS}/translate-test/table.md", f"{RESULTS}/translate-test/table.tsv"] if TT_LANGS else []


def align_pairs(wildcards):
    """What `align` aligns, per stage: the translations, or the labelled back-translations."""
    if wildcards.stage == "align":
        return f"{RESULTS}/{wildcards.lang}/translate/translations.jsonl"
    return f"{RESULTS}/{wildcards.lang}/backtranslate/pairs.jsonl"


def tt_align_pairs(wildcards):
    folder = "tag" if wildcards.stage == "align" else "backtranslate"
    return f"{tt_dir(wildcards.ttlang)}/{folder}/pairs.jsonl"


def tt_projection_input(wildcards):
    folder = "backtranslate" if recipe(wildcards.recipe).get("back_translation") else "align"
    return f"{tt_dir(wildcards.ttlang)}/{folder}/alignments.jsonl"


# The word-alignment command of every aligned-pair file (translate-train, translate-test, back-translations).
ALIGN_SHELL = (
    "OMP_NUM_THREADS={threads} xlner align --input {input.translations} --output {output.aligned} "
    "--stats {output.stats} --model {params.encoder} --layer {params.align[layer]} "
    "--matching {params.align[matching]} --implementation {params.implementation} "
    "--batch-tokens {params.batch_tokens} {params.batch_size} --aligner {params.align[aligner]} --threshold {params.threshold} "
    "{params.shard} > {log} 2>&1"
)
ALIGN_PARAMS = {
    "align": config["align"],
    "implementation": config["align"].get("implementation", "batched"),
    "batch_tokens": config["align"].get("batch_tokens", 512),
    "batch_size": (f"--batch-size {config['align']['batch_size']}" if config["align"].get("batch_size") else ""),
    "threshold": config["align"].get("threshold", 0.001),
    "encoder": lambda wildcards: ALIGN_MODEL,
}


def back_translation_args(spec):
    spec = with_hub_model(spec)
    args = f"--backend {spec['backend']}"
    for key in ("mode", "model", "src_lang", "tgt_lang", "batch_size", "threshold"):
        if spec.get(key) is not None:
            args += f" --{key.replace('_', '-')} {shlex.quote(str(spec[key]))}"
    return args


check_recipes()
