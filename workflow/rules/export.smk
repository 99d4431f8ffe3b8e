# What a user takes home: the best model of each arm and language (largest training size, best seed by
# test F1; the first seed where there is no test set) as a Hugging Face model directory with a model card.


rule export_candidate:
    """Keep one seed's largest-size model for export (hard links, no extra disk where the filesystem allows):
    the trained model directories are temporary, and a kept candidate means adding a seed later trains only it."""
    input:
        lambda wc: f"{PLAN.run_dir(wc.lang, wc.arm, wc.method, PLAN.largest_size(wc.arm), wc.seed)}/model",
    output:
        directory(f"{RESULTS}/{{lang}}/export/candidates/{{arm}}/{{method}}/seed{{seed}}"),
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/export/candidate_{{arm}}_{{method}}_seed{{seed}}.log",
    shell:
        "(cp -al {input} {output} || cp -a {input} {output}) > {log} 2>&1"


rule export:
    input:
        lambda wc: PLAN.export_candidates(wc.lang, wc.arm, wc.method) + (
            [f"{run}/metrics.json" for run in PLAN.export_runs(wc.lang, wc.arm, wc.method)]
            if PLAN.has_test(wc.lang) else []),
    output:
        directory(f"{RESULTS}/{{lang}}/export/{{arm}}/{{method}}"),
    params:
        runs=lambda wc: " ".join(PLAN.export_runs(wc.lang, wc.arm, wc.method)),
        candidates=lambda wc: " ".join(PLAN.export_candidates(wc.lang, wc.arm, wc.method)),
        info=lambda wc: json_arg(PLAN.export_info(wc.lang, wc.arm, wc.method)),
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/export/{{arm}}_{{method}}.log",
    shell:
        "xlner export --runs {params.runs} --models {params.candidates} --output {output} --info {params.info} > {log} 2>&1"
