# Word alignment of each English sentence with its translation, and of each labelled back-translation with
# the translation it paraphrases (same language).


rule align:
    input:
        # the aligned-pair lines (named `translations` for every stage, so the shell text is shared)
        translations=align_pairs,
        encoder=align_input(),
    output:
        aligned=ALIGN_OUTPUT,
        stats=ALIGN_STATS,
    wildcard_constraints:
        stage="align|backtranslate",
    params:
        **ALIGN_PARAMS,
        shard=lambda wc: f"--shard {wc.shard}/{SHARDS}" if SHARDS > 1 else "",
    threads: 1
    resources:
        gpu=1,
        mem_mb=8000,
        runtime=120,
    priority: 10  # on the critical path: everything downstream waits for it
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/{ALIGN_NAME}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/{ALIGN_NAME}.tsv"
    shell:
        ALIGN_SHELL


if SHARDS > 1:

    rule gather_alignments:
        input:
            shards=expand(f"{RESULTS}/{{{{lang}}}}/{{{{stage}}}}/shards/{{shard}}.jsonl", shard=range(SHARDS)),
            stats=expand(f"{RESULTS}/{{{{lang}}}}/{{{{stage}}}}/shards/{{shard}}.stats.json", shard=range(SHARDS)),
        output:
            aligned=f"{RESULTS}/{{lang}}/{{stage}}/alignments.jsonl",
            stats=f"{RESULTS}/{{lang}}/{{stage}}/stats.json",
        wildcard_constraints:
            stage="align|backtranslate",
        conda:
            "../../envs/xlner.yaml"
        log:
            f"{RESULTS}/{{lang}}/logs/gather_{{stage}}.log",
        shell:
            "xlner gather --inputs {input.shards} --output {output.aligned} --stats-inputs {input.stats} "
            "--stats {output.stats} > {log} 2>&1"


rule back_translate:
    """The English source pool translated again with its entities marked: a labelled paraphrase of each
    translation, aligned to it and projected through that alignment by recipes with back_translation."""
    input:
        pairs=f"{RESULTS}/{{lang}}/translate/translations.jsonl",
        labels=f"{RESULTS}/{{lang}}/label/source.conll",
        models=lambda wc: hub_inputs(lang_config(wc.lang)["back_translation"].get("model")),
    output:
        pairs=f"{RESULTS}/{{lang}}/backtranslate/pairs.jsonl",
        stats=f"{RESULTS}/{{lang}}/backtranslate/translate.stats.json",
    params:
        args=lambda wc: back_translation_args(lang_config(wc.lang)["back_translation"]),
        types=TYPES,
    resources:
        gpu=lambda wc: int(lang_config(wc.lang)['back_translation']['backend'] == 'hf'),
        mem_mb=16000,
        runtime=240,
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/back_translate.log",
    shell:
        "xlner back-translate --input {input.pairs} --labels {input.labels} --output {output.pairs} "
        "--stats {output.stats} --types {params.types} {params.args} > {log} 2>&1"


rule tag_targets:
    """The teacher's spans and per-word probabilities on the target side, for recipes that read them."""
    input:
        pairs=f"{RESULTS}/{{lang}}/{{stage}}/alignments.jsonl",
        model=teacher_input(),
    output:
        tagged=f"{RESULTS}/{{lang}}/{{stage}}/tagged.jsonl",
        stats=f"{RESULTS}/{{lang}}/{{stage}}/tagged.stats.json",
    wildcard_constraints:
        stage="align|backtranslate",
    params:
        model=teacher_args(),
        types=TYPES,
    threads: 1
    resources:
        gpu=1,
        mem_mb=8000,
        runtime=60,
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/tag_{{stage}}.log",
    shell:
        "OMP_NUM_THREADS={threads} xlner tag --input {input.pairs} --output {output.tagged} --stats {output.stats} "
        "--side tgt {params.model} --types {params.types} > {log} 2>&1"
