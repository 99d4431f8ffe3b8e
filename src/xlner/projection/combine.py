"""Combination recipes (`comb-zs-{recipe}`): a projection joined with the zero-shot teacher's own prediction on the
same target sentence, as Ebing & Glavaš (ACL 2025) join translate-train and translate-test predictions.

The two transfers err differently: projection loses entities the aligner misplaces and cannot see entities the MT
garbled; the teacher misses names it has never seen in English context but keeps the target's boundaries. A rule
takes one side's spans as they are and adds the other side's spans that overlap none of them:

* `projection-first`: projected spans, plus the teacher's spans where nothing was projected;
* `teacher-first`: the teacher's spans, plus projected spans where the teacher found nothing;
* `agreement`: only spans both found with the same boundaries (the projected type kept; a precision-first baseline);
* `verified`: the teacher's spans (its boundaries and types) that a projected span overlaps, or that the teacher is
  sure of. The projection is a verifier, not a source of spans: on Spanish dev the spans only the projection found
  were all wrong (31 of 31, benchmarks/projection_recipes.py), and the English side's type was wrong more often than
  the teacher's own on the target words.

`min_confidence`: a teacher span added to a projection (projection-first) or kept without a projected span over it
(verified) needs its words' mean probability of the span's labels to be at least this. Pure functions: no I/O.
"""
import numpy as np

from xlner.formats.conll import spans_from_tags, tags_from_spans
from xlner.settings import COMBINE_RULES


def span_confidence(span, probs, labels):
    """Mean over the span's words of the probability the teacher gives that word's label in the span."""
    start, end, kind = span
    index = {label: i for i, label in enumerate(labels)}
    wanted = [index[f"B-{kind}"]] + [index[f"I-{kind}"]] * (end - start - 1)
    return float(np.mean([probs[start + offset][column] for offset, column in enumerate(wanted)]))


def _overlaps(span, others):
    return any(span[0] < other[1] and other[0] < span[1] for other in others)


def combine_spans(projected, teacher, rule, confidences=None, min_confidence=0.0):
    """projected, teacher: [(start, end, type)]; confidences: the teacher spans' confidences (None: all 1).
    Returns (spans, {"from_projection", "from_teacher"} counts)."""
    if rule not in COMBINE_RULES:
        raise ValueError(f"unknown combination rule {rule!r}; choose from {COMBINE_RULES}")
    confidences = [1.0] * len(teacher) if confidences is None else confidences
    if rule == "agreement":
        bounds = {(a, b) for a, b, _ in teacher}
        kept = [span for span in projected if (span[0], span[1]) in bounds]
        return sorted(kept), {"from_projection": len(kept), "from_teacher": 0}
    if rule == "verified":
        kept = [span for span, c in zip(teacher, confidences) if c >= min_confidence or _overlaps(span, projected)]
        return sorted(kept), {"from_projection": 0, "from_teacher": len(kept)}
    if rule == "projection-first":
        added = [span for span, c in zip(teacher, confidences)
                 if c >= min_confidence and not _overlaps(span, projected)]
        return sorted(list(projected) + added), {"from_projection": len(projected), "from_teacher": len(added)}
    added = [span for span in projected if not _overlaps(span, teacher)]
    return sorted(list(teacher) + added), {"from_projection": len(added), "from_teacher": len(teacher)}


def combine_tags(projected_tags, teacher_spans, probs, labels, rule, min_confidence=0.0):
    """One sentence: projected IOB2 tags and the teacher's decoded spans (with its per-word probabilities over
    `labels`) -> (combined IOB2 tags, counts)."""
    teacher = [tuple(span) for span in teacher_spans]
    confidences = [span_confidence(span, probs, labels) for span in teacher]
    spans, counts = combine_spans(spans_from_tags(projected_tags), teacher, rule, confidences, min_confidence)
    return tags_from_spans(len(projected_tags), spans), counts
