"""Per-sentence entity counts of a run's predictions, and F1 from summed counts (the bootstrap's unit)."""
import numpy as np
from seqeval.scheme import IOB2, Entities


def strict_spans(tags):
    """Entities as seqeval's strict IOB2 mode sees them: start at B-X, continue with I-X of the same type."""
    return {(entity.start, entity.end, entity.tag) for entity in Entities([list(tags)], IOB2).entities[0]}


def sentence_counts(gold_tags, predicted_tags):
    """(sentences x 3) array of true positives, predicted entities and gold entities."""
    counts = np.zeros((len(gold_tags), 3), dtype=np.int64)
    for i, (gold, predicted) in enumerate(zip(gold_tags, predicted_tags)):
        g, p = strict_spans(gold), strict_spans(predicted)
        counts[i] = (len(g & p), len(p), len(g))
    return counts


def f1_from_counts(counts):
    """counts (..., 3) -> F1 in percent (0 where there is nothing to find and nothing found)."""
    tp, predicted, gold = counts[..., 0], counts[..., 1], counts[..., 2]
    denominator = predicted + gold
    return np.where(denominator > 0, 200.0 * tp / np.maximum(denominator, 1), 0.0)
