"""The hybrid `refined` method: projected labels corrected by the teacher where it is confident.

For each translated sentence, the teacher's decoded tags (constrained IOB2 Viterbi over its per-word
probabilities) replace the projected tag of every word where the two differ and the teacher gives its own tag
a probability of at least `confidence`. A word-level mix can break IOB2 (an `I-X` whose `B-X` was replaced), so
the result is read back as spans (an orphan `I-X` starts an entity) and written as valid IOB2; every word whose
tag changed is counted.
"""
import numpy as np

from xlner.formats.conll import spans_from_tags, tags_from_spans
from xlner.formats.decoding import viterbi_indices


def refine_tags(projected, probabilities, labels, confidence):
    """(refined IOB2 tags, number of words whose tag differs from the projected one)."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    teacher = viterbi_indices(probabilities, labels)
    mixed = [labels[int(t)] if labels[int(t)] != tag and probabilities[w, t] >= confidence else tag
             for w, (tag, t) in enumerate(zip(projected, teacher))]
    refined = tags_from_spans(len(mixed), spans_from_tags(mixed))
    return refined, sum(a != b for a, b in zip(projected, refined))
