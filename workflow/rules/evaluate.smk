# Scoring on gold target test data (seqeval, strict IOB2): the same evaluation for every arm and the teacher.


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
        model=lambda wc, input: f"--model {input.model} {INFERENCE_PRECISION}",
        record=lambda wc: json_arg(PLAN.run_record(wc.lang, wc.arm, wc.method, wc.size, wc.seed)),
        # students are scored on one thread (many run at once); the teacher's jobs take torch's default
        threads_env="OMP_NUM_THREADS=1",
    threads: 1
    resources:
        **GPU_INFERENCE,
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/evaluate/{{arm}}_{{method}}_n{{size}}_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/evaluate/{{arm}}_{{method}}_n{{size}}_seed{{seed}}.tsv"
    shell:
        "{params.threads_env} xlner evaluate {params.model} --test {input.test} "
        "--metrics {output.metrics} --predictions {output.predictions} --record {params.record} "
        f"--types {TYPES} > {{log}} 2>&1"


# Each teacher's English test F1: the teacher-student arm is only as good as its teacher.
use rule evaluate as evaluate_teacher with:
    input:
        model=lambda wc: PLAN.teacher_inputs(int(wc.teacher)),
        test=f"{RESULTS}/teacher/data/test.conll",
    output:
        metrics=report(f"{RESULTS}/teacher/seed{{teacher}}/metrics.json", caption="../report/teacher.rst",
                       category="Teacher", labels={"teacher": "{teacher}"}),
        predictions=f"{RESULTS}/teacher/seed{{teacher}}/predictions.conll",
    params:
        model=lambda wc: tagger_args(wc.teacher),
        record=lambda wc: json_arg(PLAN.teacher_eval_record(int(wc.teacher))),
        threads_env="",
    log:
        f"{RESULTS}/teacher/logs/evaluate_seed{{teacher}}.log",
    benchmark:
        f"{RESULTS}/teacher/benchmarks/evaluate_seed{{teacher}}.tsv"


# Model transfer without target data: each teacher applied directly to the target test set (n0, seed = teacher).
use rule evaluate as zero_shot with:
    input:
        model=lambda wc: PLAN.teacher_inputs(int(wc.teacher)),
        test=f"{RESULTS}/{{lang}}/data/test.conll",
    output:
        metrics=report(
            f"{RESULTS}/{{lang}}/zero-shot/teacher/n0/seed{{teacher}}/metrics.json",
            caption="../report/zero_shot.rst",
            category="Metrics",
            labels={"language": "{lang}", "arm": "zero-shot", "method": "teacher", "N": "0", "seed": "{teacher}"},
        ),
        predictions=f"{RESULTS}/{{lang}}/zero-shot/teacher/n0/seed{{teacher}}/predictions.conll",
    params:
        model=lambda wc: tagger_args(wc.teacher),
        record=lambda wc: json_arg(PLAN.run_record(wc.lang, "zero-shot", seed=wc.teacher)),
        threads_env="",
    log:
        f"{RESULTS}/{{lang}}/logs/evaluate/zero-shot_seed{{teacher}}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/evaluate/zero-shot_seed{{teacher}}.tsv"
