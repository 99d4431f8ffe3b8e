"""Property tests of the readers (hypothesis): random bytes and random mutations of real CoNLL and JSONL lines
give either a located InputError or data that round-trips; generated well-formed files are always accepted and
round-trip exactly (so a reader that refuses everything fails here)."""
import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlner.errors import InputError, SettingsError
from xlner.formats.conll import Sentence, read_conll, write_conll
from xlner.formats.jsonl import read_jsonl

ROOT = Path(__file__).resolve().parents[1]
TYPES = ["PER", "ORG", "LOC"]
REAL_CONLL = (ROOT / "data/wikiann/es/test.tsv").read_bytes().splitlines(keepends=True)[:60]
REAL_JSONL = [json.dumps({"id": str(i), "src_tokens": ["Angela", "Merkel", "spoke"], "src_tags": ["B-PER", "I-PER", "O"],
                          "tgt_tokens": ["Angela", "Merkel", "habló"], "alignment": [[0, 0], [1, 1], [2, 2]]})
              .encode() + b"\n" for i in range(5)]
FEW_SECONDS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# hypothesis runs each test a hundred times inside one function call, so pytest's function-scoped tmp_path cannot
# give each example its own file; one folder for the module, removed when the test process exits
_FOLDER = tempfile.TemporaryDirectory(prefix="xlner-readers-")


def _file(data):
    handle, path = tempfile.mkstemp(suffix=".conll", dir=_FOLDER.name)
    os.write(handle, data)
    os.close(handle)
    return Path(path)


def _located(error, path):
    assert str(path) in str(error) and (error.line is None or isinstance(error.line, int))


def _conll_round_trip(path):
    """Read; if accepted, what is written reads back the same."""
    try:
        sentences, _ = read_conll(path, "iob2", {}, TYPES)
    except InputError as error:
        _located(error, path)
        return None
    again = _file(b"")
    write_conll(again, sentences)
    assert [(s.tokens, s.tags) for s in read_conll(again, "iob2", {}, TYPES)[0]] == \
        [(s.tokens, s.tags) for s in sentences]
    return sentences


def _mutate(lines, data):
    """Real lines with random edits: a line dropped, doubled, or a few bytes replaced or inserted."""
    lines = list(lines)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        kind = data.draw(st.sampled_from(["drop", "double", "bytes", "insert"]))
        if kind == "drop":
            del lines[i]
        elif kind == "double":
            lines.insert(i, lines[i])
        else:
            junk = data.draw(st.binary(min_size=1, max_size=4))
            at = data.draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + junk + lines[i][at + (kind == "bytes"):]
        if not lines:
            break
    return b"".join(lines)


@FEW_SECONDS
@given(st.binary(max_size=300))
def test_random_bytes_are_a_located_error_or_round_trip(data):
    _conll_round_trip(_file(data))


@FEW_SECONDS
@given(st.data())
def test_mutated_real_conll_is_a_located_error_or_round_trips(data):
    _conll_round_trip(_file(_mutate(REAL_CONLL, data)))


@FEW_SECONDS
@given(st.data())
def test_mutated_real_jsonl_is_a_located_error_or_round_trips(data):
    path = _file(_mutate(REAL_JSONL, data))
    try:
        records = read_jsonl(path, required=("id", "src_tokens", "tgt_tokens"), entity_types=TYPES)
    except (InputError, SettingsError) as error:
        _located(error, path)
        return
    again = _file("".join(json.dumps({k: v for k, v in r.items() if k != "_line"}) + "\n" for r in records).encode())
    assert [{k: v for k, v in r.items() if k != "_line"} for r in read_jsonl(again, entity_types=TYPES)] == \
        [{k: v for k, v in r.items() if k != "_line"} for r in records]


TOKEN = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp"), blacklist_characters="\t\n\r\x85"),
                min_size=1, max_size=8).filter(lambda t: t.strip() == t and not t.startswith("-DOCSTART-"))


@st.composite
def sentences(draw):
    """Well-formed IOB2 sentences: each I-X continues an entity of class X."""
    out = []
    for _ in range(draw(st.integers(1, 5))):
        tokens = draw(st.lists(TOKEN, min_size=1, max_size=6))
        tags, previous = [], "O"
        for _ in tokens:
            kind = draw(st.sampled_from(TYPES))
            options = ["O", f"B-{kind}"] + ([f"I-{previous[2:]}"] if previous != "O" else [])
            previous = draw(st.sampled_from(options))
            tags.append(previous)
        out.append(Sentence(tokens, tags))
    return out


@FEW_SECONDS
@given(sentences(), st.sampled_from([b"\n", b"\r\n", b"\r"]), st.booleans())
def test_well_formed_conll_is_accepted_and_round_trips_exactly(written, newline, bom):
    body = b"".join(b"".join(f"{t}\t{g}".encode() + newline for t, g in zip(s.tokens, s.tags)) + newline
                    for s in written)
    read, stats = read_conll(_file((b"\xef\xbb\xbf" if bom else b"") + body), "iob2", {}, TYPES)
    assert [(s.tokens, s.tags) for s in read] == [(s.tokens, s.tags) for s in written]
    assert stats.sentences == len(written)


@FEW_SECONDS
@given(sentences())
def test_well_formed_jsonl_is_accepted_and_round_trips_exactly(written):
    records = [{"id": str(i), "src_tokens": s.tokens, "src_tags": s.tags, "tgt_tokens": s.tokens,
                "alignment": [[k, k] for k in range(len(s.tokens))]} for i, s in enumerate(written)]
    path = _file("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode())
    assert [{k: v for k, v in r.items() if k != "_line"} for r in read_jsonl(path, entity_types=TYPES)] == records
