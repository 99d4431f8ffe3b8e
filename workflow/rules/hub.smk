# Hub snapshots (`hub.snapshot: true`): each Hugging Face model named in config is downloaded once, on the
# submit host, with its resolved commit recorded; every other job reads the local copy with the Hub off.


rule fetch_model:
    output:
        directory(f"{PLAN.hub_dir}/models/{{model_id}}"),
    wildcard_constraints:
        model_id=r"[^/]+(/[^/]+)?",
    params:
        revision=lambda wc: f"--revision {shlex.quote(r)}" if (r := PLAN.hub_revision(wc.model_id)) else "",
    localrule: True
    conda:
        CONDA_ENV
    log:
        f"{PLAN.hub_dir}/logs/{{model_id}}.log",
    shell:
        "xlner fetch-model --id {wildcards.model_id} --output {output} {params.revision} > {log} 2>&1"


rule fetch_models:
    """Every Hub model of the configuration: run this where there is internet (a cluster's login node)."""
    input:
        [PLAN.hub_path(model) for model in PLAN.all_hub_models()],
    localrule: True
