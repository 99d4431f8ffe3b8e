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
* `mixture`: not a span rule but a word-level one: each word's target is `weight` x the projected one-hot label +
  (1 - weight) x the teacher's distribution, decoded into valid IOB2 by constrained Viterbi (formats/decoding.py),
  as Ebing & Glavas (ACL 2025) ensemble translate-train and translate-test predictions. It adapts to the teacher's
  confidence word by word: a projected label overrules the teacher wherever the teacher's margin for its own label
  over the projected one is below weight / (1 - weight) -- so a weak teacher (a held-out language) is overruled more
  often than a strong one, with the same weight.
* `vote` (comb-tt only): three voters -- the projection, the student (`combine_with`) and the zero-shot teacher --
  and a span is kept where at least two of them found it with the same boundaries, typed by the majority of those
  (a tie: the projection's type, then the student's). Majority voting of systems that err differently
  (Ebing & Glavas join two; a third breaks their ties): unlike `agreement` it keeps what the projection and the
  student disagree on when the teacher sides with one of them. Kept spans never overlap: two overlapping kept spans
  would share a voter (each has two of three), and no voter's own spans overlap.

`min_confidence`: a teacher span added to a projection (projection-first) or kept without a projected span over it
(verified) needs its words' mean probability of the span's labels to be at least this. Pure functions: no I/O.
"""
from collections import Counter

import numpy as np

from xlner.formats.conll import spans_from_tags, tags_from_spans
from xlner.formats.decoding import mix_projection, viterbi_indices
from xlner.settings import COMBINE_RULES


def span_confidence(span, probs, labels):
    """Mean over the span's words of the probability the teacher gives that word's label in the span."""
    start, end, kind = span
    index = {label: i for i, label in enumerate(labels)}
    wanted = [index[f"B-{kind}"]] + [index[f"I-{kind}"]] * (end - start - 1)
    return float(np.mean([probs[start + offset][column] for offset, column in enumerate(wanted)]))


def _overlaps(span, others):
    return any(span[0] < other[1] and other[0] < span[1] for other in others)


def vote_spans(*voters):
    """voters: span lists [(start, end, type)] in order of precedence (each without overlaps). The spans at least two
    voters found with the same boundaries, each typed by its voters' majority (a tie: the earliest voter's type)."""
    types_by_bounds = {}
    for spans in voters:
        for start, end, kind in spans:
            types_by_bounds.setdefault((start, end), []).append(kind)
    kept = []
    for (start, end), kinds in types_by_bounds.items():
        if len(kinds) >= 2:
            counts = Counter(kinds)
            top = max(counts.values())
            kept.append((start, end, next(kind for kind in kinds if counts[kind] == top)))
    return sorted(kept)


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


def mixture_tags(projected_tags, probs, labels, weight):
    """One sentence: weight x the projected one-hot labels + (1 - weight) x the teacher's per-word probabilities
    over `labels` (formats/decoding.py, the mix the hybrid `agree` uses), Viterbi-decoded into valid IOB2 tags."""
    _, mixed = mix_projection(projected_tags, probs, labels, weight)
    return [labels[int(i)] for i in viterbi_indices(mixed, labels)]


def combine_tags(projected_tags, teacher_spans, probs, labels, rule, min_confidence=0.0, weight=0.5,
                 zero_shot_spans=None):
    """One sentence: projected IOB2 tags and the teacher's decoded spans (with its per-word probabilities over
    `labels`) -> (combined IOB2 tags, counts). `weight`: the projection's share in the `mixture` rule.
    `zero_shot_spans`: `vote`'s third voter (comb-tt, where `teacher_spans` are the student's)."""
    teacher = [tuple(span) for span in teacher_spans]
    if rule == "vote":
        projected = spans_from_tags(projected_tags)
        zero_shot = [tuple(span) for span in zero_shot_spans]
        spans = vote_spans(projected, teacher, zero_shot)
        bounds = {name: {(a, b) for a, b, _ in voter} for name, voter in
                  (("from_projection", projected), ("from_teacher", teacher), ("from_zero_shot", zero_shot))}
        voted = {name: sum((a, b) in found for a, b, _ in spans) for name, found in bounds.items()}
        return tags_from_spans(len(projected_tags), spans), voted
    if rule == "mixture":
        tags = mixture_tags(projected_tags, probs, labels, weight)
        spans, teacher_spans = spans_from_tags(tags), set(teacher)
        from_teacher = sum(1 for span in spans if tuple(span) in teacher_spans)
        return tags, {"from_projection": len(spans) - from_teacher, "from_teacher": from_teacher}
    # only `verified` and `projection-first` read the teacher's confidences (a mean per span: skipped where unread)
    confidences = ([span_confidence(span, probs, labels) for span in teacher]
                   if rule in ("verified", "projection-first") else None)
    spans, counts = combine_spans(spans_from_tags(projected_tags), teacher, rule, confidences, min_confidence)
    return tags_from_spans(len(projected_tags), spans), counts
