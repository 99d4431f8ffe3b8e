# The English teacher: trained once on English gold (checkpoint chosen on English dev F1) unless a pretrained
# tagger is named in config; scored on English test, applied zero-shot to each target test set, and run over
# each unlabelled target pool to give the soft labels every teacher-student student learns from.


if not TEACHER.get("model"):

    rule train_teacher:
        input:
            train=f"{RESULTS}/teacher/data/train.conll",
            dev=f"{RESULTS}/teacher/data/dev.conll",
            encoder=encoder_input(),
        output:
            model=directory(f"{RESULTS}/teacher/model"),
        params:
            types=TYPES,
            settings=as_json_arg(teacher_settings()),
            encoder=lambda wc: ENCODER,
        threads: config["train"].get("threads", 1) or 1
        resources:
            gpu=1,
            runtime=480,
            mem_mb=6000,
        priority: 10  # on the critical path: everything downstream waits for it
        conda:
            "../../envs/xlner.yaml"
        log:
            f"{RESULTS}/teacher/logs/train.log",
        benchmark:
            f"{RESULTS}/teacher/benchmarks/train.tsv"
        shell:
            "xlner train-teacher --train {input.train} --dev {input.dev} --encoder {params.encoder} "
            "--output {output.model} --types {params.types} --settings {params.settings} > {log} 2>&1"


rule evaluate_teacher:
    """The teacher's English test F1: the teacher-student arm is only as good as its teacher."""
    input:
        model=teacher_input(),
        test=f"{RESULTS}/teacher/data/test.conll",
    output:
        metrics=report(
            f"{RESULTS}/teacher/metrics.json",
            caption="../report/teacher.rst",
            category="Teacher",
        ),
        predictions=f"{RESULTS}/teacher/predictions.conll",
    params:
        types=TYPES,
        teacher=teacher_args(),
        settings=as_json_arg({"run": {"lang": "en", "arm": "teacher", "method": "teacher", "size": 0,
                                      "seed": TEACHER["seed"]}, "teacher": teacher_record()}),
    resources:
        gpu=1,
        mem_mb=8000,
        runtime=60,
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/teacher/logs/evaluate.log",
    shell:
        "xlner evaluate {params.teacher} --test {input.test} --metrics {output.metrics} "
        "--predictions {output.predictions} --types {params.types} --settings {params.settings} > {log} 2>&1"


rule zero_shot:
    """Model transfer without target data: the teacher applied directly to the target test set."""
    input:
        model=teacher_input(),
        test=f"{RESULTS}/{{lang}}/data/test.conll",
    output:
        metrics=report(
            f"{RESULTS}/{{lang}}/zero-shot/teacher/metrics.json",
            caption="../report/zero_shot.rst",
            category="Metrics",
            labels={"language": "{lang}", "arm": "zero-shot", "method": "teacher", "N": "0", "seed": "-"},
        ),
        predictions=f"{RESULTS}/{{lang}}/zero-shot/teacher/predictions.conll",
    params:
        types=TYPES,
        teacher=teacher_args(),
        settings=lambda wc: as_json_arg(run_settings(wc, "zero-shot")),
    resources:
        gpu=1,
        mem_mb=8000,
        runtime=60,
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/evaluate/zero-shot.log",
    shell:
        "xlner evaluate {params.teacher} --test {input.test} --metrics {output.metrics} "
        "--predictions {output.predictions} --types {params.types} --settings {params.settings} > {log} 2>&1"


rule soft_labels:
    """The teacher's per-word distributions over the unlabelled target pool, written once for all students."""
    input:
        model=teacher_input(),
        pool=f"{RESULTS}/{{lang}}/data/unlabelled.jsonl",
    output:
        soft=f"{RESULTS}/{{lang}}/soft/soft_labels.jsonl",
        stats=report(
            f"{RESULTS}/{{lang}}/soft/stats.json",
            caption="../report/soft_labels.rst",
            category="Teacher",
            labels={"language": "{lang}", "file": "soft-label statistics"},
        ),
    params:
        types=TYPES,
        teacher=teacher_args(),
    threads: config["train"].get("threads", 1) or 1
    priority: 10  # on the critical path: everything downstream waits for it
    resources:
        gpu=1,
        mem_mb=8000,
        runtime=60,
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/soft_labels.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/soft_labels.tsv"
    shell:
        "OMP_NUM_THREADS={threads} xlner soft-labels --pool {input.pool} {params.teacher} --output {output.soft} "
        "--stats {output.stats} --types {params.types} > {log} 2>&1"
