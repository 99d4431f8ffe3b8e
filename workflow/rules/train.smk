# Student training on projected data.


rule train_projection:
    input:
        data=f"{RESULTS}/{{lang}}/project/{{method}}/projected.jsonl",
        ids=f"{RESULTS}/{{lang}}/subsets/seed{{seed}}/n{{size}}.txt",
        encoder=encoder_input(),
    output:
        model=directory(f"{RESULTS}/{{lang}}/projection/{{method}}/n{{size}}/seed{{seed}}/model"),
    params:
        types=TYPES,
        settings=lambda wc: as_json_arg(train_settings(wc.seed)),
        encoder=lambda wc: ENCODER,
    threads: 2
    resources:
        mem_mb=6000,
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/train/projection_{{method}}_n{{size}}_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/train/projection_{{method}}_n{{size}}_seed{{seed}}.tsv"
    shell:
        "xlner train --train {input.data} --ids {input.ids} --encoder {params.encoder} --output {output.model} "
        "--types {params.types} --settings {params.settings} 2> {log}"
