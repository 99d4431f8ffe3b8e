# Machine translation of the English source pool into the target language. With `shards: n > 1` (large pools on
# a cluster) the pool is translated as n round-robin shards, one job each, then gathered in the original order.


rule translate:
    input:
        source=f"{RESULTS}/{{lang}}/data/source.conll",
        models=lambda wc: hub_inputs(lang_config(wc.lang)["mt"].get("model")),
    output:
        translations=TRANSLATE_OUTPUT,
        stats=TRANSLATE_STATS,
    params:
        mt=lambda wc: mt_settings(wc.lang),
        args=lambda wc: translate_args(wc),
    threads: 1
    resources:
        gpu=lambda wc: int(mt_settings(wc.lang)["backend"] == "hf"),
        mem_mb=lambda wc: 32000 if mt_settings(wc.lang)["backend"] == "hf" else 2000,
        runtime=lambda wc: 240 if mt_settings(wc.lang)["backend"] == "hf" else 30,
    priority: 10  # on the critical path: everything downstream waits for it
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/{TRANSLATE_NAME}.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/{TRANSLATE_NAME}.tsv"
    shell:
        "xlner translate --input {input.source} --output {output.translations} --stats {output.stats} "
        "{params.args} > {log} 2>&1"


if SHARDS > 1:

    rule gather_translations:
        input:
            shards=expand(f"{RESULTS}/{{{{lang}}}}/translate/shards/{{shard}}.jsonl", shard=range(SHARDS)),
            stats=expand(f"{RESULTS}/{{{{lang}}}}/translate/shards/{{shard}}.stats.json", shard=range(SHARDS)),
        output:
            translations=f"{RESULTS}/{{lang}}/translate/translations.jsonl",
            stats=report(
                f"{RESULTS}/{{lang}}/translate/stats.json",
                caption="../report/translate.rst",
                category="Projection",
                labels={"language": "{lang}", "method": "translation"},
            ),
        conda:
            "../../envs/xlner.yaml"
        log:
            f"{RESULTS}/{{lang}}/logs/gather_translations.log",
        shell:
            "xlner gather --inputs {input.shards} --output {output.translations} --stats-inputs {input.stats} "
            "--stats {output.stats} > {log} 2>&1"
