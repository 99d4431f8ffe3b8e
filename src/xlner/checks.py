"""`xlner check-config`: config files checked as the workflow will check them, with the file and line of each
problem (the workflow does the same in workflow/rules/common.smk)."""
from xlner.config import check_config_file, load_schema, validate_config
from xlner.plan import Plan


def check_config_files(configs, schema):
    """What Snakemake does with `--configfile`, with the file and line of every problem: each file read strictly
    (YAML syntax, duplicate keys), overlays (files without `languages`) read over config.yaml as the Snakefile
    does, then the schema, the recipes and the inputs. Snakemake itself reads config files before any xlner code
    runs and says only "not valid JSON or YAML" for a syntax error; this command names the line."""
    merged = {}
    files = [str(c) for c in configs]
    if not any("languages" in (check_config_file(c) or {}) for c in files):
        files.insert(0, "config.yaml")
    for path in files:
        _update(merged, check_config_file(path) or {})
    Plan(validate_config(merged, load_schema(schema))).check_inputs()
    print(f"{', '.join(files)}: the configuration is valid")


def _update(config, overlay):
    """Snakemake's merge of config files: nested mappings merged key by key, anything else replaced."""
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            _update(config[key], value)
        else:
            config[key] = value
