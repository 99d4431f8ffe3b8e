# Target-side projection of a language's unlabelled pool (methods `tgt-RECIPE`), the seed paper's own direction:
# each pool sentence is translated into English (languages.X.to_english), the English is labelled by the teacher,
# aligned with the original words and its entities projected back onto them. The same rules as the translate-test
# table's (translate_test.smk), on the pool instead of the test set: results/{lang}/to-english/...
POOL = f"{RESULTS}/{{lang}}/to-english"


use rule tt_translate as pool_translate with:
    input:
        source=f"{RESULTS}/{{lang}}/data/unlabelled.jsonl",
        models=lambda wc: PLAN.hub_inputs(PLAN.lang(wc.lang)["to_english"].get("model")),
    output:
        translations=f"{POOL}/translate/pairs.jsonl",
        stats=f"{POOL}/translate/stats.json",
    params:
        settings=lambda wc: settings_arg(PLAN.to_english(wc.lang)),
        options=lambda wc: "--swap" + (" --no-whitespace" if PLAN.lang(wc.lang).get("whitespace") is False else ""),
    resources:
        gpu=lambda wc: int(PLAN.to_english(wc.lang).backend == "hf"),
        mem_mb=lambda wc: 32000 if PLAN.to_english(wc.lang).backend == "hf" else 2000,
        runtime=240,
    priority: 10  # on the critical path: everything downstream waits for it
    log:
        f"{POOL}/logs/translate.log",
    benchmark:
        f"{POOL}/benchmarks/translate.tsv"


# The alignment does not depend on the teacher: aligned once, then labelled by each teacher.
use rule tt_align as pool_align with:
    input:
        pairs=f"{POOL}/translate/pairs.jsonl",
        encoder=PLAN.hub_inputs(config["align"].get("model")) or PLAN.encoder_inputs(),
    output:
        aligned=f"{POOL}/align/alignments.jsonl",
        stats=f"{POOL}/align/stats.json",
    priority: 10
    log:
        f"{POOL}/logs/align.log",
    benchmark:
        f"{POOL}/benchmarks/align.tsv"


use rule tt_tag as pool_tag with:
    input:
        pairs=f"{POOL}/align/alignments.jsonl",
        model=lambda wc: PLAN.teacher_inputs(int(wc.teacher)),
    output:
        tagged=f"{POOL}/tag/seed{{teacher}}/pairs.jsonl",
        stats=f"{POOL}/tag/seed{{teacher}}/stats.json",
    params:
        side=lambda wc: PLAN.pool_tag_side(wc.lang),
        model=lambda wc: tagger_args(wc.teacher),
    priority: 10
    log:
        f"{POOL}/logs/tag_seed{{teacher}}.log",
    benchmark:
        f"{POOL}/benchmarks/tag_seed{{teacher}}.tsv"


use rule tt_project as pool_project with:
    input:
        aligned=f"{POOL}/tag/seed{{teacher}}/pairs.jsonl",
        models=lambda wc: PLAN.nmt_inputs(wc.recipe),
    output:
        projected=f"{POOL}/project/{{recipe}}/seed{{teacher}}/projected.jsonl",
        stats=f"{POOL}/project/{{recipe}}/seed{{teacher}}/stats.json",
    params:
        settings=lambda wc: settings_arg(PLAN.recipe(wc.recipe)),
        nmt=lambda wc: settings_arg(PLAN.nmt(wc.recipe, PLAN.to_english(wc.lang).src_lang)),
    log:
        f"{POOL}/logs/project_{{recipe}}_seed{{teacher}}.log",


# The projected pool against the pool's own gold labels (which only the supervised reference trains on).
use rule tt_score as pool_quality with:
    input:
        projected=f"{POOL}/project/{{recipe}}/seed{{teacher}}/projected.jsonl",
        gold=f"{RESULTS}/{{lang}}/data/train.conll",
    output:
        f"{POOL}/project/{{recipe}}/seed{{teacher}}/quality.json",
    params:
        field="tgt_tags",
        info=lambda wc: json_arg({"lang": wc.lang, "method": f"tgt-{wc.recipe}", "teacher": int(wc.teacher),
                                  "note": "the target-side projection of the pool scored against its gold labels"}),
    log:
        f"{POOL}/logs/quality_{{recipe}}_seed{{teacher}}.log",


rule projection_quality:
    """results/{lang}/projection-quality.tsv: each projected pool before any student sees it."""
    input:
        scores=lambda wc: list(PLAN.projection_quality_inputs(wc.lang)[0].values()),
        stats=lambda wc: list(PLAN.projection_quality_inputs(wc.lang)[1].values()),
    output:
        report(
            f"{RESULTS}/{{lang}}/projection-quality.tsv",
            caption="../report/projection_quality.rst",
            category="Projection",
            labels={"language": "{lang}", "file": "projection quality"},
        ),
    params:
        scores=lambda wc: " ".join(f"{m}:{t}={path}" for (m, t), path in
                                   PLAN.projection_quality_inputs(wc.lang)[0].items()),
        stats=lambda wc: " ".join(f"{':'.join(map(str, key))}={path}"
                                  for key, path in PLAN.projection_quality_inputs(wc.lang)[1].items()),
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/projection_quality.log",
    shell:
        "xlner projection-quality --lang {wildcards.lang} --scores {params.scores} --stats {params.stats} "
        "--output {output} > {log} 2>&1"
