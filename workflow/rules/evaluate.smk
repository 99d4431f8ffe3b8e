# Scoring on gold target test data (seqeval, strict IOB2): the same evaluation for every arm.


rule evaluate:
    input:
        model=f"{RESULTS}/{{lang}}/{{arm}}/{{method}}/n{{size}}/seed{{seed}}/model",
        test=f"{RESULTS}/{{lang}}/data/test.conll",
    output:
        metrics=report(
            f"{RESULTS}/{{lang}}/{{arm}}/{{method}}/n{{size}}/seed{{seed}}/metrics.json",
            caption="../report/metrics.rst",
            category="Metrics",
            labels={"language": "{lang}", "arm": "{arm}", "method": "{method}", "N": "{size}", "seed": "{seed}"},
        ),
        predictions=f"{RESULTS}/{{lang}}/{{arm}}/{{method}}/n{{size}}/seed{{seed}}/predictions.conll",
    params:
        types=TYPES,
        settings=lambda wc: as_json_arg(run_settings(wc)),
    threads: 1
    resources:
        gpu=1,
        mem_mb=8000,
        runtime=60,
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/evaluate/{{arm}}_{{method}}_n{{size}}_seed{{seed}}.log",
    shell:
        "OMP_NUM_THREADS={threads} xlner evaluate --model {input.model} --test {input.test} "
        "--metrics {output.metrics} --predictions {output.predictions} --types {params.types} "
        "--settings {params.settings} > {log} 2>&1"
