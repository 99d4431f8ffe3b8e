"""Hostile input, table-driven, through the `xlner` command line: each bad input is a clear error naming the file
and line (or the option or key) with exit code 2, no traceback and no output left behind; each accepted oddity
(a byte-order mark, old-Mac line ends) is read right. One row per case, grouped by class (issue 15)."""
import json
import shutil

import pytest

from xlner.cli import main

GOOD_ALIGNED = {"id": "0", "src_tokens": ["Angela", "Merkel", "spoke"], "src_tags": ["B-PER", "I-PER", "O"],
                "tgt_tokens": ["Angela", "Merkel", "habló"], "alignment": [[0, 0], [1, 1], [2, 2]]}
GOOD_SOFT = {"id": "0", "words": ["Ana", "canta"], "labels": ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"],
             "probs": [[0.1, 0.9, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0]]}
HUGE = "x" * 10_000_000


def _jsonl(path, records):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


# --- case builders: each returns (argv, the file or option the message must name) ---------------------------

def prepare(content, extra=()):
    def case(tmp):
        (tmp / "in.conll").write_bytes(content)
        return ["prepare", "--input", str(tmp / "in.conll"), "--output", str(tmp / "out.conll"),
                "--stats", str(tmp / "out.json"), "--scheme", "iob2", *extra], "in.conll"
    return case


def aligned(change, extra=()):
    def case(tmp):
        second = change if isinstance(change, str) else json.dumps({**GOOD_ALIGNED, "id": "1", **change})
        _jsonl(tmp / "in.jsonl", [GOOD_ALIGNED, second])
        return ["project", "--input", str(tmp / "in.jsonl"), "--output", str(tmp / "out.jsonl"),
                "--conll", str(tmp / "out.conll"), "--stats", str(tmp / "out.json"), *extra], "in.jsonl"
    return case


def soft(change):
    def case(tmp):
        _jsonl(tmp / "soft.jsonl", [GOOD_SOFT, {**GOOD_SOFT, "id": "1", **change}])
        return ["train-distilled", "--soft", str(tmp / "soft.jsonl"), "--encoder", "no/such-model",
                "--output", str(tmp / "out")], "soft.jsonl"
    return case


def jsonl_bytes(content):
    def case(tmp):
        (tmp / "pool.jsonl").write_bytes(content)
        return ["subset", "--pool", str(tmp / "pool.jsonl"), "--size", "1", "--seed", "1",
                "--output", str(tmp / "out.txt")], "pool.jsonl"
    return case


def unlabelled(content, fmt="text", extra=()):
    def case(tmp):
        (tmp / "in.txt").write_bytes(content)
        return ["unlabelled", "--input", str(tmp / "in.txt"), "--format", fmt, "--output", str(tmp / "out.jsonl"),
                "--stats", str(tmp / "out.json"), *extra], "in.txt"
    return case


def subset(pool_lines, size="2", ids=None):
    def case(tmp):
        _jsonl(tmp / "pool.jsonl", pool_lines)
        return ["subset", "--pool", str(tmp / "pool.jsonl"), "--size", size, "--seed", "1",
                "--output", str(tmp / "out.txt")], "pool.jsonl" if ids is None else ids
    return case


def accounting_with(content):
    def case(tmp):
        (tmp / "stats.json").write_text(content)
        return ["accounting", "--lang", "es", "--stats", f"translate={tmp / 'stats.json'}",
                "--output", str(tmp / "out.tsv")], "stats.json"
    return case


def naming(make, culprit):
    """A case whose message names an option or key rather than the file."""
    def case(tmp):
        return make(tmp)[0], culprit
    return case


def argv_only(argv, culprit):
    def case(tmp):
        return [a.replace("TMP", str(tmp)) for a in argv], culprit
    return case


def train_ids(ids_text):
    def case(tmp):
        _jsonl(tmp / "p.jsonl", [{"id": str(i), "tgt_tokens": ["Ana"], "tgt_tags": ["B-PER"]} for i in range(3)])
        (tmp / "ids.txt").write_text(ids_text)
        return ["train", "--train", str(tmp / "p.jsonl"), "--ids", str(tmp / "ids.txt"), "--encoder", "no/such",
                "--output", str(tmp / "out")], "ids.txt"
    return case


def output_blocked_by_a_file(tmp):
    (tmp / "blocker").write_text("a file, not a folder")
    _jsonl(tmp / "in.jsonl", [GOOD_ALIGNED])
    return ["project", "--input", str(tmp / "in.jsonl"), "--output", str(tmp / "out.jsonl"),
            "--stats", str(tmp / "blocker" / "out.json")], "blocker"


def model_without_config(tmp):
    (tmp / "model").mkdir()
    (tmp / "model" / "weights.bin").write_bytes(b"0")
    (tmp / "in.txt").write_text("Ana canta .\n")
    return ["predict", "--model", str(tmp / "model"), "--input", str(tmp / "in.txt"), "--output",
            str(tmp / "out.conll")], "no config.json"


# name, case, expected line (None: no line), words the message holds
CASES = [
    # 1. failures that used to end in a Python traceback
    ("missing --input file", argv_only(["prepare", "--input", "TMP/nope.conll", "--scheme", "iob2", "--output",
                                        "TMP/out.conll", "--stats", "TMP/out.json"], "nope.conll"), None, "no such file"),
    ("input is a directory", argv_only(["unlabelled", "--input", "TMP", "--format", "text", "--output",
                                        "TMP/out.jsonl", "--stats", "TMP/out.json"], "TMP"), None, "is a directory"),
    ("output parent is a file", output_blocked_by_a_file, None, "is a file, not a folder"),
    ("model directory without config.json", model_without_config, None, "not a model directory"),
    ("truncated stats JSON", accounting_with('{"sentences": 10, "fail'), 1, "not valid JSON"),
    ("stats JSON that is a list", accounting_with("[1, 2]"), None, "expected a JSON object"),
    ("subset larger than its pool", subset([{"id": "a"}, {"id": "b"}], size="5"), None,
     "5 sentences was asked from a pool of 2"),
    ("subset size not a number", naming(subset([{"id": "a"}], size="ten"), "--size"), None, "--size"),
    ("missing predictions file", argv_only(["curves", "--runs", "TMP/run", "--output", "TMP/out"], "metrics.json"),
     None, "no such file"),
    # 2. encodings and line ends (refused cases; accepted ones are below)
    ("Latin-1 byte in CoNLL", prepare(b"Par\xeds\tB-LOC\n\n"), 1, "not valid UTF-8"),
    ("Latin-1 byte in raw text", unlabelled(b"ok\nLa\xf1a\n"), 2, "not valid UTF-8"),
    ("Latin-1 byte in JSONL", jsonl_bytes(b'{"id": "0", "words": ["Espa\xf1a"]}\n'), 1, "not valid UTF-8"),
    ("UTF-16 file", prepare("Paris\tB-LOC\n\n".encode("utf-16")), 1, "not valid UTF-8"),
    # 3. aligned JSONL and soft labels are checked, not trusted
    ("lower-case tag", aligned({"src_tags": ["b-per", "I-PER", "O"]}), 2, "not an IOB2 tag"),
    ("bare class as tag", aligned({"src_tags": ["PER", "PER", "O"]}), 2, "not an IOB2 tag"),
    ("tag of an unknown class", aligned({"src_tags": ["B-CITY", "O", "O"]}), 2, "CITY is not one of the entity"),
    ("true as an index", aligned({"alignment": [[0, 0], [True, 1]]}), 2, "pair of integers"),
    ("null tokens", aligned({"tgt_tokens": None}), 2, "field tgt_tokens is null"),
    ("tags and tokens of different lengths", aligned({"src_tags": ["B-PER", "O"]}), 2, "2 src_tags for 3 src_tokens"),
    ("duplicate sentence id", aligned({"id": "0"}), 2, "duplicate id '0' (first on line 1)"),
    ("deeply nested line", aligned("[" * 100_000 + "]" * 100_000), 2, "nested too deeply"),
    ("a JSON list, not an object", aligned("[1, 2, 3]"), 2, "not a JSON object"),
    ("number as a token", aligned({"tgt_tokens": ["Angela", 7, "habló"]}), 2, "not a non-empty string"),
    ("alignment index out of range", aligned({"alignment": [[0, 0], [5, 1]]}), 2, "out of range"),
    ("empty sentence in aligned data", aligned({"src_tokens": [], "src_tags": []}), 2, "out of range"),
    ("soft label NaN", soft({"probs": [[float("nan")] * 7, [1, 0, 0, 0, 0, 0, 0]]}), 2, "not a probability"),
    ("soft label above 1", soft({"probs": [[1.5, -0.5, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0]]}), 2,
     "not a probability"),
    ("soft label vector too short", soft({"probs": [[0.5, 0.5], [1, 0]]}), 2, "2 entries for 7 labels"),
    ("soft labels not summing to 1", soft({"probs": [[0.5, 0.4, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0]]}), 2,
     "sum to 0.900000, not 1"),
    ("soft labels for fewer words", soft({"probs": [[1, 0, 0, 0, 0, 0, 0]]}), 2, "1 probability vectors for 2 words"),
    ("soft label list with a bad tag", soft({"labels": ["O", "PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]}),
     2, "not an IOB2 tag"),
    # 4. several outputs: a failure leaves none of them (the stats path is blocked after the projection is made)
    ("second output fails", output_blocked_by_a_file, None, "blocker"),
    ("translation line with no source sentence", lambda tmp: _extra_translation(tmp), 2, "has no matching sentence"),
    ("third output fails", lambda tmp: _third_output_blocked(tmp), None, "is a file, not a folder"),
    # 5. numbers and lists that make no sense
    ("max-sentences 0", naming(prepare(b"Paris\tB-LOC\n\n", ["--max-sentences", "0"]), "max_sentences"), None, "max_sentences"),
    ("subset size 0", naming(subset([{"id": "a"}], size="0"), "--size"), None, "--size"),
    ("subset size negative", naming(subset([{"id": "a"}], size="-3"), "--size"), None, "--size"),
    ("label map to a class outside the types", naming(prepare(b"Paris\tB-LOC\n\n", ["--label-map", "LOC=CITY"]), "label_map"), None,
     "label_map maps LOC to 'CITY'"),
    ("duplicate entity types", naming(prepare(b"Paris\tB-LOC\n\n", ["--types", "PER,LOC,PER"]), "--types"), None, "--types"),
    ("duplicate ids in a pool", subset([{"id": "a"}, {"id": "b"}, {"id": "a"}]), 3, "duplicate id 'a'"),
    ("repeated id in a subset file", train_ids("0\n1\n0\n"), 3, "repeats line 1"),
    ("max-sentences negative", naming(unlabelled(b"ok\n", extra=["--max-sentences", "-1"]), "max_sentences"), None, "max_sentences"),
    # 6. settings that are not settings
    ("unknown setting key", argv_only(["align", "--input", "TMP/a", "--output", "TMP/out", "--stats", "TMP/s",
                                       "--settings", '{"layr": 8}'], "layr"), None, "unknown setting"),
    ("settings not JSON", argv_only(["align", "--input", "TMP/a", "--output", "TMP/out", "--stats", "TMP/s",
                                     "--settings", "{layer: 8}"], "--settings"), None, "not valid JSON"),
    ("setting out of its choices", argv_only(["align", "--input", "TMP/a", "--output", "TMP/out", "--stats",
                                              "TMP/s", "--matching", "x", "--model", "m"], "matching"), None,
     "is not one of"),
    # 7. CoNLL files
    ("wrong column count", prepare(b"Paris\tB-LOC\nis O extra\n\n"), 2, "columns where earlier lines have 2"),
    ("unknown tag", prepare(b"Paris\tB-CITY\n\n"), 1, "unknown entity class 'CITY'"),
    ("empty tag", prepare(b"Paris\t\n\n"), 1, "empty tag"),
    ("orphan I- in IOB2", prepare(b"in\tO\nParis\tI-LOC\n\n"), 2, "an I- tag must continue an entity"),
    ("empty sentence pool", unlabelled(b"\n  \n\n"), None, "empty"),
    ("a 10 MB line is quoted short", prepare(b"Paris\tB-LOC\n" + HUGE.encode() + b" a b\n\n"), 2, "characters)"),
    ("a 10 MB tag is quoted short", aligned({"src_tags": [HUGE, "O", "O"]}), 2, "characters)"),
]


def _extra_translation(tmp):
    """A translation line whose sentence is not in the labelled source (a missing or extra line upstream)."""
    (tmp / "labels.conll").write_text("Angela\tB-PER\nMerkel\tI-PER\nspoke\tO\n\n")
    records = [{k: v for k, v in GOOD_ALIGNED.items() if k != "src_tags"}]
    _jsonl(tmp / "in.jsonl", records + [{**records[0], "id": "7"}])
    return ["project", "--input", str(tmp / "in.jsonl"), "--labels", str(tmp / "labels.conll"),
            "--output", str(tmp / "out.jsonl"), "--stats", str(tmp / "out.json")], "in.jsonl"


def _third_output_blocked(tmp):
    (tmp / "blocker").write_text("")
    _jsonl(tmp / "in.jsonl", [GOOD_ALIGNED])
    return ["project", "--input", str(tmp / "in.jsonl"), "--output", str(tmp / "out.jsonl"), "--conll",
            str(tmp / "out.conll"), "--stats", str(tmp / "blocker" / "s.json")], "blocker"


@pytest.mark.parametrize("name,make,line,message", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_a_located_error_with_no_output(tmp_path, capsys, name, make, line, message):
    argv, culprit = make(tmp_path)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err[-2000:]
    culprit = culprit.replace("TMP", str(tmp_path))
    assert culprit in err and (line is None or f"{culprit}:{line}:" in err), err[-2000:]
    assert len(err) < 1500, "the message quotes too much"
    after = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    assert after == before, f"output left behind: {sorted(set(after) - set(before))}"


# --- inputs that are accepted, and read right ------------------------------------------------------------------

@pytest.mark.parametrize("content", [b"\xef\xbb\xbfParis\tB-LOC\nis\tO\n\n", b"\xef\xbb\xbf-DOCSTART- -X- O O\n\nParis\tB-LOC\n\n",
                                     b"Paris\tB-LOC\ris\tO\r\rLima\tB-LOC\r", b"Paris\tB-LOC\r\nis\tO\r\n\r\nLima\tB-LOC\r\n"],
                         ids=["byte-order mark", "byte-order mark before -DOCSTART-", "old-Mac CR line ends", "CRLF"])
def test_odd_but_readable_conll_is_read_right(tmp_path, content):
    (tmp_path / "in.conll").write_bytes(content)
    assert main(["prepare", "--input", str(tmp_path / "in.conll"), "--output", str(tmp_path / "out.conll"),
                 "--stats", str(tmp_path / "s.json")]) == 0
    first = (tmp_path / "out.conll").read_text().splitlines()[0]
    assert first == "Paris\tB-LOC"
    stats = json.loads((tmp_path / "s.json").read_text())
    assert stats["sentences"] == content.replace(b"-DOCSTART- -X- O O", b"").count(b"LOC") and stats["entities"]


@pytest.mark.parametrize("reader", ["unlabelled text", "unlabelled conll", "subset ids"])
def test_every_reader_drops_the_byte_order_mark_and_reads_cr_line_ends(tmp_path, reader):
    if reader == "subset ids":
        (tmp_path / "pool.jsonl").write_bytes(b'\xef\xbb\xbf{"id": "a"}\r{"id": "b"}\r')
        assert main(["subset", "--pool", str(tmp_path / "pool.jsonl"), "--size", "all", "--seed", "1",
                     "--output", str(tmp_path / "ids.txt")]) == 0
        assert (tmp_path / "ids.txt").read_text() == "a\nb\n"
        return
    fmt = reader.split()[1]
    content = b"\xef\xbb\xbfParis es bonita\rLima\r" if fmt == "text" else b"\xef\xbb\xbfNew York\tB-LOC\rcity\tO\r\rLima\r"
    (tmp_path / "in").write_bytes(content)
    assert main(["unlabelled", "--input", str(tmp_path / "in"), "--format", fmt, "--output",
                 str(tmp_path / "p.jsonl"), "--stats", str(tmp_path / "s.json")]) == 0
    words = [json.loads(line)["words"] for line in (tmp_path / "p.jsonl").read_text().splitlines()]
    # a tab-separated token keeps its spaces (it used to be cut at the first one)
    assert words == ([["Paris", "es", "bonita"], ["Lima"]] if fmt == "text" else [["New York", "city"], ["Lima"]])


def test_a_bug_is_not_called_bad_input(tmp_path, capsys, monkeypatch):
    """An unexpected exception inside a stage exits 1 with a pointer to --debug; --debug shows the traceback."""
    import xlner.stages.data as data

    def planted_bug(*args, **kwargs):
        return {}["no such key"]

    monkeypatch.setattr(data, "subset", planted_bug)
    argv = ["subset", "--pool", str(tmp_path / "p.jsonl"), "--size", "1", "--seed", "1", "--output",
            str(tmp_path / "o.txt")]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "internal error (KeyError" in err and "--debug" in err and "Traceback" not in err
    assert main(["--debug", *argv]) == 1
    assert "Traceback" in capsys.readouterr().err


# --- models: a writer never produces NaN, a trainer never saves a diverged model -----------------------------

def test_model_directory_without_tokenizer(tmp_path, capsys, tiny_encoder):
    model = tmp_path / "model"
    shutil.copytree(tiny_encoder, model)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        (model / name).unlink(missing_ok=True)
    (tmp_path / "in.txt").write_text("Angela Merkel spoke .\n")
    assert main(["predict", "--model", str(model), "--input", str(tmp_path / "in.txt"),
                 "--output", str(tmp_path / "out.conll")]) == 2
    err = capsys.readouterr().err
    assert "no tokenizer in this model directory" in err and "model" in err and "Traceback" not in err
    assert not (tmp_path / "out.conll").exists()


def test_soft_labels_of_a_word_without_sub_tokens_are_o_not_nan(tmp_path, tiny_encoder):
    """A control character is no sub-token at all: its word gets O for sure, and is counted."""
    _jsonl(tmp_path / "pool.jsonl", [{"id": "0", "words": ["Ana", "\x07", "canta"]}])
    assert main(["soft-labels", "--pool", str(tmp_path / "pool.jsonl"), "--model", str(tiny_encoder),
                 "--output", str(tmp_path / "soft.jsonl"), "--stats", str(tmp_path / "s.json")]) == 0
    line = json.loads((tmp_path / "soft.jsonl").read_text())
    assert line["probs"][1] == [1.0, 0, 0, 0, 0, 0, 0]
    assert json.loads((tmp_path / "s.json").read_text())["words_without_subtokens_set_to_O"] == 1


def test_training_that_diverges_stops_with_an_error(tmp_path, capsys, tiny_encoder):
    _jsonl(tmp_path / "p.jsonl", [{"id": str(i), "tgt_tokens": ["Ana", "canta"], "tgt_tags": ["B-PER", "O"]}
                                  for i in range(4)])
    settings = json.dumps({"min_steps": 3, "max_steps": 3, "batch_size": 2, "max_length": 16, "learning_rate": 1e30,
                           "max_grad_norm": 1e30, "warmup_ratio": 0.0})
    assert main(["train", "--train", str(tmp_path / "p.jsonl"), "--encoder", str(tiny_encoder),
                 "--output", str(tmp_path / "model"), "--settings", settings]) == 2
    assert "training diverged" in capsys.readouterr().err and not (tmp_path / "model").exists()


def test_sentence_of_2000_tokens_gets_a_tag_for_every_word(tmp_path, tiny_encoder):
    (tmp_path / "in.txt").write_text(" ".join(["Lima"] * 2000) + "\n")
    assert main(["predict", "--model", str(tiny_encoder), "--input", str(tmp_path / "in.txt"),
                 "--output", str(tmp_path / "out.conll")]) == 0
    lines = [line for line in (tmp_path / "out.conll").read_text().splitlines() if line]
    assert len(lines) == 2000 and all(line.startswith("Lima\t") for line in lines)


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


# Every command that reads a file, given one that is not there: exit 2 naming it, no traceback, nothing written.
MISSING = {
    "prepare": ["--input", "MISSING", "--output", "TMP/out.conll", "--stats", "TMP/out.json"],
    "label": ["--input", "MISSING", "--output", "TMP/out.conll", "--stats", "TMP/out.json"],
    "unlabelled": ["--input", "MISSING", "--format", "conll", "--output", "TMP/out.jsonl", "--stats", "TMP/out.json"],
    "subset": ["--pool", "MISSING", "--size", "1", "--seed", "1", "--output", "TMP/out.txt"],
    "gather": ["--inputs", "MISSING", "--output", "TMP/out.jsonl"],
    "translate": ["--input", "MISSING", "--output", "TMP/out.jsonl", "--stats", "TMP/out.json", "--mode", "eng-spa"],
    "back-translate": ["--input", "MISSING", "--output", "TMP/out.jsonl", "--stats", "TMP/out.json", "--mode", "eng-spa"],
    "align": ["--input", "MISSING", "--output", "TMP/out.jsonl", "--stats", "TMP/out.json", "--model", "no/such"],
    "tag": ["--input", "MISSING", "--output", "TMP/out.jsonl", "--stats", "TMP/out.json", "--model", "no/such",
            "--side", "tgt"],
    "project": ["--input", "MISSING", "--output", "TMP/out.jsonl"],
    "score-projection": ["--input", "MISSING", "--gold", "MISSING", "--output", "TMP/out.json"],
    "translate-test-table": ["--cells", "es:heuristic=MISSING", "--columns", "heuristic", "--languages", "es",
                             "--tsv", "TMP/out.tsv", "--markdown", "TMP/out.md"],
    "train": ["--train", "MISSING", "--encoder", "no/such", "--output", "TMP/out"],
    "train-teacher": ["--train", "MISSING", "--encoder", "no/such", "--output", "TMP/out"],
    "soft-labels": ["--pool", "MISSING", "--model", "no/such", "--output", "TMP/out.jsonl", "--stats", "TMP/out.json"],
    "train-distilled": ["--soft", "MISSING", "--encoder", "no/such", "--output", "TMP/out"],
    "evaluate": ["--model", "no/such", "--test", "MISSING", "--metrics", "TMP/out.json", "--predictions", "TMP/o.conll"],
    "predict": ["--model", "no/such", "--input", "MISSING", "--output", "TMP/out.conll"],
    "export": ["--runs", "MISSING", "--output", "TMP/out"],
    "curves": ["--runs", "MISSING", "--output", "TMP/out"],
    "accounting": ["--lang", "es", "--stats", "translate=MISSING", "--output", "TMP/out.tsv"],
    "check-config": ["MISSING"],
}


@pytest.mark.parametrize("command", sorted(MISSING))
def test_every_command_names_a_missing_input_file(tmp_path, capsys, command):
    missing = str(tmp_path / "no-such-file")
    argv = [command] + [a.replace("MISSING", missing).replace("TMP", str(tmp_path)) for a in MISSING[command]]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "no-such-file" in err and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []
