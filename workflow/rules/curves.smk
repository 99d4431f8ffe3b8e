# Learning curves: F1 vs training size per arm with bootstrap intervals (test sentences and seeds), the gap between
# each projection method and teacher-student, fitted curves with their checks and backtest, the crossover,
# gold-sentence equivalents, plots. Built only from the runs' metrics/predictions.


rule curves:
    input:
        metrics=PLAN.all_metrics(),
    output:
        curves=report(f"{RESULTS}/curves.tsv", caption="../report/curves.rst", category="Learning curves"),
        summary=report(f"{RESULTS}/summary.tsv", caption="../report/summary.rst", category="Learning curves"),
        gaps=report(f"{RESULTS}/gaps.tsv", caption="../report/gaps.rst", category="Learning curves"),
        fits=report(f"{RESULTS}/fits.tsv", caption="../report/fits.rst", category="Learning curves"),
        equivalents=report(f"{RESULTS}/equivalents.tsv", caption="../report/equivalents.rst",
                           category="Learning curves"),
        record=f"{RESULTS}/fits.json",
        page=report(f"{RESULTS}/summary.md", caption="../report/summary_md.rst", category="Learning curves"),
        plots=report(
            expand(f"{RESULTS}/plots/{{name}}.{{ext}}", name=[l for l in PLAN.langs if PLAN.has_test(l)] + ["overview"],
                   ext=["png", "svg"]),
            caption="../report/plots.rst",
            category="Learning curves",
        ),
        notes=f"{RESULTS}/notes.txt",
    params:
        runs=" ".join(PLAN.all_run_dirs()),
        no_test=" ".join(l for l in PLAN.langs if not PLAN.has_test(l)),
        settings=settings_arg(PLAN.curves()),
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/logs/curves.log",
    shell:
        f"xlner curves --runs {{params.runs}} --output {RESULTS} --settings {{params.settings}} "
        "--no-test {params.no_test} > {log} 2>&1"


rule recommend:
    """The answer at the largest configured size: arms ranked by expected F1 with intervals and caveats."""
    input:
        f"{RESULTS}/fits.json",
    output:
        report(f"{RESULTS}/{{lang}}/recommendation.md", caption="../report/recommendation.rst",
               category="Recommendation", labels={"language": "{lang}"}),
    params:
        budget=PLAN.recommendation_budget(),
        results=lambda wc, input: os.path.dirname(input[0]),
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/recommend.log",
    shell:
        "xlner recommend --results {params.results} --lang {wildcards.lang} --budget {params.budget} "
        "--output {output} > {log} 2>&1"


rule accounting:
    """Nothing silent: what each stage of one language dropped, truncated, split or relabelled, in one table."""
    input:
        unpack(lambda wc: PLAN.accounting_inputs(wc.lang)),
    output:
        report(
            f"{RESULTS}/{{lang}}/accounting.tsv",
            caption="../report/accounting.rst",
            category="Accounting",
            labels={"language": "{lang}"},
        ),
    params:
        stats=lambda wc, input: " ".join(f"{name}={path}" for name, path in input.items()),
    conda:
        CONDA_ENV
    log:
        f"{RESULTS}/{{lang}}/logs/accounting.log",
    shell:
        "xlner accounting --lang {wildcards.lang} --stats {params.stats} --output {output} > {log} 2>&1"
