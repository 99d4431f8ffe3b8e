# Scoring of the teachers on gold test data (seqeval, strict IOB2), with the same `xlner evaluate` code that
# scores every student inside its training job (train.smk).


# Model transfer without target data: each teacher applied directly to the target test set (n0, seed = teacher).
rule zero_shot:
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
    resources:
        **GPU_INFERENCE,
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/evaluate/zero-shot_seed{{teacher}}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/evaluate/zero-shot_seed{{teacher}}.tsv"
    shell:
        "xlner evaluate {params.model} --test {input.test} --metrics {output.metrics} "
        "--predictions {output.predictions} --record {params.record} "
        f"--types {TYPES} > {{log}} 2>&1"


# Each teacher's English test F1: the teacher-student arm is only as good as its teacher.
use rule zero_shot as evaluate_teacher with:
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
    log:
        f"{RESULTS}/teacher/logs/evaluate_seed{{teacher}}.log",
    benchmark:
        f"{RESULTS}/teacher/benchmarks/evaluate_seed{{teacher}}.tsv"


if PLAN.ensemble:

    # The teacher ensemble's zero-shot line: the mean of the k teachers' distributions on the test words, decoded.
    rule zero_shot_ensemble:
        input:
            models=[PLAN.teacher_dir(t) for t in PLAN.teacher_seeds],
            test=f"{RESULTS}/{{lang}}/data/test.conll",
        output:
            metrics=report(
                f"{RESULTS}/{{lang}}/zero-shot/{PLAN.ensemble}/n0/seed1/metrics.json",
                caption="../report/zero_shot.rst",
                category="Metrics",
                labels={"language": "{lang}", "arm": "zero-shot", "method": PLAN.ensemble, "N": "0", "seed": "1"},
            ),
            predictions=f"{RESULTS}/{{lang}}/zero-shot/{PLAN.ensemble}/n0/seed1/predictions.conll",
        params:
            record=lambda wc: json_arg(PLAN.run_record(wc.lang, "zero-shot", PLAN.ensemble, 0, 1)),
        resources:
            **GPU_INFERENCE,
        conda:
            CONDA_ENV
        log:
            f"{RESULTS}/{{lang}}/logs/evaluate/zero-shot_{PLAN.ensemble}.log",
        shell:
            "xlner evaluate-ensemble --models {input.models} --test {input.test} --metrics {output.metrics} "
            f"--predictions {{output.predictions}} --record {{params.record}} {INFERENCE_PRECISION} "
            f"--types {TYPES} > {{log}} 2>&1"
