# Word alignment of each English sentence with its translation.


rule align:
    input:
        translations=f"{RESULTS}/{{lang}}/translate/translations.jsonl",
        encoder=encoder_input(),
    output:
        aligned=f"{RESULTS}/{{lang}}/align/alignments.jsonl",
        stats=f"{RESULTS}/{{lang}}/align/stats.json",
    params:
        align=config["align"],
        encoder=lambda wc: ENCODER,
        implementation=config["align"].get("implementation", "batched"),
        batch_size=config["align"].get("batch_size", 64),
        threshold=config["align"].get("threshold", 0.001),
    threads: 1
    priority: 10  # on the critical path: everything downstream waits for it
    conda:
        "../../envs/xlner.yaml"
    log:
        f"{RESULTS}/{{lang}}/logs/align.log",
    benchmark:
        f"{RESULTS}/{{lang}}/benchmarks/align.tsv"
    shell:
        "OMP_NUM_THREADS={threads} xlner align --input {input.translations} --output {output.aligned} "
        "--stats {output.stats} --model {params.encoder} --layer {params.align[layer]} "
        "--matching {params.align[matching]} --implementation {params.implementation} "
        "--batch-size {params.batch_size} --aligner {params.align[aligner]} --threshold {params.threshold} "
        "> {log} 2>&1"
