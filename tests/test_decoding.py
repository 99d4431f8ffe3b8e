"""Constrained IOB2 decoding: valid tags always, the argmax where it is valid, the best valid path otherwise."""
import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics import f1_score

from xlner.analysis.metrics import conlleval_f1, score
from xlner.formats.conll import label_list, spans_from_tags, tags_from_spans
from xlner.formats.decoding import allowed_transitions, decode, decode_all

LABELS = label_list(["PER", "LOC"])  # O B-PER I-PER B-LOC I-LOC


def valid(tags):
    return tags == tags_from_spans(len(tags), spans_from_tags(tags))


def path_score(tags, probs):
    return sum(np.log(max(probs[w][LABELS.index(t)], 1e-12)) for w, t in enumerate(tags))


def test_transition_table_forbids_orphans_only():
    start, allowed = allowed_transitions(LABELS)
    assert start.tolist() == [True, True, False, True, False]
    # I-PER may follow B-PER and I-PER only; I-LOC B-LOC and I-LOC only; everything else is free
    assert allowed[:, 2].tolist() == [False, True, True, False, False]
    assert allowed[:, 4].tolist() == [False, False, False, True, True]
    assert allowed[:, [0, 1, 3]].all()


def test_orphan_becomes_the_best_valid_reading():
    # argmax: O I-PER I-PER (orphan). Valid alternatives: B-PER I-PER I-PER (0.3*0.6*0.6) beats O O O etc.
    probs = [[0.6, 0.3, 0.0, 0.1, 0.0], [0.1, 0.0, 0.6, 0.0, 0.3], [0.1, 0.0, 0.6, 0.0, 0.3]]
    assert decode(probs, LABELS) == ["B-PER", "I-PER", "I-PER"]
    # a weak continuation: the orphan is better read as O
    probs = [[0.9, 0.05, 0.0, 0.05, 0.0], [0.5, 0.0, 0.45, 0.05, 0.0]]
    assert decode(probs, LABELS) == ["O", "O"]
    # a type switch inside an entity: B-PER I-LOC is invalid
    probs = [[0.0, 0.9, 0.0, 0.1, 0.0], [0.0, 0.0, 0.4, 0.0, 0.6]]
    assert decode(probs, LABELS) in (["B-PER", "I-PER"], ["B-LOC", "I-LOC"])
    assert decode(probs, LABELS) == ["B-PER", "I-PER"]  # 0.9*0.4 > 0.1*0.6


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_decoding_is_valid_and_optimal(length, seed):
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(len(LABELS), 0.5), size=length)
    tags = decode(probs, LABELS)
    assert valid(tags)
    argmax = [LABELS[i] for i in probs.argmax(1)]
    if valid(argmax):
        assert tags == argmax
    best = max((list(p) for p in itertools.product(LABELS, repeat=length) if valid(list(p))),
               key=lambda p: path_score(p, probs))
    assert np.isclose(path_score(tags, probs), path_score(best, probs))


def test_scorers_agree_on_decoded_tags():
    rng = np.random.default_rng(3)
    gold = [tags_from_spans(8, [(1, 3, "PER"), (5, 6, "LOC")]) for _ in range(50)]
    probs = [rng.dirichlet(np.full(len(LABELS), 0.3), size=8) for _ in gold]
    argmax = [[LABELS[i] for i in p.argmax(1)] for p in probs]
    decoded, changed = decode_all(probs, LABELS)
    assert changed > 0
    # argmax with orphans: strict and conlleval readings differ; decoded: they agree
    assert score(gold, argmax)["f1"] != conlleval_f1(gold, argmax)
    assert score(gold, decoded)["f1"] == conlleval_f1(gold, decoded) == round(100 * f1_score(gold, decoded), 2)
