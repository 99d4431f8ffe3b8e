import pytest

from conftest import shared_file
from xlner.errors import InputError
from xlner.formats.conll import read_conll, spans_from_tags, tags_from_spans
from xlner.settings import DatasetSettings
from xlner.stages.data import prepare


def test_reads_wikiann_two_column_tab_file():
    sentences, stats = read_conll(shared_file("wikiann_xtreme_panx", "es", "test.tsv"), "iob2", {},
                                  ["PER", "ORG", "LOC"], max_sentences=50)
    assert len(sentences) == 50 == stats.sentences
    assert sentences[0].tokens[:3] == ["Jilguero", "del", "Huascarán"]
    assert sentences[0].tags[:3] == ["B-PER", "I-PER", "I-PER"]
    assert sentences[1].line == 5  # 1-based line of the first token of sentence 2


def test_reads_conll2003_four_columns_and_maps_misc_to_o():
    path = shared_file("conll2003_en", "eng.testa")
    sentences, stats = read_conll(path, "iob2", {"MISC": "O"}, ["PER", "ORG", "LOC"])
    assert len(sentences) == 3250  # -DOCSTART- lines are not sentences
    assert stats.mapped_entities["MISC->O"] > 0
    assert all(not tag.endswith("MISC") for s in sentences for tag in s.tags)
    # without the map MISC is an unknown class: an error naming the line
    with pytest.raises(InputError, match=r"eng\.testa:\d+: unknown entity class 'MISC'"):
        read_conll(path, "iob2", {}, ["PER", "ORG", "LOC"])


def test_reads_space_separated_conll2002_and_masakhaner_date_map():
    sentences, _ = read_conll(shared_file("conll2002_es_3tag", "test.txt"), "iob2", {}, ["PER", "ORG", "LOC"])
    assert len(sentences) == 1516
    swahili = shared_file("masakhaner2", "swa", "test.txt")
    # The real file has an orphan I-DATE: declared IOB2 it is an error at that line ...
    with pytest.raises(InputError, match=r"swa/test\.txt:12873: tag 'I-DATE' follows 'O'"):
        read_conll(swahili, "iob2", {"DATE": "O"}, ["PER", "ORG", "LOC"])
    # ... read as IOB1 it starts an entity, and the rewrite is counted
    _, stats = read_conll(swahili, "iob1", {"DATE": "O"}, ["PER", "ORG", "LOC"])
    assert stats.mapped_entities["DATE->O"] > 0
    assert stats.repaired_iob1 >= 1


def test_iob1_is_normalised_to_iob2(tmp_path):
    path = tmp_path / "iob1.txt"
    path.write_text("John I-PER\nSmith I-PER\nParis B-PER\nvisited O\nBerlin I-LOC\n\n")
    (sentence,), stats = read_conll(path, "iob1", {}, ["PER", "LOC"])
    assert sentence.tags == ["B-PER", "I-PER", "B-PER", "O", "B-LOC"]
    assert stats.repaired_iob1 == 2


def test_spans_roundtrip():
    tags = ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "I-LOC"]
    spans = spans_from_tags(tags)
    assert spans == [(0, 2, "PER"), (2, 3, "PER"), (4, 6, "LOC")]
    assert tags_from_spans(6, spans) == tags


BAD_FILES = [
    ("one column", b"Paris B-LOC\nis\n\n", 2, "expected a token and a tag"),
    ("wrong column count", b"Paris NNP B-LOC\nis VBZ O\nnice O\n\n", 3, "found 2 columns where earlier lines have 3"),
    ("unknown tag", b"Paris B-CITY\n\n", 1, "unknown entity class 'CITY'"),
    ("malformed tag", b"Paris LOC\n\n", 1, "malformed tag 'LOC'"),
    ("empty tag", b"Paris\t\n\n", 1, "empty tag"),
    ("orphan I- in IOB2", b"in O\nParis I-LOC\n\n", 2, "an I- tag must continue an entity"),
    ("non-UTF-8", b"Par\xe9s B-LOC\n\n", 1, "not valid UTF-8"),
    ("empty file", b"", None, "no sentences found"),
]


@pytest.mark.parametrize("name,content,line,message", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_input_names_file_and_line_and_leaves_no_output(tmp_path, name, content, line, message):
    bad = tmp_path / "bad.conll"
    bad.write_bytes(content)
    out = tmp_path / "out" / "clean.conll"
    with pytest.raises(InputError) as raised:
        prepare(out, tmp_path / "out" / "stats.json", ["PER", "ORG", "LOC"], DatasetSettings(path=str(bad)))
    assert message in str(raised.value)
    assert str(bad) in str(raised.value)
    if line is not None:
        assert raised.value.line == line and f"bad.conll:{line}:" in str(raised.value)
    assert not out.exists()
    assert not [path for path in tmp_path.rglob("*") if path != bad and path.is_file()]  # not even a temporary


def test_cli_reports_bad_input_without_a_traceback(tmp_path, capsys):
    from xlner.cli import main

    bad = tmp_path / "bad.conll"
    bad.write_text("in O\nParis I-LOC\n\n")
    code = main(["prepare", "--input", str(bad), "--output", str(tmp_path / "o.conll"), "--stats",
                 str(tmp_path / "s.json"), "--scheme", "iob2"])
    assert code == 2
    err = capsys.readouterr().err
    assert f"{bad}:2:" in err and "Traceback" not in err


def test_hugging_face_dataset_is_read_like_a_conll_file(tmp_path):
    """A local dataset directory in the Hub's layout (parquet + ClassLabel names), read through load_dataset."""
    from datasets import ClassLabel, Dataset, Features, Sequence, Value

    gold, _ = read_conll(shared_file("wikiann_xtreme_panx", "es", "test.tsv"), "iob2", {}, ["PER", "ORG", "LOC"],
                         max_sentences=30)
    names = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
    features = Features({"tokens": Sequence(Value("string")), "ner_tags": Sequence(ClassLabel(names=names))})
    rows = {"tokens": [s.tokens for s in gold], "ner_tags": [[names.index(t) for t in s.tags] for s in gold]}
    (tmp_path / "panx-es").mkdir()
    Dataset.from_dict(rows, features=features).to_parquet(str(tmp_path / "panx-es" / "test.parquet"))
    out = tmp_path / "test.conll"
    prepare(out, tmp_path / "stats.json", ["PER", "ORG", "LOC"],
            DatasetSettings(hf={"id": str(tmp_path / "panx-es"), "config": None, "split": "test"}, max_sentences=20))
    again, _ = read_conll(out, "iob2", {}, ["PER", "ORG", "LOC"])
    assert [(s.tokens, s.tags) for s in again] == [(s.tokens, s.tags) for s in gold[:20]]
