"""Projection as matching, step 2: the score c(s, t) of every (source entity, target candidate) pair.

All scores are computed for arrays of pairs at once (paper.md §3.3):
* `align_scores`: the Dice score of the alignment, 2 * links(s, t) / (len(s) + len(t)), as in the authors'
  code (the thesis formula lacks the factor 2). Link counts come from prefix sums over target words.
* `ner_scores`: from a target-side NER model's per-word probabilities. For class l and span [a, b):
  avg_l = (p[a][B-l] + sum_{a<k<b} p[k][I-l]) / (b - a), times alpha^(b-a-1) when the model's own argmax over
  the span is exactly B-l I-l ... I-l (the code, not the thesis text, which applies alpha always). `per_class`
  scores the entity's own class; otherwise the best class (the thesis's "ner_spans"). A label list without
  B-X (IOB1 models) reads I-X for B-X. Scores at or below `threshold` (0.05) become 0.
* NMT scores come from `nmtscore.NMTScorer`; `fuse` adds weighted scores.
"""
import numpy as np

from xlner.settings import NER_ALPHA, NER_THRESHOLD, NMT_THRESHOLD  # noqa: F401 (re-exported)


def align_scores(corpus, candidates, entity, candidate):
    """Dice alignment score for each (entity, candidate) pair."""
    n_ent = len(corpus.ent_sent)
    width = corpus.n_tgt[corpus.ent_sent] + 1  # one prefix-sum row per entity over its sentence's words
    row = np.cumsum(width) - width
    owner = corpus.entity_of_links()
    keep = owner >= 0
    counts = np.zeros(int(width.sum()) if n_ent else 0, dtype=np.int64)
    np.add.at(counts, row[owner[keep]] + corpus.link_tgt[keep] + 1, 1)
    prefix = np.cumsum(counts)  # differences inside one entity's row are that row's prefix sums
    base = row[entity]
    links = prefix[base + candidates.end[candidate]] - prefix[base + candidates.start[candidate]]
    length = (corpus.ent_end - corpus.ent_start)[entity] + (candidates.end - candidates.start)[candidate]
    return 2.0 * links / length


def label_columns(labels, kind):
    """Columns of B-kind and I-kind in a label list; an IOB1 list without B-kind uses I-kind for both."""
    index = {label: i for i, label in enumerate(labels)}
    inside = index.get(f"I-{kind}")
    begin = index.get(f"B-{kind}", inside)
    if begin is None:
        return None, None
    return begin, inside if inside is not None else begin


def _class_scores(corpus, candidates, entity, candidate, probs, labels, kind, alpha):
    begin, inside = label_columns(labels, kind)
    if begin is None:
        return np.zeros(len(entity))
    sent = corpus.ent_sent[entity]
    a = corpus.tgt_offset[sent] + candidates.start[candidate]
    b = corpus.tgt_offset[sent] + candidates.end[candidate]
    prefix_inside = np.concatenate([[0.0], np.cumsum(probs[:, inside], dtype=np.float64)])
    total = probs[a, begin] + (prefix_inside[b] - prefix_inside[a + 1])
    length = b - a
    average = total / length
    predicted = probs.argmax(axis=1)
    is_inside = np.concatenate([[0], np.cumsum(predicted == inside, dtype=np.int64)])
    exact = (predicted[a] == begin) & (is_inside[b] - is_inside[a + 1] == length - 1)
    return np.where(exact, average * alpha ** (length - 1), average)


def ner_scores(corpus, candidates, entity, candidate, probs, labels, kinds, per_class=True, alpha=NER_ALPHA,
               threshold=NER_THRESHOLD):
    """probs: (global target words x labels). kinds: the entity types that may be scored (others score 0)."""
    if per_class:
        scores = np.zeros(len(entity))
        entity_kind = np.array(corpus.ent_kind, dtype=object)[entity] if len(entity) else np.array([], dtype=object)
        for kind in kinds:
            mine = entity_kind == kind
            if mine.any():
                scores[mine] = _class_scores(corpus, candidates, entity[mine], candidate[mine], probs, labels,
                                             kind, alpha)
    else:
        scores = np.max([_class_scores(corpus, candidates, entity, candidate, probs, labels, kind, alpha)
                         for kind in kinds], axis=0) if kinds else np.zeros(len(entity))
    return np.where(scores > threshold, scores, 0.0)


def fuse(weighted):
    """Sum of weight * scores over (weight, scores) pairs with a non-zero weight."""
    parts = [w * s for w, s in weighted if w]
    return np.sum(parts, axis=0) if parts else None
