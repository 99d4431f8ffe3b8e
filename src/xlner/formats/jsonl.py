"""The aligned-pair JSONL format every stage from `translate` to `project` reads and writes.

One JSON object per line:
    {"id": str, "src_tokens": [str], "src_tags": [IOB2 str], "tgt_tokens": [str],
     "alignment": [[src_index, tgt_index], ...], "tgt_tags": [IOB2 str]}
`src_tags` may come from a separate labels file, `alignment` is added by `align`, `tgt_tags` by `project`.
Alignment pairs are source index first (the paper's code stores target first).
"""
import json

from xlner.errors import InputError
from xlner.formats.conll import read_conll


def read_jsonl(path, required=()):
    records = []
    with open(path, "rb") as handle:
        for line_no, data in enumerate(handle, start=1):
            if not data.strip():
                continue
            try:
                record = json.loads(data.decode("utf-8"))
            except UnicodeDecodeError as error:
                raise InputError(path, f"not valid UTF-8 (byte {error.start})", line_no) from None
            except json.JSONDecodeError as error:
                raise InputError(path, f"not a JSON object: {error.msg}", line_no) from None
            if not isinstance(record, dict):
                raise InputError(path, "not a JSON object", line_no)
            missing = [key for key in required if key not in record]
            if missing:
                raise InputError(path, f"missing field(s) {', '.join(missing)}", line_no)
            record["_line"] = line_no
            records.append(record)
    if not records:
        raise InputError(path, "no records found (empty file?)")
    return records


def check_aligned_record(path, record):
    """Validate lengths and alignment indices of one aligned record; raise InputError naming the line."""
    line = record.get("_line")
    n_src, n_tgt = len(record["src_tokens"]), len(record["tgt_tokens"])
    if "src_tags" in record and len(record["src_tags"]) != n_src:
        raise InputError(path, f"{len(record['src_tags'])} src_tags for {n_src} src_tokens", line)
    for pair in record.get("alignment", ()):
        if (not isinstance(pair, list) or len(pair) != 2 or not all(isinstance(i, int) for i in pair)):
            raise InputError(path, f"alignment entry {pair!r} is not a [src_index, tgt_index] pair", line)
        s, t = pair
        if not (0 <= s < n_src and 0 <= t < n_tgt):
            raise InputError(path, f"alignment pair {pair} out of range ({n_src} source, {n_tgt} target words)", line)


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


def require_field(records, input_path, field, why):
    for record in records:
        if field not in record:
            raise InputError(input_path, f"missing field {field} (needed by {why}; write it with `xlner tag "
                                         f"--side tgt`)", record["_line"])
