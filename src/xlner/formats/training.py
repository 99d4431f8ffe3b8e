"""Readers of what students train on: hard tags (projected JSONL or IOB2 CoNLL), soft labels, subset id files."""
import logging
from pathlib import Path

import numpy as np

from xlner.errors import InputError, quote
from xlner.formats.conll import label_list, read_conll
from xlner.formats.jsonl import read_jsonl
from xlner.formats.text import read_json, read_lines

log = logging.getLogger(__name__)


def read_ids(ids_path):
    """The sentence ids of a subset file, one a line; a repeated id is an error (it would train twice)."""
    ids, seen = [], {}
    for line_no, text in read_lines(ids_path):
        if not text.strip():
            continue
        if text.strip() in seen:
            raise InputError(ids_path, f"id {quote(text.strip())} repeats line {seen[text.strip()]}", line_no)
        seen[text.strip()] = line_no
        ids.append(text.strip())
    return ids


def pool_ids(path):
    """Sentence ids of a pool: a CoNLL file (ids are sentence numbers) or a JSONL file with `id` fields."""
    if Path(path).suffix == ".jsonl":
        return [str(r["id"]) for r in read_jsonl(path, required=("id",))]
    return [s.id for s in read_conll(path, "iob2", {}, None)[0]]


def select(items, ids_path):
    """Keep the items whose id (first field) is listed in `ids_path`; count the ids not found."""
    requested = None
    if ids_path:
        requested = read_ids(ids_path)
        wanted = set(requested)
        items = [item for item in items if item[0] in wanted]
    stats = {"requested": len(requested) if requested is not None else len(items), "available": len(items)}
    return items, stats


def read_training_data(path, entity_types, ids_path=None):
    """Training sentences from projected JSONL (tgt_tokens/tgt_tags) or an IOB2 CoNLL file, optionally by id."""
    path = Path(path)
    if path.suffix == ".jsonl":
        records = read_jsonl(path, required=("id", "tgt_tokens", "tgt_tags"), entity_types=entity_types)
        items = [(str(r["id"]), r["tgt_tokens"], r["tgt_tags"]) for r in records]
    else:
        sentences, _ = read_conll(path, "iob2", {}, entity_types)
        items = [(s.id, s.tokens, s.tags) for s in sentences]
    items, stats = select(items, ids_path)
    return [(words, tags) for _, words, tags in items], stats


def read_soft_labels(path, entity_types, ids_path=None):
    """(words, words x labels probabilities) per sentence of a soft-label file, optionally by id."""
    labels = label_list(entity_types)
    records = read_jsonl(path, required=("id", "words", "labels", "probs"))
    items = []
    for record in records:  # shapes and values were checked by read_jsonl (records.check_record)
        if record["labels"] != labels:
            raise InputError(path, f"label list {record['labels']} differs from the experiment's {labels}",
                             record["_line"])
        probs = np.asarray(record["probs"], dtype=np.float32).reshape(len(record["words"]), len(labels))
        items.append((str(record["id"]), record["words"], probs))
    items, stats = select(items, ids_path)
    return [(words, probs) for _, words, probs in items], stats


def training_record(train_path, ids_path, stats):
    """What a student's training data was, with the requested sentences that upstream stages dropped."""
    missing = stats["requested"] - stats["available"]
    if missing:
        log.warning("%d of the %d requested training sentences are not in %s (dropped upstream, e.g. failed "
                    "translation); training on %d", missing, stats["requested"], train_path, stats["available"])
    return {"train_file": str(train_path), "subset": str(ids_path) if ids_path else None,
            "sentences_requested": stats["requested"], "sentences_missing_upstream": missing}


def load_training_record(model_dir):
    """What `train_tagger` wrote next to a model's weights (xlner_train.json); {} for a model trained elsewhere."""
    path = Path(model_dir) / "xlner_train.json"
    return read_json(path) if path.exists() else {}
