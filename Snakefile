# xlner: cross-lingual NER by annotation projection (and, later, teacher-student), as learning curves.
# Wiring only: configuration, rule files, and the named targets. All logic lives in the xlner package.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/encoder.smk"
include: "workflow/rules/translate.smk"
include: "workflow/rules/label.smk"
include: "workflow/rules/align.smk"
include: "workflow/rules/project.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"


rule all:
    default_target: True
    input:
        all_metrics(),


rule projection:
    """Projected training data (JSONL, CoNLL, statistics) for every language and method, no training."""
    input:
        all_projections(),
