"""Per-word label probabilities -> valid IOB2 tags, by constrained Viterbi decoding.

Word-wise argmax can put `I-X` after `O` or after another type (an "orphan"). Scorers disagree on such tags:
seqeval's strict mode drops the entity, seqeval's default mode and conlleval start one. Decoding under the IOB2
transition constraints (no `I-X` at the start, after `O`, or after `B-Y`/`I-Y` of another type) gives the
most probable *valid* sequence, so every scorer reads the same entities, and it usually beats argmax followed
by a repair. Where the argmax sequence is already valid it is the answer (it is the best sequence of all).

Written here rather than taken from a CRF library: the constraint matrix is three lines and the search is a
dozen of numpy; pytorch-crf or torchcrf would add a dependency for a decoder without learned transitions.
"""
import numpy as np

DECODING = "viterbi-iob2"  # recorded in every metrics.json and stats file that decodes
_FLOOR = 1e-12  # a zero probability becomes log(1e-12): a path through it is possible but never preferred


def allowed_transitions(labels):
    """(start allowed per label, labels x labels matrix of allowed previous -> next) for IOB2 labels."""
    kinds = [label.split("-", 1)[1] if label != "O" else None for label in labels]
    inside = [label.startswith("I-") for label in labels]
    start = np.array([not i for i in inside])
    matrix = np.ones((len(labels), len(labels)), dtype=bool)
    for j, is_inside in enumerate(inside):
        if is_inside:
            matrix[:, j] = [kinds[i] == kinds[j] and labels[i] != "O" for i in range(len(labels))]
    return start, matrix


def viterbi_indices(probabilities, labels):
    """(words x labels) probabilities -> the label index per word of the most probable valid IOB2 sequence.
    Ties go to the lower label index (numpy's argmax), so the result is deterministic."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if len(probabilities) == 0:
        return np.zeros(0, dtype=np.int64)
    start, allowed = allowed_transitions(labels)
    penalty = np.where(allowed, 0.0, -np.inf)
    emissions = np.log(np.maximum(probabilities, _FLOOR))
    score = np.where(start, emissions[0], -np.inf)
    back = np.zeros(probabilities.shape, dtype=np.int64)
    for w in range(1, len(probabilities)):
        candidates = score[:, None] + penalty  # previous x next
        back[w] = candidates.argmax(0)
        score = candidates.max(0) + emissions[w]
    path = np.zeros(len(probabilities), dtype=np.int64)
    path[-1] = int(score.argmax())
    for w in range(len(probabilities) - 1, 0, -1):
        path[w - 1] = back[w, path[w]]
    return path


def decode(probabilities, labels):
    """(words x labels) probabilities -> valid IOB2 tags (see module docstring)."""
    return [labels[int(i)] for i in viterbi_indices(probabilities, labels)]


def decode_all(probabilities, labels):
    """Decode many sentences; returns (tags per sentence, number of words whose tag differs from argmax)."""
    tags, changed = [], 0
    for p in probabilities:
        path = viterbi_indices(p, labels)
        changed += int((path != np.asarray(p).argmax(-1)).sum()) if len(path) else 0
        tags.append([labels[int(i)] for i in path])
    return tags, changed


def mix_projection(projected_tags, teacher, labels, weight):
    """(the projected tags as one-hot rows, weight x those + (1 - weight) x the teacher's distribution) for one
    sentence (teacher: words x labels probabilities): the mix the hybrid `agree` keeps where the two disagree
    (models/voting.py), and the one the `mixture` combination rule decodes (projection/combine.py)."""
    teacher = np.asarray(teacher, dtype=np.float64)
    if len(projected_tags) != len(teacher) or teacher.size != len(projected_tags) * len(labels):
        raise ValueError(f"{len(projected_tags)} projected tags for {len(teacher)} words of the teacher")
    teacher = teacher.reshape(len(projected_tags), len(labels))  # an empty sentence: 0 x labels
    if not 0 <= weight <= 1:
        raise ValueError(f"the projection's weight must be in [0, 1], not {weight}")
    index = {label: i for i, label in enumerate(labels)}
    unknown = sorted(set(projected_tags) - set(index))
    if unknown:
        raise ValueError(f"projected labels {unknown} are not among the teacher's labels {list(labels)}")
    projected = np.eye(len(labels))[[index[tag] for tag in projected_tags]]
    return projected, weight * projected + (1 - weight) * teacher
