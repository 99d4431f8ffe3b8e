"""xlner's projection levers beyond the paper: Apertium's unknown-word marks, string anchors, and the combination
with the zero-shot teacher (projection/anchors.py, combine.py, mt/translate.py)."""
import pytest

from xlner.formats.conll import spans_from_tags
from xlner.formats.words import split_words
from xlner.mt.translate import ApertiumTranslator, locate_marks, translate_sentences, unknown_word_indices
from xlner.projection.anchors import anchor_links, anchored_alignment, edit_similarity, name_match, signature
from xlner.projection.combine import combine_spans, combine_tags, span_confidence, vote_spans
from xlner.projection.heuristics import project_heuristic
from xlner.projection.retype import retype_spans, teacher_type
from xlner.settings import ProjectSettings, SettingsError, build

LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]


def test_marks_are_located_in_the_unmarked_text():
    # Apertium without -u vs with it, as eu-en prints them: `#hashtag` is `#` then the unknown `hashtag`, and -u
    # keeps a generation error's trailing `#`.
    text = locate_marks("Juan *Arzak the cook , #*hashtag #make# 3*4", "Juan Arzak the cook , #hashtag make# 3*4")
    assert str(text) == "Juan Arzak the cook , #hashtag make# 3*4"
    assert text.marks == {"*": 2, "#": 1} and text.unplaced == 0
    assert [split_words(text)[i] for i in unknown_word_indices(text)] == ["Arzak", "hashtag"]


def test_marks_are_placed_by_words_when_the_two_runs_differ_beyond_them():
    # a/an before a marked word: the texts differ, the unknown words are still placed by word matching
    text = locate_marks("The 38600DX *equivale to a *i386DX", "The 38600DX equivale to an i386DX")
    assert str(text) == "The 38600DX equivale to an i386DX"
    assert [split_words(text)[i] for i in unknown_word_indices(text)] == ["equivale", "i386DX"]
    assert text.unplaced == 0
    lost = locate_marks("*Foo bar", "Baz bar")  # the unknown word is not in the -u text: counted, not claimed
    assert unknown_word_indices(lost) == [] and lost.unplaced == 1


@pytest.mark.apertium("eu-en")
def test_apertium_unknown_words_are_the_copied_basque_words():
    sentences = [("1", "Bilboko udalak Gasteizen bilera egin zuen Athletic Clubekin .".split()),
                 ("2", "Juan Mari Arzak sukaldaria Donostiakoa da .".split())]
    marked, _ = translate_sentences(ApertiumTranslator("eu-en"), sentences)
    plain, _ = translate_sentences(ApertiumTranslator("eu-en", marks=False), sentences)
    assert [r["tgt_text"] for r in marked] == [r["tgt_text"] for r in plain]  # the same text as `apertium -u`
    assert "tgt_unknown" not in plain[0]
    unknown = [[r["tgt_tokens"][i] for i in r["tgt_unknown"]] for r in marked]
    assert "Arzak" in unknown[1] and "Clubekin" in unknown[0]
    assert all(word in tokens for words, (_, tokens) in zip(unknown, sentences) for word in words)


def test_name_matching_accepts_inflections_and_refuses_near_misses():
    assert signature("Bilboko") == "blbk" and signature("Bilbao") == "blb"
    assert name_match("Bilbao", "Bilboko") == "fuzzy"  # Basque inflection: signature prefix
    assert name_match("Monaco", "Mónakó") == "fuzzy"  # Icelandic respelling: edit similarity 5/6
    assert name_match("Madrid", "Madrid") == "exact" and name_match("MADRID", "madrid") == "exact"
    assert name_match("Bilbao", "Bizkaia") is None  # same initial, different name
    assert name_match("Maria", "Marta") is None  # one edit in five letters: 0.8 < 0.82
    assert name_match("Paris", "parisen") is None  # fuzzy matches need both capitalised
    assert name_match("Bilbao", "Bilboko", kinds=("exact",)) is None
    assert edit_similarity("monaco", "monako") == pytest.approx(5 / 6)


def test_an_unknown_marked_name_is_aligned_by_identity():
    # eu -> en: Apertium copied `Arzak` (marked *); the aligner linked it to the wrong Basque word.
    english = ["Juan", "Mari", "Arzak", "the", "cook"]
    basque = ["Juan", "Mari", "Arzak", "sukaldaria"]
    tags = ["B-PER", "I-PER", "I-PER", "O", "O"]
    alignment = [(0, 0), (1, 1), (2, 3), (4, 3)]
    anchors = anchor_links(english, basque, tags, alignment, kinds=("unknown",), src_unknown=[2])
    assert anchors == {2: (2, "unknown")}
    fixed = anchored_alignment(alignment, anchors)
    assert fixed == [(0, 0), (1, 1), (2, 2), (4, 3)]  # Arzak's wrong link replaced; `cook` keeps `sukaldaria`
    projected, _ = project_heuristic(tags, len(basque), fixed)
    assert spans_from_tags(projected) == [(0, 3, "PER")]
    unanchored, _ = project_heuristic(tags, len(basque), alignment)
    assert spans_from_tags(unanchored) != [(0, 3, "PER")]


def test_an_inflected_name_anchors_and_a_near_miss_does_not():
    english = ["the", "municipality", "of", "Bilbao", "and", "Bizkaia"]
    basque = ["Bizkaiko", "eta", "Bilboko", "udalak"]
    tags = ["O", "O", "O", "B-LOC", "O", "O"]
    alignment = [(1, 3), (3, 0), (4, 1)]  # the aligner put Bilbao on Bizkaiko
    anchors = anchor_links(english, basque, tags, alignment)
    assert anchors == {3: (2, "fuzzy")}
    projected, _ = project_heuristic(tags, len(basque), anchored_alignment(alignment, anchors))
    assert projected == ["O", "O", "B-LOC", "O"]
    # a source entity with no matching target word keeps the aligner's links
    assert anchor_links(["Gotham"], ["Bizkaiko"], ["B-LOC"], [(0, 0)]) == {}


def test_combination_rules_on_hand_made_spans():
    projected = [(0, 2, "PER"), (5, 6, "LOC")]
    teacher = [(0, 2, "ORG"), (3, 4, "LOC"), (5, 7, "LOC")]
    spans, counts = combine_spans(projected, teacher, "projection-first")
    assert spans == [(0, 2, "PER"), (3, 4, "LOC"), (5, 6, "LOC")] and counts == {"from_projection": 2,
                                                                                 "from_teacher": 1}
    spans, _ = combine_spans(projected, teacher, "teacher-first")
    assert spans == teacher
    spans, _ = combine_spans(projected, [(0, 2, "ORG")], "teacher-first")
    assert spans == [(0, 2, "ORG"), (5, 6, "LOC")]
    assert combine_spans(projected, teacher, "agreement")[0] == [(0, 2, "PER")]
    # verified: the teacher's spans and types where a projected span overlaps them, or where the teacher is sure
    spans, counts = combine_spans(projected, teacher, "verified", confidences=[0.3, 0.95, 0.3], min_confidence=0.9)
    assert spans == [(0, 2, "ORG"), (3, 4, "LOC"), (5, 7, "LOC")] and counts["from_teacher"] == 3
    spans, _ = combine_spans(projected, teacher, "verified", confidences=[0.3, 0.85, 0.3], min_confidence=0.9)
    assert spans == [(0, 2, "ORG"), (5, 7, "LOC")]  # the unsure, unprojected LOC at 3 is dropped
    assert combine_spans([], teacher, "verified", confidences=[0.3, 0.3, 0.3], min_confidence=0.9)[0] == []
    # an unsure teacher span is not added to a projection
    spans, _ = combine_spans(projected, teacher, "projection-first", confidences=[0.9, 0.4, 0.9], min_confidence=0.5)
    assert spans == projected


def test_vote_keeps_what_two_of_three_found_with_the_majority_type():
    projected = [(0, 2, "PER"), (3, 4, "LOC"), (6, 8, "ORG")]
    student = [(0, 2, "ORG"), (3, 5, "LOC"), (6, 8, "ORG"), (9, 10, "PER")]
    teacher = [(0, 2, "ORG"), (3, 5, "LOC"), (9, 10, "LOC")]
    # (0, 2): all three, ORG two to one; (3, 5): student and teacher (the projection cut it short); (6, 8): projection
    # and student; (9, 10): student PER against teacher LOC, a tie the earlier voter (the student) wins; (3, 4) alone
    assert vote_spans(projected, student, teacher) == [(0, 2, "ORG"), (3, 5, "LOC"), (6, 8, "ORG"), (9, 10, "PER")]
    assert vote_spans([(3, 4, "LOC")], [], teacher) == []  # no two voters agree on boundaries
    assert vote_spans(projected, [], teacher) == [(0, 2, "PER")]  # two voters, the tie: the projection's type
    assert vote_spans(projected, teacher, student)[3] == (9, 10, "LOC")  # the tie goes to the earlier voter
    # the sentence rule: projected tags, the student's spans, the teacher's kept ones, with each voter's count
    tags, counts = combine_tags(["B-PER", "I-PER", "O", "B-LOC", "O"], [[0, 2, "ORG"], [3, 5, "LOC"]], [], LABELS,
                                "vote", zero_shot_spans=[[0, 2, "ORG"]])
    assert tags == ["B-ORG", "I-ORG", "O", "O", "O"]
    assert counts == {"from_projection": 1, "from_teacher": 1, "from_zero_shot": 1}
    # three voters need a student beside the teacher
    with pytest.raises(SettingsError, match="three voters"):
        build(ProjectSettings, {"method": "heuristic", "combine": "vote"})
    assert "teacher_candidates" in build(ProjectSettings, {"method": "heuristic", "combine": "vote",
                                                            "combine_with": "projection/heuristic"}).needs()[0]


def test_combined_tags_use_the_teachers_probabilities():
    probs = [[0.1, 0.0, 0.0, 0.0, 0.0, 0.9, 0.0], [0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.8], [1, 0, 0, 0, 0, 0, 0]]
    assert span_confidence((0, 2, "LOC"), probs, LABELS) == pytest.approx(0.85)
    tags, counts = combine_tags(["O", "O", "O"], [[0, 2, "LOC"]], probs, LABELS, "projection-first", 0.9)
    assert tags == ["O", "O", "O"] and counts["from_teacher"] == 0
    tags, _ = combine_tags(["O", "O", "O"], [[0, 2, "LOC"]], probs, LABELS, "projection-first", 0.8)
    assert tags == ["B-LOC", "I-LOC", "O"]


def test_a_projected_span_takes_the_teachers_type_for_its_words():
    # words 0-1: projected ORG (the English side's type), the teacher says PER (0.6, 0.5 against ORG 0.2, 0.3)
    # word 3: projected LOC, the teacher's LOC (0.4) just above its PER (0.35)
    probs = [[0.2, 0.6, 0.0, 0.2, 0.0, 0.0, 0.0], [0.2, 0.0, 0.5, 0.0, 0.3, 0.0, 0.0], [1, 0, 0, 0, 0, 0, 0],
             [0.25, 0.35, 0.0, 0.0, 0.0, 0.4, 0.0]]
    tags, changed = retype_spans(["B-ORG", "I-ORG", "O", "B-LOC"], probs, LABELS, ["PER", "ORG", "LOC"])
    assert tags == ["B-PER", "I-PER", "O", "B-LOC"] and changed == 1
    # the boundaries stay the projection's, even where the teacher would cut the span elsewhere
    assert retype_spans(["B-LOC", "I-LOC", "I-LOC", "O"], probs, LABELS, ["PER", "ORG", "LOC"])[0][:3] == \
        ["B-PER", "I-PER", "I-PER"]
    # a tie keeps the span's own type; a type the label list lacks is never chosen
    even = [[0.0, 0.5, 0.0, 0.5, 0.0, 0.0, 0.0]]
    assert teacher_type((0, 1, "ORG"), even, LABELS, ["PER", "ORG", "LOC"]) == "ORG"
    assert teacher_type((0, 1, "PER"), even, LABELS, ["PER", "ORG", "LOC"]) == "PER"
    assert teacher_type((0, 1, "ORG"), probs, LABELS, ["ORG", "MISC"]) == "ORG"


def test_mixture_lets_the_projection_overrule_only_an_unsure_teacher():
    # word 0-1: the teacher is unsure between ORG (0.5) and PER (0.4); the projection says PER
    # word 3: the teacher is sure of LOC (0.95); the projection says O
    probs = [[0.1, 0.4, 0.0, 0.5, 0.0, 0.0, 0.0], [0.1, 0.0, 0.4, 0.0, 0.5, 0.0, 0.0], [1, 0, 0, 0, 0, 0, 0],
             [0.05, 0, 0, 0, 0, 0.95, 0]]
    projected = ["B-PER", "I-PER", "O", "O"]
    teacher = [[0, 2, "ORG"], [3, 4, "LOC"]]
    tags, counts = combine_tags(projected, teacher, probs, LABELS, "mixture", weight=0.3)
    # PER: 0.3 + 0.7 x 0.4 = 0.58 against ORG 0.35; LOC at 3: 0.665 against O 0.335
    assert tags == ["B-PER", "I-PER", "O", "B-LOC"] and counts == {"from_projection": 1, "from_teacher": 1}
    # weight 0: the teacher's own Viterbi path; weight 1: the projection as it is
    assert combine_tags(projected, teacher, probs, LABELS, "mixture", weight=0.0)[0] == ["B-ORG", "I-ORG", "O", "B-LOC"]
    assert combine_tags(projected, teacher, probs, LABELS, "mixture", weight=1.0)[0] == projected
    # the result is always valid IOB2, even where the mixed argmax would be an orphan I- tag
    tags = combine_tags(["O", "I-PER"], [], [[0.6, 0.4, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0]], LABELS, "mixture",
                        weight=0.6)[0]
    assert tags == ["O", "O"]  # O O: 0.84 x 0.4; B-PER I-PER: 0.16 x 0.6
    with pytest.raises(ValueError, match="B-MISC"):
        combine_tags(["B-MISC"], [], [[1, 0, 0, 0, 0, 0, 0]], LABELS, "mixture")
    with pytest.raises(SettingsError, match="combine_weight"):
        build(ProjectSettings, {"method": "heuristic", "combine": "mixture", "combine_weight": 1.5})


def test_translate_test_contrasts_pick_the_best_paper_column_and_pair_the_bootstrap():
    import numpy as np

    from xlner.stages.translate_test import contrasts, paired_gap

    observed = {"es": {"zero-shot": 71.0, "heuristic": 66.0, "nercand-greedy": 70.0, "anchor-h": 69.0, "comb-h": 73.0},
                "eu": {"zero-shot": 50.0, "heuristic": 52.0, "anchor-h": 55.0, "comb-h": 56.0}}
    families = {"heuristic": "paper", "nercand-greedy": "paper", "anchor-h": "xlner", "comb-h": "combination"}
    assert contrasts(observed, families) == {
        "es": [("xlner - best paper", "anchor-h", "nercand-greedy"),
               ("combination - max(zero-shot, best paper)", "comb-h", "zero-shot")],
        "eu": [("xlner - best paper", "anchor-h", "heuristic"),
               ("combination - max(zero-shot, best paper)", "comb-h", "heuristic")]}
    # two sentences: a finds both entities of the first, b one of them; the second sentence is the same for both
    a = np.array([[2, 2, 2], [1, 1, 1]])
    b = np.array([[1, 1, 2], [1, 1, 1]])
    weights = np.array([[1.0, 1.0], [2.0, 0.0], [0.0, 2.0]])
    f1_a, f1_b, difference, replicates = paired_gap([a], [b], weights)
    assert (f1_a, f1_b, difference) == (100.0, 80.0, 20.0)
    assert np.allclose(replicates, [20.0, 100 - 200 / 3, 0.0])  # the resample of sentence 2 alone: no gap
    # two teachers: each column's F1 is the mean over them, in every replicate too (a's second teacher misses all)
    missed = np.array([[0, 2, 2], [0, 1, 1]])
    f1_a, f1_b, difference, replicates = paired_gap([a, missed], [b, b], weights)
    assert (f1_a, f1_b, difference) == (50.0, 80.0, -30.0)
    assert np.allclose(replicates, [-30.0, 50 - 200 / 3, -50.0])


def test_translate_test_gaps_refuse_an_unknown_family_or_a_language_without_gold(tmp_path):
    from xlner.errors import SettingsError
    from xlner.stages.translate_test import translate_test_gaps

    with pytest.raises(SettingsError, match="bogus"):
        translate_test_gaps({("es", "x", 1): "p.jsonl"}, {"es": "g.conll"}, {"x": "bogus"}, tmp_path / "gaps.tsv")
    with pytest.raises(SettingsError, match="no --gold file"):
        translate_test_gaps({("eu", "x", 1): "p.jsonl"}, {"es": "g.conll"}, {"x": "paper"}, tmp_path / "gaps.tsv")
    assert not (tmp_path / "gaps.tsv").exists()


def test_a_combination_recipe_on_lines_without_the_teachers_prediction_is_refused(tmp_path):
    import json

    from conftest import project_lines
    from xlner.errors import InputError

    line = {"id": "0", "src_tokens": ["Ana"], "src_tags": ["B-PER"], "tgt_tokens": ["Ana"], "alignment": [[0, 0]]}
    (tmp_path / "a.jsonl").write_text(json.dumps(line) + "\n")
    with pytest.raises(InputError, match="tgt_candidates"):
        project_lines(tmp_path / "a.jsonl", tmp_path / "p.jsonl", None, tmp_path / "s.json", "heuristic",
                      combine="verified")
    assert not (tmp_path / "p.jsonl").exists()


def test_translate_test_table_gives_each_cell_the_mean_over_teachers_and_their_spread(tmp_path):
    import json

    from xlner.stages.projection import translate_test_table

    def metrics(name, f1, per):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"f1": f1, "precision": f1 + 2, "recall": f1 - 2, "proj_ratio": 0.9,
                                    "per_class": {"PER": {"f1": per}, "ORG": {"f1": 50.0}}}))
        return path

    cells = {("es", "zero-shot", 1): metrics("z1", 70.0, 80.0), ("es", "zero-shot", 2): metrics("z2", 66.0, 84.0),
             ("es", "heuristic", 1): metrics("h1", 60.0, 70.0), ("es", "heuristic", 2): metrics("h2", 60.0, 70.0),
             ("eu", "zero-shot", 1): metrics("e1", 50.0, 60.0), ("eu", "zero-shot", 2): metrics("e2", 53.0, 60.0),
             ("eu", "heuristic"): None}
    translate_test_table(cells, tmp_path / "t.tsv", tmp_path / "t.md", ["zero-shot", "heuristic"], ["es", "eu"])
    md = (tmp_path / "t.md").read_text().splitlines()
    assert md[2] == "| es | 68.0 ± 2.8 | 60.0 ± 0.0 |" and md[3] == "| eu | 51.5 ± 2.1 | n/a |"
    assert md[4] == "| **avg F1** | 59.8 | 60.0 (1 of 2) |" and "mean over 2 teachers" in md[6]
    rows = [line.split("\t") for line in (tmp_path / "t.tsv").read_text().splitlines()]
    header = rows[0]
    by_key = {(r[0], r[1], r[2]): dict(zip(header, r)) for r in rows[1:]}
    assert set(by_key) == {("es", "zero-shot", "1"), ("es", "zero-shot", "2"), ("es", "zero-shot", "mean"),
                           ("es", "heuristic", "1"), ("es", "heuristic", "2"), ("es", "heuristic", "mean"),
                           ("eu", "zero-shot", "1"), ("eu", "zero-shot", "2"), ("eu", "zero-shot", "mean"),
                           ("eu", "heuristic", "")}
    mean = by_key[("es", "zero-shot", "mean")]
    assert (mean["f1"], mean["f1_sd"], mean["precision"], mean["f1_PER"], mean["f1_LOC"]) == \
        ("68.0", "2.83", "70.0", "82.0", "")
    assert by_key[("es", "zero-shot", "2")]["f1_sd"] == "" and by_key[("eu", "heuristic", "")]["f1"] == "n/a"
