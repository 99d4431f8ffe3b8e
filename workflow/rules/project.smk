# Annotation projection of the English labels onto the translations, one output per recipe (project.recipes), and
# one per teacher where the recipe reads the teacher's labels or tags (project/{method}/seed{teacher}/).


rule project:
    input:
        aligned=lambda wc: PLAN.projection_input(wc.lang, wc.method, None),
        labels=f"{RESULTS}/{{lang}}/label/source.conll",
        models=lambda wc: PLAN.nmt_inputs(wc.method),
    output:
        projected=f"{RESULTS}/{{lang}}/project/{{method}}/projected.jsonl",
        conll=f"{RESULTS}/{{lang}}/project/{{method}}/projected.conll",
        stats=report(
            f"{RESULTS}/{{lang}}/project/{{method}}/stats.json",
            caption="../report/projection.rst",
            category="Projection",
            labels={"language": "{lang}", "method": "{method}"},
        ),
    params:
        settings=lambda wc: settings_arg(PLAN.recipe(wc.method)),
        nmt=lambda wc: settings_arg(PLAN.nmt(wc.method, PLAN.lang(wc.lang)["mt"].get("tgt_lang"))),
        # Back-translated lines carry their own (paraphrase) labels; the others take the source pool's.
        labels=lambda wc, input: "" if PLAN.recipe(wc.method).back_translation else f"--labels {input.labels}",
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/project/{{method}}.log",
    shell:
        "xlner project --input {input.aligned} {params.labels} --settings {params.settings} "
        "--nmt-settings {params.nmt} --output {output.projected} --conll {output.conll} --stats {output.stats} "
        f"--types {TYPES} > {{log}} 2>&1"


use rule project as project_by_teacher with:
    input:
        aligned=lambda wc: PLAN.projection_input(wc.lang, wc.method, wc.teacher),
        labels=lambda wc: PLAN.source_labels(wc.lang, wc.teacher),
        models=lambda wc: PLAN.nmt_inputs(wc.method),
    output:
        projected=f"{RESULTS}/{{lang}}/project/{{method}}/seed{{teacher}}/projected.jsonl",
        conll=f"{RESULTS}/{{lang}}/project/{{method}}/seed{{teacher}}/projected.conll",
        stats=report(
            f"{RESULTS}/{{lang}}/project/{{method}}/seed{{teacher}}/stats.json",
            caption="../report/projection.rst",
            category="Projection",
            labels={"language": "{lang}", "method": "{method}", "teacher": "{teacher}"},
        ),
    log:
        f"{RESULTS}/{{lang}}/logs/project/{{method}}_seed{{teacher}}.log",
