"""Projection as matching, step 3: choose (entity, candidate) pairs, greedily or exactly.

The problem (paper.md §3.4): maximise sum c(s,t) x(s,t) over binary x, with sum_t x(s,t) OP n_proj for each
source entity s (OP one of <=, <, =, >=, >) and no two chosen candidates overlapping. Entries are the pairs with
a positive score only: zero rows and columns are pruned before anything else.

* `greedy` is the thesis's algorithm (its code, which zeroes whole columns; the paper's "argmax" matcher is
  its `<= 1` case), run for every sentence of the batch in lock-step with numpy: one round picks each
  sentence's best remaining pair, then drops the pairs that now overlap it or whose entity is saturated.
  Ties go to the first pair in (entity, candidate) order, as numpy's argmax over the dense matrix does.
* `greedy_dense` is the same algorithm written plainly on one sentence's dense matrix; tests check the two agree.
* `solve_ilp` solves the exact problem with PuLP, many sentences per solver call. Constraints: one per entity,
  and one clique constraint per target word covered by two or more entries (intervals that pairwise overlap
  share a word, so this is the same feasible set as pairwise non-overlap with a tighter relaxation). A
  sentence whose entries for different entities never overlap is solved in closed form under `<= 1` (each
  entity takes its best candidate), which is exact; NER candidates never overlap, so their sentences are bipartite
  matchings, solved exactly by the Hungarian algorithm; under `<= 1` a sentence whose table has at most `DP_MAX_CELLS`
  cells is solved exactly by dynamic programming over its entries in start order and the set of entities used
  (`_interval_dp`); the rest go to the solver.
"""
import logging
import time

import numpy as np

log = logging.getLogger(__name__)

CONSTRAINTS = ("le", "lt", "eq", "ge", "gt")
# The dynamic programme's table has (entries + 1) x 2^entities cells, filled in pure Python at about 0.3 us each:
# above 2^14 (a list sentence of Basque test has 12 entities and 1,379 n-gram entries, 5.6 million cells) one batched
# LP solver call is cheaper.
DP_MAX_CELLS = 1 << 14


def _saturation(constraint, n_proj):
    """After how many picks an entity takes no more (None: never, for >= and >)."""
    if constraint in ("le", "eq"):
        return n_proj
    if constraint == "lt":
        return n_proj - 1
    if constraint in ("ge", "gt"):
        return None
    raise ValueError(f"unknown constraint {constraint!r}; choose from {CONSTRAINTS}")


def greedy(sent, entity, start, end, score, constraint="le", n_proj=1):
    """Indices of the chosen entries. Entries must be sorted by (sentence, entity, candidate)."""
    limit = _saturation(constraint, n_proj)
    alive = np.flatnonzero(score > 0)
    if limit is not None and limit <= 0:
        return np.zeros(0, dtype=np.int64)
    picks_per_entity = np.zeros(int(entity.max(initial=-1)) + 1, dtype=np.int64)
    chosen = []
    while len(alive):
        # Each sentence's best entry: highest score, then earliest position.
        order = alive[np.lexsort((alive, -score[alive], sent[alive]))]
        first = np.concatenate([[True], sent[order][1:] != sent[order][:-1]])
        picked = order[first]
        chosen.append(picked)
        np.add.at(picks_per_entity, entity[picked], 1)
        # Map every live entry to its sentence's pick and drop what overlaps it or is saturated.
        slot = np.searchsorted(sent[picked], sent[alive])
        pick = picked[slot]
        overlaps = (start[alive] < end[pick]) & (start[pick] < end[alive])
        drop = overlaps
        if limit is not None:
            drop = drop | (picks_per_entity[entity[alive]] >= limit)
        alive = alive[~drop]
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)


def greedy_dense(costs, spans, constraint="le", n_proj=1):
    """The thesis's greedy on one sentence: costs (entities x candidates), spans [(start, end)]. Returns
    [(entity, candidate)] in the order chosen."""
    limit = _saturation(constraint, n_proj)
    costs = np.array(costs, dtype=np.float64)
    picks = [0] * costs.shape[0]
    chosen = []
    if limit is not None and limit <= 0:
        return chosen
    while costs.size and costs.max() > 0:
        s, t = np.unravel_index(np.argmax(costs), costs.shape)
        chosen.append((int(s), int(t)))
        picks[s] += 1
        if limit is not None and picks[s] >= limit:
            costs[s, :] = 0
        a, b = spans[t]
        for u, (c, d) in enumerate(spans):
            if c < b and a < d:
                costs[:, u] = 0
    return chosen


def _covered_words(sent, start, end):
    """Expand entries to the words they cover: (entry index, sentence * 2^32 + word) per covered word."""
    length = end - start
    row = np.repeat(np.arange(len(sent)), length)
    word = start[row] + (np.arange(int(length.sum())) - np.repeat(np.cumsum(length) - length, length))
    return row, sent[row] * (1 << 32) + word


def _independent(sent, entity, start, end):
    """Per sentence: True when no target word is covered by entries of two different entities."""
    independent = np.ones(int(sent.max(initial=-1)) + 1, dtype=bool)
    row, key = _covered_words(sent, start, end)
    # (word, entity) pairs sorted, duplicates dropped (np.unique over columns does the same 3x slower); a word left
    # twice is covered by two entities
    order = np.lexsort((entity[row], key))
    key, owner = key[order], entity[row][order]
    distinct = np.concatenate([[True], (key[1:] != key[:-1]) | (owner[1:] != owner[:-1])])
    key = key[distinct]
    shared = key[1:][key[1:] == key[:-1]]
    independent[np.unique(shared >> 32)] = False
    return independent


def _best_per_entity(entity, score, rows):
    rows = rows[np.lexsort((rows, -score[rows], entity[rows]))]
    first = np.concatenate([[True], entity[rows][1:] != entity[rows][:-1]]) if len(rows) else np.zeros(0, bool)
    return rows[first]


def dominated(entity, start, end, score):
    """Entries whose candidate contains a one-word-shorter candidate of the same entity scoring at least as much.

    Swapping such a pair for the shorter one keeps every constraint (same count per entity, and a sub-span
    overlaps nothing its span did not) and never lowers the objective, so dropping them keeps an optimum.
    Under the alignment score this removes every span with an unaligned word at either end."""
    key = (entity << 40) | (start << 20) | end
    order = np.argsort(key)
    sorted_key = key[order]

    def score_of(sub_key):
        at = np.clip(np.searchsorted(sorted_key, sub_key), 0, len(sorted_key) - 1)
        found = sorted_key[at] == sub_key
        return np.where(found, score[order[at]], -np.inf)

    longer = end - start > 1
    left = score_of((entity << 40) | ((start + 1) << 20) | end)
    right = score_of((entity << 40) | (start << 20) | (end - 1))
    return longer & ((left >= score) | (right >= score))


def _disjoint_candidates(sent, start, end):
    """Per sentence index: whether its distinct candidate spans are pairwise disjoint (NER candidates are)."""
    n = int(sent.max(initial=-1)) + 1
    spans = np.unique(np.stack([sent, start, end], axis=1), axis=0)  # sorted by sentence, start, end
    disjoint = np.ones(n, dtype=bool)
    same = spans[1:, 0] == spans[:-1, 0]
    clash = same & (spans[1:, 1] < spans[:-1, 2])
    disjoint[spans[1:, 0][clash]] = False
    return disjoint


def _assign(rows, sent, entity, start, end, score):
    """Exact `<= 1` matching where a sentence's candidates are disjoint: each candidate is then its own clique, and
    the ILP is a maximum-weight bipartite matching of entities to candidates, which the Hungarian algorithm solves
    (scipy's linear_sum_assignment) without an LP; pairs of score 0 it may return are not chosen."""
    from scipy.optimize import linear_sum_assignment

    chosen = []
    order = rows[np.argsort(sent[rows], kind="stable")]
    for group in np.split(order, np.flatnonzero(np.diff(sent[order])) + 1):
        if not len(group):
            continue
        entities, entity_index = np.unique(entity[group], return_inverse=True)
        spans, span_index = np.unique(np.stack([start[group], end[group]], axis=1), axis=0, return_inverse=True)
        matrix = np.zeros((len(entities), len(spans)))
        matrix[entity_index, span_index.reshape(-1)] = score[group]
        where = np.full(matrix.shape, -1, dtype=np.int64)
        where[entity_index, span_index.reshape(-1)] = group
        picked_rows, picked_columns = linear_sum_assignment(matrix, maximize=True)
        picked = where[picked_rows, picked_columns]
        chosen.append(picked[(picked >= 0) & (matrix[picked_rows, picked_columns] > 0)])
    return np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)


def _interval_dp(group, entity, start, end, score):
    """Exact `<= 1` matching of one sentence's entries `group` (each entity at most one candidate, no two chosen
    candidates overlapping): weighted interval scheduling with the set of used entities in the state. Why not the
    LP solver: PuLP builds and solves a model in milliseconds per sentence, this table of a few hundred cells takes
    microseconds (the n-gram recipes send a quarter of their sentences here). best[i][used] is the highest score
    reachable from the i-th entry in start order with the entities in `used` taken; an entry is taken only when that
    is strictly better than leaving it, so ties keep the earlier-skipping choice."""
    group = group[np.lexsort((end[group], start[group]))]
    entities, bit_index = np.unique(entity[group], return_inverse=True)
    bits = (1 << bit_index.reshape(-1)).tolist()
    scores = score[group].tolist()
    n, masks = len(group), 1 << len(entities)
    following = np.searchsorted(start[group], end[group], side="left").tolist()  # first entry after each one ends
    best = [[0.0] * masks for _ in range(n + 1)]
    take = [[False] * masks for _ in range(n)]
    for i in range(n - 1, -1, -1):
        row, skip, after, bit, gain = best[i], best[i + 1], best[following[i]], bits[i], scores[i]
        for used in range(masks):
            row[used] = skip[used]
            if not used & bit and gain + after[used | bit] > skip[used]:
                row[used] = gain + after[used | bit]
                take[i][used] = True
    chosen, i, used = [], 0, 0
    while i < n:
        if take[i][used]:
            chosen.append(group[i])
            used |= bits[i]
            i = following[i]
        else:
            i += 1
    return chosen


def _solve_by_dp(rows, sent, entity, start, end, score):
    """`_interval_dp` for each sentence of `rows`. Returns (chosen rows, sentences solved, rows left to the solver:
    those of sentences whose table would exceed DP_MAX_CELLS)."""
    chosen, solved, left = [], 0, []
    order = rows[np.argsort(sent[rows], kind="stable")]
    for group in np.split(order, np.flatnonzero(np.diff(sent[order])) + 1):
        if not len(group):
            continue
        if (len(group) + 1) << np.unique(entity[group]).size > DP_MAX_CELLS:
            left.append(group)
            continue
        chosen.extend(_interval_dp(group, entity, start, end, score))
        solved += 1
    return (np.array(chosen, dtype=np.int64), solved,
            np.concatenate(left) if left else np.zeros(0, dtype=np.int64))


def make_solver(name="highs"):
    import pulp

    if name == "highs":
        if "HiGHS" not in pulp.listSolvers(onlyAvailable=True):
            raise RuntimeError("the HiGHS solver is not available (pip install highspy); use --solver cbc")
        return pulp.HiGHS(msg=False, gapRel=0.0, gapAbs=0.0)
    if name == "cbc":
        import warnings

        with warnings.catch_warnings():  # PuLP 3.3 deprecates its bundled CBC for 4.0; it still ships and works
            warnings.simplefilter("ignore", DeprecationWarning)
            return pulp.PULP_CBC_CMD(msg=False, gapRel=0.0, gapAbs=0.0)
    raise ValueError(f"unknown solver {name!r}; use highs or cbc")


def _solve_batch(rows, sent, entity, start, end, score, constraint, n_proj, solver):
    """One PuLP model for the entries `rows`. Returns (chosen rows, status)."""
    import pulp

    model = pulp.LpProblem("projection", pulp.LpMaximize)
    variables = [model.add_variable(f"x{i}", cat=pulp.LpBinary) for i in range(len(rows))]
    model.setObjective(pulp.LpAffineExpression(zip(variables, score[rows].tolist())))
    # One constraint per entity.
    order = np.argsort(entity[rows], kind="stable")
    bounds = np.flatnonzero(np.diff(entity[rows][order])) + 1
    for group in np.split(order, bounds):
        expression = pulp.LpAffineExpression([(variables[i], 1) for i in group])
        if constraint == "le":
            model.addConstraint(expression <= n_proj)
        elif constraint == "lt":
            model.addConstraint(expression <= n_proj - 1)
        elif constraint == "eq":
            model.addConstraint(expression == n_proj)
        elif constraint == "ge":
            model.addConstraint(expression >= n_proj)
        elif constraint == "gt":
            model.addConstraint(expression >= n_proj + 1)
    # One clique constraint per (sentence, target word) covered by two or more entries.
    cover_row, key = _covered_words(sent[rows], start[rows], end[rows])
    order = np.argsort(key, kind="stable")
    key, cover_row = key[order], cover_row[order]
    for group in np.split(cover_row, np.flatnonzero(np.diff(key)) + 1):
        if len(group) > 1:
            model.addConstraint(pulp.LpAffineExpression([(variables[i], 1) for i in group]) <= 1)
    status = model.solve(solver)
    if pulp.LpStatus[status] != "Optimal":
        return None, pulp.LpStatus[status]
    values = np.array([v.varValue or 0.0 for v in variables])
    return rows[values > 0.5], "Optimal"


def solve_ilp(sent, entity, start, end, score, constraint="le", n_proj=1, solver="highs", batch_sentences=5000,
              assignment=False, dynamic=False):
    """Exact matching. Returns (chosen entry indices, report dict). Sentences whose problem is infeasible
    (possible with =, >= and >) are found by splitting the batch and get no projection; they are counted.
    assignment: solve `<= 1` sentences with disjoint candidates by the Hungarian algorithm instead of the LP solver
    (used for NER candidates, which never overlap: 5x faster). Both are exact; on a tie between optima they may pick
    differently, so the n-gram and window recipes keep the solver and their numbers.
    dynamic: solve the other `<= 1` sentences by `_interval_dp` where its table is small (xlner's recipes: an n-gram
    recipe sends a quarter of its sentences to the solver, 10x its other work). Exact as well; the paper's recipes keep
    the solver, whose choice among tied optima their reference numbers record."""
    _saturation(constraint, n_proj)  # validates the constraint name
    report = {"solver": solver, "pairs_dominated": 0, "sentences_in_closed_form": 0, "sentences_by_assignment": 0,
              "sentences_by_dp": 0, "sentences_solved": 0, "solver_calls": 0, "infeasible_sentences": 0, "solver_seconds": 0.0}
    alive = np.flatnonzero(score > 0)
    drop = dominated(entity[alive], start[alive], end[alive], score[alive])
    report["pairs_dominated"] = int(drop.sum())
    alive = alive[~drop]
    if not len(alive):
        return np.zeros(0, dtype=np.int64), report
    chosen = []
    if constraint == "le" and n_proj == 1:
        independent = _independent(sent[alive], entity[alive], start[alive], end[alive])
        easy = independent[sent[alive]]
        chosen.append(_best_per_entity(entity, score, alive[easy]))
        report["sentences_in_closed_form"] = int(np.unique(sent[alive[easy]]).size)
        alive = alive[~easy]
        if assignment and len(alive):
            assignable = _disjoint_candidates(sent[alive], start[alive], end[alive])[sent[alive]]
            chosen.append(_assign(alive[assignable], sent, entity, start, end, score))
            report["sentences_by_assignment"] = int(np.unique(sent[alive[assignable]]).size)
            alive = alive[~assignable]
        if dynamic and len(alive):
            picked, report["sentences_by_dp"], alive = _solve_by_dp(alive, sent, entity, start, end, score)
            chosen.append(picked)
    pulp_solver = make_solver(solver) if len(alive) else None
    sentences = np.unique(sent[alive])
    pending = [sentences[i:i + batch_sentences] for i in range(0, len(sentences), batch_sentences)]
    while pending:
        group = pending.pop()
        rows = alive[np.isin(sent[alive], group)]
        began = time.perf_counter()
        picked, status = _solve_batch(rows, sent, entity, start, end, score, constraint, n_proj, pulp_solver)
        report["solver_seconds"] += time.perf_counter() - began
        report["solver_calls"] += 1
        if picked is not None:
            chosen.append(picked)
            report["sentences_solved"] += len(group)
        elif len(group) > 1:  # find the infeasible sentences by halving
            half = len(group) // 2
            pending += [group[:half], group[half:]]
        else:
            report["infeasible_sentences"] += 1
            log.warning("sentence %d: the ILP is %s; it gets no projection", int(group[0]), status)
    report["solver_seconds"] = round(report["solver_seconds"], 3)
    return (np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)), report


def objective(score, chosen):
    return float(score[chosen].sum())
