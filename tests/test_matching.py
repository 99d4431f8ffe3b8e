"""Projection as matching: candidates, scores, greedy and exact (ILP) matching, the thesis heuristic."""
import json

import numpy as np
import pytest

from conftest import project_lines
from xlner.projection.candidates import (
    Corpus,
    listed_candidates,
    ngram_candidates,
    pairs,
    subspan_candidates,
    window_candidates,
)
from xlner.projection.heuristics import project_heuristic
from xlner.projection.matched import match_floor, project_by_matching
from xlner.projection.matching import dominated, greedy, greedy_dense, solve_ilp
from xlner.projection.scores import align_scores, ner_scores
from xlner.settings import ProjectSettings, SettingsError, build

TYPES = ["PER", "ORG", "LOC"]


def spans(c):
    return list(zip(c.sent.tolist(), c.start.tolist(), c.end.tolist()))


def corpus(src_tags, tgt_tokens, alignment):
    return Corpus.build([src_tags], [tgt_tokens], [alignment])


# ---------------------------------------------------------------- candidates

def test_ngram_candidates_skip_stop_words_and_respect_max_len():
    c = corpus(["B-PER"], ["a", "b", "!", "c", "d"], [(0, 0)])
    assert spans(ngram_candidates(c, max_len=2)) == [(0, 0, 1), (0, 0, 2), (0, 1, 2), (0, 3, 4), (0, 3, 5),
                                                     (0, 4, 5)]
    # Unbounded: the paper's default; still no span across "!".
    assert (0, 0, 2) in spans(ngram_candidates(c, max_len=None))
    assert all(not (a <= 2 < b) for _, a, b in spans(ngram_candidates(c, max_len=None)))


def test_window_candidates_are_the_ngrams_inside_each_aligned_window():
    # Entity 1 (source 0-1) aligns to target 1 and 3; entity 2 (source 3) to target 6.
    c = Corpus.build([["B-PER", "I-PER", "O", "B-LOC"]], [list("abcdefgh")], [[(0, 1), (1, 3), (3, 6)]])
    got = spans(window_candidates(c, max_len=10))
    assert got == [(0, 1, 2), (0, 1, 3), (0, 1, 4), (0, 2, 3), (0, 2, 4), (0, 3, 4), (0, 6, 7)]
    assert spans(window_candidates(c, max_len=2)) == [(0, 1, 2), (0, 1, 3), (0, 2, 3), (0, 2, 4), (0, 3, 4),
                                                      (0, 6, 7)]


def test_listed_candidates_ignore_labels_and_duplicates():
    got = listed_candidates([[[0, 2, "PER"], [3, 4, "LOC"], [0, 2, "ORG"]], [], [[1, 3]]])
    assert spans(got) == [(0, 0, 2), (0, 3, 4), (2, 1, 3)]


def test_split_candidates_cut_a_teacher_span_at_punctuation_only():
    words = ["en", "San", "Francisco", ",", "California", "(", "EE.UU.", ")"]
    c = corpus(["O"] * 3, words, [])
    got = spans(subspan_candidates(c, listed_candidates([[[1, 8, "LOC"]]])))
    # the listed span itself, then the parts between cuts and their unions; never "Francisco" alone, never a part
    # that begins or ends on punctuation
    assert got == [(0, 1, 3), (0, 1, 5), (0, 1, 7), (0, 1, 8), (0, 4, 5), (0, 4, 7), (0, 6, 7)]
    # a span without punctuation yields itself only, in a sentence of its own
    c = Corpus.build([["O"], ["O"]], [["a", ","], ["Juan", "Pérez"]], [[], []])
    assert spans(subspan_candidates(c, listed_candidates([[], [[0, 2, "PER"]]]))) == [(1, 0, 2)]


def test_split_candidates_let_two_english_entities_take_the_parts_of_one_teacher_span():
    src = [["B-LOC", "I-LOC", "O", "B-LOC"]]  # San Francisco , California
    tgt = [["San", "Francisco", ",", "California"]]
    links = [[(0, 0), (1, 1), (2, 2), (3, 3)]]
    merged = [[[0, 4, "LOC"]]]
    paper = ProjectSettings(method="ner-candidates", matcher="ilp")
    tags, _, _ = project_by_matching(src, tgt, links, paper, TYPES, tgt_candidates=merged)
    assert tags == [["B-LOC", "I-LOC", "I-LOC", "I-LOC"]]  # one entity takes the merged span, the other nothing
    split = build(ProjectSettings, {"method": "ner-candidates", "matcher": "ilp", "split_candidates": True})
    tags, outcomes, _ = project_by_matching(src, tgt, links, split, TYPES, tgt_candidates=merged)
    assert tags == [["B-LOC", "I-LOC", "O", "B-LOC"]]
    assert [o.target_spans for o in outcomes[0]] == [((0, 2),), ((3, 4),)]
    # a floor on the match score: English "California" matches the part "Costa California" with Dice 2/3 (the whole
    # span: 1/3), so it is projected under a floor of 0.5 and dropped under 0.9
    floor = {"method": "ner-candidates", "matcher": "ilp", "split_candidates": True}
    tags, _, _ = project_by_matching(src, [["San", "Francisco", ",", "Costa", "California"]],
                                     [[(0, 0), (1, 1), (2, 2), (3, 4)]], build(ProjectSettings, {**floor,
                                                                                              "min_match_score": 0.9}),
                                     TYPES, tgt_candidates=[[[0, 5, "LOC"]]])
    assert tags == [["B-LOC", "I-LOC", "O", "O", "O"]]
    tags, _, _ = project_by_matching(src, [["San", "Francisco", ",", "Costa", "California"]],
                                     [[(0, 0), (1, 1), (2, 2), (3, 4)]], build(ProjectSettings, {**floor,
                                                                                              "min_match_score": 0.5}),
                                     TYPES, tgt_candidates=[[[0, 5, "LOC"]]])
    assert tags == [["B-LOC", "I-LOC", "O", "B-LOC", "I-LOC"]]
    # the quantile floor: the same share of entities whatever the scale of the scores
    entity = np.array([0, 0, 1, 2, 3, 3, 4])
    score = np.array([0.9, 0.2, 0.5, 0.0, 0.3, 0.8, 0.6])  # best per entity: 0.9, 0.5, (none), 0.8, 0.6
    assert match_floor(entity, score) == 0.0 and match_floor(entity, score, minimum=0.55) == 0.55
    floor = match_floor(entity, score, quantile=0.25)  # the lowest of the four best scores survives, nothing below
    assert (score > floor).tolist() == [True, False, True, False, False, True, True]
    assert match_floor(entity, score / 2, quantile=0.25) == pytest.approx(floor / 2)
    assert (score > match_floor(entity, score, quantile=0.5)).tolist() == [True, False, False, False, False, True, True]
    assert match_floor(entity, score, minimum=0.7, quantile=0.25) == 0.7
    with pytest.raises(SettingsError, match="min_match_quantile"):
        build(ProjectSettings, {"method": "ner-candidates", "min_match_quantile": 1.0})
    with pytest.raises(SettingsError, match="min_match_score"):
        build(ProjectSettings, {"method": "ner-candidates", "min_match_score": -0.1})
    with pytest.raises(SettingsError, match="split_candidates"):
        build(ProjectSettings, {"method": "heuristic", "split_candidates": True})
    with pytest.raises(SettingsError, match="entity_type"):
        build(ProjectSettings, {"method": "heuristic", "entity_type": "english"})


# ---------------------------------------------------------------- scores

def test_align_score_is_the_dice_score_of_the_code():
    # Source entity = words 0-1, aligned to target words 1 and 2.
    c = corpus(["B-ORG", "I-ORG", "O"], list("abcd"), [(0, 1), (1, 2), (2, 3)])
    cands = listed_candidates([[[1, 3], [1, 2], [0, 3], [3, 4]]])
    entity, candidate = pairs(c, cands)
    got = dict(zip(spans(cands), align_scores(c, cands, entity, candidate)))
    assert got[(0, 1, 3)] == pytest.approx(2 * 2 / (2 + 2))
    assert got[(0, 1, 2)] == pytest.approx(2 * 1 / (2 + 1))
    assert got[(0, 0, 3)] == pytest.approx(2 * 2 / (2 + 3))  # an unaligned word lowers the score
    assert got[(0, 3, 4)] == 0  # the link of the O word does not count


LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def test_ner_score_averages_b_and_i_probabilities_with_alpha_on_exact_predictions():
    probs = np.array([[0.9, 0.05, 0.03, 0.01, 0.01],   # O
                      [0.1, 0.7, 0.1, 0.05, 0.05],     # B-PER
                      [0.1, 0.1, 0.6, 0.1, 0.1],       # I-PER
                      [0.5, 0.02, 0.02, 0.44, 0.02]])  # O (LOC second)
    c = corpus(["B-PER", "I-PER", "O", "B-LOC"], ["w"] * 4, [])
    cands = listed_candidates([[[1, 3], [1, 2], [0, 3], [3, 4]]])
    entity, candidate = pairs(c, cands)
    per_class = ner_scores(c, cands, entity, candidate, probs, LABELS, TYPES, per_class=True)
    got = {(int(e), spans(cands)[int(t)][1:]): s for e, t, s in zip(entity, candidate, per_class)}
    assert got[(0, (1, 3))] == pytest.approx((0.7 + 0.6) / 2 * 1.15)  # argmax is B-PER I-PER: alpha applies
    assert got[(0, (1, 2))] == pytest.approx(0.7)
    assert got[(0, (0, 3))] == pytest.approx((0.05 + 0.1 + 0.6) / 3)  # no alpha: word 0 is predicted O
    assert got[(1, (3, 4))] == pytest.approx(0.44)  # the LOC entity scores its own class
    assert got[(1, (1, 3))] == pytest.approx((0.05 + 0.1) / 2)  # B-LOC at word 1, I-LOC at word 2
    assert got[(1, (0, 3))] == pytest.approx((0.01 + 0.05 + 0.1) / 3)  # 0.053: just above the threshold
    assert got[(1, (1, 2))] == 0  # B-LOC 0.05: at the threshold, cut to 0


def test_ner_score_threshold_and_span_variant():
    probs = np.array([[0.96, 0.01, 0.01, 0.01, 0.01], [0.2, 0.1, 0.1, 0.5, 0.1]])
    c = corpus(["B-PER"], ["w", "w"], [])
    cands = listed_candidates([[[0, 1], [1, 2]]])
    entity, candidate = pairs(c, cands)
    per_class = ner_scores(c, cands, entity, candidate, probs, LABELS, TYPES, per_class=True)
    assert per_class.tolist() == [0.0, pytest.approx(0.1)]  # 0.01 <= 0.05 is cut to 0
    spans_variant = ner_scores(c, cands, entity, candidate, probs, LABELS, TYPES, per_class=False)
    assert spans_variant.tolist() == [0.0, pytest.approx(0.5)]  # the best class (LOC), whatever the entity's


def test_ner_score_reads_i_for_b_in_iob1_label_lists():
    iob1 = ["O", "I-PER", "B-LOC", "I-LOC"]  # like xlm-roberta-large-finetuned-conll03-english: no B-PER
    probs = np.array([[0.1, 0.8, 0.05, 0.05], [0.1, 0.7, 0.1, 0.1]])
    c = corpus(["B-PER", "I-PER"], ["w", "w"], [])
    cands = listed_candidates([[[0, 2]]])
    entity, candidate = pairs(c, cands)
    score = ner_scores(c, cands, entity, candidate, probs, iob1, TYPES)
    assert score[0] == pytest.approx((0.8 + 0.7) / 2 * 1.15)


def test_fused_score_is_the_weighted_sum():
    probs = np.array([[0.1, 0.8, 0.1, 0.0, 0.0], [0.1, 0.1, 0.8, 0.0, 0.0], [0.9, 0.05, 0.05, 0.0, 0.0]])
    args = ([["B-PER", "I-PER"]], [["x", "y", "z"]], [[(0, 0), (1, 2)]])
    label_probs = (LABELS, [probs])
    fused = ProjectSettings(method="ngram", score="fused", weights={"align": 0.5, "ner": 0.5})
    align = ProjectSettings(method="ngram", score="align")
    ner = ProjectSettings(method="ngram", score="ner")
    results = {name: project_by_matching(*args, s, TYPES, label_probs=label_probs)[2]["objective"]
               for name, s in (("fused", fused), ("align", align), ("ner", ner))}
    # Each picks its own best span. Fused: [0, 1) has align 2/3 and NER 0.8 (0.7333), which beats [0, 2)
    # (align 0.5, NER 0.92: 0.71) and [0, 3) (0.8, 0.55: 0.675).
    assert results["align"] == pytest.approx(2 * 2 / (2 + 3))  # whole sentence [0, 3) holds both links
    assert results["ner"] == pytest.approx((0.8 + 0.8) / 2 * 1.15)  # [0, 2): predicted B-PER I-PER
    assert results["fused"] == pytest.approx(0.5 * 2 / 3 + 0.5 * 0.8)


# ---------------------------------------------------------------- matching

def _entries(costs, cand_spans):
    e, t = np.nonzero(np.asarray(costs) > 0)
    starts = np.array([cand_spans[i][0] for i in t], dtype=np.int64)
    ends = np.array([cand_spans[i][1] for i in t], dtype=np.int64)
    return np.zeros(len(e), dtype=np.int64), e.astype(np.int64), starts, ends, np.asarray(costs)[e, t]


def test_greedy_and_exact_agree_when_best_candidates_are_distinct_and_disjoint():
    cand_spans = [(0, 2), (1, 3), (3, 4), (4, 6), (5, 7)]
    costs = [[0.9, 0.4, 0.0, 0.0, 0.1],
             [0.0, 0.2, 0.8, 0.3, 0.0],
             [0.1, 0.0, 0.0, 0.7, 0.6]]
    entries = _entries(costs, cand_spans)
    by_greedy = greedy(*entries)
    by_ilp, _ = solve_ilp(*entries)
    assert sorted(by_greedy.tolist()) == sorted(by_ilp.tolist())
    assert entries[4][by_greedy].sum() == pytest.approx(0.9 + 0.8 + 0.7)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_thesis_counterexample_greedy_is_not_optimal(solver):
    # paper.md §3.5: n_proj = 2, candidates (1,2), (2,3), (3,5) (inclusive) scored 0.2, 0.3, 0.2.
    cand_spans = [(1, 3), (2, 4), (3, 6)]
    entries = _entries([[0.2, 0.3, 0.2]], cand_spans)
    by_greedy = greedy(*entries, constraint="le", n_proj=2)
    by_ilp, report = solve_ilp(*entries, constraint="le", n_proj=2, solver=solver)
    assert entries[4][by_greedy].sum() == pytest.approx(0.3)
    assert entries[4][by_ilp].sum() == pytest.approx(0.4)
    assert report["solver_calls"] == 1


def _random_problem(rng, n_sentences=30):
    sent, ent, start, end, score = [], [], [], [], []
    entity_id = 0
    for s in range(n_sentences):
        n_words = int(rng.integers(3, 12))
        for _ in range(int(rng.integers(1, 4))):
            for _ in range(int(rng.integers(1, 8))):
                a = int(rng.integers(0, n_words))
                b = int(rng.integers(a + 1, min(n_words, a + 4) + 1))
                sent.append(s)
                ent.append(entity_id)
                start.append(a)
                end.append(b)
                score.append(float(rng.choice([0.0, rng.random()])))
            entity_id += 1
    arrays = [np.array(x) for x in (sent, ent, start, end)]
    key = np.lexsort((arrays[3], arrays[2], arrays[1]))
    # unique (entity, span) entries, sorted by entity then span
    _, first = np.unique(np.stack([arrays[1][key], arrays[2][key], arrays[3][key]]), axis=1, return_index=True)
    keep = key[np.sort(first)]
    return (*(a[keep] for a in arrays), np.array(score)[keep])


@pytest.mark.parametrize("constraint,n_proj", [("le", 1), ("le", 2), ("lt", 2), ("eq", 1), ("ge", 1)])
def test_vectorised_greedy_matches_the_plain_algorithm(constraint, n_proj):
    rng = np.random.default_rng(7)
    sent, ent, start, end, score = _random_problem(rng)
    chosen = set(greedy(sent, ent, start, end, score, constraint, n_proj).tolist())
    for s in np.unique(sent):
        rows = np.flatnonzero(sent == s)
        entities = sorted(set(ent[rows].tolist()))
        cand = sorted(set(zip(start[rows].tolist(), end[rows].tolist())))
        costs = np.zeros((len(entities), len(cand)))
        for r in rows:
            costs[entities.index(ent[r]), cand.index((start[r], end[r]))] = score[r]
        plain = {(entities[e], cand[t]) for e, t in greedy_dense(costs, cand, constraint, n_proj)}
        mine = {(int(ent[r]), (int(start[r]), int(end[r]))) for r in rows if r in chosen}
        assert mine == plain


@pytest.mark.parametrize("seed", range(5))
def test_exact_objective_is_never_below_greedy(seed):
    rng = np.random.default_rng(seed)
    sent, ent, start, end, score = _random_problem(rng, n_sentences=40)
    for constraint, n_proj in (("le", 1), ("le", 2)):
        by_greedy = greedy(sent, ent, start, end, score, constraint, n_proj)
        by_ilp, report = solve_ilp(sent, ent, start, end, score, constraint, n_proj, batch_sentences=7)
        assert score[by_ilp].sum() >= score[by_greedy].sum() - 1e-9
        # The exact solution is feasible: no overlaps within a sentence, <= n_proj per entity.
        for s in np.unique(sent[by_ilp]):
            picked = sorted((start[r], end[r]) for r in by_ilp if sent[r] == s)
            assert all(b <= c for (_, b), (c, _) in zip(picked, picked[1:]))
        assert np.bincount(ent[by_ilp]).max(initial=0) <= n_proj
        assert report["infeasible_sentences"] == 0


def test_dominated_pairs_are_spans_with_a_shorter_equal_or_better_sub_span():
    entity = np.array([0, 0, 0, 1])
    start = np.array([0, 1, 0, 0])
    end = np.array([2, 2, 1, 2])
    score = np.array([0.5, 0.6, 0.1, 0.9])
    assert dominated(entity, start, end, score).tolist() == [True, False, False, False]


def test_infeasible_sentences_get_no_projection_and_are_counted():
    # Sentence 0 has one entity and one candidate: "= 2" cannot be met. Sentence 1 can.
    sent = np.array([0, 1, 1])
    ent = np.array([0, 1, 1])
    start = np.array([0, 0, 2])
    end = np.array([1, 1, 3])
    score = np.array([0.5, 0.5, 0.4])
    chosen, report = solve_ilp(sent, ent, start, end, score, constraint="eq", n_proj=2)
    assert chosen.tolist() == [1, 2]
    assert report["infeasible_sentences"] == 1


# ---------------------------------------------------------------- whole projections

def test_matching_projection_writes_valid_iob2_on_real_alignments():
    src = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    tgt = [["El", "señor", "Juan", "Pérez", "vive", "en", "Madrid"], ["La", "ONU", "!"]]
    links = [[(0, 2), (1, 3), (2, 4), (3, 6)], [(0, 1), (1, 2)]]
    for method in ("ngram", "aligned-window"):
        for matcher in ("greedy", "ilp"):
            tags, outcomes, report = project_by_matching(src, tgt, links, ProjectSettings(method=method,
                                                                                        matcher=matcher), TYPES)
            assert tags == [["O", "O", "B-PER", "I-PER", "O", "O", "B-LOC"], ["O", "B-ORG", "O"]]
            assert [len(o) for o in outcomes] == [2, 1]
    tags, _, _ = project_by_matching(src, tgt, links, ProjectSettings(method="ner-candidates"), TYPES,
                                     tgt_candidates=[[[1, 4, "PER"], [6, 7, "LOC"]], [[0, 2, "ORG"]]])
    # NER candidates are whole spans: "señor Juan Pérez" is the PER candidate, "La ONU" the ORG one.
    assert tags == [["O", "B-PER", "I-PER", "I-PER", "O", "O", "B-LOC"], ["B-ORG", "I-ORG", "O"]]


def test_heuristic_thesis_labels_shortest_first_and_never_overwrites():
    # Two source entities both aligned to target word 1; the shorter one (LOC) is processed first and wins.
    src = ["B-ORG", "I-ORG", "O", "B-LOC"]
    tags, outcomes = project_heuristic(src, 4, [(0, 1), (1, 2), (3, 1)], method="heuristic-thesis",
                                       ratio_threshold=0.4)
    assert tags == ["O", "B-LOC", "O", "O"]
    assert outcomes[0].target_spans == () and outcomes[1].target_spans == ((1, 2),)


def test_heuristic_thesis_only_i_and_top_k():
    # Entity of 3 words: B aligned to target 4, I words to target 0 and 2 -> runs [0,1) [2,3) [4,5).
    src = ["B-PER", "I-PER", "I-PER"]
    links = [(0, 4), (1, 0), (2, 2)]
    merged, _ = project_heuristic(src, 6, links, method="heuristic-thesis", ratio_threshold=0.5)
    assert merged == ["B-PER", "I-PER", "I-PER", "I-PER", "I-PER", "O"]  # all runs merged over 1-word gaps
    only_i, _ = project_heuristic(src, 6, links, method="heuristic-thesis", ratio_threshold=0.5, only_i=True)
    assert only_i == ["B-PER", "I-PER", "I-PER", "O", "O", "O"]  # [4,5) starts on the B word: kept apart (and
    # then dropped by the ratio test, 1/3 < 0.5)
    top, _ = project_heuristic(["B-PER", "I-PER"], 8, [(0, 0), (1, 1), (0, 4), (0, 5), (1, 6)],
                               method="heuristic-thesis", ratio_threshold=0.5, merge_distance=0, top_k=1)
    assert top == ["B-PER", "I-PER", "O", "O", "O", "O", "O", "O"]  # the shortest of [0,2) and [4,7)


# ---------------------------------------------------------------- the command

def _lines(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_project_command_names_the_missing_model_field(tmp_path):
    from xlner.errors import InputError

    line = {"id": "0", "src_tokens": ["Ana"], "src_tags": ["B-PER"], "tgt_tokens": ["Ana"], "alignment": [[0, 0]]}
    _lines(tmp_path / "a.jsonl", [line])
    for method, match, field in (("ner-candidates", {}, "tgt_candidates"),
                                 ("ngram", {"score": "ner"}, "tgt_label_probs")):
        with pytest.raises(InputError, match=f"a.jsonl:1: missing field {field}"):
            project_lines(tmp_path / "a.jsonl", tmp_path / "p.jsonl", None, tmp_path / "s.json", method, **match)
        assert not (tmp_path / "p.jsonl").exists()
    _lines(tmp_path / "b.jsonl", [{**line, "tgt_label_probs": {"labels": LABELS, "probs": [[0.1, 0.9, 0, 0, 0]]}}])
    project_lines(tmp_path / "b.jsonl", tmp_path / "p.jsonl", None, tmp_path / "s.json", "ngram", score="ner",
                  matcher="ilp")
    assert json.loads((tmp_path / "p.jsonl").read_text())["tgt_tags"] == ["B-PER"]
    stats = json.loads((tmp_path / "s.json").read_text())
    assert stats["matcher"] == "ilp" and stats["matching"]["pairs_scored_above_0"] == 1


@pytest.mark.parametrize("field,value,message", [
    ("tgt_candidates", [[0, 5, "PER"]], "is not a [start, end(, type)] span inside the 1 target words"),
    ("tgt_candidates", [[1, 1]], "is not a [start, end(, type)] span"),
    ("tgt_label_probs", {"labels": LABELS, "probs": [[0.2] * 5, [0.2] * 5]}, "2 probability vectors for 1 tgt_tokens"),
    ("tgt_label_probs", [[0.2] * 5], "tgt_label_probs must be"),
    ("src_unknown", [3], "src_unknown [3] holds an index outside the 1 words"),
    ("src_unknown", ["Ana"], "src_unknown must be a list of word indices"),
])
def test_bad_model_fields_are_errors_naming_file_and_line(tmp_path, field, value, message):
    from xlner.errors import InputError

    good = {"id": "0", "src_tokens": ["Ana"], "src_tags": ["B-PER"], "tgt_tokens": ["Ana"], "alignment": [[0, 0]],
            "tgt_candidates": [[0, 1, "PER"]], "tgt_label_probs": {"labels": LABELS, "probs": [[0.1, 0.9, 0, 0, 0]]}}
    _lines(tmp_path / "a.jsonl", [good, {**good, "id": "1", field: value}])
    method, match = {"tgt_candidates": ("ner-candidates", {}), "src_unknown": ("heuristic", {"anchors": ["unknown"]})
                     }.get(field, ("ngram", {"score": "ner"}))
    with pytest.raises(InputError) as raised:
        project_lines(tmp_path / "a.jsonl", tmp_path / "p.jsonl", tmp_path / "p.conll", tmp_path / "s.json", method,
                      **match)
    assert "a.jsonl:2:" in str(raised.value) and message in str(raised.value)
    assert not (tmp_path / "p.jsonl").exists() and not (tmp_path / "s.json").exists()


@pytest.mark.parametrize("seed", range(4))
def test_assignment_of_disjoint_candidates_reaches_the_solvers_optimum(seed):
    # NER candidates: every sentence's spans are disjoint (here: fixed 2-word slots), several entities compete for them
    rng = np.random.default_rng(seed)
    rows = [(s, e, 2 * slot, 2 * slot + 2, float(rng.choice([0.0, rng.random()])))
            for s in range(30) for e in range(3 * s, 3 * s + int(rng.integers(1, 4)))
            for slot in sorted(rng.choice(5, size=int(rng.integers(1, 5)), replace=False))]
    sent, ent, start, end = (np.array([r[k] for r in rows]) for k in range(4))
    score = np.array([r[4] for r in rows])
    by_solver, solved = solve_ilp(sent, ent, start, end, score)
    by_assignment, assigned = solve_ilp(sent, ent, start, end, score, assignment=True)
    assert assigned["sentences_by_assignment"] > 0 and assigned["solver_calls"] == 0 and solved["solver_calls"] == 1
    assert score[by_assignment].sum() == pytest.approx(score[by_solver].sum())
    assert (score[by_assignment] > 0).all() and np.bincount(ent[by_assignment]).max() == 1
    for s in np.unique(sent[by_assignment]):  # each candidate used at most once in its sentence
        spans = [(start[r], end[r]) for r in by_assignment if sent[r] == s]
        assert len(spans) == len(set(spans))


@pytest.mark.parametrize("seed", range(5))
def test_dynamic_programme_reaches_the_solvers_optimum_on_overlapping_spans(seed):
    # n-gram candidates overlap, so their sentences go to the solver; `dynamic` solves them by the interval DP instead
    rng = np.random.default_rng(seed)
    sent, ent, start, end, score = _random_problem(rng, n_sentences=40)
    by_solver, solved = solve_ilp(sent, ent, start, end, score)
    by_dp, report = solve_ilp(sent, ent, start, end, score, dynamic=True)
    assert report["sentences_by_dp"] > 0 and report["solver_calls"] == 0 and solved["solver_calls"] == 1
    assert score[by_dp].sum() == pytest.approx(score[by_solver].sum())
    assert (score[by_dp] > 0).all() and np.bincount(ent[by_dp]).max() == 1
    for s in np.unique(sent[by_dp]):  # feasible: no two chosen spans of a sentence overlap
        picked = sorted((start[r], end[r]) for r in by_dp if sent[r] == s)
        assert all(b <= c for (_, b), (c, _) in zip(picked, picked[1:]))


def test_dynamic_programme_leaves_a_sentence_with_a_large_table_to_the_solver(monkeypatch):
    # two entities wanting the same two overlapping spans: the optimum pairs each with a different, disjoint span
    sent, ent = np.zeros(4, dtype=np.int64), np.array([0, 0, 1, 1])
    start, end = np.array([0, 1, 0, 2]), np.array([2, 3, 1, 3])
    score = np.array([0.9, 0.5, 0.4, 0.45])
    by_dp, report = solve_ilp(sent, ent, start, end, score, dynamic=True)
    assert sorted(by_dp.tolist()) == [0, 3] and report["sentences_by_dp"] == 1  # 0.9 + 0.45, not 0.9 alone
    monkeypatch.setattr("xlner.projection.matching.DP_MAX_CELLS", 8)  # (4 entries + 1) x 2^2 = 20 cells > 8
    by_solver, report = solve_ilp(sent, ent, start, end, score, dynamic=True)
    assert sorted(by_solver.tolist()) == [0, 3] and report["sentences_by_dp"] == 0 and report["solver_calls"] == 1
