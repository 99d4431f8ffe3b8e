"""Settings objects: they agree with the config schema field by field, defaults included, and the command line
reads them back the way a rule writes them."""
import json
from dataclasses import MISSING, asdict, fields
from pathlib import Path

import pytest
import yaml

from xlner import settings as S
from xlner.cli import build_parser, collect_settings
from xlner.errors import SettingsError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())


def schema_block(pointer):
    node = SCHEMA
    for part in pointer.strip("/").split("/"):
        node = node[part]
    return node


def default_of(item):
    return item.default_factory() if item.default_factory is not MISSING else item.default


@pytest.mark.parametrize("cls", list(S.SCHEMA_BLOCKS), ids=lambda cls: cls.__name__)
def test_settings_class_and_schema_block_agree_field_by_field(cls):
    properties = schema_block(S.SCHEMA_BLOCKS[cls])["properties"]
    own = [f for f in fields(cls) if f.name not in S.FILLED_BY_PLAN.get(cls, ())]
    assert sorted(f.name for f in own) == sorted(properties), f"{cls.__name__} vs {S.SCHEMA_BLOCKS[cls]}"
    for item in own:
        assert "default" in properties[item.name], f"{S.SCHEMA_BLOCKS[cls]}/{item.name} has no default"
        assert properties[item.name]["default"] == default_of(item), item.name


def test_unknown_or_bad_settings_name_the_key():
    with pytest.raises(SettingsError, match=r"unknown setting\(s\) \['layr'\]"):
        S.build(S.AlignSettings, {"layr": 8, "model": "m"})
    with pytest.raises(SettingsError, match="matching 'x' is not one of"):
        S.build(S.AlignSettings, {"matching": "x", "model": "m"})
    with pytest.raises(SettingsError, match="exactly one of `path` and `hf`"):
        S.build(S.DatasetSettings, {})
    with pytest.raises(SettingsError, match="not valid JSON"):
        S.from_json(S.KDSettings, "{loss: mse}")


def _settings_of(argv, dest="settings"):
    args = build_parser().parse_args(argv)
    options = {k: v for k, v in vars(args).items()}
    return collect_settings(options, dest, args.settings_classes[dest])


def test_a_rule_s_json_and_the_equivalent_options_give_the_same_settings():
    recipe = S.build(S.ProjectSettings, method="ngram", matcher="ilp", score="fused", max_len=None,
                     weights={"align": 0.25, "ner": 0.75})
    base = ["project", "--input", "a", "--output", "b"]
    from_json = _settings_of(base + ["--settings", S.to_json(recipe)])
    from_options = _settings_of(base + ["--method", "ngram", "--matcher", "ilp", "--score", "fused",
                                        "--weights", "align=0.25", "ner=0.75", "--max-len", "0"])
    assert from_json == recipe
    # --max-len 0 is a number, not "no limit": the option gives exactly what it says
    assert asdict(from_options) == {**asdict(recipe), "max_len": 0}
    # options override the JSON, field by field
    mixed = _settings_of(base + ["--settings", S.to_json(recipe), "--matcher", "greedy", "--only-i"])
    assert mixed == S.build(S.ProjectSettings, {**asdict(recipe), "matcher": "greedy", "only_i": True})


def test_an_aliased_field_option_and_a_dict_option():
    settings = _settings_of(["prepare", "--input", "x.tsv", "--scheme", "iob1", "--label-map", "MISC=O",
                             "--output", "o", "--stats", "s"])
    assert settings == S.DatasetSettings(path="x.tsv", scheme="iob1", label_map={"MISC": "O"})
    assert json.loads(S.to_json(settings))["label_map"] == {"MISC": "O"}


def test_train_steps_grow_with_data_between_min_and_max():
    settings = S.TrainSettings(epochs=2, min_steps=10, max_steps=50, batch_size=10)
    assert [settings.steps_for(n) for n in (10, 100, 1000)] == [10, 20, 50]


def test_the_configuration_reference_lists_every_setting():
    """docs/configuration.md has a row for each field of each settings class, under that class's heading."""
    sections = (ROOT / "docs/configuration.md").read_text().split("\n### ")
    for cls in S.SCHEMA_BLOCKS:
        section = next(s for s in sections if f"`{cls.__name__}`" in s.split("\n")[0])
        assert [f.name for f in fields(cls)] == [line.split("`")[1] for line in section.splitlines()
                                                  if line.startswith("| `")], cls.__name__
