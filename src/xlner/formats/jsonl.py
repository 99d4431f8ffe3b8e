"""The aligned-pair JSONL format every stage from `translate` to `project` reads and writes.

One JSON object per line:
    {"id": str, "src_tokens": [str], "src_tags": [IOB2 str], "tgt_tokens": [str],
     "alignment": [[src_index, tgt_index], ...], "tgt_tags": [IOB2 str]}
`src_tags` may come from a separate labels file, `alignment` is added by `align`, `tgt_tags` by `project`.
Alignment pairs are source index first (the paper's code stores target first).
"""
import json

from xlner.errors import InputError, quote
from xlner.formats.conll import read_conll
from xlner.formats.records import check_record
from xlner.formats.text import read_lines


def read_jsonl(path, required=(), entity_types=None):
    """The records of a JSONL file, each checked field by field (records.check_record) and given `_line`.
    Blank lines are skipped; ids must be unique."""
    records, seen = [], {}
    for line_no, text in read_lines(path):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(path, f"not a JSON object: {error.msg} (character {error.pos})", line_no) from None
        except RecursionError:
            raise InputError(path, "JSON nested too deeply", line_no) from None
        if not isinstance(record, dict):
            raise InputError(path, f"not a JSON object: {quote(record)}", line_no)
        missing = [key for key in required if key not in record]
        if missing:
            raise InputError(path, f"missing field(s) {', '.join(missing)}", line_no)
        check_record(path, line_no, record, entity_types)
        if "id" in record:
            record["id"] = str(record["id"])
            if record["id"] in seen:
                raise InputError(path, f"duplicate id {quote(record['id'])} (first on line {seen[record['id']]})",
                                 line_no)
            seen[record["id"]] = line_no
        record["_line"] = line_no
        records.append(record)
    if not records:
        raise InputError(path, "no records found (empty file?)")
    return records


def clean(record):
    return {key: value for key, value in record.items() if not key.startswith("_")}


def attach_source_tags(records, labels_path, input_path, entity_types=None):
    """Copy `src_tags` from a CoNLL labels file onto the lines, matched by id (tokens must agree)."""
    labelled, _ = read_conll(labels_path, "iob2", {}, entity_types)
    by_id = {s.id: s for s in labelled}
    for record in records:
        source = by_id.get(str(record["id"]))
        if source is None or source.tokens != record["src_tokens"]:
            raise InputError(input_path, f"record {record['id']!r} has no matching sentence in {labels_path}",
                             record["_line"])
        record["src_tags"] = source.tags


# How a stage writes each optional field a recipe reads (the others: `xlner tag --side tgt`).
WRITTEN_BY = {"teacher_candidates": "`xlner tag --side tgt --keep-teacher` over the teacher's lines"}


def require_field(records, input_path, field, why):
    how = WRITTEN_BY.get(field, "`xlner tag --side tgt`")
    for record in records:
        if field not in record:
            raise InputError(input_path, f"missing field {field} (needed by {why}; write it with {how})",
                             record["_line"])
