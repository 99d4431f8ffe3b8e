# Training of every arm's students with one implementation (xlner/models/train.py, transformers' Trainer). Each
# training job also scores its model on the language's test set (metrics.json, predictions.conll: the same
# `xlner evaluate` code, in the same process). Model directories are temporary: each is deleted once its job ends
# or, at the largest size, once exported (results/{lang}/export/...); run with --notemp to keep all of them.


rule train_projection:
    """Student on N projected target sentences: translations of N English sentences (translate-train), or N
    sentences of the unlabelled pool, the teacher-student arm's own subset, projected back from their English
    translations (target-side, methods `tgt-RECIPE`)."""
    input:
        data=lambda wc: PLAN.projection_data(wc.lang, wc.method, wc.seed),
        ids=lambda wc: PLAN.projection_ids(wc.lang, wc.method, wc.size, wc.seed),
        encoder=PLAN.encoder_inputs(),
        test=test_input,
    output:
        **run_outputs("projection", "{method}"),
    params:
        **train_params("train", "projection", "{method}"),
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
        "--output {output.model} --settings {params.settings} {params.extra} {params.scoring} "
        f"--types {TYPES} > {{log}} 2>&1"


use rule train_projection as train_supervised with:
    input:
        data=f"{RESULTS}/{{lang}}/data/train.conll",
        ids=f"{RESULTS}/{{lang}}/subsets/train/seed{{seed}}/n{{size}}.txt",
        encoder=PLAN.encoder_inputs(),
        test=test_input,
    output:
        **run_outputs("supervised", "gold"),
    params:
        **train_params("train", "supervised", "gold"),
    log:
        f"{RESULTS}/{{lang}}/logs/train/supervised_n{{size}}_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/train/supervised_n{{size}}_seed{{seed}}.tsv"


# Teacher-student: a fresh encoder fitted to the teacher's soft labels on N unlabelled sentences. Changing `kd`
# reruns only this rule and what follows it (not the teacher, not the soft labels).
use rule train_projection as train_distilled with:
    input:
        # the seed's teacher's soft labels, or the teacher ensemble's mean (method {loss}-avg{k})
        data=lambda wc: PLAN.distillation_data(wc.lang, wc.method, wc.seed),
        ids=f"{RESULTS}/{{lang}}/subsets/unlabelled/seed{{seed}}/n{{size}}.txt",
        encoder=PLAN.encoder_inputs(),
        test=test_input,
    output:
        **run_outputs("teacher-student", "{method}"),
    params:
        **train_params("train-distilled", "teacher-student", "{method}"),
    log:
        f"{RESULTS}/{{lang}}/logs/train/teacher-student_{{method}}_n{{size}}_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/train/teacher-student_{{method}}_n{{size}}_seed{{seed}}.tsv"


# Hybrid: students that learn from projected data and from the teacher at once (hybrid.methods, each paired with
# every projection method of its direction: `mixed-heuristic`, `agree-tgt-heuristic`). At size N a hybrid student
# sees the N projected sentences of the projection run and the N unlabelled target sentences of the teacher-student
# run of the same seed (with a target-side method these are the same sentences).
use rule train_projection as train_hybrid_mixed with:
    input:
        data=lambda wc: PLAN.projection_data(wc.lang, wc.pmethod, wc.seed),
        ids=lambda wc: PLAN.projection_ids(wc.lang, wc.pmethod, wc.size, wc.seed),
        soft=lambda wc: PLAN.soft_labels(wc.lang, PLAN.teacher_for(wc.seed)),
        soft_ids=f"{RESULTS}/{{lang}}/subsets/unlabelled/seed{{seed}}/n{{size}}.txt",
        encoder=PLAN.encoder_inputs(),
        test=test_input,
    output:
        **run_outputs("hybrid", "mixed-{pmethod}"),
    params:
        **train_params(
            "train-mixed",
            "hybrid",
            "mixed-{pmethod}",
            lambda wc, input: f"--soft {input.soft} --soft-ids {input.soft_ids} "
            f"--kd-settings {settings_arg(PLAN.kd())} --hybrid-kd-weight {PLAN.hybrid().kd_weight}",
        ),
    log:
        f"{RESULTS}/{{lang}}/logs/train/hybrid_mixed-{{pmethod}}_n{{size}}_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/train/hybrid_mixed-{{pmethod}}_n{{size}}_seed{{seed}}.tsv"


# unitrans (UniTrans, Wu et al. 2020): the teacher fine-tuned on the N projected sentences (a second-stage teacher,
# all its layers, per size and seed) labels the N target sentences; a fresh student distils from it.
use rule train_projection as train_second_teacher with:
    input:
        data=lambda wc: PLAN.projection_data(wc.lang, wc.recipe, wc.seed),
        ids=f"{RESULTS}/{{lang}}/subsets/source/seed{{seed}}/n{{size}}.txt",
        teacher=lambda wc: PLAN.teacher_inputs(PLAN.teacher_for(wc.seed)),
    output:
        model=temp(directory(f"{RESULTS}/{{lang}}/hybrid/unitrans-{{recipe}}/n{{size}}/seed{{seed}}/teacher")),
    params:
        command="train",
        data="--train",
        settings=lambda wc: settings_arg(PLAN.second_teacher_settings(wc.seed)),
        extra="",
        encoder=lambda wc: PLAN.teacher_dir(PLAN.teacher_for(wc.seed)),
        scoring="",  # a teacher, not a run: not scored
    log:
        f"{RESULTS}/{{lang}}/logs/train/hybrid_unitrans-{{recipe}}_teacher_n{{size}}_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/train/hybrid_unitrans-{{recipe}}_teacher_n{{size}}_seed{{seed}}.tsv"


rule second_soft_labels:
    """The second-stage teacher's distributions over the N target sentences of its size and seed."""
    input:
        model=f"{RESULTS}/{{lang}}/hybrid/unitrans-{{recipe}}/n{{size}}/seed{{seed}}/teacher",
        pool=f"{RESULTS}/{{lang}}/data/unlabelled.jsonl",
        ids=f"{RESULTS}/{{lang}}/subsets/unlabelled/seed{{seed}}/n{{size}}.txt",
    output:
        # kept (N sentences): a new kd setting retrains the student only, not the second-stage teacher
        soft=f"{RESULTS}/{{lang}}/hybrid/unitrans-{{recipe}}/n{{size}}/seed{{seed}}/soft_labels.jsonl",
        stats=f"{RESULTS}/{{lang}}/hybrid/unitrans-{{recipe}}/n{{size}}/seed{{seed}}/soft_labels.stats.json",
    threads: 1
    resources:
        **GPU_INFERENCE,
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/train/hybrid_unitrans-{{recipe}}_soft_n{{size}}_seed{{seed}}.log",
    shell:
        "OMP_NUM_THREADS={threads} xlner soft-labels --pool {input.pool} --ids {input.ids} --model {input.model} "
        f"{INFERENCE_PRECISION} --output {{output.soft}} --stats {{output.stats}} --types {TYPES} > {{log}} 2>&1"


use rule train_distilled as train_hybrid_unitrans with:
    input:
        data=f"{RESULTS}/{{lang}}/hybrid/unitrans-{{recipe}}/n{{size}}/seed{{seed}}/soft_labels.jsonl",
        ids=f"{RESULTS}/{{lang}}/subsets/unlabelled/seed{{seed}}/n{{size}}.txt",
        encoder=PLAN.encoder_inputs(),
        test=test_input,
    output:
        **run_outputs("hybrid", "unitrans-{recipe}"),
    params:
        **train_params("train-distilled", "hybrid", "unitrans-{recipe}"),
    log:
        f"{RESULTS}/{{lang}}/logs/train/hybrid_unitrans-{{recipe}}_n{{size}}_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/train/hybrid_unitrans-{{recipe}}_n{{size}}_seed{{seed}}.tsv"


# refined: the translated sentences with their projected labels corrected by teacher t where it is confident; no
# target text. Written once per recipe and teacher, then trained like the projection arm (seed s: its teacher's).
rule refine:
    input:
        projected=lambda wc: f"{PLAN.translated_projection(wc.lang, wc.recipe, wc.teacher)}/projected.jsonl",
        tagged=lambda wc: PLAN.teacher_tags(wc.lang, wc.recipe, wc.teacher),
    output:
        projected=f"{RESULTS}/{{lang}}/hybrid/refine/{{recipe}}/seed{{teacher}}/projected.jsonl",
        stats=f"{RESULTS}/{{lang}}/hybrid/refine/{{recipe}}/seed{{teacher}}/stats.json",
    params:
        confidence=PLAN.hybrid().refine_confidence,
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/refine_{{recipe}}_seed{{teacher}}.log",
    shell:
        "xlner refine --projected {input.projected} --tagged {input.tagged} --output {output.projected} "
        f"--stats {{output.stats}} --refine-confidence {{params.confidence}} --types {TYPES} > {{log}} 2>&1"


use rule train_projection as train_hybrid_refined with:
    input:
        data=lambda wc: PLAN.refined(wc.lang, wc.recipe, PLAN.teacher_for(wc.seed)),
        ids=f"{RESULTS}/{{lang}}/subsets/source/seed{{seed}}/n{{size}}.txt",
        encoder=PLAN.encoder_inputs(),
        test=test_input,
    output:
        **run_outputs("hybrid", "refined-{recipe}"),
    params:
        **train_params("train", "hybrid", "refined-{recipe}"),
    log:
        f"{RESULTS}/{{lang}}/logs/train/hybrid_refined-{{recipe}}_n{{size}}_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/train/hybrid_refined-{{recipe}}_n{{size}}_seed{{seed}}.tsv"


# voted: unitrans with UniTrans's voting. The second-stage teacher and its soft labels are unitrans's own files
# (shared, trained once); where the English teacher decodes the same label, the word's target becomes hard.
rule vote:
    input:
        first=lambda wc: PLAN.soft_labels(wc.lang, PLAN.teacher_for(wc.seed)),
        second=f"{RESULTS}/{{lang}}/hybrid/unitrans-{{recipe}}/n{{size}}/seed{{seed}}/soft_labels.jsonl",
    output:
        soft=f"{RESULTS}/{{lang}}/hybrid/voted-{{recipe}}/n{{size}}/seed{{seed}}/soft_labels.jsonl",
        stats=f"{RESULTS}/{{lang}}/hybrid/voted-{{recipe}}/n{{size}}/seed{{seed}}/soft_labels.stats.json",
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/train/hybrid_voted-{{recipe}}_vote_n{{size}}_seed{{seed}}.log",
    shell:
        "xlner vote --first {input.first} --second {input.second} --output {output.soft} --stats {output.stats} "
        f"--types {TYPES} > {{log}} 2>&1"


use rule train_distilled as train_hybrid_voted with:
    input:
        data=f"{RESULTS}/{{lang}}/hybrid/voted-{{recipe}}/n{{size}}/seed{{seed}}/soft_labels.jsonl",
        ids=f"{RESULTS}/{{lang}}/subsets/unlabelled/seed{{seed}}/n{{size}}.txt",
        encoder=PLAN.encoder_inputs(),
        test=test_input,
    output:
        **run_outputs("hybrid", "voted-{recipe}"),
    params:
        **train_params("train-distilled", "hybrid", "voted-{recipe}"),
    log:
        f"{RESULTS}/{{lang}}/logs/train/hybrid_voted-{{recipe}}_n{{size}}_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/train/hybrid_voted-{{recipe}}_n{{size}}_seed{{seed}}.tsv"


# agree (target-side methods): both transfers labelled the same pool sentences; where the projected label and the
# teacher's decoded one agree the word's target is hard, elsewhere a mix weighted by hybrid.agree_weight. Written
# once per teacher over the whole pool; a fresh student distils from its subset.
rule agree:
    input:
        projected=lambda wc: PLAN.target_projected(wc.lang, wc.pmethod, int(wc.teacher)),
        soft=lambda wc: PLAN.soft_labels(wc.lang, int(wc.teacher)),
    output:
        soft=f"{RESULTS}/{{lang}}/hybrid/agree/{{pmethod}}/seed{{teacher}}/soft_labels.jsonl",
        stats=f"{RESULTS}/{{lang}}/hybrid/agree/{{pmethod}}/seed{{teacher}}/stats.json",
    params:
        weight=PLAN.hybrid().agree_weight,
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/agree_{{pmethod}}_seed{{teacher}}.log",
    shell:
        "xlner agree --projected {input.projected} --soft {input.soft} --weight {params.weight} "
        f"--output {{output.soft}} --stats {{output.stats}} --types {TYPES} > {{log}} 2>&1"


use rule train_distilled as train_hybrid_agree with:
    input:
        data=lambda wc: PLAN.agree_file(wc.lang, wc.pmethod, PLAN.teacher_for(wc.seed)),
        ids=f"{RESULTS}/{{lang}}/subsets/unlabelled/seed{{seed}}/n{{size}}.txt",
        encoder=PLAN.encoder_inputs(),
        test=test_input,
    output:
        **run_outputs("hybrid", "agree-{pmethod}"),
    params:
        **train_params("train-distilled", "hybrid", "agree-{pmethod}"),
    log:
        f"{RESULTS}/{{lang}}/logs/train/hybrid_agree-{{pmethod}}_n{{size}}_seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/train/hybrid_agree-{{pmethod}}_n{{size}}_seed{{seed}}.tsv"
