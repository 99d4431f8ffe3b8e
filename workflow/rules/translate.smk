# Machine translation of the English source pool into the target language. With `shards: n > 1` (large pools on
# a cluster) the pool is translated as n round-robin shards, one job each, then gathered in the original order.

TRANSLATE_OUTPUT, TRANSLATE_STATS, TRANSLATE_NAME = sharded(f"{RESULTS}/{{lang}}/translate", "translate",
                                                            "translations")


rule translate:
    input:
        source=f"{RESULTS}/{{lang}}/data/source.conll",
        models=lambda wc: PLAN.hub_inputs(PLAN.lang(wc.lang)["mt"].get("model")),
    output:
        translations=TRANSLATE_OUTPUT,
        stats=TRANSLATE_STATS,
    params:
        settings=lambda wc: settings_arg(PLAN.mt(wc.lang)),
        options=lambda wc: " ".join(filter(None, [
            "--no-whitespace" if PLAN.lang(wc.lang).get("whitespace") is False else "", shard_arg(wc)])),
    threads: 1
    resources:
        gpu=lambda wc: int(PLAN.mt(wc.lang).backend == "hf"),
        mem_mb=lambda wc: 32000 if PLAN.mt(wc.lang).backend == "hf" else 2000,
        runtime=lambda wc: 240 if PLAN.mt(wc.lang).backend == "hf" else 30,
    priority: 10  # on the critical path: everything downstream waits for it
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/{TRANSLATE_NAME}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/{TRANSLATE_NAME}.tsv"
    shell:
        "xlner translate --input {input.source} --output {output.translations} --stats {output.stats} "
        "--settings {params.settings} {params.options} > {log} 2>&1"


if PLAN.shards > 1:

    rule gather_translations:
        """Round-robin shards merged in the original order, their statistics added up (`shards: n > 1`)."""
        input:
            shards=expand(f"{RESULTS}/{{{{lang}}}}/translate/shards/{{shard}}.jsonl", shard=range(PLAN.shards)),
            stats=expand(f"{RESULTS}/{{{{lang}}}}/translate/shards/{{shard}}.stats.json", shard=range(PLAN.shards)),
        output:
            merged=f"{RESULTS}/{{lang}}/translate/translations.jsonl",
            stats=f"{RESULTS}/{{lang}}/translate/stats.json",
        conda:
            CONDA_ENV
        log:
            f"{RESULTS}/{{lang}}/logs/gather_translations.log",
        shell:
            "xlner gather --inputs {input.shards} --output {output.merged} --stats-inputs {input.stats} "
            "--stats {output.stats} > {log} 2>&1"

    use rule gather_translations as gather_alignments with:
        input:
            shards=expand(f"{RESULTS}/{{{{lang}}}}/{{{{stage}}}}/shards/{{shard}}.jsonl", shard=range(PLAN.shards)),
            stats=expand(f"{RESULTS}/{{{{lang}}}}/{{{{stage}}}}/shards/{{shard}}.stats.json", shard=range(PLAN.shards)),
        output:
            merged=f"{RESULTS}/{{lang}}/{{stage}}/alignments.jsonl",
            stats=f"{RESULTS}/{{lang}}/{{stage}}/stats.json",
        wildcard_constraints:
            stage=ALIGN_STAGES,
        log:
            f"{RESULTS}/{{lang}}/logs/gather_{{stage}}.log",
