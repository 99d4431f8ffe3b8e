# The English teachers: trained on English gold (checkpoint chosen on English dev F1) unless a pretrained tagger
# is named in config; `teacher.seeds` of them (teacher j: seed teacher.seed + j - 1). Each is scored on English
# test (evaluate.smk), applied zero-shot to each target test set, and run over each unlabelled target pool to give
# the soft labels of the students that distil from it (student seed s: teacher ((s - 1) mod k) + 1).


if not PLAN.teacher.get("model"):

    rule train_teacher:
        input:
            train=f"{RESULTS}/teacher/data/train.conll",
            dev=f"{RESULTS}/teacher/data/dev.conll",
            encoder=PLAN.encoder_inputs(),
        output:
            model=directory(f"{RESULTS}/teacher/seed{{teacher}}/model"),
        params:
            settings=lambda wc: settings_arg(PLAN.teacher_settings(wc.teacher)),
            encoder=lambda wc: PLAN.encoder,
        threads: train_threads()
        resources:
            **{**GPU_TRAINING, "runtime": 480},
        priority: 10  # on the critical path: everything downstream waits for it
        conda:
            CONDA_ENV
        log:
            f"{RESULTS}/teacher/logs/train_seed{{teacher}}.log",
        benchmark:
            f"{RESULTS}/teacher/benchmarks/train_seed{{teacher}}.tsv"
        shell:
            "xlner train-teacher --train {input.train} --dev {input.dev} --encoder {params.encoder} "
            f"--output {{output.model}} --types {TYPES} --settings {{params.settings}} > {{log}} 2>&1"


rule soft_labels:
    """A teacher's per-word distributions over the unlabelled target pool, written once for all its students."""
    input:
        model=lambda wc: PLAN.teacher_inputs(int(wc.teacher)),
        pool=f"{RESULTS}/{{lang}}/data/unlabelled.jsonl",
    output:
        soft=f"{RESULTS}/{{lang}}/soft/seed{{teacher}}/soft_labels.jsonl",
        stats=report(
            f"{RESULTS}/{{lang}}/soft/seed{{teacher}}/stats.json",
            caption="../report/soft_labels.rst",
            category="Teacher",
            labels={"language": "{lang}", "file": "soft-label statistics", "teacher": "{teacher}"},
        ),
    params:
        teacher=lambda wc: tagger_args(wc.teacher),
    threads: train_threads()
    priority: 10  # on the critical path: everything downstream waits for it
    resources:
        **GPU_INFERENCE,
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/soft_labels_seed{{teacher}}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/soft_labels_seed{{teacher}}.tsv"
    shell:
        "OMP_NUM_THREADS={threads} xlner soft-labels --pool {input.pool} {params.teacher} --output {output.soft} "
        f"--stats {{output.stats}} --types {TYPES} > {{log}} 2>&1"


if PLAN.ensemble:

    rule ensemble_soft_labels:
        """The teacher ensemble (`teacher.ensemble`): the mean of the k teachers' distributions over the pool."""
        input:
            soft=[f"{RESULTS}/{{lang}}/soft/seed{t}/soft_labels.jsonl" for t in PLAN.teacher_seeds],
        output:
            soft=f"{RESULTS}/{{lang}}/soft/{PLAN.ensemble}/soft_labels.jsonl",
            stats=f"{RESULTS}/{{lang}}/soft/{PLAN.ensemble}/stats.json",
        conda:
            CONDA_ENV
        log:
            f"{RESULTS}/{{lang}}/logs/soft_labels_{PLAN.ensemble}.log",
        shell:
            "xlner average-soft-labels --inputs {input.soft} --output {output.soft} --stats {output.stats} "
            f"--types {TYPES} > {{log}} 2>&1"
