"""The plan: targets, recipe resolution and checks, per-stage settings and provenance, from config alone
(no Snakemake run)."""
import copy
from pathlib import Path

import pytest
import yaml

from xlner.config import ConfigError, load_schema, validate_config
from xlner.plan import Plan
from xlner.settings import AlignSettings, MTSettings, NMTSettings, ProjectSettings

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = yaml.safe_load((ROOT / "config/spanish.yaml").read_text())  # translate-train


def plan(change=None):
    config = copy.deepcopy(DEFAULT)
    if change:
        change(config)
    validate_config(config, load_schema(ROOT / "workflow/schemas/config.schema.yaml"))
    return Plan(config)


def test_default_plan_trains_every_arm_size_and_seed():
    default = plan()
    runs = default.trained_runs("es")
    # projection/heuristic, teacher-student/mse, hybrid/mixed-heuristic x 4 sizes x 3 seeds; supervised/gold x 6 x 3
    assert len(runs) == 3 * 4 * 3 + 6 * 3
    assert {(arm, method) for arm, method, _, _ in runs} == {("projection", "heuristic"), ("hybrid", "mixed-heuristic"),
                                                              ("teacher-student", "mse"), ("supervised", "gold")}
    assert sorted({size for arm, _, size, _ in runs if arm == "supervised"}) == [25, 50, 100, 200, 500, 1000]
    metrics = default.all_metrics()
    assert len(metrics) == 57 and metrics[-1] == "results/es/zero-shot/teacher/n0/seed3/metrics.json"  # 3 teachers
    assert "results/es/projection/heuristic/n200/seed2/metrics.json" in metrics
    assert "results/es/projection/heuristic/n25/seed2/metrics.json" not in metrics
    assert default.largest_size() == 1000


def test_teachers_are_assigned_to_student_seeds_in_turn():
    three = plan(lambda c: c["teacher"].update(seeds=3))
    assert [three.teacher_for(seed) for seed in (1, 2, 3, 4, 5)] == [1, 2, 3, 1, 2]
    assert [three.teacher_settings(t).seed for t in (1, 2, 3)] == [1, 2, 3]
    assert three.run_record("es", "teacher-student", "mse", 100, 2)["teacher"]["teacher"] == 2
    assert three.teacher_dir(3) == "results/teacher/seed3/model"
    assert [f for f in three.all_metrics() if "zero-shot" in f] == [
        f"results/es/zero-shot/teacher/n0/seed{t}/metrics.json" for t in (1, 2, 3)]
    assert plan(lambda c: c["teacher"].update(seeds=1)).teacher_for(3) == 1  # one teacher: all distil from it
    with pytest.raises(ConfigError, match="teacher.seeds"):
        plan(lambda c: c["teacher"].update(seeds=2, model="some/tagger"))


def test_every_consumer_of_a_teacher_takes_the_seeds_teacher():
    """Two teachers, four student seeds: whatever a seed's run reads that a teacher made is its own teacher's
    (labels, back-translation, tags, projection, refined data, second-stage teacher, translate-test); what no
    teacher touches is shared."""
    def change(config):
        config["teacher"].update(seeds=2)
        config["seeds"] = [1, 2, 3, 4]
        config["project"]["methods"] = ["heuristic", "nercand-greedy", "heuristic-bt"]
        config["languages"]["es"]["back_translation"] = {"backend": "apertium", "mode": "eng-spa"}

    two = plan(change)
    model = plan(lambda c: (change(c), c["source"].update(labels="model")))
    for seed, teacher in ((1, 1), (2, 2), (3, 1), (4, 2)):
        assert two.teacher_for(seed) == teacher
        # gold labels: the heuristic's projection is the teachers' common file; NER candidates are the teacher's
        assert two.projection_data("es", "heuristic", seed) == "results/es/project/heuristic/projected.jsonl"
        assert two.projection_data("es", "nercand-greedy", seed) == \
            f"results/es/project/nercand-greedy/seed{teacher}/projected.jsonl"
        assert two.projection_input("es", "nercand-greedy", teacher) == f"results/es/align/seed{teacher}/tagged.jsonl"
        assert two.refined("es", "heuristic", teacher).endswith(f"refine/heuristic/seed{teacher}/projected.jsonl")
        assert two.teacher_tags("es", "heuristic", teacher) == f"results/es/align/seed{teacher}/tagged.jsonl"
        # the teacher's labels (source.labels: model): every projection, and the back-translation marking them
        assert model.source_labels("es", teacher) == f"results/es/label/seed{teacher}/source.conll"
        assert model.projection_data("es", "heuristic", seed) == \
            f"results/es/project/heuristic/seed{teacher}/projected.jsonl"
        assert model.projection_input("es", "heuristic-bt", teacher) == \
            f"results/es/backtranslate/seed{teacher}/alignments.jsonl"
        for arm, method in (("projection", "nercand-greedy"), ("hybrid", "refined-heuristic"),
                            ("hybrid", "unitrans-heuristic"), ("teacher-student", "mse")):
            assert two.run_record("es", arm, method, 100, seed)["teacher"]["teacher"] == teacher, (arm, method)
        assert model.run_record("es", "projection", "heuristic", 100, seed)["teacher"]["teacher"] == teacher
    assert "teacher" not in two.run_record("es", "projection", "heuristic", 100, 1)  # gold labels, no tags
    assert two.source_labels("es", 2) == "results/es/label/source.conll"
    assert two.projection_input("es", "heuristic-bt", 2) == "results/es/backtranslate/alignments.jsonl"
    accounting = two.accounting_inputs("es")
    assert accounting["project_nercand-greedy@2"] == "results/es/project/nercand-greedy/seed2/stats.json"
    assert accounting["project_heuristic"] == "results/es/project/heuristic/stats.json" and "label" in accounting
    assert model.accounting_inputs("es")["label@2"] == "results/es/label/seed2/stats.json"
    assert two.projection_quality_inputs("es")[1] == {
        ("heuristic",): "results/es/project/heuristic/stats.json",
        ("nercand-greedy", 1): "results/es/project/nercand-greedy/seed1/stats.json",
        ("nercand-greedy", 2): "results/es/project/nercand-greedy/seed2/stats.json",
        ("heuristic-bt",): "results/es/project/heuristic-bt/stats.json"}
    assert [len(paths) for paths in two.tt_cells().values() if paths] == [2] * len(
        [paths for paths in two.tt_cells().values() if paths])


def test_arms_a_language_cannot_have_are_left_out():
    no_train = plan(lambda c: c["languages"]["es"].pop("train"))
    assert no_train.lang_arms("es") == ["projection", "zero-shot"]
    no_test = plan(lambda c: c["languages"]["es"].pop("test"))
    assert no_test.all_metrics() == [] and "results/es/soft/seed1/soft_labels.jsonl" in no_test.language_targets("es")


def test_recipes_take_the_project_defaults_and_their_own_settings():
    default = plan()
    assert default.recipe("heuristic") == ProjectSettings(method="heuristic", merge_distance=1, ratio_threshold=0.8)
    fused = default.recipe("ngram-fused-ilp")
    assert (fused.method, fused.matcher, fused.score) == ("ngram", "ilp", "fused")
    assert fused.score_weights() == {"align": 0.5, "ner": 0.5, "ner_spans": 0.0, "nmt": 0.0}
    assert default.reads_tagger("ngram-fused-ilp") and default.reads_tagger("nercand-greedy")
    assert not default.reads_tagger("ngram-ilp") and not default.needs_nmt("ngram-fused-ilp")
    assert default.projection_input("es", "nercand-bt", 3) == "results/es/backtranslate/seed3/tagged.jsonl"
    assert default.projection_input("es", "heuristic", 3) == "results/es/align/alignments.jsonl"
    assert default.nmt("heuristic") == NMTSettings()


def test_nmt_recipe_takes_the_language_code_when_the_config_leaves_it_null():
    def with_nmt(config):
        config["project"]["recipes"]["nmt"] = {"method": "ngram", "score": "nmt"}
        config["project"]["nmt"] = {"model": "some/seq2seq", "src_lang": "eng_Latn", "tgt_lang": None}
    assert plan(with_nmt).nmt("nmt", "spa_Latn") == NMTSettings("some/seq2seq", "eng_Latn", "spa_Latn")


@pytest.mark.parametrize("change,message", [
    (lambda c: c["project"].update(methods=["no-such-recipe"]), "'no-such-recipe' is not defined"),
    (lambda c: (c["project"]["recipes"].update(nmt={"method": "ngram", "score": "nmt"}),
                c["project"].update(methods=["nmt"])), "project.nmt.model is not set"),
    (lambda c: (c["languages"]["es"].pop("back_translation"), c["project"].update(methods=["heuristic-bt"])),
     "languages.es has no back_translation"),
    (lambda c: c["translate_test"].update(columns=["heuristic", "typo"]), "'typo' is not defined"),
], ids=["unknown", "nmt-without-model", "back-translation-without-mt", "unknown-table-column"])
def test_bad_recipes_are_refused_when_the_plan_is_made(change, message):
    with pytest.raises(ConfigError, match=message):
        plan(change)


def test_stage_settings_come_from_the_config_blocks():
    default = plan()
    assert default.align() == AlignSettings(model="resources/models/multilingual-e5-small", batch_tokens=512,
                                            precision="auto")
    assert default.mt("es") == MTSettings(backend="apertium", mode="eng-spa", batch_size=500)
    assert default.train(2).seed == 2 and default.train(2).learning_rate == 0.0003
    teacher = default.teacher_settings()
    assert (teacher.seed, teacher.epochs, teacher.eval_steps, teacher.layers) == (1, 2, 20, None)
    # one precision block: students, inference and teachers auto (config.yaml, since session 21)
    assert (default.train(1).precision, teacher.precision, default.second_teacher_settings(1).precision) == (
        "auto", "auto", "auto")
    bf16 = plan(lambda c: c.update(precision={"teacher": "bfloat16"}))
    assert (bf16.teacher_settings().precision, bf16.train(1).precision, bf16.align().precision) == (
        "bfloat16", "float32", "float32")  # an absent family is float32
    assert default.source_dataset().max_sentences == 1000
    assert default.unlabelled("es").path == "results/es/data/train.conll"


def test_run_record_names_what_the_numbers_depend_on():
    default = plan()
    record = default.run_record("es", "projection", "heuristic", "300", "2")
    assert record["run"] == {"lang": "es", "arm": "projection", "method": "heuristic", "size": 300, "seed": 2}
    assert record["project"]["recipe"] == "heuristic" and record["mt"]["mode"] == "eng-spa"
    assert "teacher" not in record  # gold source labels and a recipe that reads no tagger output
    student = default.run_record("es", "teacher-student", "mse", "100", "1")
    assert student["kd"] == {"loss": "mse", "temperature": 1.0} and "encoder" in student["teacher"]
    zero = default.run_record("es", "zero-shot")
    assert zero["run"]["size"] == 0 and "train" not in zero


def test_hub_snapshots_rewrite_model_references_to_local_paths():
    def hub(config):
        config["hub"] = {"snapshot": True, "dir": "hub"}
        config["align"]["model"] = "bert-base-multilingual-cased"
    snap = plan(hub)
    assert snap.align().model == "hub/models/bert-base-multilingual-cased"
    assert snap.all_hub_models() == ["bert-base-multilingual-cased"]


def test_translate_test_cells_mark_columns_a_language_cannot_have():
    cells = plan().tt_cells()
    assert plan().teacher_seeds == [1, 2, 3]
    assert cells[("eu", "heuristic-bt")] is None  # no English -> Basque direction
    assert cells[("es", "heuristic-bt")] == [f"results/translate-test/es/project/heuristic-bt/seed{t}/metrics.json"
                                             for t in (1, 2, 3)]  # one per teacher
    assert len(cells) == 3 * (1 + len(plan().tt_columns)) == 3 * 18  # zero-shot + 17 recipes, each language
    predictions = plan().tt_predictions()  # what the gaps read: the columns a language has
    # eu and is: no back-translation (3 columns), no projection student of their own for comb-tt (spanish.yaml
    # trains es only)
    assert ("eu", "heuristic-bt") not in predictions and len(predictions) == 3 * 18 - 2 * 3 - 2
    assert cells[("eu", "comb-tt-anchor-ngram-fused-vote")] is None and cells[("es", "comb-tt-anchor-ngram-fused-vote")]
    assert predictions[("es", "zero-shot")] == [f"results/translate-test/es/tag/seed{t}/pairs.jsonl" for t in (1, 2, 3)]
    assert predictions[("is", "comb-zs-anchor-nercand-split-mixture")][2].endswith(
        "is/project/comb-zs-anchor-nercand-split-mixture/seed3/projected.jsonl")
    # each teacher's projection reads its own labels, through its own back-translation where the recipe has one
    assert plan().tt_projection_input("es", "heuristic-bt", 2) == \
        "results/translate-test/es/backtranslate/seed2/alignments.jsonl"
    assert plan().tt_projection_input("eu", "nercand-fused-ilp", 3) == "results/translate-test/eu/tag/seed3/pairs.jsonl"
    assert [plan().recipe_family(name) for name in ("heuristic", "nercand-fused-ilp-dev", "anchor-heuristic",
                                                    "comb-zs-anchor-nercand-split-mixture")] == ["paper", "paper", "xlner",
                                                                                    "combination"]


def test_comb_tt_combines_each_teacher_with_the_projection_student_of_its_seed():
    """comb-tt: teacher t's labelled lines, their target side tagged again by the run's projection student of the
    first seed that takes teacher t (its largest size, as export keeps it), then projected and combined."""
    name = "comb-tt-anchor-ngram-fused-vote"
    two = plan(lambda c: c["teacher"].update(seeds=2))  # student seeds 1, 2, 3 take teachers 1, 2, 1
    assert [two.tt_student("es", name, t) for t in (1, 2)] == [
        "results/es/export/candidates/projection/heuristic/seed1",
        "results/es/export/candidates/projection/heuristic/seed2"]
    assert two.tt_projection_input("es", name, 2) == f"results/translate-test/es/student/{name}/seed2/pairs.jsonl"
    assert two.tt_tagged_input("es", name, 2) == "results/translate-test/es/tag/seed2/pairs.jsonl"  # what it re-tags
    assert two.tt_score_record("es", name, 1)["student"] == "results/es/export/candidates/projection/heuristic/seed1"
    assert "student" not in two.tt_score_record("es", "comb-zs-anchor-nercand-split-mixture", 1)
    assert two.recipe_family(name) == "combination"
    # no such student (an arm the language does not train, a language without curves): the column is n/a
    other = plan(lambda c: c["project"]["recipes"][name].update(combine_with="projection/tgt-heuristic"))
    assert other.tt_student("es", name, 1) is None and other.tt_cells()[("es", name)] is None
    # a student seed for every teacher or none: four teachers, three student seeds
    assert plan(lambda c: c["teacher"].update(seeds=4)).tt_cells()[("es", name)] is None
    # a setting added later is left out of params and records at its default: older results folders do not rerun
    assert "combine_with" not in two.tt_score_record("es", "comb-zs-anchor-nercand-split-mixture", 1)["settings"]
    assert two.tt_score_record("es", name, 1)["settings"]["combine_with"] == "projection/heuristic"
    assert "combine_with" not in two.run_record("es", "projection", "heuristic", 100, 1)["project"]
    with pytest.raises(ConfigError, match="translate-test column only"):
        plan(lambda c: c["project"].update(methods=["heuristic", name]))
    with pytest.raises(ValueError, match="needs a `combine` rule"):
        ProjectSettings(method="heuristic", combine_with="projection/heuristic").check()
    with pytest.raises(ValueError, match="ARM/METHOD"):
        ProjectSettings(method="heuristic", combine="verified", combine_with="zero-shot/teacher").check()


def test_hybrid_methods_pair_with_every_recipe_and_record_only_their_own_setting():
    both = plan(lambda c: (c["project"].update(methods=["heuristic", "ngram-ilp"]),
                           c["hybrid"].update(methods=["mixed", "refined"])))
    assert both.arm_methods["hybrid"] == ["mixed-heuristic", "mixed-ngram-ilp", "refined-heuristic",
                                          "refined-ngram-ilp"]
    assert both.hybrid_parts("refined-ngram-ilp") == ("refined", "ngram-ilp")
    record = both.run_record("es", "hybrid", "mixed-ngram-ilp", 100, 2)
    assert record["hybrid"] == {"method": "mixed", "kd_weight": 30.0}
    assert record["project"]["recipe"] == "ngram-ilp" and record["kd"]["loss"] == "mse"
    # another hybrid method or weight of another method leaves a run's record (so its rule) as it was
    more = plan(lambda c: (c["project"].update(methods=["heuristic", "ngram-ilp"]),
                           c["hybrid"].update(methods=["mixed", "refined", "unitrans"], refine_confidence=0.5)))
    assert more.run_record("es", "hybrid", "mixed-ngram-ilp", 100, 2) == record
    assert more.second_teacher_settings(2).layers is None and more.second_teacher_settings(2).learning_rate == 5e-5
    with pytest.raises(ConfigError, match="unitrans"):
        plan(lambda c: (c["hybrid"].update(methods=["unitrans"]), c["teacher"].update(model="some/tagger", seeds=1)))
