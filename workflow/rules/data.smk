# Read the datasets named in config, normalise them to IOB2 and map their labels; draw training subsets.


rule source_pool:
    """The English labelled source pool: the first `source.pool_size` sentences."""
    input:
        dataset_input(config["source"]),
    output:
        conll=f"{RESULTS}/{{lang}}/data/source.conll",
        stats=f"{RESULTS}/{{lang}}/data/source.stats.json",
    params:
        types=TYPES,
        dataset=dataset_args({**config["source"], "max_sentences": config["source"]["pool_size"]}),
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/source_pool.log",
    shell:
        "xlner prepare {params.dataset} --output {output.conll} --stats {output.stats} --types {params.types} > {log} 2>&1"


rule target_data:
    """Gold target data: `test` (evaluation) and `train` (supervised reference, unlabelled pool)."""
    input:
        lambda wc: dataset_input(lang_config(wc.lang)[wc.split]),
    output:
        conll=f"{RESULTS}/{{lang}}/data/{{split}}.conll",
        stats=f"{RESULTS}/{{lang}}/data/{{split}}.stats.json",
    wildcard_constraints:
        split="test|train",
    params:
        types=TYPES,
        dataset=lambda wc: dataset_args(lang_config(wc.lang)[wc.split]),
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/target_{{split}}.log",
    shell:
        "xlner prepare {params.dataset} --output {output.conll} --stats {output.stats} --types {params.types} > {log} 2>&1"


rule unlabelled_pool:
    """Unlabelled target sentences for the teacher-student arm (the gold train split without its labels,
    unless `unlabelled` names another file)."""
    input:
        unlabelled_source,
    output:
        pool=f"{RESULTS}/{{lang}}/data/unlabelled.jsonl",
        stats=f"{RESULTS}/{{lang}}/data/unlabelled.stats.json",
    params:
        format=lambda wc: (lang_config(wc.lang).get("unlabelled") or {}).get("format", "conll"),
        limit=lambda wc: (
            f"--max-sentences {lang_config(wc.lang)['unlabelled']['max_sentences']}"
            if (lang_config(wc.lang).get("unlabelled") or {}).get("max_sentences")
            else ""
        ),
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/unlabelled_pool.log",
    shell:
        "xlner unlabelled --input {input} --format {params.format} {params.limit} --output {output.pool} "
        "--stats {output.stats} > {log} 2>&1"


rule teacher_data:
    """English data of the teacher: `train`, `dev` (checkpoint selection) and `test` (its English F1)."""
    input:
        lambda wc: dataset_input(TEACHER[wc.split]),
    output:
        conll=f"{RESULTS}/teacher/data/{{split}}.conll",
        stats=f"{RESULTS}/teacher/data/{{split}}.stats.json",
    wildcard_constraints:
        split="train|dev|test",
    params:
        types=TYPES,
        dataset=lambda wc: dataset_args(TEACHER[wc.split]),
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/teacher/logs/data_{{split}}.log",
    shell:
        "xlner prepare {params.dataset} --output {output.conll} --stats {output.stats} --types {params.types} > {log} 2>&1"


rule subset:
    """Seeded training subset of a pool (source, gold train or unlabelled); nested across sizes for one seed."""
    input:
        lambda wc: f"{RESULTS}/{wc.lang}/{POOL_FILES[wc.pool]}",
    output:
        f"{RESULTS}/{{lang}}/subsets/{{pool}}/seed{{seed}}/n{{size}}.txt",
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/subset/{{pool}}_seed{{seed}}_n{{size}}.log",
    shell:
        "xlner subset --pool {input} --size {wildcards.size} --seed {wildcards.seed} --output {output} > {log} 2>&1"
