"""Hostile input, table-driven: each case is answered through the `xlner` command line by a clear error naming the
file and line (exit code 2, no traceback, no output file), or handled and counted."""
import json
import shutil

import pytest

from xlner.cli import main

GOOD_ALIGNED = {"id": "0", "src_tokens": ["Angela", "Merkel", "spoke"], "src_tags": ["B-PER", "I-PER", "O"],
                "tgt_tokens": ["Angela", "Merkel", "habló"], "alignment": [[0, 0], [1, 1], [2, 2]]}


def _jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _prepare(content):
    def case(tmp):
        (tmp / "in.conll").write_bytes(content)
        return ["prepare", "--input", str(tmp / "in.conll"), "--output", str(tmp / "out.conll"),
                "--stats", str(tmp / "out.json"), "--scheme", "iob2"], "in.conll"
    return case


def _aligned(change):
    def case(tmp):
        _jsonl(tmp / "in.jsonl", [GOOD_ALIGNED, {**GOOD_ALIGNED, "id": "1", **change}])
        return ["project", "--input", str(tmp / "in.jsonl"), "--output", str(tmp / "out.jsonl"),
                "--conll", str(tmp / "out.conll")], "in.jsonl"
    return case


def _extra_translation(tmp):
    """A translation line whose sentence is not in the labelled source (a missing or extra line upstream)."""
    (tmp / "labels.conll").write_text("Angela\tB-PER\nMerkel\tI-PER\nspoke\tO\n\n")
    records = [{k: v for k, v in GOOD_ALIGNED.items() if k != "src_tags"}]
    _jsonl(tmp / "in.jsonl", records + [{**records[0], "id": "7"}])
    return ["project", "--input", str(tmp / "in.jsonl"), "--labels", str(tmp / "labels.conll"),
            "--output", str(tmp / "out.jsonl")], "in.jsonl"


def _empty_pool(tmp):
    (tmp / "in.txt").write_text("\n  \n\n")
    return ["unlabelled", "--input", str(tmp / "in.txt"), "--format", "text", "--output", str(tmp / "out.jsonl"),
            "--stats", str(tmp / "out.json")], "in.txt"


def _model_without_tokenizer(tiny_encoder):
    def case(tmp):
        model = tmp / "model"
        shutil.copytree(tiny_encoder, model)
        for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
            (model / name).unlink(missing_ok=True)
        (tmp / "in.txt").write_text("Angela Merkel spoke .\n")
        return ["predict", "--model", str(model), "--input", str(tmp / "in.txt"), "--output", str(tmp / "out.conll")], "model"
    return case


ERRORS = [
    ("wrong column count", _prepare(b"Paris\tB-LOC\nis O extra\n\n"), 2, "columns where earlier lines have 2"),
    ("unknown tag", _prepare(b"Paris\tB-CITY\n\n"), 1, "unknown entity class 'CITY'"),
    ("empty tag", _prepare(b"Paris\t\n\n"), 1, "empty tag"),
    ("orphan I- in IOB2", _prepare(b"in\tO\nParis\tI-LOC\n\n"), 2, "an I- tag must continue an entity"),
    ("non-UTF-8 bytes", _prepare(b"Par\xe9s\tB-LOC\n\n"), 1, "not valid UTF-8"),
    ("empty sentence pool", _empty_pool, None, "empty"),
    ("alignment index out of range", _aligned({"alignment": [[0, 0], [5, 1]]}), 2, "out of range"),
    ("empty sentence in aligned data", _aligned({"src_tokens": [], "src_tags": []}), 2, "out of range"),
    ("translation line with no source sentence", _extra_translation, 2, "has no matching sentence"),
]


@pytest.mark.parametrize("name,make,line,message", ERRORS, ids=[e[0] for e in ERRORS])
def test_hostile_input_is_a_clear_error_with_no_output(tmp_path, capsys, name, make, line, message):
    argv, culprit = make(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert culprit in err and (line is None or f"{culprit}:{line}:" in err)
    assert not [p for p in tmp_path.rglob("out*")], "partial output left behind"


def test_model_directory_without_tokenizer(tmp_path, capsys, tiny_encoder):
    argv, culprit = _model_without_tokenizer(tiny_encoder)(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "no tokenizer in this model directory" in err and culprit in err and "Traceback" not in err
    assert not (tmp_path / "out.conll").exists()


def test_sentence_of_2000_tokens_gets_a_tag_for_every_word(tmp_path, tiny_encoder):
    (tmp_path / "in.txt").write_text(" ".join(["Lima"] * 2000) + "\n")
    assert main(["predict", "--model", str(tiny_encoder), "--input", str(tmp_path / "in.txt"),
                 "--output", str(tmp_path / "out.conll")]) == 0
    lines = [l for l in (tmp_path / "out.conll").read_text().splitlines() if l]
    assert len(lines) == 2000 and all(l.startswith("Lima\t") for l in lines)


def test_translation_missing_a_line_is_counted_by_training(tmp_path, tiny_encoder):
    _jsonl(tmp_path / "projected.jsonl", [{"id": str(i), "tgt_tokens": ["Angela", "Merkel", "habló"],
                                           "tgt_tags": ["B-PER", "I-PER", "O"]} for i in (0, 1, 3)])
    (tmp_path / "ids.txt").write_text("0\n1\n2\n3\n")  # sentence 2 failed translation upstream
    settings = json.dumps({"min_steps": 2, "max_steps": 2, "batch_size": 2, "max_length": 16})
    assert main(["train", "--train", str(tmp_path / "projected.jsonl"), "--ids", str(tmp_path / "ids.txt"),
                 "--encoder", str(tiny_encoder), "--output", str(tmp_path / "model"), "--settings", settings]) == 0
    record = json.loads((tmp_path / "model/xlner_train.json").read_text())
    assert record["sentences_requested"] == 4 and record["sentences_missing_upstream"] == 1
    assert record["sentences"] == 3
