"""UniTrans's voting (Wu et al., IJCAI 2020), as the hybrid `voted` method uses it.

Two teachers label the same N target sentences: the English teacher (model transfer) and the second-stage
teacher, which was fine-tuned on the N projected sentences (data transfer). Where both decode to the same label
for a word, the word's target becomes that label with probability 1 (a hard label both transfers vouch for);
elsewhere it stays the second-stage teacher's distribution. Decoding is the constrained IOB2 Viterbi every
tagger output goes through, so "agree" means the same entity reading, not the same argmax of a noisy vector.
"""
import numpy as np

from xlner.formats.decoding import viterbi_indices


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
