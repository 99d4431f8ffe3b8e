# Read the datasets named in config, normalise them to IOB2 and map their labels.


rule source_pool:
    """The English labelled source pool: the first `source.pool_size` sentences."""
    input:
        dataset_input(config["source"]),
    output:
        conll=f"{RESULTS}/{{lang}}/data/source.conll",
        stats=f"{RESULTS}/{{lang}}/data/source.stats.json",
    params:
        types=TYPES,
        dataset=dataset_args(config["source"]),
        scheme=config["source"]["scheme"],
        label_map=label_map_args(config["source"].get("label_map")),
        pool_size=config["source"]["pool_size"],
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/source_pool.log",
    shell:
        "xlner prepare {params.dataset} --output {output.conll} --stats {output.stats} --scheme {params.scheme} "
        "--types {params.types} --max-sentences {params.pool_size} --map {params.label_map} 2> {log}"


rule target_test:
    """Gold target test data (first `max_sentences`)."""
    input:
        lambda wc: dataset_input(config["languages"][wc.lang]["test"]),
    output:
        conll=f"{RESULTS}/{{lang}}/data/test.conll",
        stats=f"{RESULTS}/{{lang}}/data/test.stats.json",
    params:
        types=TYPES,
        dataset=lambda wc: dataset_args(config["languages"][wc.lang]["test"]),
        scheme=lambda wc: config["languages"][wc.lang]["test"]["scheme"],
        label_map=lambda wc: label_map_args(config["languages"][wc.lang]["test"].get("label_map")),
        limit=lambda wc: (
            f"--max-sentences {config['languages'][wc.lang]['test']['max_sentences']}"
            if config["languages"][wc.lang]["test"].get("max_sentences")
            else ""
        ),
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/target_test.log",
    shell:
        "xlner prepare {params.dataset} --output {output.conll} --stats {output.stats} --scheme {params.scheme} "
        "--types {params.types} {params.limit} --map {params.label_map} 2> {log}"


rule subset:
    """Seeded training subset of the source pool; nested across sizes for one seed."""
    input:
        f"{RESULTS}/{{lang}}/data/source.conll",
    output:
        f"{RESULTS}/{{lang}}/subsets/seed{{seed}}/n{{size}}.txt",
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/subset/seed{{seed}}_n{{size}}.log",
    shell:
        "xlner subset --pool {input} --size {wildcards.size} --seed {wildcards.seed} --output {output} 2> {log}"
