"""Config validation with messages that name the offending key: the schema, unknown keys (with the key probably
meant), duplicate keys in the YAML files, and what a run will need (files, folders) checked before any job."""
import difflib
import os
import re
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from xlner.errors import ConfigError, quote


def load_schema(path):
    return yaml.safe_load(Path(path).read_text())


def validate_config(config, schema):
    """Raise ConfigError listing every problem as `config key a.b.c: problem`."""
    validator = Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path))):
        key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        problems += [f"config key {key}: {problem}" for problem in _explain(error)]
    problems += _check_results(config.get("results", "results"))
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    return config


def _explain(error):
    """jsonschema's message, or for an unknown key the key and the one probably meant."""
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return [error.message]
    known = list(error.schema.get("properties", {}))
    out = []
    for key in sorted(set(error.instance) - set(known), key=str):
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        out.append(f"unknown key {quote(key)}" + (f" (did you mean {close[0]!r}?)" if close else
                                                     f" (known: {', '.join(known)})"))
    return out or [error.message]


def _check_results(results):
    if not isinstance(results, str):
        return []  # the schema reports the type
    if not results.strip() or re.search(r"\s", results):
        return [f"config key results: {quote(results)} must be a folder name without spaces"]
    if os.path.abspath(results) == os.path.abspath(os.sep):
        return [f"config key results: {quote(results)} is the filesystem root"]
    return []


class _StrictLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice in one mapping (PyYAML keeps the last one silently)."""


def _mapping(loader, node, deep=False):
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConfigError(f"{loader.name}:{key_node.start_mark.line + 1}: duplicate key {key!r} (first on line "
                              f"{seen[key]})")
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def check_config_file(path):
    """Read one config file strictly: a YAML syntax error or a duplicate key names the file and line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the config file ({getattr(error, 'strerror', None) or error})") from None
    loader = _StrictLoader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{line}: not valid YAML: {error.problem or error.context}") from None
    finally:
        loader.dispose()
