"""Map a tagger's own label set onto the experiment's IOB2 label list (O, B-X, I-X for each entity type).

A pretrained teacher may use other classes (MISC on CoNLL-03) or IOB1 (no B-PER: `I-` starts an entity unless
it follows one of the same type). Probability mass of a class the experiment does not have goes to `O`; each
such class is listed in the returned record so the report can say so, never silently.
"""
import numpy as np


def split_label(label):
    if label == "O" or "-" not in label:
        return "O", None
    prefix, kind = label.split("-", 1)
    return prefix, kind


def detect_scheme(model_labels):
    """iob1 when some type has an `I-` label but no `B-` label (e.g. CoNLL-03 XLM-R lacks B-PER), else iob2."""
    prefixes = {}
    for label in model_labels:
        prefix, kind = split_label(label)
        if kind:
            prefixes.setdefault(kind, set()).add(prefix)
    return "iob1" if any("B" not in p for p in prefixes.values()) else "iob2"


def describe_mapping(model_labels, target_labels, label_map=None):
    """Which model classes feed which target classes, and which model/target classes have no counterpart."""
    label_map = label_map or {}
    target_types = {split_label(t)[1] for t in target_labels} - {None}
    model_types = {split_label(m)[1] for m in model_labels} - {None}
    mapped = {kind: label_map.get(kind, kind) for kind in model_types}
    to_o = sorted(kind for kind, target in mapped.items() if target not in target_types)
    return {"model_types": sorted(model_types), "mapped_to_O": to_o,
            "renamed": {k: v for k, v in sorted(mapped.items()) if v != k and v in target_types},
            "target_types_missing_from_model": sorted(target_types - set(mapped.values()))}


def to_target_probabilities(probs, model_labels, target_labels, scheme="iob2", label_map=None):
    """(words x model labels) -> (words x target labels); each row still sums to 1.

    IOB1: an `I-X` word's mass goes to `B-X` unless the previous word was decoded as X (then `I-X`); `B-X`
    (IOB1's marker between two adjacent X entities) goes to `B-X`.
    """
    label_map = label_map or {}
    index = {label: i for i, label in enumerate(target_labels)}
    out = np.zeros((len(probs), len(target_labels)), dtype=np.float64)
    previous_type = None
    for w, row in enumerate(probs):
        for m, label in enumerate(model_labels):
            prefix, kind = split_label(label)
            kind = label_map.get(kind, kind) if kind else None
            if kind is None or f"B-{kind}" not in index:
                out[w, index["O"]] += row[m]
                continue
            if scheme == "iob1" and prefix == "I" and previous_type != kind:
                prefix = "B"
            out[w, index[f"{prefix}-{kind}"]] += row[m]
        previous_type = split_label(target_labels[int(out[w].argmax())])[1]
    return out.astype(np.float32)


def model_labels(model):
    return [model.config.id2label[i] for i in range(model.config.num_labels)]
