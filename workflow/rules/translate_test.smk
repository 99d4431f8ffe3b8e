# Translate-test, the paper's own (intrinsic) experiment: target test sentences -> English -> labelled by the
# teacher -> aligned (directly, or through a labelled back-translation) -> projected back onto the original
# words -> scored against gold. Paths: results/translate-test/{lang}/...; the table: results/translate-test/.


rule tt_data:
    input:
        lambda wc: dataset_input(tt_config(wc.ttlang)["test"]),
    output:
        conll=f"{RESULTS}/translate-test/{{ttlang}}/data/test.conll",
        stats=f"{RESULTS}/translate-test/{{ttlang}}/data/test.stats.json",
    params:
        types=TYPES,
        dataset=lambda wc: dataset_args(tt_config(wc.ttlang)["test"]),
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/translate-test/{{ttlang}}/logs/data.log",
    shell:
        "xlner prepare {params.dataset} --output {output.conll} --stats {output.stats} --types {params.types} > {log} 2>&1"


rule tt_translate:
    """Target -> English; the English becomes the source side, the original words the target side."""
    input:
        test=f"{RESULTS}/translate-test/{{ttlang}}/data/test.conll",
        models=lambda wc: hub_inputs(TT["languages"][wc.ttlang]["mt"].get("model")),
    output:
        pairs=f"{RESULTS}/translate-test/{{ttlang}}/translate/pairs.jsonl",
        stats=f"{RESULTS}/translate-test/{{ttlang}}/translate/stats.json",
    params:
        mt=lambda wc: tt_config(wc.ttlang)["mt"],
        args=tt_translate_args,
    resources:
        gpu=lambda wc: int(tt_config(wc.ttlang)['mt']['backend'] == 'hf'),
        mem_mb=32000,
        runtime=240,
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/translate-test/{{ttlang}}/logs/translate.log",
    shell:
        "xlner translate --swap --input {input.test} --output {output.pairs} --stats {output.stats} {params.args} > {log} 2>&1"


rule tt_tag:
    """The teacher labels the English (src_tags) and tags the original sentence (its spans are the zero-shot
    prediction, the NER candidates, and with its probabilities the NER score)."""
    input:
        pairs=f"{RESULTS}/translate-test/{{ttlang}}/translate/pairs.jsonl",
        model=teacher_input(),
    output:
        pairs=f"{RESULTS}/translate-test/{{ttlang}}/tag/pairs.jsonl",
        stats=f"{RESULTS}/translate-test/{{ttlang}}/tag/stats.json",
    params:
        types=TYPES,
        model=teacher_args(),
    threads: 1
    resources:
        gpu=1,
        mem_mb=8000,
        runtime=60,
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/translate-test/{{ttlang}}/logs/tag.log",
    shell:
        "OMP_NUM_THREADS={threads} xlner tag --input {input.pairs} --output {output.pairs} --stats {output.stats} "
        "--side both {params.model} --types {params.types} > {log} 2>&1"


rule tt_back_translate:
    """The labelled English translated back into the target language with its entities marked."""
    input:
        pairs=f"{RESULTS}/translate-test/{{ttlang}}/tag/pairs.jsonl",
        models=lambda wc: hub_inputs((TT["languages"][wc.ttlang].get("back_translation") or {}).get("model")),
    output:
        pairs=f"{RESULTS}/translate-test/{{ttlang}}/backtranslate/pairs.jsonl",
        stats=f"{RESULTS}/translate-test/{{ttlang}}/backtranslate/translate.stats.json",
    params:
        types=TYPES,
        args=lambda wc: back_translation_args(tt_config(wc.ttlang)["back_translation"]),
    resources:
        gpu=lambda wc: int((tt_config(wc.ttlang).get('back_translation') or {}).get('backend') == 'hf'),
        mem_mb=16000,
        runtime=240,
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/translate-test/{{ttlang}}/logs/back_translate.log",
    shell:
        "xlner back-translate --input {input.pairs} --output {output.pairs} --stats {output.stats} --types {params.types} "
        "{params.args} > {log} 2>&1"


rule tt_align:
    input:
        translations=tt_align_pairs,
        encoder=align_input(),
    output:
        aligned=f"{RESULTS}/translate-test/{{ttlang}}/{{stage}}/alignments.jsonl",
        stats=f"{RESULTS}/translate-test/{{ttlang}}/{{stage}}/stats.json",
    wildcard_constraints:
        stage="align|backtranslate",
    params:
        **ALIGN_PARAMS,
        shard="",
    threads: 1
    resources:
        gpu=1,
        mem_mb=8000,
        runtime=120,
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/translate-test/{{ttlang}}/logs/{{stage}}.log",
    benchmark:
        f"{RESULTS}/translate-test/{{ttlang}}/benchmarks/{{stage}}.tsv"
    shell:
        ALIGN_SHELL


rule tt_project:
    input:
        aligned=tt_projection_input,
        models=lambda wc: nmt_input(wc.recipe),
    output:
        projected=f"{RESULTS}/translate-test/{{ttlang}}/project/{{recipe}}/projected.jsonl",
        stats=f"{RESULTS}/translate-test/{{ttlang}}/project/{{recipe}}/stats.json",
    params:
        args=lambda wc: project_args(wc.recipe, tt_config(wc.ttlang)["mt"].get("src_lang")),
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/translate-test/{{ttlang}}/logs/project_{{recipe}}.log",
    shell:
        "xlner project --input {input.aligned} {params.args} --output {output.projected} --stats {output.stats} > {log} 2>&1"


rule tt_score:
    input:
        projected=f"{RESULTS}/translate-test/{{ttlang}}/project/{{recipe}}/projected.jsonl",
        gold=f"{RESULTS}/translate-test/{{ttlang}}/data/test.conll",
    output:
        f"{RESULTS}/translate-test/{{ttlang}}/project/{{recipe}}/metrics.json",
    params:
        types=TYPES,
        info=lambda wc: as_json_arg({"lang": wc.ttlang, "recipe": wc.recipe, "settings": recipe(wc.recipe),
                                     "mt": tt_config(wc.ttlang)["mt"], "align": config["align"],
                                     "teacher": teacher_record(), "encoder": config["encoder"]}),
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/translate-test/{{ttlang}}/logs/score_{{recipe}}.log",
    shell:
        "xlner score-projection --input {input.projected} --gold {input.gold} --output {output} "
        "--types {params.types} --info {params.info} > {log} 2>&1"


rule tt_zero_shot:
    """The teacher's own tags on the original sentences: model transfer, the paper's MT column (word-wise argmax,
    scored like the learning curves' zero-shot runs)."""
    input:
        tagged=f"{RESULTS}/translate-test/{{ttlang}}/tag/pairs.jsonl",
        gold=f"{RESULTS}/translate-test/{{ttlang}}/data/test.conll",
    output:
        f"{RESULTS}/translate-test/{{ttlang}}/zero-shot/metrics.json",
    params:
        types=TYPES,
        info=lambda wc: as_json_arg({"lang": wc.ttlang, "teacher": teacher_record()}),
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/translate-test/{{ttlang}}/logs/zero_shot.log",
    shell:
        "xlner score-projection --input {input.tagged} --gold {input.gold} --output {output} --field tgt_label_probs "
        "--types {params.types} --info {params.info} > {log} 2>&1"


rule translate_test:
    """The table: languages as rows, zero-shot and each projection recipe as columns (F1), averages."""
    input:
        [path for path in tt_cells().values() if path],
    output:
        markdown=report(f"{RESULTS}/translate-test/table.md", caption="../report/translate_test.rst",
                        category="Translate-test"),
        tsv=f"{RESULTS}/translate-test/table.tsv",
    params:
        cells=" ".join(f"{lang}:{column}={path or 'n/a'}" for (lang, column), path in tt_cells().items()),
        columns=" ".join(["zero-shot"] + TT_COLUMNS),
        languages=" ".join(TT_LANGS),
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/logs/translate_test.log",
    shell:
        "xlner translate-test-table --cells {params.cells} --columns {params.columns} --languages {params.languages} "
        "--tsv {output.tsv} --markdown {output.markdown} > {log} 2>&1"
