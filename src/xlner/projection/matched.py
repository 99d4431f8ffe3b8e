"""Projection as matching of source entities to target candidates (paper.md §3.2-3.5), for a batch of sentences.

candidates -> scores of every (entity, candidate) pair of a sentence -> zero pairs pruned -> greedy or ILP
matching -> IOB2 target tags. Pure: models enter only through their outputs (`tgt_candidates`,
`tgt_label_probs`) or an NMT scorer object.
"""
from collections import defaultdict

import numpy as np

from xlner.formats.conll import tags_from_spans
from xlner.projection.candidates import (
    Corpus,
    listed_candidates,
    ngram_candidates,
    pairs,
    subspan_candidates,
    window_candidates,
)
from xlner.projection.heuristics import EntityOutcome
from xlner.projection.matching import greedy, solve_ilp
from xlner.projection.scores import align_scores, fuse, ner_scores
from xlner.settings import MATCH_METHODS

MATCHERS = ("greedy", "ilp")
# Sentences per ILP model: HiGHS solves one model per batch (paper.md §3.4; measured in projection_speed.py).
ILP_BATCH_SENTENCES = 5000


def _candidates(corpus, settings, tgt_candidates):
    if settings.method == "ngram":
        return ngram_candidates(corpus, settings.max_len)
    if settings.method == "aligned-window":
        return window_candidates(corpus, settings.max_len)
    if settings.method == "ner-candidates":
        listed = listed_candidates(tgt_candidates)
        return subspan_candidates(corpus, listed, settings.max_len) if settings.split_candidates else listed
    raise ValueError(f"unknown matching method {settings.method!r}; choose from {MATCH_METHODS}")


def _phrases(tokens, sentence, start, end):
    return [" ".join(tokens[s][a:b]) for s, a, b in zip(sentence.tolist(), start.tolist(), end.tolist())]


def match_floor(entity, score, minimum=0.0, quantile=0.0):
    """The score a pair must exceed to be matched: `minimum`, or, where higher, the `quantile` of the entities' best
    scores in this batch (entities with no positive score left out). A quantile floor drops the same share of weakly
    supported entities whatever the scale of the scores: the fused score holds the teacher's probabilities, which are
    lower on a language the teacher knows less, so one absolute floor drops more there."""
    floor = max(0.0, minimum)
    if quantile > 0 and len(entity):
        best = np.zeros(int(entity.max()) + 1)
        np.maximum.at(best, entity, score)
        best = best[best > 0]
        if len(best):
            # just below the quantile's own score (pairs must exceed the floor), so the entity at it is kept
            floor = max(floor, float(np.quantile(best, quantile, method="lower")) - 1e-12)
    return floor


def project_by_matching(src_tags, tgt_tokens, alignments, settings, kinds, tgt_candidates=None, label_probs=None,
                        nmt_scorer=None, src_tokens=None):
    """Project a batch. label_probs: (labels, [words x labels array per sentence]).

    Returns (target tags per sentence, [EntityOutcome] per sentence, report dict)."""
    if settings.matcher not in MATCHERS:
        raise ValueError(f"unknown matcher {settings.matcher!r}; choose from {MATCHERS}")
    weights = settings.score_weights()
    corpus = Corpus.build(src_tags, tgt_tokens, alignments)
    candidates = _candidates(corpus, settings, tgt_candidates)
    entity, candidate = pairs(corpus, candidates)
    parts = []
    if weights["align"]:
        parts.append((weights["align"], align_scores(corpus, candidates, entity, candidate)))
    for part, per_class in (("ner", True), ("ner_spans", False)):
        if weights[part]:
            labels, probs = label_probs
            matrix = np.concatenate(probs) if probs else np.zeros((0, len(labels)))
            parts.append((weights[part], ner_scores(corpus, candidates, entity, candidate, matrix, labels, kinds,
                                                    per_class, settings.ner_alpha, settings.ner_threshold)))
    if weights["nmt"]:
        sent = corpus.ent_sent[entity]
        sources = _phrases(src_tokens, sent, corpus.ent_start[entity], corpus.ent_end[entity])
        targets = _phrases(tgt_tokens, sent, candidates.start[candidate], candidates.end[candidate])
        nmt = nmt_scorer.similarities(sources, targets)
        parts.append((weights["nmt"], np.where(nmt > settings.nmt_threshold, nmt, 0.0)))
    score = fuse(parts)
    if score is None:
        raise ValueError("every score weight is 0: nothing to match on")

    # prune zero rows and columns before matching; the floor (xlner) also drops weakly supported pairs
    floor = match_floor(entity, score, settings.min_match_score, settings.min_match_quantile)
    live = score > floor
    sent = corpus.ent_sent[entity][live]
    ent, start, end, value = entity[live], candidates.start[candidate][live], candidates.end[candidate][live], score[live]
    report = {"candidates": int(len(candidates)), "pairs": int(len(entity)), "pairs_scored_above_0": int(live.sum())}
    if settings.matcher == "greedy":
        chosen = greedy(sent, ent, start, end, value, settings.constraint, settings.n_proj)
    else:
        chosen, solved = solve_ilp(sent, ent, start, end, value, settings.constraint, settings.n_proj,
                                   settings.solver, ILP_BATCH_SENTENCES,
                                   assignment=settings.method == "ner-candidates",
                                   dynamic=settings.beyond_the_paper or settings.combine is not None)
        report.update(solved)
    report["objective"] = round(float(value[chosen].sum()), 6)

    spans = defaultdict(list)
    for e, a, b in zip(ent[chosen].tolist(), start[chosen].tolist(), end[chosen].tolist()):
        spans[e].append((a, b))
    outcomes = [[] for _ in range(corpus.n_sentences)]
    for e, (s, a, b, kind) in enumerate(zip(corpus.ent_sent.tolist(), corpus.ent_start.tolist(),
                                            corpus.ent_end.tolist(), corpus.ent_kind)):
        outcomes[s].append(EntityOutcome(kind, (a, b), tuple(sorted(spans.get(e, ())))))
    tags = [tags_from_spans(n, sorted((a, b, o.kind) for o in sentence for a, b in o.target_spans))
            for n, sentence in zip(corpus.n_tgt.tolist(), outcomes)]
    return tags, outcomes, report
