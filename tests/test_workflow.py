"""The Snakemake workflow end to end on a tiny configuration (real Apertium, tiny encoder), and its caching."""
import json
import subprocess

import numpy as np
import pytest
import yaml

from conftest import ROOT, SNAKEMAKE, _planned_rules, _snakemake, snakemake_command
from xlner.analysis.curves import GAP_COLUMNS as GAP_HEADER
from xlner.analysis.metrics import conlleval_f1, score
from xlner.formats.conll import read_predictions, spans_from_tags, tags_from_spans
from xlner.precision import native_bfloat16
from xlner.stages.translate_test import GAP_COLUMNS as TT_GAP_HEADER


def test_tiny_run_produces_metrics_on_the_result_path_grammar(tiny_run):
    native = "bfloat16" if native_bfloat16("cpu") else "float32"
    for arm, method in (("projection", "heuristic"), ("teacher-student", "mse"), ("supervised", "gold")):
        for size in (10, 20):
            run = tiny_run / "results/es" / arm / method / f"n{size}" / "seed1"
            metrics = json.loads((run / "metrics.json").read_text())
            # the F1 recorded is the F1 of the predictions written beside it, valid IOB2 (decoded), so that
            # conlleval's reading (seqeval's default mode) gives the same F1 to the printed digit
            gold, predicted = read_predictions(run / "predictions.conll")
            assert metrics["f1"] == score(gold, predicted)["f1"] == conlleval_f1(gold, predicted)
            assert all(tags == tags_from_spans(len(tags), spans_from_tags(tags)) for tags in predicted)
            assert metrics["decoding"]["method"] == "viterbi-iob2" and metrics["decoding"]["f1_conlleval_rules"] == metrics["f1"]
            # the score `precision` is a number; the arithmetic the model ran in has its own key
            assert isinstance(metrics["precision"], float)
        # the tiny config asks for `auto`: bfloat16 exactly where this CPU computes it natively
        for family in ("inference", "training"):
            arithmetic = metrics["compute_precision"][family]
            assert arithmetic["requested"] == "auto" and arithmetic["used"] == native, (family, arithmetic)
            assert metrics["run"] == {"lang": "es", "arm": arm, "method": method, "size": size, "seed": 1}
            assert metrics["train"]["sentences"] == size and metrics["train"]["steps"] == 3
            assert (run / "predictions.conll").exists()
            assert not (run / "model").exists()  # temporary: deleted once evaluated and exported
    metrics = json.loads((tiny_run / "results/es/projection/heuristic/n10/seed1/metrics.json").read_text())
    assert metrics["settings"]["mt"]["mode"] == "eng-spa" and metrics["settings"]["project"]["method"] == "heuristic"
    kd = json.loads((tiny_run / "results/es/teacher-student/mse/n10/seed1/metrics.json").read_text())
    assert kd["settings"]["kd"] == {"loss": "mse", "temperature": 1.0} and kd["train"]["targets"] == "soft"
    assert kd["settings"]["teacher"]["settings"]["eval_steps"] == 2
    for pool in ("source", "train", "unlabelled"):
        small = set((tiny_run / f"results/es/subsets/{pool}/seed1/n10.txt").read_text().split())
        large = set((tiny_run / f"results/es/subsets/{pool}/seed1/n20.txt").read_text().split())
        assert small < large  # nested
    stats = json.loads((tiny_run / "results/es/project/heuristic/stats.json").read_text())
    assert stats["sentences"] == 30 and sum(stats["entities_in"].values()) > 0


def test_tiny_run_has_teacher_zero_shot_soft_labels_exports_and_curves(tiny_run):
    results = tiny_run / "results"
    teachers = [json.loads((results / f"teacher/seed{t}/metrics.json").read_text()) for t in (1, 2)]
    assert [t["train"]["settings"]["seed"] for t in teachers] == [1, 2]  # teacher j: teacher.seed + j - 1
    assert teachers[0]["train"]["dev"]["f1_by_step"] and teachers[0]["test"]["sentences"] == 10
    for t in (1, 2):
        zero = json.loads((results / f"es/zero-shot/teacher/n0/seed{t}/metrics.json").read_text())
        assert zero["run"]["arm"] == "zero-shot" and zero["test"]["sentences"] == 20 and zero["run"]["seed"] == t
        soft = (results / f"es/soft/seed{t}/soft_labels.jsonl").read_text().splitlines()
        assert len(soft) == 40 and json.loads(soft[0])["labels"][0] == "O"
    # student seed s distils from teacher ((s - 1) mod 2) + 1; the ensemble's students from the mean of both
    averaged = [json.loads(line) for line in (results / "es/soft/avg2/soft_labels.jsonl").read_text().splitlines()]
    singles = [[json.loads(line) for line in (results / f"es/soft/seed{t}/soft_labels.jsonl").read_text().splitlines()]
               for t in (1, 2)]
    assert [r["id"] for r in averaged] == [r["id"] for r in singles[0]]
    assert np.allclose(averaged[0]["probs"], (np.array(singles[0][0]["probs"]) + singles[1][0]["probs"]) / 2,
                       atol=2e-6)
    for seed in (1, 2):
        kd = json.loads((results / f"es/teacher-student/mse/n10/seed{seed}/metrics.json").read_text())
        assert kd["settings"]["teacher"]["teacher"] == seed
        ensemble = json.loads((results / f"es/teacher-student/mse-avg2/n10/seed{seed}/metrics.json").read_text())
        assert [t["teacher"] for t in ensemble["settings"]["teacher"]["ensemble"]] == [1, 2]
    zero_ensemble = json.loads((results / "es/zero-shot/avg2/n0/seed1/metrics.json").read_text())
    assert zero_ensemble["ensemble"]["seeds"] == [1, 2] and zero_ensemble["test"]["sentences"] == 20
    for arm, method in (("projection", "heuristic"), ("teacher-student", "mse"), ("supervised", "gold")):
        export = results / "es/export" / arm / method
        assert (export / "model.safetensors").exists() and "test F1" in (export / "README.md").read_text()
    curves = [line for line in (results / "curves.tsv").read_text().splitlines() if line.startswith("es\t")]
    # es: 3 curves (projection, teacher-student and its ensemble) x 2 sizes x 2 seeds, supervised 3 sizes x 2 seeds,
    # 2 teachers and the ensemble zero-shot, 4 hybrid methods x 2 x 2
    assert len(curves) == 3 * 2 * 2 + 3 * 2 + 2 + 1 + 4 * 2 * 2
    gaps = (results / "gaps.tsv").read_text().splitlines()
    assert gaps[1].split("\t")[:5] == ["es", "projection", "heuristic", "teacher-student", "10"]
    assert len([line for line in gaps if line.startswith("es\tprojection\t")]) == 2
    # the reference is the one-teacher-per-seed curve; the ensemble is compared with it, and says it is one draw
    ensemble_gaps = [line.split("\t") for line in gaps if line.startswith("es\tteacher-student\tmse-avg2\t")]
    assert [row[3:5] for row in ensemble_gaps] == [["teacher-student/mse", "10"], ["teacher-student/mse", "20"]]
    summary_lines = (results / "summary.tsv").read_text().splitlines()
    summary = [dict(zip(summary_lines[0].split("\t"), line.split("\t"))) for line in summary_lines[1:]]
    draws = {(r["lang"], r["arm"], r["method"]): r["teacher_draws"] for r in summary}
    assert draws[("es", "teacher-student", "mse")] == "2" and draws[("es", "teacher-student", "mse-avg2")] == \
        "1 (mean of 2)" and draws[("es", "supervised", "gold")] == "" and draws[("es", "zero-shot", "avg2")] == \
        "1 (mean of 2)"
    assert (results / "plots/es.png").exists() and (results / "plots/overview.svg").exists()
    accounting = (results / "es/accounting.tsv").read_text()
    assert "sentences that failed translation" in accounting and "entities not projected" in accounting


def test_report_gathers_plots_and_tables(tiny_run):
    done = _snakemake(tiny_run, "--report", str(tiny_run / "report.html"))
    assert done.returncode == 0, done.stderr[-3000:]
    html = (tiny_run / "report.html").read_text(errors="replace")
    for name in ("curves.tsv", "gaps.tsv", "summary.tsv", "accounting.tsv", "table.md", "es.png", "metrics.json"):
        assert name in html, f"{name} is not in the report"


def test_changing_the_distillation_loss_retrains_students_only(tiny_run):
    for change in ({"loss": "kl", "temperature": 2.0}, {"loss": "mse", "temperature": 3.0}):
        config = yaml.safe_load((tiny_run / "config.yaml").read_text())
        config["kd"] = change
        changed = tiny_run / "changed_kd.yaml"
        changed.write_text(yaml.safe_dump(config))
        dry = subprocess.run([*SNAKEMAKE, "--snakefile", str(ROOT / "Snakefile"), "--directory", str(tiny_run),
                              "--configfile", str(changed), "--cores", "1", "-n"], capture_output=True, text=True)
        assert dry.returncode == 0, dry.stderr
        planned = _planned_rules(dry.stdout + dry.stderr)
        assert "train_distilled" in planned and planned <= {"train_distilled", "evaluate", "export_candidate",
                                                            "export", "curves", "accounting", "all", "recommend",
                                                            "train_hybrid_mixed", "train_hybrid_unitrans",
                                                            "train_hybrid_voted", "train_hybrid_agree"}
        assert not planned & {"train_second_teacher", "second_soft_labels", "vote", "train_hybrid_refined"}


def test_language_without_test_set_still_gets_data_and_models(tiny_run):
    config = yaml.safe_load((tiny_run / "config.yaml").read_text())
    spanish = config["languages"]["es"]
    config["languages"]["gl"] = {"mt": spanish["mt"], "train": spanish["train"]}  # no test
    changed = tiny_run / "no_test.yaml"
    changed.write_text(yaml.safe_dump(config))
    dry = subprocess.run([*SNAKEMAKE, "--snakefile", str(ROOT / "Snakefile"), "--directory", str(tiny_run),
                          "--configfile", str(changed), "--cores", "1", "-n", "gl"], capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    out = dry.stdout + dry.stderr
    planned = _planned_rules(out)
    assert {"translate", "project", "soft_labels", "train_projection", "train_distilled", "export"} <= planned
    assert "zero_shot" not in planned


def test_finished_run_has_nothing_to_do(tiny_run):
    dry = _snakemake(tiny_run, "-n")
    assert dry.returncode == 0, dry.stderr
    assert "Nothing to be done" in dry.stdout + dry.stderr


def test_changed_projection_setting_reruns_projection_and_after_only(tiny_run):
    config = yaml.safe_load((tiny_run / "config.yaml").read_text())
    config["project"]["ratio_threshold"] = 0.5
    changed = tiny_run / "changed.yaml"
    changed.write_text(yaml.safe_dump(config))
    dry = subprocess.run([*SNAKEMAKE, "--snakefile", str(ROOT / "Snakefile"), "--directory", str(tiny_run),
                          "--configfile", str(changed), "--cores", "1", "-n"], capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    planned = _planned_rules(dry.stdout + dry.stderr)
    assert {"project", "train_projection"} <= planned
    assert not planned & {"translate", "align", "label", "prepare_source", "prepare_target", "build_encoder",
                          "train_teacher", "soft_labels", "train_distilled", "train_supervised"}


@pytest.mark.slow  # a Snakemake run
def test_config_of_the_wrong_type_is_rejected_naming_the_key(tmp_path):
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["project"]["merge_distance"] = "one"
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    done = _snakemake(tmp_path, "-n")
    assert done.returncode != 0
    assert "config key project.merge_distance: 'one' is not of type 'integer'" in done.stdout + done.stderr


@pytest.mark.slow  # a Snakemake run
def test_workflow_lints_clean():
    done = subprocess.run([*SNAKEMAKE, "--lint"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and "Congratulations" in done.stdout + done.stderr, done.stdout + done.stderr


def test_adding_a_seed_runs_only_what_it_adds(tiny_run):
    config = yaml.safe_load((tiny_run / "config.yaml").read_text())
    config["seeds"] = [1, 2, 3]
    changed = tiny_run / "more_seeds.yaml"
    changed.write_text(yaml.safe_dump(config))
    dry = subprocess.run([*SNAKEMAKE, "--snakefile", str(ROOT / "Snakefile"), "--directory", str(tiny_run),
                          "--configfile", str(changed), "--cores", "1", "-n"], capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    planned = _planned_rules(dry.stdout + dry.stderr)
    assert {"train_projection", "train_supervised", "train_distilled", "curves"} <= planned
    assert planned <= {"subset", "train_projection", "train_supervised", "train_distilled", "evaluate",
                       "export_candidate", "export", "curves", "accounting", "all", "recommend", "train_hybrid_mixed",
                       "train_second_teacher", "second_soft_labels", "train_hybrid_unitrans", "train_hybrid_refined",
                       "vote", "train_hybrid_voted", "train_hybrid_agree"}
    outputs = [line for line in dry.stdout.splitlines() if line.strip().startswith("output:")]
    assert any("seed3" in line for line in outputs)
    assert not any("seed1/" in line or "seed2/" in line for line in outputs)  # no model of seeds 1 and 2 is retrained


def test_tiny_run_trains_every_hybrid_method(tiny_run):
    results = tiny_run / "results/es"
    for method in ("mixed-heuristic", "unitrans-heuristic", "voted-heuristic", "refined-heuristic"):
        for size, seed in ((10, 1), (20, 2)):
            metrics = json.loads((results / f"hybrid/{method}/n{size}/seed{seed}/metrics.json").read_text())
            assert metrics["run"] == {"lang": "es", "arm": "hybrid", "method": method, "size": size, "seed": seed}
            assert metrics["settings"]["hybrid"]["method"] == method.split("-")[0]
    mixed = json.loads((results / "hybrid/mixed-heuristic/n10/seed2/metrics.json").read_text())
    assert mixed["train"]["targets"] == "mixed" and mixed["train"]["sentences"] == 20  # N of each kind
    assert mixed["settings"]["teacher"]["teacher"] == 2  # the soft labels of its seed's teacher
    unitrans = json.loads((results / "hybrid/unitrans-heuristic/n10/seed1/metrics.json").read_text())
    assert unitrans["train"]["targets"] == "soft" and unitrans["settings"]["hybrid"]["second_teacher"]["layers"] is None
    soft = json.loads((results / "hybrid/unitrans-heuristic/n10/seed1/soft_labels.stats.json").read_text())
    assert soft["sentences"] == 10 and "unitrans-heuristic/n10/seed1/teacher" in soft["teacher"]
    voted = json.loads((results / "hybrid/voted-heuristic/n20/seed2/soft_labels.stats.json").read_text())
    assert voted["sentences"] == 20 and 0 <= voted["words_agreed_hard"] <= voted["words"]
    assert "unitrans-heuristic/n20/seed2/soft_labels.jsonl" in voted["second_teacher"]
    assert "soft/seed2/" in voted["english_teacher"]  # seed 2 distils from teacher 2
    for teacher in (1, 2):  # the refined data of each teacher, from that teacher's tags of the translations
        refined = json.loads((results / f"hybrid/refine/heuristic/seed{teacher}/stats.json").read_text())
        assert refined["sentences"] == 30 and refined["words_relabelled_by_teacher"] >= 0
        tagged = json.loads((results / f"align/seed{teacher}/tagged.stats.json").read_text())
        assert f"teacher/seed{teacher}/model" in json.dumps(tagged)
    refined_run = json.loads((results / "hybrid/refined-heuristic/n20/seed2/metrics.json").read_text())
    assert refined_run["settings"]["teacher"]["teacher"] == 2
    gaps = [line.split("\t") for line in (tiny_run / "results/gaps.tsv").read_text().splitlines()]
    hybrid = [row for row in gaps if row[1] == "hybrid" and row[0] == "es"]
    assert len(hybrid) == 4 * 2 and {row[3] for row in hybrid} == {"max(projection/heuristic, teacher-student/mse)"}
    assert (results / "recommendation.md").read_text().startswith("# Which transfer method at N = 20 (es)")


def test_the_hybrid_arm_is_independent_of_the_other_runs(tiny_run):
    """Without the hybrid arm nothing but the summaries would change: so adding it reruns no existing run."""
    config = yaml.safe_load((tiny_run / "config.yaml").read_text())
    config["arms"].remove("hybrid")
    changed = tiny_run / "no_hybrid.yaml"
    changed.write_text(yaml.safe_dump(config))
    dry = subprocess.run([*SNAKEMAKE, "--snakefile", str(ROOT / "Snakefile"), "--directory", str(tiny_run),
                          "--configfile", str(changed), "--cores", "1", "-n"], capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    assert _planned_rules(dry.stdout + dry.stderr) <= {"curves", "recommend", "accounting", "all"}


def test_rerun_gives_byte_identical_metrics_and_predictions(tiny_run):
    """The tiny run's jobs were forked by its preloaded worker (worker.py); rerun here each in its own process
    (local_worker: false), they give the same bytes."""
    runs = sorted((tiny_run / "results/es").glob("*/*/n*/seed*"))
    before = {p: (p / "metrics.json").read_bytes() + (p / "predictions.conll").read_bytes() for p in runs}
    forked_log = tiny_run / "results/es/logs/train/projection_heuristic_n10_seed1.log"
    assert forked_log.read_text().startswith("xlner: forked from the run's preloaded worker")
    # one rule per trainer: hard labels (projection; supervised trains the same way), soft labels, the hybrid mix
    # Spanish's runs of N = 10 only, both seeds (the rest retrain the same way)
    targets = [f"results/es/{arm}/{method}/n10/seed{seed}/metrics.json" for arm, method in (
        ("projection", "heuristic"), ("teacher-student", "mse"), ("hybrid", "mixed-heuristic")) for seed in (1, 2)]
    done = _snakemake(tiny_run, *targets, "--forcerun", "train_projection", "train_distilled", "train_hybrid_mixed",
                      "--config", "local_worker=False")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "train_distilled" in done.stdout + done.stderr  # it really retrained
    assert "preloaded worker" not in forked_log.read_text()
    for path, content in before.items():
        assert (path / "metrics.json").read_bytes() + (path / "predictions.conll").read_bytes() == content, path


def test_translate_test_table_has_every_language_and_method(tiny_run):
    table = (tiny_run / "results/translate-test/table.md").read_text().splitlines()
    assert table[0] == ("| lang | zero-shot | heuristic | ngram-ilp | nercand-greedy | ngram-fused-ilp | heuristic-bt "
                        "| anchor-heuristic | comb-zs-nercand-greedy | comb-tt-nercand-greedy |")
    rows = {line.split(" | ")[0].strip("| "): line.strip("| ").split(" | ")[1:] for line in table[2:]
            if line.startswith("|")}
    assert set(rows) == {"es", "eu", "**avg F1**"}

    def mean_and_spread(cell):  # two teachers: "mean ± sd"
        mean, spread = cell.split(" ± ")
        return mean.replace(".", "").isdigit() and spread.replace(".", "").isdigit()

    # es has an en->es direction: all numbers but comb-tt (no target-side student of its own in this config)
    assert all(mean_and_spread(cell) for cell in rows["es"][:-1]) and rows["es"][-1] == "n/a"
    assert rows["eu"][5] == "n/a" and all(mean_and_spread(c) for c in rows["eu"][:5] + rows["eu"][6:])
    assert rows["**avg F1**"][5].endswith("(1 of 2)")  # the back-translation average covers es only
    assert "mean over 2 teachers" in table[-1]
    for teacher in (1, 2):  # each teacher labels, back-translates and projects on its own
        metrics = json.loads((tiny_run / f"results/translate-test/es/project/ngram-ilp/seed{teacher}/metrics.json"
                              ).read_text())
        assert metrics["sentences"] == 20 and metrics["proj_ratio"] is not None
        assert metrics["info"]["settings"]["matcher"] == "ilp" and metrics["info"]["mt"]["mode"] == "spa-eng"
        assert metrics["info"]["teacher"]["teacher"] == teacher
    stats = json.loads((tiny_run / "results/translate-test/eu/project/ngram-ilp/seed1/stats.json").read_text())
    assert stats["matching"]["solver"] == "highs" and stats["matching"]["infeasible_sentences"] == 0
    tsv = [line.split("\t") for line in (tiny_run / "results/translate-test/table.tsv").read_text().splitlines()]
    assert tsv[0] == ["lang", "method", "teacher", "f1", "f1_sd", "precision", "recall", "proj_ratio", "f1_PER",
                      "f1_ORG", "f1_LOC"]
    assert len(tsv) == 1 + 3 * (8 + 8) + 2  # two teachers and their mean for each cell a language has; a row per n/a
    # the anchored recipe read the MT's unknown words; the combination kept teacher spans (stats say how many)
    anchored = json.loads((tiny_run / "results/translate-test/eu/project/anchor-heuristic/seed2/stats.json"
                           ).read_text())
    assert anchored["anchors"] == ["unknown", "exact", "fuzzy"] and anchored["entity_words_anchored"]
    combined = json.loads((tiny_run / "results/translate-test/es/project/comb-zs-nercand-greedy/seed1/stats.json"
                           ).read_text())
    assert combined["combine"] == "verified" and combined["spans_from_teacher"] > 0
    # comb-tt: teacher t's lines re-tagged on the target side by eu's projection student of seed t (its largest size)
    for teacher in (1, 2):
        student = f"results/eu/export/candidates/projection/tgt-heuristic/seed{teacher}"
        tagged = json.loads((tiny_run / f"results/translate-test/eu/student/comb-tt-nercand-greedy/seed{teacher}/"
                                        "stats.json").read_text())
        assert tagged["model"] == student and tagged["side"] == "tgt" and tagged["sentences"] == 20
        scored = json.loads((tiny_run / f"results/translate-test/eu/project/comb-tt-nercand-greedy/seed{teacher}/"
                                        "metrics.json").read_text())
        assert scored["info"]["student"] == student and scored["info"]["teacher"]["teacher"] == teacher
        assert json.loads((tiny_run / f"results/translate-test/eu/project/comb-tt-nercand-greedy/seed{teacher}/"
                                      "stats.json").read_text())["combine_with"] == "projection/tgt-heuristic"
    # the gaps: each language's xlner recipe against its best paper column, the combination against the better of
    # zero-shot and that column, each with an interval around the difference
    gaps = [dict(zip(TT_GAP_HEADER, line.split("\t")))
            for line in (tiny_run / "results/translate-test/gaps.tsv").read_text().splitlines()[1:]]
    assert [(g["lang"], g["column"]) for g in gaps] == [
        ("es", "anchor-heuristic"), ("es", "comb-zs-nercand-greedy"), ("eu", "anchor-heuristic"),
        ("eu", "comb-zs-nercand-greedy"), ("eu", "comb-tt-nercand-greedy")]
    paper = ("heuristic", "ngram-ilp", "nercand-greedy", "ngram-fused-ilp", "heuristic-bt")
    f1 = {(row[0], row[1]): float(row[3]) for row in tsv[1:] if row[2] == "mean"}  # the gaps average the teachers
    best_paper = {lang: max((c for c in paper if (lang, c) in f1), key=lambda c: f1[(lang, c)]) for lang in ("es", "eu")}
    for gap in gaps:
        assert float(gap["low"]) <= float(gap["difference"]) <= float(gap["high"])
        assert abs(float(gap["f1"]) - float(gap["f1_against"]) - float(gap["difference"])) <= 0.011
        if gap["column"] == "anchor-heuristic":
            assert gap["against"] == best_paper[gap["lang"]]


def test_matching_and_back_translation_recipes_train_students(tiny_run):
    config = yaml.safe_load((tiny_run / "config.yaml").read_text())
    config["project"]["methods"] = ["heuristic", "ngram-ilp", "nercand-bt"]
    changed = tiny_run / "recipes.yaml"
    changed.write_text(yaml.safe_dump(config))
    targets = [f"results/es/projection/{m}/n10/seed1/metrics.json" for m in ("ngram-ilp", "nercand-bt")]
    command, env = snakemake_command(tiny_run, *targets)
    command[command.index("--configfile") + 1] = str(changed)
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    ilp = json.loads((tiny_run / targets[0]).read_text())
    assert ilp["run"]["method"] == "ngram-ilp" and ilp["settings"]["project"]["matcher"] == "ilp"
    bt = json.loads((tiny_run / targets[1]).read_text())
    assert bt["settings"]["back_translation"] == {"backend": "apertium", "mode": "eng-spa"}
    assert bt["train"]["sentences"] == 10
    # NER candidates are teacher 1's tags of the back-translations, for the seed-1 student
    stats = json.loads((tiny_run / "results/es/project/nercand-bt/seed1/stats.json").read_text())
    assert stats["method"] == "ner-candidates" and stats["sentences"] == 30
    bt_stats = json.loads((tiny_run / "results/es/backtranslate/translate.stats.json").read_text())
    assert bt_stats["sentences"] == 30 and bt_stats["entities_out"] > 0


def test_a_bad_recipe_stops_snakemake_at_parse_time(tiny_run):
    """The plan's checks (tests/test_plan.py) run when Snakemake reads the config, before any job."""
    config = yaml.safe_load((tiny_run / "config.yaml").read_text())
    config["project"]["methods"] = ["no-such-recipe"]
    bad = tiny_run / "bad_recipe.yaml"
    bad.write_text(yaml.safe_dump(config))
    dry = subprocess.run([*SNAKEMAKE, "--snakefile", str(ROOT / "Snakefile"), "--directory", str(tiny_run),
                          "--configfile", str(bad), "--cores", "1", "-n"], capture_output=True, text=True)
    assert dry.returncode != 0 and "'no-such-recipe' is not defined" in dry.stderr + dry.stdout


def test_tiny_run_takes_a_second_language_through_target_side_projection_and_agree(tiny_run):
    """Basque (to_english only): its pool is translated into English, labelled by each teacher, aligned and projected
    back; projection, teacher-student and agree students of a seed read the same subset file."""
    results = tiny_run / "results"
    arms = {"tgt-heuristic": "projection", "mse": "teacher-student", "agree-tgt-heuristic": "hybrid"}
    targets = [f"results/eu/{arm}/{method}/n10/seed{seed}/metrics.json" for method, arm in arms.items()
               for seed in (1, 2)]
    # what each training job reads: the commands Snakemake would run again
    dry = _snakemake(tiny_run, *targets, "-n", "--forcerun", "train_projection", "train_distilled", "train_hybrid_agree")
    assert dry.returncode == 0, dry.stderr[-3000:]
    commands = [line for line in (dry.stdout + dry.stderr).splitlines() if line.startswith("Shell command:")]
    for seed in (1, 2):
        teacher = seed  # two teachers: seed s distils from teacher s
        read = {method: next(c for c in commands if f"eu/{arm}/{method}/n10/seed{seed}/model" in c)
                for method, arm in arms.items()}
        for command in read.values():  # the three transfers of a seed read one subset file
            assert f"--ids results/eu/subsets/unlabelled/seed{seed}/n10.txt " in command, command
        assert f"--train results/eu/to-english/project/heuristic/seed{teacher}/projected.jsonl" in read["tgt-heuristic"]
        assert f"--soft results/eu/soft/seed{teacher}/soft_labels.jsonl" in read["mse"]
        assert f"--soft results/eu/hybrid/agree/tgt-heuristic/seed{teacher}/soft_labels.jsonl" in read["agree-tgt-heuristic"]
        subset = results / f"eu/subsets/unlabelled/seed{seed}/n10.txt"
        assert subset.read_text() == (results / f"eu/subsets/train/seed{seed}/n10.txt").read_text()  # supervised's
        projection = json.loads((results / f"eu/projection/tgt-heuristic/n10/seed{seed}/metrics.json").read_text())
        assert projection["settings"]["direction"] == "target-side" and projection["train"]["sentences"] == 10
        assert projection["settings"]["to_english"]["mode"] == "eu-en" and "mt" not in projection["settings"]
        assert projection["settings"]["teacher"]["teacher"] == teacher
        agree = json.loads((results / f"eu/hybrid/agree-tgt-heuristic/n10/seed{seed}/metrics.json").read_text())
        assert agree["train"]["targets"] == "soft" and agree["settings"]["hybrid"]["method"] == "agree"
    pool = [json.loads(line) for line in (results / "eu/data/unlabelled.jsonl").read_text().splitlines()]
    projected = [json.loads(line) for line in
                 (results / "eu/to-english/project/heuristic/seed1/projected.jsonl").read_text().splitlines()]
    words = {r["id"]: r["words"] for r in pool}
    assert projected and all(r["tgt_tokens"] == words[r["id"]] for r in projected)  # the pool's own words
    quality = (results / "eu/projection-quality.tsv").read_text().splitlines()
    assert quality[0].startswith("lang\tdirection\tmethod\tteacher") and len(quality) == 1 + 2  # two teachers
    assert quality[1].split("\t")[:4] == ["eu", "target-side", "tgt-heuristic", "1"]
    gaps = [dict(zip(GAP_HEADER, line.split("\t"))) for line in (results / "gaps.tsv").read_text().splitlines()[1:]]
    eu = {(row["arm"], row["method"], row["size"]): row for row in gaps if row["lang"] == "eu"}
    assert eu[("projection", "tgt-heuristic", "10")]["paired"] == "seeds and sentences"
    assert eu[("hybrid", "agree-tgt-heuristic", "20")]["paired"] == "seeds and sentences"
    es = {(row["arm"], row["method"]): row for row in gaps if row["lang"] == "es"}
    assert es[("projection", "heuristic")]["paired"] == "sentences"
    accounting = (results / "eu/accounting.tsv").read_text()
    assert "to-english/translate\tsentences that failed translation" in accounting
    assert "hybrid/agree-tgt-heuristic (teacher 2)" in accounting
