# Read the datasets named in config, normalise them to IOB2 and map their labels; draw training subsets.


rule prepare_source:
    """The English labelled source pool: the first `source.pool_size` sentences."""
    input:
        dataset_input(PLAN.source_dataset()),
    output:
        conll=f"{RESULTS}/{{lang}}/data/source.conll",
        stats=f"{RESULTS}/{{lang}}/data/source.stats.json",
    params:
        settings=settings_arg(PLAN.source_dataset()),
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/source_pool.log",
    shell:
        "xlner prepare --settings {params.settings} --output {output.conll} --stats {output.stats} "
        f"--types {TYPES} > {{log}} 2>&1"


# Gold target data: `test` (evaluation) and `train` (supervised reference, unlabelled pool).
use rule prepare_source as prepare_target with:
    input:
        lambda wc: dataset_input(PLAN.dataset(PLAN.lang(wc.lang)[wc.split])),
    output:
        conll=f"{RESULTS}/{{lang}}/data/{{split}}.conll",
        stats=f"{RESULTS}/{{lang}}/data/{{split}}.stats.json",
    wildcard_constraints:
        split="test|train",
    params:
        settings=lambda wc: settings_arg(PLAN.dataset(PLAN.lang(wc.lang)[wc.split])),
    log:
        f"{RESULTS}/{{lang}}/logs/target_{{split}}.log",


# English data of the teacher: `train`, `dev` (checkpoint selection) and `test` (its English F1).
use rule prepare_source as prepare_teacher with:
    input:
        lambda wc: dataset_input(PLAN.dataset(PLAN.teacher[wc.split])),
    output:
        conll=f"{RESULTS}/teacher/data/{{split}}.conll",
        stats=f"{RESULTS}/teacher/data/{{split}}.stats.json",
    wildcard_constraints:
        split="train|dev|test",
    params:
        settings=lambda wc: settings_arg(PLAN.dataset(PLAN.teacher[wc.split])),
    log:
        f"{RESULTS}/teacher/logs/data_{{split}}.log",


# The target test sets of the translate-test table.
use rule prepare_source as prepare_translate_test with:
    input:
        lambda wc: dataset_input(PLAN.dataset(PLAN.tt["languages"][wc.ttlang]["test"])),
    output:
        conll=f"{RESULTS}/translate-test/{{ttlang}}/data/test.conll",
        stats=f"{RESULTS}/translate-test/{{ttlang}}/data/test.stats.json",
    params:
        settings=lambda wc: settings_arg(PLAN.dataset(PLAN.tt["languages"][wc.ttlang]["test"])),
    log:
        f"{RESULTS}/translate-test/{{ttlang}}/logs/data.log",


rule unlabelled_pool:
    """Unlabelled target sentences for the teacher-student arm (the gold train split without its labels,
    unless `unlabelled` names another file)."""
    input:
        lambda wc: PLAN.unlabelled(wc.lang).path,
    output:
        pool=f"{RESULTS}/{{lang}}/data/unlabelled.jsonl",
        stats=f"{RESULTS}/{{lang}}/data/unlabelled.stats.json",
    params:
        settings=lambda wc: settings_arg(PLAN.unlabelled(wc.lang)),
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/unlabelled_pool.log",
    shell:
        "xlner unlabelled --settings {params.settings} --output {output.pool} --stats {output.stats} > {log} 2>&1"


rule subset:
    """Seeded training subset of a pool (source, gold train or unlabelled); nested across sizes for one seed."""
    input:
        lambda wc: f"{RESULTS}/{wc.lang}/{POOL_FILES[wc.pool]}",
    output:
        f"{RESULTS}/{{lang}}/subsets/{{pool}}/seed{{seed}}/n{{size}}.txt",
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/subset/{{pool}}_seed{{seed}}_n{{size}}.log",
    shell:
        "xlner subset --pool {input} --size {wildcards.size} --seed {wildcards.seed} --output {output} > {log} 2>&1"
