# Labels for the English side: the dataset's gold labels, or the teacher's predictions (`source.labels: model`).

LABEL_SOURCE = config["source"]["labels"]


rule label:
    input:
        conll=f"{RESULTS}/{{lang}}/data/source.conll",
        model=PLAN.teacher_inputs() if LABEL_SOURCE == "model" else [],
    output:
        conll=f"{RESULTS}/{{lang}}/label/source.conll",
        stats=f"{RESULTS}/{{lang}}/label/stats.json",
    params:
        model=tagger_args() if LABEL_SOURCE == "model" else "",
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/label.log",
    shell:
        "xlner label --input {input.conll} --output {output.conll} --stats {output.stats} --source "
        f"{LABEL_SOURCE} {{params.model}} --types {TYPES} > {{log}} 2>&1"
