# Annotation projection of the English labels onto the translations.


rule project:
    input:
        aligned=f"{RESULTS}/{{lang}}/align/alignments.jsonl",
        labels=f"{RESULTS}/{{lang}}/label/source.conll",
    output:
        projected=f"{RESULTS}/{{lang}}/project/{{method}}/projected.jsonl",
        conll=f"{RESULTS}/{{lang}}/project/{{method}}/projected.conll",
        stats=report(
            f"{RESULTS}/{{lang}}/project/{{method}}/stats.json",
            caption="../report/projection.rst",
            category="Projection",
            labels={"language": "{lang}", "method": "{method}"},
        ),
    params:
        merge_distance=config["project"]["merge_distance"],
        ratio_threshold=config["project"]["ratio_threshold"],
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/project/{{method}}.log",
    shell:
        "xlner project --input {input.aligned} --labels {input.labels} --method {wildcards.method} "
        "--merge-distance {params.merge_distance} --ratio-threshold {params.ratio_threshold} "
        "--output {output.projected} --conll {output.conll} --stats {output.stats} > {log} 2>&1"
