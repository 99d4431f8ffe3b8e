"""Annotation projection: carry source-side entity spans onto the target sentence through word alignments.

Pure functions only: no I/O, no models. The heuristic is García-Ferrero et al. (2022) as re-implemented by
Politov et al. (2025), `paper.md` §3.1, in two variants:

* `heuristic-paper` reproduces the authors' code (`src/pipelines/align/matching.py`) exactly, quirks
  included (paper.md §8.12), so their numbers can be reproduced: candidate ranges are grown incrementally
  (which can leave overlapping ranges), the merge sets the end to the next range's end even when that is
  smaller (a merge can shrink a span), the length-ratio test is a strict `>`, and a later entity overwrites
  the labels of an earlier one (which can leave invalid IOB2).
* `heuristic` (the default) is the same algorithm with those quirks fixed: ranges are the maximal runs of
  aligned target words, merges never shrink, the ratio test is `>=`, and when two projected spans claim
  the same word the longer span keeps it (the earlier entity on a tie), so the output is always valid IOB2.
* `heuristic-thesis` is the thesis's version (paper.md §3.1, `HeuriticsProjection`): entities shortest first,
  ranges are maximal runs of aligned words, a range is labelled only if all its words are still O (collision
  rule), `only_i` keeps a run that starts on a word aligned to the entity's first word from being merged into
  the previous run, and `top_k` keeps the k shortest ranges, as the thesis code does (its text says longest).
  Its ratio test is the strict `>` of the authors' code.

Candidate matching (n-grams, aligned windows, NER candidates) is in candidates.py, scores.py and matching.py.

Alignments are lists of (source index, target index) pairs: source first.
"""
from collections import defaultdict
from dataclasses import dataclass

from xlner.formats.conll import spans_from_tags, tags_from_spans
from xlner.settings import HEURISTICS


@dataclass(frozen=True)
class EntityOutcome:
    """What happened to one source entity: its type and the target spans it ended up with."""
    kind: str
    source_span: tuple
    target_spans: tuple


def _aligned_targets(alignment):
    by_source = defaultdict(set)
    for src, tgt in alignment:
        by_source[src].add(tgt)
    return {src: sorted(tgts) for src, tgts in by_source.items()}


def _paper_candidate_ranges(start, end, aligned):
    """The authors' incremental range growing (order of source words, then target indices)."""
    ranges = []
    for m in range(start, end):
        for k in aligned.get(m, ()):
            if any(r[0] <= k < r[1] for r in ranges):
                continue
            for r in ranges:
                if k == r[1]:
                    r[1] += 1
                    break
            else:
                for r in ranges:
                    if k == r[0] - 1:
                        r[0] -= 1
                        break
                else:
                    ranges.append([k, k + 1])
    return ranges


def _paper_merge(ranges, merge_distance):
    if not ranges:
        return []
    ranges = sorted(ranges, key=lambda r: r[0])
    merged = [list(ranges[0])]
    for r in ranges[1:]:
        if r[0] - merged[-1][1] > merge_distance:
            merged.append(list(r))
        else:
            merged[-1][1] = r[1]  # the authors' code: may shrink the range
    return merged


def _maximal_runs(indices):
    runs = []
    for k in sorted(set(indices)):
        if runs and k == runs[-1][1]:
            runs[-1][1] = k + 1
        else:
            runs.append([k, k + 1])
    return runs


def _merge(ranges, merge_distance):
    merged = []
    for r in ranges:  # sorted, disjoint
        if merged and r[0] - merged[-1][1] <= merge_distance:
            merged[-1][1] = max(merged[-1][1], r[1])
        else:
            merged.append(list(r))
    return merged


def heuristic_ranges(start, end, aligned, merge_distance=1, ratio_threshold=0.8, paper=False):
    """Target ranges [a, b) one source entity [start, end) projects to, before resolving collisions."""
    length = end - start
    if paper:
        ranges = _paper_merge(_paper_candidate_ranges(start, end, aligned), merge_distance)
        return [tuple(r) for r in ranges if (r[1] - r[0]) / length > ratio_threshold]
    targets = [k for m in range(start, end) for k in aligned.get(m, ())]
    ranges = _merge(_maximal_runs(targets), merge_distance)
    return [tuple(r) for r in ranges if (r[1] - r[0]) / length >= ratio_threshold]


def thesis_ranges(start, end, aligned, merge_distance=1, ratio_threshold=0.8, only_i=False, top_k=None):
    """The thesis's candidate ranges for one entity [start, end): runs, merge (only_i), ratio, top-k shortest."""
    first_word_targets = set(aligned.get(start, ()))
    runs = _maximal_runs([k for m in range(start, end) for k in aligned.get(m, ())])
    merged = []
    for run in runs:
        starts_entity = only_i and run[0] in first_word_targets
        if merged and run[0] - merged[-1][1] <= merge_distance and not starts_entity:
            merged[-1][1] = run[1]
        else:
            merged.append(list(run))
    kept = [tuple(r) for r in merged if (r[1] - r[0]) / (end - start) > ratio_threshold]
    if top_k is not None:
        kept = sorted(kept, key=lambda r: (r[1] - r[0], r[0]))[:top_k]
    return sorted(kept)


def _project_thesis(entities, n_target, aligned, merge_distance, ratio_threshold, only_i, top_k):
    tags = ["O"] * n_target
    accepted = defaultdict(list)
    for index in sorted(range(len(entities)), key=lambda i: (entities[i][1] - entities[i][0], i)):
        s, e, kind = entities[index]
        for a, b in thesis_ranges(s, e, aligned, merge_distance, ratio_threshold, only_i, top_k):
            if all(t == "O" for t in tags[a:b]):
                tags[a:b] = [f"B-{kind}"] + [f"I-{kind}"] * (b - a - 1)
                accepted[index].append((a, b))
    outcomes = [EntityOutcome(kind, (s, e), tuple(sorted(accepted.get(index, ()))))
                for index, (s, e, kind) in enumerate(entities)]
    return tags, outcomes


def project_heuristic(src_tags, n_target, alignment, merge_distance=1, ratio_threshold=0.8, method="heuristic",
                      only_i=False, top_k=None):
    """Project IOB2 source tags onto a target sentence of `n_target` words.

    Returns (target tags, [EntityOutcome per source entity, in source order]).
    """
    if method not in HEURISTICS:
        raise ValueError(f"unknown heuristic {method!r}; choose from {HEURISTICS}")
    aligned = _aligned_targets(alignment)
    entities = spans_from_tags(src_tags)
    if method == "heuristic-thesis":
        return _project_thesis(entities, n_target, aligned, merge_distance, ratio_threshold, only_i, top_k)
    proposals = [heuristic_ranges(s, e, aligned, merge_distance, ratio_threshold, paper=method == "heuristic-paper")
                 for s, e, _ in entities]

    if method == "heuristic-paper":
        tags = ["O"] * n_target
        owner = [None] * n_target
        for index, ((_, _, kind), ranges) in enumerate(zip(entities, proposals)):
            for a, b in ranges:
                tags[a] = f"B-{kind}"
                owner[a] = index
                for k in range(a + 1, b):
                    tags[k] = f"I-{kind}"
                    owner[k] = index
        # An entity counts as projected if any of its words survived later overwrites.
        outcomes = [EntityOutcome(kind, (s, e), tuple((a, b) for a, b in ranges
                                                      if any(owner[k] == index for k in range(a, b))))
                    for index, ((s, e, kind), ranges) in enumerate(zip(entities, proposals))]
        return tags, outcomes

    # Fixed variant: resolve collisions, longer span first, earlier entity on ties.
    claims = sorted(((b - a, index, a, b) for index, ranges in enumerate(proposals) for a, b in ranges),
                    key=lambda c: (-c[0], c[1], c[2]))
    taken = [False] * n_target
    accepted = defaultdict(list)
    for _, index, a, b in claims:
        if any(taken[a:b]):
            continue
        taken[a:b] = [True] * (b - a)
        accepted[index].append((a, b))
    spans = [(a, b, entities[index][2]) for index, ranges in accepted.items() for a, b in ranges]
    outcomes = [EntityOutcome(kind, (s, e), tuple(sorted(accepted.get(index, ()))))
                for index, (s, e, kind) in enumerate(entities)]
    return tags_from_spans(n_target, sorted(spans)), outcomes


def projection_stats(outcomes_per_sentence):
    """Count entities in / projected / lost per type, and target spans written, over a corpus."""
    entities_in, projected, lost, spans_out = (defaultdict(int) for _ in range(4))
    sentences_with_loss = 0
    for outcomes in outcomes_per_sentence:
        any_lost = False
        for outcome in outcomes:
            entities_in[outcome.kind] += 1
            if outcome.target_spans:
                projected[outcome.kind] += 1
                spans_out[outcome.kind] += len(outcome.target_spans)
            else:
                lost[outcome.kind] += 1
                any_lost = True
        sentences_with_loss += any_lost
    total_in = sum(entities_in.values())
    return {
        "sentences": len(outcomes_per_sentence),
        "sentences_with_lost_entities": sentences_with_loss,
        "entities_in": dict(entities_in), "entities_projected": dict(projected),
        "entities_lost": dict(lost), "target_spans_written": dict(spans_out),
        "projection_rate": round(sum(projected.values()) / total_in, 4) if total_in else None,
    }
