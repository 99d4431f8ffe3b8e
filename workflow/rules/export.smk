# What a user takes home: the best model of each arm and language (largest training size, best seed by
# test F1; the first seed where there is no test set) as a Hugging Face model directory with a model card.


rule export_candidate:
    """Keep one seed's largest-size model for export (hard links, no extra disk where the filesystem allows):
    the trained model directories are temporary, and a kept candidate means adding a seed later trains only it."""
    input:
        lambda wc: f"{run_dir(wc.lang, wc.arm, wc.method, largest_size(), wc.seed)}/model",
    output:
        directory(f"{RESULTS}/{{lang}}/export/candidates/{{arm}}/{{method}}/seed{{seed}}"),
    log:
        f"{RESULTS}/{{lang}}/logs/export/candidate_{{arm}}_{{method}}_seed{{seed}}.log",
    conda:
        "../../envs/xlner.yaml"
    shell:
        "(cp -al {input} {output} || cp -a {input} {output}) > {log} 2>&1"


rule export:
    input:
        export_inputs,
    output:
        directory(f"{RESULTS}/{{lang}}/export/{{arm}}/{{method}}"),
    params:
        runs=lambda wc: " ".join(export_runs(wc)),
        candidates=lambda wc: " ".join(export_candidates(wc)),
        info=lambda wc: as_json_arg(export_info(wc)),
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/export/{{arm}}_{{method}}.log",
    shell:
        "xlner export --runs {params.runs} --models {params.candidates} --output {output} --info {params.info} > {log} 2>&1"
