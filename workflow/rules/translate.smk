# Machine translation of the English source pool into the target language.


rule translate:
    input:
        f"{RESULTS}/{{lang}}/data/source.conll",
    output:
        translations=f"{RESULTS}/{{lang}}/translate/translations.jsonl",
        stats=report(
            f"{RESULTS}/{{lang}}/translate/stats.json",
            caption="../report/translate.rst",
            category="Projection",
            labels={"language": "{lang}", "method": "translation"},
        ),
    params:
        mt=lambda wc: mt_settings(wc.lang),
        args=lambda wc: " ".join(
            f"--{key.replace('_', '-')} {shlex.quote(str(value))}" for key, value in mt_settings(wc.lang).items()
        ),
    priority: 10  # on the critical path: everything downstream waits for it
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/translate.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/translate.tsv"
    shell:
        "xlner translate --input {input} --output {output.translations} --stats {output.stats} {params.args} > {log} 2>&1"
