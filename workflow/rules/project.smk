# Annotation projection of the English labels onto the translations, one output per recipe (project.recipes).


rule project:
    input:
        aligned=lambda wc: projection_input(f"{RESULTS}/{wc.lang}", wc.method),
        labels=f"{RESULTS}/{{lang}}/label/source.conll",
        models=lambda wc: nmt_input(wc.method),
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
        args=lambda wc: project_args(wc.method, lang_config(wc.lang)["mt"].get("tgt_lang")),
        # Back-translated lines carry their own (paraphrase) labels; the others take the source pool's.
        labels=lambda wc, input: "" if recipe(wc.method).get("back_translation") else f"--labels {input.labels}",
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/project/{{method}}.log",
    shell:
        "xlner project --input {input.aligned} {params.labels} {params.args} "
        "--output {output.projected} --conll {output.conll} --stats {output.stats} > {log} 2>&1"
