"""Bootstrap replicates of every run's test F1, shared by one language's summary, gaps, fits and answers.

Two sources of noise are resampled:
* **test sentences**: one multinomial weight vector per replicate, shared by every arm, size and seed, so any
  contrast between cells (a gap, the better of two arms) is paired on the same resampled test set;
* **training seeds** (the two-level interval): on each replicate the seeds of one (arm, method) curve are drawn
  with replacement, jointly across its sizes (one seed's runs are nested subsets: a seed is a whole curve), and
  independently per curve, except for curves that train on the same sentences with the same teacher at each seed
  (`paired_curve`: supervised, teacher-student, target-side projection and its hybrids all read the unlabelled
  pool's subset file of the seed, the gold train split by default): those share one draw, so their gaps are paired
  on seeds as well as on sentences.

With K seeds there are only C(2K-1, K) distinct seed draws (10 for K = 3): the seed part is coarse, and a
percentile interval from K draws is narrower than a t-interval over K seeds would be. The sentence-only
interval (seeds averaged, as the first version of xlner did) is kept beside it.
"""
from dataclasses import dataclass, field

import numpy as np

from xlner.analysis.counts import f1_from_counts

# The curves whose seed s trains on the unlabelled pool's subset of seed s (with the seed's teacher, where one is
# used): with the pool being the gold train split, the supervised reference's subset file holds the same ids.
TARGET_SIDE = "tgt-"


def paired_curve(arm, method):
    """Whether an (arm, method) curve trains on the target pool's seed subsets (and so shares their seed draw)."""
    return arm in ("supervised", "teacher-student") or (arm in ("projection", "hybrid") and TARGET_SIDE in method)


@dataclass
class Replicates:
    """F1 of every (arm, method, size) cell: observed per seed, and per replicate under both schemes."""

    resamples: int
    sentences: int  # of the test set
    per_seed: dict = field(default_factory=dict)  # cell -> (K,) observed F1 of each seed
    seeds: dict = field(default_factory=dict)  # cell -> [seed numbers]
    sentence: dict = field(default_factory=dict)  # cell -> (R,) mean over all seeds, resampled sentences
    two_level_seeds: dict = field(default_factory=dict)  # cell -> (R, K) F1 of the drawn seeds, resampled sentences
    paired: dict = field(default_factory=dict)  # (arm, method) -> whether its seed draw is shared with other curves

    def observed(self, cell):
        return float(self.per_seed[cell].mean())

    def two_level(self, cell):
        """(R,) mean over the drawn seeds of each replicate."""
        return self.two_level_seeds[cell].mean(1)

    def seeds_paired(self, *cells):
        """Whether the cells' seed draws are one draw (each replicate draws the same seed numbers for all)."""
        curves = {cell[:2] for cell in cells}
        return all(self.paired.get(c) for c in curves) and len({tuple(self.seeds[cell]) for cell in cells}) == 1


def build_replicates(cells, resamples, seed):
    """cells: {(arm, method, size): {seed: (sentences x 3) counts}} of one language, all on the same test set.

    The random draws are made in a fixed order (sentence weights, then each curve's seed draws in sorted order of
    (arm, method)), so the same results give the same replicates.
    """
    lengths = {counts.shape[0] for runs in cells.values() for counts in runs.values()}
    if len(lengths) > 1:
        raise ValueError(f"runs of one language were scored on different test sets ({sorted(lengths)} sentences)")
    n = lengths.pop()
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=resamples).astype(np.float64)  # R x sentences
    curves = sorted({(arm, method) for arm, method, _ in cells})
    seed_lists = {curve: sorted({s for (a, m, _), runs in cells.items() if (a, m) == curve for s in runs})
                  for curve in curves}
    draws = {curve: rng.integers(0, len(seed_lists[curve]), size=(resamples, len(seed_lists[curve])))
             for curve in curves}
    # Paired curves take the draw of the first of them with the same seeds (every draw above is still made, so an
    # unpaired curve's replicates do not change with pairing).
    paired = {curve: paired_curve(*curve) and any(c != curve and paired_curve(*c) and seed_lists[c] == seed_lists[curve]
                                                  for c in curves) for curve in curves}
    for curve in curves:
        if paired[curve]:
            draws[curve] = draws[next(c for c in curves if paired[c] and seed_lists[c] == seed_lists[curve])]
    out = Replicates(resamples, n, paired=paired)
    for cell in sorted(cells):
        runs = cells[cell]
        seeds = sorted(runs)
        counts = np.stack([runs[s] for s in seeds])  # K x sentences x 3
        f1 = f1_from_counts(np.einsum("rs,ksc->rkc", weights, counts))  # R x K
        out.per_seed[cell] = f1_from_counts(counts.sum(1))
        out.seeds[cell] = seeds
        out.sentence[cell] = f1.mean(1)
        curve_seeds = seed_lists[cell[:2]]
        if seeds != curve_seeds:  # a size with fewer seeds than its curve: draw among its own
            local = np.random.default_rng([seed, len(seeds), cell[2]]).integers(0, len(seeds),
                                                                               size=(resamples, len(seeds)))
        else:
            local = draws[cell[:2]]
        out.two_level_seeds[cell] = np.take_along_axis(f1, local, axis=1)
    return out


def percentile_interval(values, confidence=0.95):
    """Two-sided percentile interval of replicate values (nan replicates left out; nan if none is left)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if not len(values):
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2
    low, high = np.quantile(values, [tail, 1 - tail])
    return float(low), float(high)
