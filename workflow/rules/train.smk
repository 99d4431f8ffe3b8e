# Training of every arm's students with one implementation (xlner.train, transformers' Trainer).
# Model directories are temporary: each is deleted once evaluated and, at the largest size, exported
# (results/{lang}/export/...); run with --notemp to keep all of them.


rule train_projection:
    """Student on N projected target sentences (translate-train)."""
    input:
        data=f"{RESULTS}/{{lang}}/project/{{method}}/projected.jsonl",
        ids=f"{RESULTS}/{{lang}}/subsets/source/seed{{seed}}/n{{size}}.txt",
        encoder=encoder_input(),
    output:
        model=temp(directory(f"{RESULTS}/{{lang}}/projection/{{method}}/n{{size}}/seed{{seed}}/model")),
    params:
        types=TYPES,
        settings=lambda wc: as_json_arg(train_settings(wc.seed)),
        encoder=lambda wc: ENCODER,
    threads: train_threads()
    resources:
        gpu=1,
        runtime=240,
        mem_mb=6000,
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/train/projection_{{method}}_n{{size}}_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/train/projection_{{method}}_n{{size}}_seed{{seed}}.tsv"
    shell:
        "xlner train --train {input.data} --ids {input.ids} --encoder {params.encoder} --output {output.model} "
        "--types {params.types} --settings {params.settings} > {log} 2>&1"


rule train_supervised:
    """Supervised reference: N gold target sentences."""
    input:
        data=f"{RESULTS}/{{lang}}/data/train.conll",
        ids=f"{RESULTS}/{{lang}}/subsets/train/seed{{seed}}/n{{size}}.txt",
        encoder=encoder_input(),
    output:
        model=temp(directory(f"{RESULTS}/{{lang}}/supervised/gold/n{{size}}/seed{{seed}}/model")),
    params:
        types=TYPES,
        settings=lambda wc: as_json_arg(train_settings(wc.seed)),
        encoder=lambda wc: ENCODER,
    threads: train_threads()
    resources:
        gpu=1,
        runtime=240,
        mem_mb=6000,
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/train/supervised_n{{size}}_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/train/supervised_n{{size}}_seed{{seed}}.tsv"
    shell:
        "xlner train --train {input.data} --ids {input.ids} --encoder {params.encoder} --output {output.model} "
        "--types {params.types} --settings {params.settings} > {log} 2>&1"


rule train_distilled:
    """Teacher-student student: a fresh encoder fitted to the teacher's soft labels on N unlabelled sentences.
    Changing `kd` reruns only this rule and what follows it (not the teacher, not the soft labels)."""
    input:
        soft=f"{RESULTS}/{{lang}}/soft/soft_labels.jsonl",
        ids=f"{RESULTS}/{{lang}}/subsets/unlabelled/seed{{seed}}/n{{size}}.txt",
        encoder=encoder_input(),
    output:
        model=temp(directory(f"{RESULTS}/{{lang}}/teacher-student/{{method}}/n{{size}}/seed{{seed}}/model")),
    params:
        types=TYPES,
        settings=lambda wc: as_json_arg(train_settings(wc.seed)),
        encoder=lambda wc: ENCODER,
        kd=KD,
    threads: train_threads()
    resources:
        gpu=1,
        runtime=240,
        mem_mb=6000,
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/train/teacher-student_{{method}}_n{{size}}_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/train/teacher-student_{{method}}_n{{size}}_seed{{seed}}.tsv"
    shell:
        "xlner train-distilled --soft {input.soft} --ids {input.ids} --encoder {params.encoder} "
        "--output {output.model} --loss {params.kd[loss]} --temperature {params.kd[temperature]} "
        "--types {params.types} --settings {params.settings} > {log} 2>&1"
