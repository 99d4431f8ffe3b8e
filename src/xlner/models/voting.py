"""Combining per-word distributions: UniTrans's voting (Wu et al., IJCAI 2020), as the hybrid `voted` method uses it;
the hybrid `agree`; the mean of several teachers (the teacher ensemble).

Two teachers label the same N target sentences: the English teacher (model transfer) and the second-stage
teacher, which was fine-tuned on the N projected sentences (data transfer). Where both decode to the same label
for a word, the word's target becomes that label with probability 1 (a hard label both transfers vouch for);
elsewhere it stays the second-stage teacher's distribution. Decoding is the constrained IOB2 Viterbi every
tagger output goes through, so "agree" means the same entity reading, not the same argmax of a noisy vector.
"""
import numpy as np

from xlner.formats.decoding import mix_projection, viterbi_indices


def vote(first, second, labels):
    """(targets, words where the two teachers agree) for one sentence; first and second are words x labels
    probabilities of the same words, second is the teacher whose distribution is kept where they disagree."""
    first, second = np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)
    if first.shape != second.shape:
        raise ValueError(f"the teachers' probabilities differ in shape: {first.shape} vs {second.shape}")
    agree = viterbi_indices(first, labels) == viterbi_indices(second, labels)
    targets = second.copy()
    hard = np.eye(len(labels))[viterbi_indices(second, labels)]
    targets[agree] = hard[agree]
    return targets, int(agree.sum())


def agree(projected_tags, teacher, labels, weight):
    """The hybrid `agree` targets of one sentence: both transfers label the same target words, the projection
    through an English translation (projected_tags, valid IOB2) and the teacher directly (teacher: words x labels
    probabilities). Where the projected label equals the teacher's decoded one the word's target is that label,
    hard; elsewhere it is weight x the projected one-hot + (1 - weight) x the teacher's distribution, so a
    projection with weight > 1/2 overrules an unsure teacher and weight 0 keeps the teacher's soft label.
    Returns (targets, words where they agree)."""
    teacher = np.asarray(teacher, dtype=np.float64)
    projected, targets = mix_projection(projected_tags, teacher, labels, weight)
    agreed = viterbi_indices(teacher, labels) == projected.argmax(-1) if len(teacher) else np.zeros(0, bool)
    targets[agreed] = projected[agreed]
    return targets, int(agreed.sum())


def mean_distributions(per_teacher):
    """The teacher ensemble's targets of one sentence: the mean over k teachers of their per-word distributions
    (each words x labels, already in the experiment's label space), renormalised so each word sums to 1. Its
    decoding (constrained Viterbi) is the ensemble's prediction. Returns (mean, the k x words x labels stack)."""
    stacked = np.stack([np.asarray(p, dtype=np.float64) for p in per_teacher])  # raises if the shapes differ
    if stacked.ndim != 3:
        raise ValueError(f"expected k teachers x words x labels probabilities, got shape {stacked.shape}")
    mean = stacked.mean(0)
    mean = mean / mean.sum(-1, keepdims=True)
    return mean, stacked


def unanimous_words(stacked, labels):
    """Words of one sentence where every teacher's decoded label is the same (stacked: k x words x labels)."""
    decoded = np.stack([viterbi_indices(p, labels) for p in stacked])
    return int((decoded == decoded[0]).all(0).sum())
