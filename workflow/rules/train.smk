# Training of every arm's students with one implementation (xlner/models/train.py, transformers' Trainer).
# Model directories are temporary: each is deleted once evaluated and, at the largest size, exported
# (results/{lang}/export/...); run with --notemp to keep all of them.


rule train_projection:
    """Student on N projected target sentences (translate-train)."""
    input:
        data=f"{RESULTS}/{{lang}}/project/{{method}}/projected.jsonl",
        ids=f"{RESULTS}/{{lang}}/subsets/source/seed{{seed}}/n{{size}}.txt",
        encoder=PLAN.encoder_inputs(),
    output:
        model=temp(directory(f"{RESULTS}/{{lang}}/projection/{{method}}/n{{size}}/seed{{seed}}/model")),
    params:
        command="train",
        data="--train",
        settings=lambda wc: settings_arg(PLAN.train(wc.seed)),
        extra="",
        encoder=lambda wc: PLAN.encoder,
    threads: train_threads()
    resources:
        **GPU_TRAINING,
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/train/projection_{{method}}_n{{size}}_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/train/projection_{{method}}_n{{size}}_seed{{seed}}.tsv"
    shell:
        "xlner {params.command} {params.data} {input.data} --ids {input.ids} --encoder {params.encoder} "
        "--output {output.model} --settings {params.settings} {params.extra} "
        f"--types {TYPES} > {{log}} 2>&1"


use rule train_projection as train_supervised with:
    input:
        data=f"{RESULTS}/{{lang}}/data/train.conll",
        ids=f"{RESULTS}/{{lang}}/subsets/train/seed{{seed}}/n{{size}}.txt",
        encoder=PLAN.encoder_inputs(),
    output:
        model=temp(directory(f"{RESULTS}/{{lang}}/supervised/gold/n{{size}}/seed{{seed}}/model")),
    log:
        f"{RESULTS}/{{lang}}/logs/train/supervised_n{{size}}_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/train/supervised_n{{size}}_seed{{seed}}.tsv"


# Teacher-student: a fresh encoder fitted to the teacher's soft labels on N unlabelled sentences. Changing `kd`
# reruns only this rule and what follows it (not the teacher, not the soft labels).
use rule train_projection as train_distilled with:
    input:
        data=lambda wc: PLAN.soft_labels(wc.lang, PLAN.teacher_for(wc.seed)),
        ids=f"{RESULTS}/{{lang}}/subsets/unlabelled/seed{{seed}}/n{{size}}.txt",
        encoder=PLAN.encoder_inputs(),
    output:
        model=temp(directory(f"{RESULTS}/{{lang}}/teacher-student/{{method}}/n{{size}}/seed{{seed}}/model")),
    params:
        command="train-distilled",
        data="--soft",
        settings=lambda wc: settings_arg(PLAN.train(wc.seed)),
        extra=f"--kd-settings {settings_arg(PLAN.kd())}",
        encoder=lambda wc: PLAN.encoder,
    log:
        f"{RESULTS}/{{lang}}/logs/train/teacher-student_{{method}}_n{{size}}_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/train/teacher-student_{{method}}_n{{size}}_seed{{seed}}.tsv"
