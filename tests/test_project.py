"""The heuristic projection on hand-made cases (paper.md §3.1, §8.12)."""
import pytest

from conftest import project_lines
from xlner.formats.conll import spans_from_tags
from xlner.projection.heuristics import heuristic_ranges, project_heuristic, projection_stats


def _valid_iob2(tags):
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            return False
        previous = tag
    return True


def test_monotone_entity_is_copied():
    tags, outcomes = project_heuristic(["O", "B-PER", "I-PER"], 3, [(0, 0), (1, 1), (2, 2)])
    assert tags == ["O", "B-PER", "I-PER"]
    assert outcomes[0].target_spans == ((1, 3),)


def test_entity_split_by_reordering_projects_each_long_enough_piece():
    # "European Commission" -> "Comisión ( ... ) Europea": pieces far apart, each 1 of 2 words: ratio 0.5 < 0.8
    tags, outcomes = project_heuristic(["B-ORG", "I-ORG"], 5, [(0, 4), (1, 0)])
    assert tags == ["O"] * 5 and outcomes[0].target_spans == ()
    # reordered but adjacent: the run covers both target words and survives as one span
    tags, _ = project_heuristic(["B-ORG", "I-ORG", "O"], 3, [(0, 1), (1, 0), (2, 2)])
    assert tags == ["B-ORG", "I-ORG", "O"]
    # a three-word entity whose words land in two runs of 3 and 1 words: both kept at threshold 0.3
    tags, outcomes = project_heuristic(["B-LOC", "I-LOC", "I-LOC"], 7, [(0, 0), (1, 1), (2, 2), (2, 5)],
                                       ratio_threshold=0.3)
    assert spans_from_tags(tags) == [(0, 3, "LOC"), (5, 6, "LOC")]


def test_merge_over_one_unaligned_word():
    # "Bank of America" -> "Banco de ... América" with "de" unaligned: the gap of 1 is merged
    tags, _ = project_heuristic(["B-ORG", "I-ORG", "I-ORG"], 3, [(0, 0), (2, 2)])
    assert tags == ["B-ORG", "I-ORG", "I-ORG"]
    # a gap of two unaligned words is not merged with merge_distance 1 ...
    assert heuristic_ranges(0, 2, {0: [0], 1: [3]}, merge_distance=1, ratio_threshold=0.0) == [(0, 1), (3, 4)]
    # ... but is with merge_distance 2
    assert heuristic_ranges(0, 2, {0: [0], 1: [3]}, merge_distance=2, ratio_threshold=0.0) == [(0, 4)]


def test_stray_alignment_is_removed_by_the_ratio_filter():
    # "Angela Merkel" -> words 2,3, plus a stray link from "Merkel" to a far-away word 7
    tags, outcomes = project_heuristic(["B-PER", "I-PER"], 9, [(0, 2), (1, 3), (1, 7)])
    assert spans_from_tags(tags) == [(2, 4, "PER")]
    assert outcomes[0].target_spans == ((2, 4),)


def test_paper_ratio_test_is_strict_and_fixed_is_not():
    # 4 source words, a run of 3 target words plus ... ratio 0.75; use threshold 0.75 to see > vs >=
    aligned = {0: [0], 1: [1], 2: [2]}
    assert heuristic_ranges(0, 4, aligned, 1, 0.75, paper=True) == []
    assert heuristic_ranges(0, 4, aligned, 1, 0.75, paper=False) == [(0, 3)]


def test_paper_merge_can_shrink_a_span_fixed_cannot():
    # The authors' incremental growth: source word 0 -> targets 3 and 5 ([3,4], [5,6]); word 1 -> 4, which
    # extends [3,4] to [3,5] (it equals its end); word 2 -> targets 6 and 5... build a nested case directly:
    ranges_paper = heuristic_ranges(0, 3, {0: [2, 3, 4, 5], 1: [3]}, 1, 0.0, paper=True)
    ranges_fixed = heuristic_ranges(0, 3, {0: [2, 3, 4, 5], 1: [3]}, 1, 0.0, paper=False)
    assert ranges_fixed == [(2, 6)]
    assert ranges_paper == [(2, 6)]
    # nested range after sorting by start: [1,6] then [2,3] -> the paper's merge sets end=3 (shrinks), the
    # fixed merge keeps the outer range; both join ranges one word apart and keep farther ones apart
    from xlner.projection.heuristics import _merge, _paper_merge
    assert _paper_merge([[1, 6], [2, 3]], 1) == [[1, 3]]
    assert _merge([[1, 6], [2, 3]], 1) == [[1, 6]]
    assert _merge([[1, 3], [4, 6]], 1) == _paper_merge([[1, 3], [4, 6]], 1) == [[1, 6]]
    assert _merge([[1, 3], [5, 6]], 1) == [[1, 3], [5, 6]]


def test_paper_later_entity_overwrites_fixed_keeps_longer_span():
    # Two source entities aligned to overlapping target words.
    src = ["B-ORG", "I-ORG", "I-ORG", "O", "B-PER"]
    alignment = [(0, 0), (1, 1), (2, 2), (4, 1)]
    paper, _ = project_heuristic(src, 3, alignment, method="heuristic-paper")
    fixed, outcomes = project_heuristic(src, 3, alignment, method="heuristic")
    assert paper == ["B-ORG", "B-PER", "I-ORG"]  # overwritten, and invalid IOB2 (I-ORG after B-PER)
    assert not _valid_iob2(paper)
    assert fixed == ["B-ORG", "I-ORG", "I-ORG"]  # the longer span keeps its words
    assert _valid_iob2(fixed)
    assert [o.target_spans for o in outcomes] == [((0, 3),), ()]


def test_fixed_variant_always_gives_valid_iob2_on_random_cases():
    import random

    rng = random.Random(0)
    for _ in range(500):
        n_src, n_tgt = rng.randint(1, 12), rng.randint(1, 12)
        src = ["O"] * n_src
        for start in range(n_src):
            if rng.random() < 0.25:
                src[start] = "B-" + rng.choice(["PER", "ORG", "LOC"])
            elif src[start - 1] != "O" and start and rng.random() < 0.5:
                src[start] = "I-" + src[start - 1][2:]
        links = {(rng.randrange(n_src), rng.randrange(n_tgt)) for _ in range(rng.randint(0, 20))}
        tags, _ = project_heuristic(src, n_tgt, sorted(links))
        assert len(tags) == n_tgt and _valid_iob2(tags)


def test_projection_stats_count_in_projected_and_lost():
    _, a = project_heuristic(["B-PER", "O", "B-LOC"], 3, [(0, 0)])
    _, b = project_heuristic(["B-ORG"], 1, [(0, 0)])
    stats = projection_stats([a, b])
    assert stats["entities_in"] == {"PER": 1, "LOC": 1, "ORG": 1}
    assert stats["entities_projected"] == {"PER": 1, "ORG": 1}
    assert stats["entities_lost"] == {"LOC": 1}
    assert stats["sentences_with_lost_entities"] == 1


def _write_lines(path, records):
    import json
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


GOOD = {"id": "0", "src_tokens": ["Angela", "Merkel", "spoke"], "src_tags": ["B-PER", "I-PER", "O"],
        "tgt_tokens": ["Angela", "Merkel", "habló"], "alignment": [[0, 0], [1, 1], [2, 2]]}


def test_project_command_writes_jsonl_conll_and_stats(tmp_path):
    import json

    from xlner.cli import main

    _write_lines(tmp_path / "aligned.jsonl", [GOOD])
    assert main(["project", "--input", str(tmp_path / "aligned.jsonl"), "--output", str(tmp_path / "p.jsonl"),
                 "--conll", str(tmp_path / "p.conll"), "--stats", str(tmp_path / "s.json")]) == 0
    line = json.loads((tmp_path / "p.jsonl").read_text())
    assert line["tgt_tags"] == ["B-PER", "I-PER", "O"] and line["alignment"] == GOOD["alignment"]
    assert (tmp_path / "p.conll").read_text() == "Angela\tB-PER\nMerkel\tI-PER\nhabló\tO\n\n"
    assert json.loads((tmp_path / "s.json").read_text())["entities_projected"] == {"PER": 1}


@pytest.mark.parametrize("change,message", [
    ({"alignment": [[0, 0], [1, 7]]}, "alignment pair [1, 7] out of range (3 source, 3 target words)"),
    ({"alignment": [[0]]}, "is not a [src_index, tgt_index] pair"),
    ({"src_tags": ["B-PER"]}, "1 src_tags for 3 src_tokens"),
    ({"src_tags": None}, "missing field src_tags"),
])
def test_bad_aligned_line_is_an_error_naming_file_and_line(tmp_path, change, message):
    from xlner.errors import InputError

    bad = {**GOOD, "id": "1", **change}
    if change.get("src_tags", 1) is None:
        del bad["src_tags"]
    _write_lines(tmp_path / "aligned.jsonl", [GOOD, bad])
    with pytest.raises(InputError) as raised:
        project_lines(tmp_path / "aligned.jsonl", tmp_path / "p.jsonl", tmp_path / "p.conll", tmp_path / "s.json",
                      "heuristic")
    assert message in str(raised.value) and "aligned.jsonl:2:" in str(raised.value)
    assert not (tmp_path / "p.jsonl").exists() and not (tmp_path / "p.conll").exists()
