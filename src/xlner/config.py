"""Config validation with messages that name the offending key."""
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator


class ConfigError(ValueError):
    pass


def load_schema(path):
    return yaml.safe_load(Path(path).read_text())


def validate_config(config, schema):
    """Raise ConfigError listing every problem as `key.path: message`."""
    validator = Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path))):
        key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        problems.append(f"config key {key}: {error.message}")
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    return config
