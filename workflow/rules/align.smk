# Word alignment of each English sentence with its translation, and of each labelled back-translation with
# the translation it paraphrases (same language); the teacher's target-side tags for recipes that read them.

ALIGN_OUTPUT, ALIGN_STATS, ALIGN_NAME = sharded(f"{RESULTS}/{{lang}}/{{stage}}", "{stage}", "alignments")
BACKTRANSLATE = f"{RESULTS}/{{lang}}/" + ("backtranslate/seed{teacher}" if PLAN.labels_from_teacher() else "backtranslate")


rule align:
    input:
        # the aligned-pair lines (named `pairs` for every stage, so translate-test reuses the rule)
        pairs=aligned_pairs,
        encoder=PLAN.hub_inputs(config["align"].get("model")) or PLAN.encoder_inputs(),
    output:
        aligned=ALIGN_OUTPUT,
        stats=ALIGN_STATS,
    wildcard_constraints:
        stage=ALIGN_STAGES,
    params:
        settings=settings_arg(PLAN.align()),
        shard=shard_arg,
    threads: 1
    resources:
        **{**GPU_INFERENCE, "runtime": 120},
    priority: 10  # on the critical path: everything downstream waits for it
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/{ALIGN_NAME}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/{ALIGN_NAME}.tsv"
    shell:
        "OMP_NUM_THREADS={threads} xlner align --input {input.pairs} --output {output.aligned} "
        "--stats {output.stats} --settings {params.settings} {params.shard} > {log} 2>&1"


rule back_translate:
    """The English source pool translated again with its entities marked: a labelled paraphrase of each
    translation, aligned to it and projected through that alignment by recipes with back_translation."""
    input:
        pairs=f"{RESULTS}/{{lang}}/translate/translations.jsonl",
        labels=f"{LABELS}/source.conll",
        models=lambda wc: PLAN.hub_inputs(PLAN.lang(wc.lang)["back_translation"].get("model")),
    output:
        pairs=f"{BACKTRANSLATE}/pairs.jsonl",
        stats=f"{BACKTRANSLATE}/translate.stats.json",
    params:
        settings=lambda wc: settings_arg(PLAN.back_translation(wc.lang)),
        labels=lambda wc, input: f"--labels {input.labels}",
    resources:
        gpu=lambda wc: int(PLAN.back_translation(wc.lang).backend == "hf"),
        mem_mb=16000,
        runtime=240,
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/back_translate{BY_TEACHER}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/back_translate{BY_TEACHER}.tsv"
    shell:
        "xlner back-translate --input {input.pairs} {params.labels} --output {output.pairs} "
        f"--stats {{output.stats}} --types {TYPES} --settings {{params.settings}} > {{log}} 2>&1"


rule tag_targets:
    """Teacher t's spans and per-word probabilities on the target side, for recipes (and `refined`) that read them."""
    input:
        pairs=f"{RESULTS}/{{lang}}/{{stage}}/alignments.jsonl",
        model=lambda wc: PLAN.teacher_inputs(int(wc.teacher)),
    output:
        tagged=f"{RESULTS}/{{lang}}/{{stage}}/seed{{teacher}}/tagged.jsonl",
        stats=f"{RESULTS}/{{lang}}/{{stage}}/seed{{teacher}}/tagged.stats.json",
    wildcard_constraints:
        stage=ALIGN_STAGES,
    params:
        side="tgt",
        model=lambda wc: tagger_args(wc.teacher),
    threads: 1
    resources:
        **GPU_INFERENCE,
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/tag_{{stage}}_seed{{teacher}}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/tag_{{stage}}_seed{{teacher}}.tsv"
    shell:
        "OMP_NUM_THREADS={threads} xlner tag --input {input.pairs} --output {output.tagged} --stats {output.stats} "
        f"--side {{params.side}} {{params.model}} --types {TYPES} > {{log}} 2>&1"
