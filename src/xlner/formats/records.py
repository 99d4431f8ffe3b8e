"""Field-by-field checks of a JSONL record (aligned pairs, projections, soft labels, unlabelled pools), so that a
wrong type or value is an error naming the file and line, never read as something else (a JSON `true` is not an
index, `LOC` is not a tag). Fields a record does not have are not checked here; stages require what they read."""
import re

import numpy as np

from xlner.errors import InputError, quote

TOKEN_FIELDS = ("src_tokens", "tgt_tokens", "words", "english_tokens")
TAG_FIELDS = {"src_tags": "src_tokens", "tgt_tags": "tgt_tokens"}
TEXT_FIELDS = ("src_text", "tgt_text")
# Indices of the words machine translation did not know (Apertium's `*` marks), on the side it wrote.
UNKNOWN_FIELDS = {"src_unknown": "src_tokens", "tgt_unknown": "tgt_tokens"}
# Spans on the target words: a tagger's (`xlner tag`), and the zero-shot teacher's kept beside a student's
# (`xlner tag --keep-teacher`, read by comb-tt's `vote`).
SPAN_FIELDS = ("tgt_candidates", "teacher_candidates")
TAG = re.compile(r"^(O|[BI]-[A-Za-z0-9_]+)$")
# Soft-label vectors sum to 1 within this (they are written rounded to 6 decimals and renormalised).
SUM_TOLERANCE = 1e-4


def check_record(path, line, record, entity_types=None):
    """Raise InputError(path, problem, line) for the first field of `record` that is malformed."""
    def fail(problem):
        raise InputError(path, problem, line)

    for field, value in record.items():
        if value is None and not field.startswith("_"):
            fail(f"field {field} is null")
    if "id" in record and (isinstance(record["id"], bool) or not isinstance(record["id"], (str, int))
                           or str(record["id"]) == ""):
        fail(f"id must be a non-empty string or an integer, got {quote(record['id'])}")
    for field in TOKEN_FIELDS:
        if field in record:
            _strings(record[field], field, fail, allow_empty_list=True)
    for field in TEXT_FIELDS:
        if field in record and not isinstance(record[field], str):
            fail(f"{field} must be a string, got {quote(record[field])}")
    for field, tokens in TAG_FIELDS.items():
        if field in record:
            _tags(record[field], field, entity_types, fail)
            if tokens in record and len(record[field]) != len(record[tokens]):
                fail(f"{len(record[field])} {field} for {len(record[tokens])} {tokens}")
    for field, tokens in UNKNOWN_FIELDS.items():
        if field in record:
            _word_indices(record[field], field, len(record.get(tokens, ())) if tokens in record else None, fail)
    if "alignment" in record:
        _alignment(record, fail)
    for field in SPAN_FIELDS:
        if field in record:
            _candidates(record, field, fail)
    if "tgt_label_probs" in record:
        _label_probs(record, fail)
    if "probs" in record or "labels" in record:
        _soft_labels(record, fail)


def _strings(value, field, fail, allow_empty_list=False):
    if not isinstance(value, list) or (not value and not allow_empty_list):
        fail(f"{field} must be a list of strings, got {quote(value)}")
    for item in value:
        if not isinstance(item, str) or not item.strip():
            fail(f"{field} holds {quote(item)}, not a non-empty string")


def _tags(value, field, entity_types, fail):
    _strings(value, field, fail, allow_empty_list=True)
    for tag in value:
        if not TAG.match(tag):
            fail(f"{field} holds {quote(tag)}, not an IOB2 tag (O, B-TYPE or I-TYPE)")
        if entity_types is not None and tag != "O" and tag[2:] not in entity_types:
            fail(f"{field} holds {quote(tag)}: {tag[2:]} is not one of the entity types {list(entity_types)}")


def _index(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _word_indices(value, field, n_words, fail):
    if not isinstance(value, list) or not all(map(_index, value)):
        fail(f"{field} must be a list of word indices, got {quote(value)}")
    if n_words is not None and any(not 0 <= index < n_words for index in value):
        fail(f"{field} {value} holds an index outside the {n_words} words")


def _alignment(record, fail):
    pairs = record["alignment"]
    if not isinstance(pairs, list):
        fail(f"alignment must be a list of [src_index, tgt_index] pairs, got {quote(pairs)}")
    n_src, n_tgt = len(record.get("src_tokens", ())), len(record.get("tgt_tokens", ()))
    for pair in pairs:
        if not isinstance(pair, list) or len(pair) != 2 or not all(map(_index, pair)):
            fail(f"alignment entry {quote(pair)} is not a [src_index, tgt_index] pair of integers")
        if "src_tokens" in record and "tgt_tokens" in record and not (0 <= pair[0] < n_src and 0 <= pair[1] < n_tgt):
            fail(f"alignment pair {pair} out of range ({n_src} source, {n_tgt} target words)")


def _candidates(record, field, fail):
    spans = record[field]
    n = len(record.get("tgt_tokens", ()))
    if not isinstance(spans, list):
        fail(f"{field} must be a list of [start, end(, type)] spans, got {quote(spans)}")
    for span in spans:
        if not (isinstance(span, list) and 2 <= len(span) <= 3 and _index(span[0]) and _index(span[1])
                and 0 <= span[0] < span[1] <= n and (len(span) == 2 or isinstance(span[2], str))):
            fail(f"{field} entry {quote(span)} is not a [start, end(, type)] span inside the {n} target words")


def _matrix(value, rows, columns, field, fail):
    """A rows x columns array of finite probabilities in [0, 1]."""
    try:
        matrix = np.asarray(value, dtype=np.float64)
    except (ValueError, TypeError):
        fail(f"{field} must be a list of probability vectors, got {quote(value)}")
    if matrix.size == 0 and rows == 0:
        return matrix.reshape(0, columns)
    if matrix.ndim != 2:
        fail(f"{field} must be a list of probability vectors, got {quote(value)}")
    if len(matrix) != rows:
        fail(f"{len(matrix)} probability vectors for {rows} {'words' if field == 'probs' else 'tgt_tokens'}")
    if matrix.shape[1] != columns:
        fail(f"{field} vectors have {matrix.shape[1]} entries for {columns} labels")
    if not np.isfinite(matrix).all() or (matrix < 0).any() or (matrix > 1).any():
        fail(f"{field} holds a value that is not a probability (NaN, infinite, or outside [0, 1])")
    return matrix


def _label_probs(record, fail):
    entry = record["tgt_label_probs"]
    if not isinstance(entry, dict) or not isinstance(entry.get("labels"), list) or "probs" not in entry:
        fail('tgt_label_probs must be {"labels": [...], "probs": [[...], ...]}')
    _tags(entry["labels"], "tgt_label_probs labels", None, fail)
    _matrix(entry["probs"], len(record.get("tgt_tokens", ())), len(entry["labels"]), "tgt_label_probs", fail)


def _soft_labels(record, fail):
    labels, probs = record.get("labels"), record.get("probs")
    if not isinstance(labels, list) or probs is None:
        fail('a soft-label line has "labels" (a list) and "probs" (a vector per word)')
    _tags(labels, "labels", None, fail)
    words = record.get("words", ())
    matrix = _matrix(probs, len(words), len(labels), "probs", fail)
    if len(matrix) and not np.allclose(matrix.sum(1), 1.0, rtol=0, atol=SUM_TOLERANCE):
        worst = int(np.abs(matrix.sum(1) - 1).argmax())
        fail(f"the probabilities of word {worst} sum to {matrix[worst].sum():.6f}, not 1 (within {SUM_TOLERANCE})")
