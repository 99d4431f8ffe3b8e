# Labels for the English side: the dataset's gold labels (one file), or each teacher's predictions
# (`source.labels: model`: label/seed{teacher}/, so the students of a seed see their own teacher's labels).

LABEL_SOURCE = config["source"]["labels"]
LABELS = f"{RESULTS}/{{lang}}/" + ("label/seed{teacher}" if PLAN.labels_from_teacher() else "label")
BY_TEACHER = "_seed{teacher}" if PLAN.labels_from_teacher() else ""  # in log names


rule label:
    input:
        conll=f"{RESULTS}/{{lang}}/data/source.conll",
        model=lambda wc: PLAN.teacher_inputs(int(wc.teacher)) if LABEL_SOURCE == "model" else [],
    output:
        conll=f"{LABELS}/source.conll",
        stats=f"{LABELS}/stats.json",
    params:
        model=lambda wc: tagger_args(wc.teacher) if LABEL_SOURCE == "model" else "",
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/label{BY_TEACHER}.log",
    shell:
        "xlner label --input {input.conll} --output {output.conll} --stats {output.stats} --source "
        f"{LABEL_SOURCE} {{params.model}} --types {TYPES} > {{log}} 2>&1"
