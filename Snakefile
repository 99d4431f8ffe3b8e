# xlner: cross-lingual NER by annotation projection and by teacher-student learning, as learning curves.
# Wiring only: configuration, rule files, and the named targets. All logic lives in the xlner package.
from snakemake.utils import min_version

min_version("9.0")


# A config file given on the command line that defines `languages` is a whole experiment (config/paper.yaml,
# the tests' configs) and replaces config.yaml; one without `languages` is an overlay on config.yaml
# (config/projection-methods.yaml).
if "languages" not in workflow.config_settings.overwrite_config:

    configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/encoder.smk"
include: "workflow/rules/translate.smk"
include: "workflow/rules/label.smk"
include: "workflow/rules/align.smk"
include: "workflow/rules/project.smk"
include: "workflow/rules/teacher.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/export.smk"
include: "workflow/rules/curves.smk"
include: "workflow/rules/translate_test.smk"
include: "workflow/rules/target_side.smk"
include: "workflow/rules/hub.smk"


# With Hub snapshots, reading Hub datasets happens on the submit host (it has internet; nodes may not).
if PLAN.hub.get("snapshot"):

    localrules:
        prepare_source,
        prepare_target,
        prepare_teacher,
        prepare_translate_test,


# Local runs: the jobs fork from one Python that imported torch and transformers once (xlner/worker.py), instead of
# each paying 4-8 s of imports. Off with `local_worker: false`; never with a cluster executor.
if config.get("local_worker", True) and workflow.local_exec:
    from xlner import worker as _worker

    _WORKER = {}

    onstart:
        _WORKER["process"] = _worker.start(f"{RESULTS}/logs/worker.log")

    onsuccess:
        _worker.stop(_WORKER.get("process"))

    onerror:
        _worker.stop(_WORKER.get("process"))


rule all:
    """Everything configured: every language's runs, exports, and the learning curves."""
    default_target: True
    input:
        [target for lang in PLAN.langs for target in PLAN.language_targets(lang)],
        rules.curves.output,
        PLAN.recommendations(),
        [f"{RESULTS}/teacher/seed{t}/metrics.json" for t in PLAN.teacher_seeds] if "teacher" in config else [],
        PLAN.tt_targets(),


rule projection:
    """Projected training data (JSONL, CoNLL, statistics) for every language and method, no training."""
    input:
        PLAN.all_projections(),


# One target per language (`snakemake es`): its metrics, exports, projected data and soft labels.
_taken = [lang for lang in PLAN.langs if lang in {rule.name for rule in workflow.rules}]
if _taken:
    raise ConfigError(f"config key languages: {_taken} cannot be language names: they name rules of the workflow")
for _lang in PLAN.langs:

    rule:
        name:
            _lang
        input:
            PLAN.language_targets(_lang),
