# Translate-test, the paper's own (intrinsic) experiment: target test sentences -> English -> aligned -> labelled by
# each teacher -> (optionally through a labelled back-translation) -> projected back onto the original words ->
# scored against gold. Paths: results/translate-test/{lang}/...; every file made with a teacher's output sits
# under seed{teacher}/; the table (each column's mean over the teachers, and their spread): results/translate-test/.
# The test data is read by `prepare_translate_test` (data.smk).

TT = f"{RESULTS}/translate-test/{{ttlang}}"


use rule translate as tt_translate with:
    input:
        source=f"{TT}/data/test.conll",
        models=lambda wc: PLAN.hub_inputs(PLAN.tt_mt_block(wc.ttlang).get("model")),
    output:
        translations=f"{TT}/translate/pairs.jsonl",
        stats=f"{TT}/translate/stats.json",
    params:
        # Target -> English; the English becomes the source side, the original words the target side.
        settings=lambda wc: settings_arg(PLAN.tt_mt(wc.ttlang)),
        options=lambda wc: "--swap" + (" --no-whitespace" if PLAN.tt["languages"][wc.ttlang].get("whitespace")
                                       is False else ""),
    resources:
        gpu=lambda wc: int(PLAN.tt_mt(wc.ttlang).backend == "hf"),
        mem_mb=32000,
        runtime=240,
    priority: 0
    log:
        f"{TT}/logs/translate.log",
    benchmark:
        f"{TT}/benchmarks/translate.tsv"


# The alignment does not depend on the teacher: aligned once, then labelled by each teacher.
use rule align as tt_align with:
    input:
        pairs=f"{TT}/translate/pairs.jsonl",
        encoder=PLAN.hub_inputs(config["align"].get("model")) or PLAN.encoder_inputs(),
    output:
        aligned=f"{TT}/align/alignments.jsonl",
        stats=f"{TT}/align/stats.json",
    params:
        settings=settings_arg(PLAN.align()),
        shard="",
    priority: 0
    log:
        f"{TT}/logs/align.log",
    benchmark:
        f"{TT}/benchmarks/align.tsv"


# Teacher t labels the English (src_tags) and tags the original sentence (its spans are the zero-shot prediction,
# the NER candidates, and with its probabilities the NER score).
use rule tag_targets as tt_tag with:
    input:
        pairs=f"{TT}/align/alignments.jsonl",
        model=lambda wc: PLAN.teacher_inputs(int(wc.teacher)),
    output:
        tagged=f"{TT}/tag/seed{{teacher}}/pairs.jsonl",
        stats=f"{TT}/tag/seed{{teacher}}/stats.json",
    params:
        side="both",
        model=lambda wc: tagger_args(wc.teacher),
    log:
        f"{TT}/logs/tag_seed{{teacher}}.log",
    benchmark:
        f"{TT}/benchmarks/tag_seed{{teacher}}.tsv"


# comb-tt recipes (`combine_with: ARM/METHOD`): the lines teacher t labelled, their target side tagged again by the
# run's student of teacher t's seed (its largest size, as export keeps it): the projection reads the student's
# spans and probabilities on the target sentence where comb-zs reads the teacher's. A `vote` recipe keeps the
# teacher's spans beside them (its third voter; only there, so other comb-tt columns' lines are unchanged).
use rule tag_targets as tt_tag_student with:
    input:
        pairs=lambda wc: PLAN.tt_tagged_input(wc.ttlang, wc.recipe, wc.teacher),
        model=lambda wc: PLAN.tt_student(wc.ttlang, wc.recipe, wc.teacher),
    output:
        tagged=f"{TT}/student/{{recipe}}/seed{{teacher}}/pairs.jsonl",
        stats=f"{TT}/student/{{recipe}}/seed{{teacher}}/stats.json",
    params:
        side=lambda wc: "tgt --keep-teacher" if PLAN.recipe(wc.recipe).combine == "vote" else "tgt",
        model=lambda wc: f"--model {shlex.quote(PLAN.tt_student(wc.ttlang, wc.recipe, wc.teacher))} {INFERENCE_PRECISION}",
    log:
        f"{TT}/logs/tag_student_{{recipe}}_seed{{teacher}}.log",
    benchmark:
        f"{TT}/benchmarks/tag_student_{{recipe}}_seed{{teacher}}.tsv"


# The English labelled by teacher t translated back into the target language with its entities marked.
use rule back_translate as tt_back_translate with:
    input:
        pairs=f"{TT}/tag/seed{{teacher}}/pairs.jsonl",
        models=lambda wc: PLAN.hub_inputs((PLAN.tt["languages"][wc.ttlang].get("back_translation") or {}).get("model")),
    output:
        pairs=f"{TT}/backtranslate/seed{{teacher}}/pairs.jsonl",
        stats=f"{TT}/backtranslate/seed{{teacher}}/translate.stats.json",
    params:
        settings=lambda wc: settings_arg(PLAN.tt_back_translation(wc.ttlang)),
        labels="",
    resources:
        gpu=lambda wc: int(PLAN.tt_back_translation(wc.ttlang).backend == "hf"),
        mem_mb=16000,
        runtime=240,
    log:
        f"{TT}/logs/back_translate_seed{{teacher}}.log",
    benchmark:
        f"{TT}/benchmarks/back_translate_seed{{teacher}}.tsv"


use rule tt_align as tt_align_back_translation with:
    input:
        pairs=f"{TT}/backtranslate/seed{{teacher}}/pairs.jsonl",
        encoder=PLAN.hub_inputs(config["align"].get("model")) or PLAN.encoder_inputs(),
    output:
        aligned=f"{TT}/backtranslate/seed{{teacher}}/alignments.jsonl",
        stats=f"{TT}/backtranslate/seed{{teacher}}/stats.json",
    log:
        f"{TT}/logs/backtranslate_seed{{teacher}}.log",
    benchmark:
        f"{TT}/benchmarks/backtranslate_seed{{teacher}}.tsv"


rule tt_project:
    input:
        aligned=lambda wc: PLAN.tt_projection_input(wc.ttlang, wc.recipe, wc.teacher),
        models=lambda wc: PLAN.nmt_inputs(wc.recipe),
    output:
        projected=f"{TT}/project/{{recipe}}/seed{{teacher}}/projected.jsonl",
        stats=f"{TT}/project/{{recipe}}/seed{{teacher}}/stats.json",
    params:
        settings=lambda wc: settings_arg(PLAN.recipe(wc.recipe)),
        nmt=lambda wc: settings_arg(PLAN.nmt(wc.recipe, PLAN.tt_mt(wc.ttlang).src_lang)),
    conda:
        CONDA_ENV
    log:
        f"{TT}/logs/project_{{recipe}}_seed{{teacher}}.log",
    shell:
        "xlner project --input {input.aligned} --settings {params.settings} --nmt-settings {params.nmt} "
        f"--output {{output.projected}} --stats {{output.stats}} --types {TYPES} > {{log}} 2>&1"


rule tt_score:
    input:
        projected=f"{TT}/project/{{recipe}}/seed{{teacher}}/projected.jsonl",
        gold=f"{TT}/data/test.conll",
    output:
        f"{TT}/project/{{recipe}}/seed{{teacher}}/metrics.json",
    params:
        field="tgt_tags",
        info=lambda wc: json_arg(PLAN.tt_score_record(wc.ttlang, wc.recipe, int(wc.teacher))),
    conda:
        CONDA_ENV
    log:
        f"{TT}/logs/score_{{recipe}}_seed{{teacher}}.log",
    shell:
        "xlner score-projection --input {input.projected} --gold {input.gold} --output {output} "
        f"--field {{params.field}} --types {TYPES} --info {{params.info}} > {{log}} 2>&1"


# Teacher t's own tags on the original sentences: model transfer, the paper's MT column (decoded and scored like
# the learning curves' zero-shot runs).
use rule tt_score as tt_zero_shot with:
    input:
        projected=f"{TT}/tag/seed{{teacher}}/pairs.jsonl",
        gold=f"{TT}/data/test.conll",
    output:
        f"{TT}/zero-shot/seed{{teacher}}/metrics.json",
    params:
        field="tgt_label_probs",
        info=lambda wc: json_arg({"lang": wc.ttlang, "teacher": PLAN.teacher_record(int(wc.teacher))}),
    log:
        f"{TT}/logs/zero_shot_seed{{teacher}}.log",


rule translate_test:
    """The table: languages as rows, zero-shot and each projection recipe as columns (F1: the mean over the teachers,
    with their spread), averages."""
    input:
        [path for paths in PLAN.tt_cells().values() for path in paths or []],
    output:
        markdown=report(f"{RESULTS}/translate-test/table.md", caption="../report/translate_test.rst",
                        category="Translate-test"),
        tsv=f"{RESULTS}/translate-test/table.tsv",
    params:
        cells=" ".join(f"{lang}:{column}:{teacher}={path}" if path else f"{lang}:{column}=n/a"
                       for (lang, column), paths in PLAN.tt_cells().items()
                       for teacher, path in (zip(PLAN.teacher_seeds, paths) if paths else [(None, None)])),
        columns=" ".join(["zero-shot"] + PLAN.tt_columns),
        languages=" ".join(PLAN.tt_langs),
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/logs/translate_test.log",
    shell:
        "xlner translate-test-table --cells {params.cells} --columns {params.columns} --languages {params.languages} "
        "--tsv {output.tsv} --markdown {output.markdown} > {log} 2>&1"


rule translate_test_gaps:
    """xlner's recipes against the paper's, within this run: paired differences with sentence-bootstrap intervals."""
    input:
        predictions=[path for paths in PLAN.tt_predictions().values() for path in paths],
        gold=[f"{PLAN.tt_dir(lang)}/data/test.conll" for lang in PLAN.tt_langs],
    output:
        report(f"{RESULTS}/translate-test/gaps.tsv", caption="../report/translate_test_gaps.rst",
               category="Translate-test"),
    params:
        cells=" ".join(f"{lang}:{column}:{teacher}={path}" for (lang, column), paths in PLAN.tt_predictions().items()
                       for teacher, path in zip(PLAN.teacher_seeds, paths)),
        gold=" ".join(f"{lang}={PLAN.tt_dir(lang)}/data/test.conll" for lang in PLAN.tt_langs),
        families=" ".join(f"{name}={PLAN.recipe_family(name)}" for name in PLAN.tt_columns),
        resamples=config["curves"]["bootstrap"],
        seed=config["curves"]["seed"],
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/logs/translate_test_gaps.log",
    shell:
        "xlner translate-test-gaps --cells {params.cells} --gold {params.gold} --families {params.families} "
        f"--resamples {{params.resamples}} --seed {{params.seed}} --output {{output}} --types {TYPES} > {{log}} 2>&1"
