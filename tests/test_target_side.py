"""Target-side projection (the pool -> English -> teacher -> aligned -> projected back onto its own words), the
`agree` hybrid, the plan of languages with target -> English MT, paired seed draws and the projected pools' quality
table."""
import copy
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import peaked_probs
from xlner.analysis.bootstrap import build_replicates, paired_curve
from xlner.analysis.curves import pairing
from xlner.config import ConfigError, load_schema, validate_config
from xlner.errors import InputError
from xlner.formats.conll import Sentence, label_list, write_conll
from xlner.models.voting import agree
from xlner.plan import Plan
from xlner.settings import ProjectSettings
from xlner.stages.models import agree as agree_stage
from xlner.stages.mt import translate
from xlner.stages.projection import project, projection_quality, score_projection

ROOT = Path(__file__).resolve().parents[1]
LABELS = label_list(["PER", "ORG", "LOC"])
SCHEMA = load_schema(ROOT / "workflow/schemas/config.schema.yaml")


def plan_of(path, change=None):
    config = copy.deepcopy(yaml.safe_load((ROOT / path).read_text()))
    if change:
        change(config)
    validate_config(config, SCHEMA)
    return Plan(config)


def onehot(tag):
    return np.eye(len(LABELS))[LABELS.index(tag)]


# --- the pipeline on a hand-made pool sentence ------------------------------------------------------------

@pytest.mark.apertium("eu-en")
def test_target_side_projection_of_a_hand_made_pair_lands_on_the_original_words(tmp_path):
    basque = ["Mikel", "Laboa", "Donostian", "jaio", "zen", "."]
    (tmp_path / "pool.jsonl").write_text(json.dumps({"id": "7", "words": basque}) + "\n")
    translate(tmp_path / "pool.jsonl", tmp_path / "pairs.jsonl", tmp_path / "stats.json",
              plan_of("config.yaml").to_english("eu"), swap=True)
    line = json.loads((tmp_path / "pairs.jsonl").read_text())
    # the pool's id and words are kept as the target side; the English translation is the source side
    assert line["id"] == "7" and line["tgt_tokens"] == basque and line["src_tokens"] != basque
    english = line["src_tokens"]
    assert "Mikel" in english and "Laboa" in english, english
    # the teacher's English labels and an alignment by hand: names to names, the place to Donostian
    tags = ["O"] * len(english)
    tags[english.index("Mikel")], tags[english.index("Laboa")] = "B-PER", "I-PER"
    place = next(i for i, w in enumerate(english) if w.startswith(("Donostia", "San")))
    tags[place] = "B-LOC"
    alignment = [[english.index("Mikel"), 0], [english.index("Laboa"), 1], [place, 2]]
    (tmp_path / "aligned.jsonl").write_text(json.dumps({**line, "src_tags": tags, "alignment": alignment}) + "\n")
    project(tmp_path / "aligned.jsonl", tmp_path / "projected.jsonl", ProjectSettings(method="heuristic"),
            stats_path=tmp_path / "project.json")
    projected = json.loads((tmp_path / "projected.jsonl").read_text())
    assert projected["tgt_tokens"] == basque
    assert projected["tgt_tags"] == ["B-PER", "I-PER", "B-LOC", "O", "O", "O"]
    # scored against the pool's gold labels (a CoNLL file whose sentence number is the pool id)
    gold = [Sentence(["x"], ["O"])] * 7 + [Sentence(basque, ["B-PER", "I-PER", "B-LOC", "O", "O", "O"])]
    write_conll(tmp_path / "gold.conll", gold)
    score_projection(tmp_path / "projected.jsonl", tmp_path / "gold.conll", tmp_path / "quality.json")
    quality = json.loads((tmp_path / "quality.json").read_text())
    assert quality["f1"] == 100.0 and quality["sentences_without_line"] == 7


# --- agree ---------------------------------------------------------------------------------------------------

def _teacher(tags, sure=0.8):
    return peaked_probs(tags, LABELS, sure)


def test_agree_is_hard_where_both_transfers_agree_and_weighted_where_they_do_not():
    projected = ["B-PER", "I-PER", "O", "B-LOC", "O"]
    teacher = _teacher(["B-PER", "I-PER", "O", "B-ORG", "B-LOC"], sure=0.6)
    targets, agreed = agree(projected, teacher, LABELS, weight=0.25)
    assert agreed == 3
    for i in (0, 1, 2):
        assert targets[i].tolist() == onehot(projected[i]).tolist()
    assert targets[3] == pytest.approx(0.25 * onehot("B-LOC") + 0.75 * teacher[3])
    assert targets[4] == pytest.approx(0.25 * onehot("O") + 0.75 * teacher[4])
    assert np.allclose(targets.sum(1), 1.0)
    # the projection overrules an unsure teacher (margin below 1/3 at weight 0.25), not a sure one
    unsure = _teacher(["B-ORG"], sure=0.4)
    unsure[0, LABELS.index("B-LOC")] = 0.3
    unsure /= unsure.sum(1, keepdims=True)
    assert agree(["B-LOC"], unsure, LABELS, 0.25)[0][0].argmax() == LABELS.index("B-LOC")
    assert agree(["B-LOC"], _teacher(["B-ORG"], sure=0.9), LABELS, 0.25)[0][0].argmax() == LABELS.index("B-ORG")
    # weight 0 keeps the teacher where they disagree; weight 1 is the projection everywhere
    assert agree(projected, teacher, LABELS, 0.0)[0][3] == pytest.approx(teacher[3])
    assert agree(projected, teacher, LABELS, 1.0)[0].argmax(1).tolist() == [LABELS.index(t) for t in projected]
    with pytest.raises(ValueError, match="weight"):
        agree(projected, teacher, LABELS, 1.5)


def test_agree_stage_counts_the_sentences_without_a_projection_and_refuses_other_words(tmp_path):
    words = [["Ana", "Bilbon"], ["Kaixo"], ["Jon", "Donostian"]]
    with open(tmp_path / "soft.jsonl", "w") as handle:
        for i, w in enumerate(words):
            probs = _teacher(["B-PER"] + ["O"] * (len(w) - 1))
            handle.write(json.dumps({"id": str(i), "words": w, "labels": LABELS, "probs": probs.tolist()}) + "\n")
    # sentence 1 failed translation upstream: no projected line
    lines = [{"id": "0", "tgt_tokens": words[0], "tgt_tags": ["B-PER", "B-LOC"]},
             {"id": "2", "tgt_tokens": words[2], "tgt_tags": ["B-PER", "O"]}]
    (tmp_path / "projected.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    agree_stage(tmp_path / "projected.jsonl", tmp_path / "soft.jsonl", tmp_path / "out.jsonl", tmp_path / "stats.json",
                ["PER", "ORG", "LOC"], weight=0.25)
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["sentences"] == 2 and stats["sentences_without_projection"] == 1
    assert stats["words"] == 4 and stats["words_agreed_hard"] == 3
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["id"] for r in out] == ["0", "2"] and out[0]["probs"][0] == onehot("B-PER").tolist()
    lines[1]["tgt_tokens"] = ["Jon", "Gasteizen"]
    (tmp_path / "projected.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    with pytest.raises(InputError, match="words differ"):
        agree_stage(tmp_path / "projected.jsonl", tmp_path / "soft.jsonl", tmp_path / "bad.jsonl",
                    tmp_path / "bad.json", ["PER", "ORG", "LOC"], weight=0.25)
    assert not (tmp_path / "bad.jsonl").exists()


# --- the plan --------------------------------------------------------------------------------------------

def test_the_default_run_is_basque_with_every_arm_through_target_side_projection():
    basque = plan_of("config.yaml")
    assert basque.directions("eu") == ["target-side"]
    assert {(arm, method) for arm, method, _, _ in basque.trained_runs("eu")} == {
        ("projection", "tgt-anchor-nercand-split-typed"), ("teacher-student", "mse"),
        ("hybrid", "agree-tgt-anchor-nercand-split-typed"), ("supervised", "gold")}
    assert len(basque.trained_runs("eu")) == 3 * 4 * 3 + 6 * 3
    assert basque.teacher_seeds == [1, 2, 3]  # seed s reads teacher s's projection
    assert basque.projection_data("eu", "tgt-anchor-nercand-split-typed", 2) == \
        "results/eu/to-english/project/anchor-nercand-split-typed/seed2/projected.jsonl"
    # the recipe reads the teacher's spans on the Basque side: the pool is tagged on both sides
    assert basque.pool_tag_side("eu") == "both"
    record = basque.run_record("eu", "projection", "tgt-anchor-nercand-split-typed", 100, 1)
    assert record["direction"] == "target-side" and record["to_english"]["mode"] == "eu-en"
    assert record["teacher"]["teacher"] == 1 and "mt" not in record and "source" not in record
    assert "results/eu/projection-quality.tsv" in basque.language_targets("eu")
    # the translate-test table reads languages.eu.to_english where its own block names no mt
    assert basque.tt_mt("eu").mode == "eu-en" and basque.tt_mt("is").mode == "isl-eng"


def test_teacher_student_and_target_side_students_of_a_seed_read_the_same_subset_file():
    three = plan_of("config/three-languages.yaml", lambda c: (c["teacher"].update(seeds=2),
                                                              c["project"].update(methods=["heuristic"])))
    for seed in (1, 2, 3):
        unlabelled = f"results/eu/subsets/unlabelled/seed{seed}/n200.txt"
        assert three.projection_ids("eu", "tgt-heuristic", 200, seed) == unlabelled
        # and through the seed's teacher: the one its teacher-student and agree students distil from
        teacher = three.teacher_for(seed)
        assert three.projection_data("eu", "tgt-heuristic", seed).endswith(f"seed{teacher}/projected.jsonl")
        assert three.agree_file("eu", "tgt-heuristic", teacher).endswith(f"seed{teacher}/soft_labels.jsonl")
    assert three.projection_ids("es", "heuristic", 200, 1) == "results/es/subsets/source/seed1/n200.txt"
    # es runs both directions side by side; agree pairs with target-side methods only
    assert three.projection_methods("es") == ["heuristic", "tgt-heuristic"]
    assert three.hybrid_methods("es") == ["agree-tgt-heuristic"]


def test_hybrid_methods_pair_with_their_direction_and_a_language_without_one_is_refused():
    mixed = plan_of("config/three-languages.yaml", lambda c: (c["hybrid"].update(methods=["mixed", "agree", "refined"]),
                                                              c["project"].update(methods=["heuristic"])))
    assert mixed.hybrid_methods("es") == ["mixed-heuristic", "mixed-tgt-heuristic", "agree-tgt-heuristic",
                                          "refined-heuristic"]
    assert mixed.hybrid_methods("is") == ["mixed-tgt-heuristic", "agree-tgt-heuristic"]
    record = mixed.run_record("eu", "hybrid", "agree-tgt-heuristic", 100, 1)
    assert record["hybrid"]["agree_weight"] == 0.0 and record["project"]["recipe"] == "heuristic"  # es dev's choice
    with pytest.raises(ConfigError, match="languages.eu"):
        plan_of("config.yaml", lambda c: c["hybrid"].update(methods=["unitrans"]))
    with pytest.raises(ConfigError, match="agree pairs with target-side"):
        plan_of("config/spanish.yaml", lambda c: c["hybrid"].update(methods=["mixed", "agree"]))
    # back-translation recipes stay translate-train; a target-side language with nothing else is refused
    bt = plan_of("config/three-languages.yaml", lambda c: c["project"].update(methods=["heuristic", "heuristic-bt"]))
    assert bt.projection_methods("es") == ["heuristic", "heuristic-bt", "tgt-heuristic"]
    with pytest.raises(ConfigError, match="back-translates"):
        plan_of("config.yaml", lambda c: c["project"].update(methods=["heuristic-bt"]))
    with pytest.raises(ConfigError, match="no `mt` block"):
        plan_of("config.yaml", lambda c: c["translate_test"]["languages"]["is"].pop("mt"))


# --- paired seed draws -------------------------------------------------------------------------------------

def test_arms_on_the_same_subsets_share_their_seed_draw_and_gaps_say_so():
    rng = np.random.default_rng(0)
    counts = lambda: rng.integers(0, 3, size=(40, 3)).astype(float)  # noqa: E731
    cells = {(arm, method, 100): {s: counts() for s in (1, 2, 3)}
             for arm, method in (("teacher-student", "mse"), ("projection", "tgt-heuristic"),
                                 ("projection", "heuristic"), ("hybrid", "agree-tgt-heuristic"))}
    reps = build_replicates(cells, 200, seed=1)
    assert paired_curve("projection", "tgt-heuristic") and not paired_curve("projection", "heuristic")
    assert pairing(reps, ("projection", "tgt-heuristic", 100), ("teacher-student", "mse", 100)) == "seeds and sentences"
    assert pairing(reps, ("projection", "heuristic", 100), ("teacher-student", "mse", 100)) == "sentences"
    # the draws themselves: every run's counts name its seed (F1 grows with it), so equal replicate series mean
    # equal seed draws
    marked = {cell: {s: np.full((40, 3), float(s)) * [1, 0, 0] + [0, 1, 1] for s in (1, 2, 3)} for cell in cells}
    marks = build_replicates(marked, 200, seed=1)
    series = {cell: marks.two_level_seeds[cell] for cell in cells}
    assert np.array_equal(series[("projection", "tgt-heuristic", 100)], series[("teacher-student", "mse", 100)])
    assert np.array_equal(series[("hybrid", "agree-tgt-heuristic", 100)], series[("teacher-student", "mse", 100)])
    assert not np.array_equal(series[("projection", "heuristic", 100)], series[("teacher-student", "mse", 100)])


# --- the projected pools' quality table -------------------------------------------------------------------

def test_projection_quality_table_scores_target_side_pools_and_counts_translate_train_losses(tmp_path):
    (tmp_path / "q.json").write_text(json.dumps({
        "f1": 61.5, "precision": 70.0, "recall": 54.8, "proj_ratio": 0.81, "sentences": 3000,
        "sentences_without_line": 4, "per_class": {"PER": {"f1": 80.1}, "ORG": {"f1": 40.2}, "LOC": {"f1": 60.3}}}))
    (tmp_path / "s.json").write_text(json.dumps({
        "sentences": 1000, "projection_rate": 0.93, "entities_in": {"PER": 500, "ORG": 400, "LOC": 300},
        "entities_lost": {"ORG": 60, "LOC": 20}}))
    projection_quality("es", {("tgt-heuristic", "1"): tmp_path / "q.json"}, {("heuristic",): tmp_path / "s.json"},
                       tmp_path / "quality.tsv")
    rows = [line.split("\t") for line in (tmp_path / "quality.tsv").read_text().splitlines()]
    header = rows[0]
    target, translated = (dict(zip(header, row)) for row in rows[1:])
    assert target["direction"] == "target-side" and target["f1"] == "61.5" and target["f1_ORG"] == "40.2"
    assert target["sentences_not_projected"] == "4" and target["lost_ORG"] == ""
    assert translated["direction"] == "translate-train" and translated["entities_in"] == "1200"
    assert translated["lost_PER"] == "0" and translated["lost_ORG"] == "60" and translated["f1"] == ""


def test_the_three_language_config_runs_the_default_basque_experiment_unchanged():
    """Its eu runs include config.yaml's (same records, so a results folder of `make run` is reused), beside the
    heuristic's curves and es and is."""
    default, three = plan_of("config.yaml"), plan_of("config/three-languages.yaml")
    assert three.langs == ["es", "eu", "is"]
    for arm, method, size, seed in default.trained_runs("eu"):
        assert three.run_record("eu", arm, method, size, seed) == default.run_record("eu", arm, method, size, seed)
    extra = set(three.trained_runs("eu")) - set(default.trained_runs("eu"))
    assert set(default.trained_runs("eu")) < set(three.trained_runs("eu"))
    assert {(arm, method) for arm, method, _, _ in extra} == {("projection", "tgt-heuristic"),
                                                               ("hybrid", "agree-tgt-heuristic")}
    # the same table, but that the three-language run trains es and is projection students for comb-tt
    comb_tt = {key for key in default.tt_cells() if key[1].startswith("comb-tt-")}
    assert {k: v for k, v in three.tt_cells().items() if k not in comb_tt} == \
        {k: v for k, v in default.tt_cells().items() if k not in comb_tt}
    assert {lang for lang, _ in comb_tt if default.tt_cells()[lang, _]} == {"eu"}
    assert all(three.tt_cells()[key] for key in comb_tt) and three.teacher_record() == default.teacher_record()
    # gold labels: the heuristic's one projection serves every teacher; NER candidates are each teacher's own spans
    assert three.projection_quality_inputs("es")[0] and three.projection_quality_inputs("es")[1] == {
        ("heuristic",): "results/es/project/heuristic/stats.json",
        **{("anchor-nercand-split-typed", t): f"results/es/project/anchor-nercand-split-typed/seed{t}/stats.json"
           for t in (1, 2, 3)}}
