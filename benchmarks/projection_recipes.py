"""Projection recipes chosen on Spanish dev: the translate-test pipeline on WikiANN es dev (the development language;
never eu/is, never a test split), every candidate recipe scored against its gold labels.

The pipeline is the translate-test table's, stage by stage and with config.yaml's settings (Apertium spa-eng, the
default run's teacher 1, SimAlign on the rebuilt encoder): es dev (`data/wikiann/es/dev.tsv`, 1,000 sentences) is
translated into English, labelled by the teacher (both sides: its English tags and its own prediction on the Spanish),
aligned, and projected back with each candidate. The paper's methods get the same tuning budget as xlner's
recipes (their knobs: merge distance and ratio threshold, fused weights, NER threshold, n_proj), so the comparison is
fair. Needs the teacher and the encoder of the default run:

    .venv/bin/snakemake results/teacher/seed{1,2,3}/model --cores 2
    .venv/bin/python benchmarks/projection_recipes.py [--teacher results/teacher/seed1/model]
    .venv/bin/python benchmarks/projection_recipes.py --teacher results/teacher/seed2/model \
        --output benchmarks/projection_recipes_teacher2.tsv   # and seed3 -> projection_recipes_teacher3.tsv
    .venv/bin/python benchmarks/projection_recipes.py --choose benchmarks/projection_recipes.tsv \
        benchmarks/projection_recipes_teacher2.tsv benchmarks/projection_recipes_teacher3.tsv

Writes benchmarks/projection_recipes.tsv (family, recipe, settings, es dev F1 / P / R / per class; teacher 1) and
prints the best paper recipe, the best xlner projection recipe and the best combination; about 4 minutes on 2 cores
a teacher. `--choose` averages the teachers' TSVs into projection_recipes_mean.tsv and prints the choice.

comb-tt (session 25): with `--student MODEL` the teacher's lines are tagged on the Spanish side again by a projection
student of the teacher's seed — config/three-languages.yaml trains Spanish target-side students on the Spanish train
pool, never on dev — and every combination candidate is scored under its comb-tt name, the student in the teacher's
place (the translate-test table's comb-tt column does the same with the run's student):

    for t in 1 2 3; do .venv/bin/python benchmarks/projection_recipes.py --teacher results/teacher/seed$t/model \
        --student results/es/export/candidates/projection/tgt-anchor-nercand-split-typed/seed$t \
        --output benchmarks/projection_recipes_tt_teacher$t.tsv; done
    .venv/bin/python benchmarks/projection_recipes.py --choose benchmarks/projection_recipes_tt_teacher{1,2,3}.tsv \
        --mean-output benchmarks/projection_recipes_tt_mean.tsv

The rule: in each family the recipe with the highest es dev F1 (the first in this order on a tie) goes into the
translate-test table (config.yaml `translate_test.columns`); eu and is are never looked at. Until session 18 the F1
was teacher 1's; since session 19 it is the mean over the default run's three teachers (`--choose`), because one
teacher's draw decided between recipes 0.1-0.4 F1 apart (issue #27: never one draw; docs/methods.md).
"""
import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

import yaml
from timing import write_and_print

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
WORK_ROOT = Path("/tmp/xlner-projection-recipes")
DEV = ROOT / "data/wikiann/es/dev.tsv"

ANCHORS = {"unknown": ["unknown"], "exact": ["unknown", "exact"], "all": ["unknown", "exact", "fuzzy"]}
# The projection methods xlner's levers and the combinations are tried on.
BASES = {"heuristic": {"method": "heuristic"}, "nercand-greedy": {"method": "ner-candidates"},
         "ngram-fused-ilp": {"method": "ngram", "matcher": "ilp", "score": "fused", "weights": {"align": 0.5, "ner": 0.5}},
         "nercand-fused-ilp": {"method": "ner-candidates", "matcher": "ilp", "score": "fused",
                               "weights": {"align": 0.5, "ner": 0.5}}}
SPLIT_BASES = ("nercand-greedy-split", "nercand-fused-ilp-a0.5-split")  # the split candidates' combination bases


def model_key(model):
    """A model's path and the digest of its weights, as a folder name: a retrained model at the same path (a new
    recipe) never reads its predecessor's tags."""
    weights = Path(model) / "model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:12] if weights.exists() else "no-weights"
    name = re.sub(r"[^\w.-]+", "_", str(Path(model).resolve())).strip("_")
    return f"{name}-{digest}"


def work_folder(teacher):
    """The folder that keeps one teacher's tagged and aligned es dev between runs: one per teacher and per weights."""
    return WORK_ROOT / model_key(teacher)


def candidates():
    """(family, name, ProjectSettings fields): the paper's methods over their knobs, then xlner's levers."""
    paper, ours = [], []
    for method in ("heuristic-paper", "heuristic", "heuristic-thesis"):
        for merge in (0, 1, 2):
            for ratio in (0.5, 0.8):
                paper.append((f"{method}-m{merge}-r{ratio}", {"method": method, "merge_distance": merge,
                                                              "ratio_threshold": ratio}))
    for method, short in (("ngram", "ngram"), ("aligned-window", "window"), ("ner-candidates", "nercand")):
        for matcher in ("greedy", "ilp"):
            for n_proj in (1, 2):
                paper.append((f"{short}-{matcher}-n{n_proj}", {"method": method, "matcher": matcher,
                                                               "n_proj": n_proj}))
    for align_weight in (0.25, 0.5, 0.75):
        for ner_threshold in (0.05, 0.2, 0.5):
            for method, short in (("ngram", "ngram"), ("ner-candidates", "nercand")):
                paper.append((f"{short}-fused-ilp-a{align_weight}-t{ner_threshold}",
                              {"method": method, "matcher": "ilp", "score": "fused", "ner_threshold": ner_threshold,
                               "weights": {"align": align_weight, "ner": 1 - align_weight}}))
    for base, fields in BASES.items():
        for label, kinds in ANCHORS.items():
            ours.append((f"anchor-{label}-{base}", {**fields, "anchors": kinds}))
    # session 24's levers, on every anchor: the teacher's type for a projected span, and NER candidates split into
    # their sub-spans (with the fused weights of the paper's knobs, since the alignment now picks the boundaries)
    for base, fields in BASES.items():
        if base != "ngram-fused-ilp":
            ours.append((f"anchor-all-{base}-type-target", {**fields, "anchors": ANCHORS["all"],
                                                            "entity_type": "target"}))
    split_bases = {"nercand-greedy-split": BASES["nercand-greedy"]}
    for align_weight in (0.25, 0.5, 0.75):
        split_bases[f"nercand-fused-ilp-a{align_weight}-split"] = {
            **BASES["nercand-fused-ilp"], "weights": {"align": align_weight, "ner": 1 - align_weight}}
    for base, fields in split_bases.items():
        for entity_type in ("source", "target"):
            ours.append((f"anchor-all-{base}" + ("-type-target" if entity_type == "target" else ""),
                         {**fields, "anchors": ANCHORS["all"], "split_candidates": True, "entity_type": entity_type}))
    # a floor on the match score (session 24): a teacher span the English side supports only weakly is dropped
    for base, fields in split_bases.items():
        if base.startswith("nercand-fused-ilp"):
            for floor in (0.3, 0.4, 0.5):
                ours.append((f"anchor-all-{base}-type-target-s{floor}",
                             {**fields, "anchors": ANCHORS["all"], "split_candidates": True, "entity_type": "target",
                              "min_match_score": floor}))
            # the same as a share of the entities, whatever the scale of the scores (the fused score holds the
            # teacher's probabilities, lower where the teacher knows the language less)
            for share in (0.05, 0.1, 0.15, 0.2):
                ours.append((f"anchor-all-{base}-type-target-q{share}",
                             {**fields, "anchors": ANCHORS["all"], "split_candidates": True, "entity_type": "target",
                              "min_match_quantile": share}))
    combined = []
    for base, fields in BASES.items():
        for anchors in ([], ANCHORS["all"]):
            prefix = f"comb-zs-{'anchor-all-' if anchors else ''}{base}"
            for rule in ("projection-first", "teacher-first", "agreement", "verified"):
                confidences = {"projection-first": (0.0, 0.5, 0.7, 0.9),
                               "verified": (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)}.get(rule, (0.0,))
                for confidence in confidences:
                    name = f"{prefix}-{rule}" + (f"-c{confidence}" if len(confidences) > 1 else "")
                    combined.append((name, {**fields, "anchors": anchors, "combine": rule,
                                            "combine_confidence": confidence}))
            # the word-level mixture (added in session 18): the projection's weight against the teacher's
            # distribution; 0.5 and above let any projected label overrule a teacher sure of its own
            for weight in (0.2, 0.3, 0.4, 0.5, 0.6):
                combined.append((f"{prefix}-mixture-w{weight}", {**fields, "anchors": anchors, "combine": "mixture",
                                                                 "combine_weight": weight}))
    for base in SPLIT_BASES:
        fields = {**split_bases[base], "anchors": ANCHORS["all"], "split_candidates": True}
        for confidence in (0.6, 0.8):
            combined.append((f"comb-zs-anchor-all-{base}-verified-c{confidence}",
                             {**fields, "combine": "verified", "combine_confidence": confidence}))
        for weight in (0.2, 0.3):
            combined.append((f"comb-zs-anchor-all-{base}-mixture-w{weight}",
                             {**fields, "combine": "mixture", "combine_weight": weight}))
    return ([("paper", n, f) for n, f in paper] + [("xlner", n, f) for n, f in ours]
            + [("combination", n, f) for n, f in combined])


def vote_candidates():
    """(name, fields) of comb-tt's `vote` (session 26: the projection, the student and the zero-shot teacher, two of
    three): every projection base with and without anchors, and the split candidates with each entity type."""
    recipes = []
    for base, fields in BASES.items():
        for anchors in ([], ANCHORS["all"]):
            recipes.append((f"comb-tt-{'anchor-all-' if anchors else ''}{base}-vote",
                            {**fields, "anchors": anchors, "combine": "vote"}))
    # the split bases of candidates(): greedy, and the fused ILP at its default weights (align 0.5)
    for base, unsplit in zip(SPLIT_BASES, ("nercand-greedy", "nercand-fused-ilp")):
        fields = {**BASES[unsplit], "anchors": ANCHORS["all"], "split_candidates": True}
        for entity_type in ("source", "target"):
            recipes.append((f"comb-tt-anchor-all-{base}{'-type-target' if entity_type == 'target' else ''}-vote",
                            {**fields, "entity_type": entity_type, "combine": "vote"}))
    # the xlner column's own recipe as the projection voter, as config.yaml defines it
    column = yaml.safe_load((ROOT / "config.yaml").read_text())["project"]["recipes"]["anchor-nercand-split-typed"]
    recipes.append(("comb-tt-anchor-nercand-split-typed-vote", {**column, "combine": "vote"}))
    return recipes


def prepare(plan, teacher, work):
    """Translate, tag and align es dev once (kept in `work` between runs)."""
    from xlner.stages import align, mt, projection

    work.mkdir(parents=True, exist_ok=True)
    pairs, tagged, aligned = work / "pairs.jsonl", work / "tagged.jsonl", work / "aligned.jsonl"
    if not pairs.exists():
        mt.translate(DEV, pairs, work / "translate.json", plan.tt_mt("es"), swap=True)
    if not tagged.exists():
        projection.tag(pairs, tagged, work / "tag.json", teacher, "both", plan.types,
                       precision=plan.precision("inference"))
    if not aligned.exists():
        align.align(tagged, aligned, work / "align.json", plan.align())
    return aligned


def main():
    from xlner.plan import Plan

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teacher", default=str(ROOT / "results/teacher/seed1/model"))
    parser.add_argument("--output", default=str(Path(__file__).with_suffix(".tsv")))
    parser.add_argument("--student", metavar="MODEL",
                        help="comb-tt: a projection student of the teacher's seed (e.g. results/es/export/candidates/"
                             "projection/tgt-anchor-nercand-split-typed/seed1) tags es dev in the teacher's place, "
                             "and the combination recipes join the projection with its prediction")
    parser.add_argument("--choose", nargs="+", metavar="TSV",
                        help="no projection: average these per-teacher TSVs and print each family's best")
    parser.add_argument("--mean-output", default=str(Path(__file__).with_name("projection_recipes_mean.tsv")),
                        help="where --choose writes the mean over the TSVs")
    args = parser.parse_args()
    if args.choose:
        return choose(args.choose, args.mean_output)
    plan = Plan(yaml.safe_load((ROOT / "config.yaml").read_text()))
    work = work_folder(args.teacher)
    aligned = prepare(plan, args.teacher, work)
    if args.student:
        rows = score_with_student(plan, aligned, args.student, work / f"student-{model_key(args.student)}")
    else:
        rows = [("zero-shot", "zero-shot", {}, score_zero_shot(plan, work / "tagged.jsonl", work))]
        rows += score_candidates(plan, aligned, work, candidates())
    write_rows(rows, args.output)


def score_zero_shot(plan, tagged, work):
    """The tagging model's own prediction on the Spanish side, scored against gold."""
    from xlner.stages import projection

    projection.score_projection(tagged, DEV, work / "zero-shot.json", "tgt_label_probs", plan.types)
    return json.loads((work / "zero-shot.json").read_text())


def score_candidates(plan, aligned, work, recipes):
    """Each (family, name, fields) projected from `aligned` and scored against es dev's gold labels."""
    from xlner.settings import ProjectSettings, build
    from xlner.stages import projection

    rows = []
    for family, name, fields in recipes:
        settings = build(ProjectSettings, fields)
        out = work / "project" / name
        projection.project(aligned, out / "projected.jsonl", settings, entity_types=plan.types,
                           stats_path=out / "stats.json")
        projection.score_projection(out / "projected.jsonl", DEV, out / "metrics.json", "tgt_tags", plan.types)
        rows.append((family, name, fields, json.loads((out / "metrics.json").read_text())))
    return rows


def score_with_student(plan, aligned, student, work):
    """comb-tt on es dev: the teacher's labelled and aligned lines, their Spanish side tagged again by the student
    (its spans and probabilities replace the teacher's, as rule tt_tag_student does), then every combination
    candidate of comb-zs under its comb-tt name: the same tuning budget; then `vote`'s candidates (session 26), whose
    third voter is the teacher's prediction kept beside the student's. Its first row is the student alone."""
    from xlner.stages import projection

    work.mkdir(parents=True, exist_ok=True)
    tagged = work / "tagged.jsonl"
    if not tagged.exists():
        projection.tag(aligned, tagged, work / "tag.json", student, "tgt", plan.types,
                       precision=plan.precision("inference"), keep_teacher=True)
    named = [("comb-tt-" + name.removeprefix("comb-zs-"), fields)
             for family, name, fields in candidates() if family == "combination"] + vote_candidates()
    recipes = [("comb-tt", name, {**fields, "combine_with": "projection/tgt-anchor-nercand-split-typed"})
               for name, fields in named]
    return [("student", "student", {}, score_zero_shot(plan, tagged, work))] + score_candidates(plan, tagged, work,
                                                                                                 recipes)


def write_rows(rows, output):
    """The TSV of every row and each family's best printed."""
    header = ["family", "recipe", "f1", "precision", "recall", "f1_PER", "f1_ORG", "f1_LOC", "settings"]
    lines = []
    for family, name, fields, record in rows:
        per_class = record.get("per_class", {})
        lines.append([family, name, f"{record['f1']:.2f}", f"{record['precision']:.2f}", f"{record['recall']:.2f}",
                      *(f"{per_class.get(k, {}).get('f1', 0):.2f}" for k in ("PER", "ORG", "LOC")),
                      json.dumps(fields, sort_keys=True)])
    best = {}
    for family, name, _, record in rows:
        if family not in best or record["f1"] > best[family][1]:
            best[family] = (name, record["f1"])
    write_and_print(output, ["\t".join(header)] + ["\t".join(line) for line in lines])
    for family, (name, f1) in best.items():
        print(f"best {family}: {name} {f1:.2f}")


def choose(paths, output):
    """The rule over several teachers: each recipe's es dev F1 averaged over the teachers' TSVs (every TSV must hold
    the same recipes in the same order), written to `output`; the best of each family printed."""
    import csv
    from statistics import mean

    tables = [list(csv.DictReader(open(path), delimiter="\t")) for path in paths]
    recipes = [(row["family"], row["recipe"]) for row in tables[0]]
    if any([(row["family"], row["recipe"]) for row in table] != recipes for table in tables[1:]):
        sys.exit("the TSVs do not hold the same recipes in the same order: rerun them with the same candidates")
    lines, best = [["family", "recipe", "f1_mean", *(f"f1_{Path(path).stem}" for path in paths)]], {}
    for i, (family, name) in enumerate(recipes):
        scores = [float(table[i]["f1"]) for table in tables]
        average = mean(scores)
        lines.append([family, name, f"{average:.2f}", *(f"{score:.2f}" for score in scores)])
        if family not in best or average > best[family][1]:
            best[family] = (name, average)
    write_and_print(output, ["\t".join(line) for line in lines])
    for family, (name, f1) in best.items():
        print(f"best {family} (mean of {len(paths)} teachers): {name} {f1:.2f}")


if __name__ == "__main__":
    main()
