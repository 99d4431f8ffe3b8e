"""Pieces of the paper-scale path: shards and gather, scripts without spaces, offline jobs, Hub snapshots."""
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from xlner.formats.conll import Sentence, write_conll
from xlner.formats.words import split_characters
from xlner.models.hub import fetched_record
from xlner.settings import MTSettings
from xlner.stages.data import gather, shard_of
from xlner.stages.mt import translate


def test_round_robin_shards_gather_back_in_order_with_summed_statistics(tmp_path):
    lines = [{"id": str(i), "src_tokens": [f"w{i}"], "tgt_tokens": [f"v{i}"]} for i in range(11)]
    paths, stats = [], []
    for k in range(3):
        part = shard_of(lines, f"{k}/3")
        assert part == lines[k::3]
        path = tmp_path / f"{k}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in part))
        paths.append(path)
        stats.append(tmp_path / f"{k}.json")
        stats[-1].write_text(json.dumps({"sentences": len(part), "failed_ids": [f"x{k}"], "mt": {"mode": "m"}}))
    gather(paths, tmp_path / "all.jsonl", stats, tmp_path / "all.json")
    merged = [json.loads(line) for line in (tmp_path / "all.jsonl").read_text().splitlines()]
    assert merged == lines
    total = json.loads((tmp_path / "all.json").read_text())
    assert total == {"sentences": 11, "failed_ids": ["x0", "x1", "x2"], "mt": {"mode": "m"}, "shards": 3}


def test_characters_for_scripts_without_spaces():
    assert split_characters("東京でNHKの3.5万人") == ["東", "京", "で", "NHK", "の", "3.5", "万", "人"]
    assert split_characters("กรุงเทพ BTS") == ["ก", "ร", "ุ", "ง", "เ", "ท", "พ", "BTS"]


@pytest.mark.apertium("spa-eng")
def test_translate_test_joins_words_without_spaces_for_such_languages(tmp_path):
    """--swap --no-whitespace: the target sentence is glued before MT (here Apertium, which passes CJK through)."""
    write_conll(tmp_path / "test.conll", [Sentence(["東", "京"], ["B-LOC", "I-LOC"], id="0")])
    translate(tmp_path / "test.conll", tmp_path / "out.jsonl", tmp_path / "s.json",
              MTSettings(backend="apertium", mode="spa-eng"), swap=True, whitespace=False)
    record = json.loads((tmp_path / "out.jsonl").read_text())
    assert record["src_text"].strip() == "東京" and record["tgt_tokens"] == ["東", "京"]


def test_jobs_run_with_the_hub_off_when_models_are_snapshotted(tmp_path):
    line = {"id": "0", "src_tokens": ["a"], "tgt_tokens": ["a"]}
    (tmp_path / "in.jsonl").write_text(json.dumps(line) + "\n")
    env = {**os.environ, "XLNER_HUB_OFFLINE": "1"}
    env.pop("HF_HUB_OFFLINE", None)
    done = subprocess.run([sys.executable, "-m", "xlner", "tag", "--input", str(tmp_path / "in.jsonl"), "--output",
                           str(tmp_path / "out.jsonl"), "--stats", str(tmp_path / "s.json"), "--model",
                           "no-such-org/no-such-model", "--side", "tgt"], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode != 0 and not (tmp_path / "out.jsonl").exists()
    assert "offline" in done.stderr.lower()  # refused locally, never a download attempt from a compute node


def test_fetch_record_identifies_a_snapshot(tmp_path):
    assert fetched_record(tmp_path) is None
    (tmp_path / "xlner-fetch.json").write_text(json.dumps({"id": "org/m", "revision": "main", "commit": "abc"}))
    assert fetched_record(tmp_path)["commit"] == "abc"


def test_paper_config_is_valid_and_complete():
    import yaml

    from xlner.config import load_schema, validate_config

    paper = yaml.safe_load((ROOT / "config/paper.yaml").read_text())
    validate_config(paper, load_schema(ROOT / "workflow/schemas/config.schema.yaml"))
    codes = {lang: spec["mt"]["tgt_lang"] for lang, spec in paper["languages"].items()}
    assert codes["swa"] == "swh_Latn" and codes["zh"] == "zho_Hans" and codes["ar"] == "arb_Arab"
    assert codes["fa"] == "pes_Arab" and codes["ms"] == "zsm_Latn" and codes["my"] == "mya_Mymr"
    assert {lang for lang, spec in paper["languages"].items() if spec.get("whitespace") is False} == {"ja", "th", "zh"}
    assert not {"bbj", "pcm"} & set(paper["languages"])  # NLLB-200 does not cover them (paper.md §4.1)
    assert paper["teacher"]["model"] == "FacebookAI/xlm-roberta-large-finetuned-conll03-english"
