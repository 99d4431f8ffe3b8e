# Labels for the English side: the dataset's gold labels.


rule label:
    input:
        f"{RESULTS}/{{lang}}/data/source.conll",
    output:
        conll=f"{RESULTS}/{{lang}}/label/source.conll",
        stats=f"{RESULTS}/{{lang}}/label/stats.json",
    params:
        types=TYPES,
        source=config["source"]["labels"],
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/label.log",
    shell:
        "xlner label --input {input} --output {output.conll} --stats {output.stats} --source {params.source} "
        "--types {params.types} 2> {log}"
