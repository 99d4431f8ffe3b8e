"""The stages of data transfer after alignment, as functions from files to files (`xlner project`, `tag`,
`back-translate`, `score-projection`, `translate-test-table`).

The aligned-pair JSONL line (jsonl.py) carries optional target-side model output that some projection
methods read: `tgt_candidates` ([[start, end, type], ...], a NER model's spans) and `tgt_label_probs`
({"labels": [...], "probs": [[p per label] per word]}), both written by `xlner tag`.
"""
import logging
import time
from collections import Counter

import numpy as np
from tqdm import tqdm

from xlner.analysis.metrics import score
from xlner.errors import InputError
from xlner.formats.atomic import write_json, write_jsonl, write_text
from xlner.formats.conll import Sentence, label_list, read_conll, spans_from_tags, tags_from_spans, write_conll
from xlner.formats.decoding import DECODING, decode
from xlner.formats.jsonl import attach_source_tags, clean, read_jsonl, require_field
from xlner.formats.text import read_json
from xlner.models.inference import Tagger
from xlner.mt.nmtscore import NMTScorer
from xlner.projection.anchors import anchor_links, anchored_alignment
from xlner.projection.combine import combine_tags
from xlner.projection.heuristics import project_heuristic, projection_stats
from xlner.projection.matched import ILP_BATCH_SENTENCES, project_by_matching
from xlner.projection.refine import refine_tags
from xlner.projection.retype import retype_spans
from xlner.provenance import package_versions
from xlner.settings import HEURISTICS

log = logging.getLogger(__name__)


# The lines' shapes and values were checked when read (formats/records.py); what is left is across lines.
def _label_probs(records, input_path):
    labels = records[0]["tgt_label_probs"]["labels"]
    for record in records:
        if record["tgt_label_probs"]["labels"] != labels:
            raise InputError(input_path, f"tgt_label_probs labels {record['tgt_label_probs']['labels']} differ from "
                                         f"the first line's {labels}", record["_line"])
    return labels, [np.asarray(r["tgt_label_probs"]["probs"], dtype=np.float64).reshape(-1, len(labels))
                    for r in records]


def _candidate_spans(records):
    return [record["tgt_candidates"] for record in records]


def project(input_path, output_path, settings, nmt=None, conll_path=None, stats_path=None, labels_path=None,
            entity_types=("PER", "ORG", "LOC")):
    """Project src_tags onto tgt_tokens with a recipe (ProjectSettings); nmt (NMTSettings): the seq2seq model
    of the NMT score."""
    records = read_jsonl(input_path, required=("id", "src_tokens", "tgt_tokens", "alignment"),
                         entity_types=entity_types)
    if labels_path:
        attach_source_tags(records, labels_path, input_path, entity_types)
    for record in records:
        if "src_tags" not in record:
            raise InputError(input_path, "missing field src_tags (give --labels or add it to the line)",
                             record["_line"])
    for field in sorted(settings.needs()[0]):
        require_field(records, input_path, field, f"the recipe (method {settings.method}, combine {settings.combine})")
    began = time.perf_counter()
    tags, outcomes, report, settings_record, levers = project_records(records, settings, nmt, entity_types,
                                                                      input_path)
    seconds = time.perf_counter() - began
    out = [{**clean(r), "tgt_tags": t} for r, t in zip(records, tags)]
    write_jsonl(output_path, out)
    if conll_path:
        write_conll(conll_path, [Sentence(r["tgt_tokens"], r["tgt_tags"]) for r in out])
    if stats_path:
        # spans_from_teacher counts the spans of the model combined with (`combine_with`: the teacher, or a student)
        lever_settings = {"anchors": list(settings.anchors), "combine": settings.combine,
                          "combine_confidence": settings.combine_confidence, "combine_with": settings.combine_with,
                          "entity_type": settings.entity_type, "split_candidates": settings.split_candidates}
        if settings.combine == "mixture":
            lever_settings["combine_weight"] = settings.combine_weight
        write_json(stats_path, {**settings_record, **lever_settings, **projection_stats(outcomes), "matching": report,
                                **levers, "seconds": round(seconds, 3), "versions": package_versions()})


def project_records(records, settings, nmt=None, entity_types=("PER", "ORG", "LOC"), input_path="<records>"):
    """A recipe on checked records (their alignments are replaced in place where anchors apply): anchors, the
    projection method, the teacher's types, the combination. Returns (tags, outcomes, matching report, settings record,
    lever counts)."""
    levers = {}  # counts of what the levers did, flat in stats.json
    if settings.anchors:
        levers.update(_anchor(records, settings.anchors))
    if settings.method in HEURISTICS:
        tags, outcomes, report, settings_record = _project_heuristic(records, settings)
    else:
        tags, outcomes, report, settings_record = _project_by_matching(records, input_path, settings, nmt,
                                                                       entity_types)
    if settings.entity_type == "target":
        tags, retyped = _retype(records, tags, entity_types)
        levers["spans_retyped"] = retyped
    if settings.combine:
        tags, counts = _combine(records, tags, settings)
        levers.update(counts)
    return tags, outcomes, report, settings_record, levers


def _anchor(records, kinds):
    """Overrule the aligner's links of entity words by string anchors (in place); counts by kind."""
    counts = Counter()
    for record in records:
        anchors = anchor_links(record["src_tokens"], record["tgt_tokens"], record["src_tags"], record["alignment"],
                               kinds, record.get("src_unknown", ()), record.get("tgt_unknown", ()))
        counts.update(kind for _, kind in anchors.values())
        if anchors:
            record["alignment"] = [list(pair) for pair in anchored_alignment(record["alignment"], anchors)]
    return {"entity_words_anchored": dict(counts)}


def _retype(records, tags, entity_types):
    """Every projected span typed by the teacher's own distribution over its target words (projection/retype.py)."""
    retyped, total = [], 0
    for record, projected in zip(records, tags):
        probs = record["tgt_label_probs"]
        new, changed = retype_spans(projected, probs["probs"], probs["labels"], list(entity_types))
        retyped.append(new)
        total += changed
    return retyped, total


def _combine(records, tags, settings):
    """Join each projection with the teacher's prediction on the same sentence (projection/combine.py)."""
    combined, totals = [], Counter()
    for record, projected in zip(records, tags):
        probs = record["tgt_label_probs"]
        joined, counts = combine_tags(projected, record["tgt_candidates"], probs["probs"], probs["labels"],
                                      settings.combine, settings.combine_confidence, settings.combine_weight,
                                      record.get("teacher_candidates"))
        combined.append(joined)
        totals.update(counts)
    counts = {"spans_from_projection": totals["from_projection"], "spans_from_teacher": totals["from_teacher"]}
    if settings.combine == "vote":  # a kept span counts once for each of its voters
        counts["spans_from_zero_shot"] = totals["from_zero_shot"]
    return combined, counts


def _project_heuristic(records, settings):
    options = {"merge_distance": settings.merge_distance, "ratio_threshold": settings.ratio_threshold,
               "only_i": bool(settings.only_i), "top_k": settings.top_k}
    results = [project_heuristic(r["src_tags"], len(r["tgt_tokens"]), r["alignment"], method=settings.method,
                                 **options)
               for r in tqdm(records, desc=f"project {settings.method}", unit="sent")]
    return [t for t, _ in results], [o for _, o in results], {}, {"method": settings.method, **options}


# What the stats record of a matching recipe lists (the heuristics' knobs and the workflow's routing are not
# settings of matching).
MATCH_RECORD = ("matcher", "score", "weights", "max_len", "constraint", "n_proj", "solver", "ner_alpha",
                "ner_threshold", "nmt_threshold", "min_match_score", "min_match_quantile")


def _project_by_matching(records, input_path, settings, nmt, entity_types):
    fields, needs_nmt = settings.needs()  # the fields were required by project()
    scorer = None
    if needs_nmt:
        if not nmt or not nmt.model:
            raise InputError(input_path, "the nmt score needs a seq2seq model (--nmt-model, or project.nmt.model "
                                         "in config)")
        scorer = NMTScorer(nmt.model, nmt.src_lang, nmt.tgt_lang)
    tags, outcomes, report = project_by_matching(
        [r["src_tags"] for r in records], [r["tgt_tokens"] for r in records], [r["alignment"] for r in records],
        settings, list(entity_types),
        tgt_candidates=_candidate_spans(records) if "tgt_candidates" in fields else None,
        label_probs=_label_probs(records, input_path) if "tgt_label_probs" in fields else None,
        nmt_scorer=scorer, src_tokens=[r["src_tokens"] for r in records])
    record = {"method": settings.method, **{k: getattr(settings, k) for k in MATCH_RECORD},
              "batch_sentences": ILP_BATCH_SENTENCES, "score_weights": settings.score_weights()}
    if scorer:
        record["nmt"] = scorer.describe()
    return tags, outcomes, report, record


def tag(input_path, output_path, stats_path, model, side, entity_types, scheme=None, label_map=None,
        precision="float32", keep_teacher=False):
    """Run a NER model over a side of the lines. src: `src_tags` (valid IOB2, e.g. the English side of
    translate-test); tgt: `tgt_candidates` (its spans) and `tgt_label_probs` (per-word probabilities in the
    experiment's label list). keep_teacher: the lines' `tgt_candidates` (the teacher's, when a student tags them
    again for comb-tt) are kept as `teacher_candidates`, the third voter of `vote`."""
    sides = {"src": ["src"], "tgt": ["tgt"], "both": ["src", "tgt"]}[side]
    records = read_jsonl(input_path, required=("id",) + tuple(f"{s}_tokens" for s in sides), entity_types=entity_types)
    if keep_teacher:
        if "tgt" not in sides:
            raise InputError(input_path, "--keep-teacher keeps the target spans a tagger replaces: it needs --side tgt "
                                         "or both")
        require_field(records, input_path, "tgt_candidates", "--keep-teacher (the teacher's spans it keeps)")
        for record in records:
            record["teacher_candidates"] = record["tgt_candidates"]
    tagger = Tagger(model, label_list(entity_types), scheme, label_map, precision=precision)
    stats = {"model": str(model), "side": side, "sentences": len(records), "mapping": tagger.mapping,
             "precision": tagger.precision}
    if "src" in sides:
        tags, changed = tagger.tags([r["src_tokens"] for r in records])
        for record, t in zip(records, tags):
            record["src_tags"] = t
        stats["src_entities"] = dict(Counter(k for t in tags for _, _, k in spans_from_tags(t)))
        stats.update(decoding=DECODING, src_words_changed_from_argmax=changed)
    if "tgt" in sides:
        probs = tagger.probabilities([r["tgt_tokens"] for r in records])
        labels = tagger.target_labels
        count = Counter()
        for record, p in zip(records, probs):
            spans = spans_from_tags(decode(p, labels))
            record["tgt_candidates"] = [[a, b, k] for a, b, k in spans]
            record["tgt_label_probs"] = {"labels": labels, "probs": np.round(p, 5).tolist()}
            count.update(k for _, _, k in spans)
        stats["tgt_entities"] = dict(count)
    write_jsonl(output_path, [clean(r) for r in records])
    write_json(stats_path, {**stats, "versions": package_versions()})


def projection_ratio(gold_tags, predicted_tags):
    """The paper's proj_ratio: mean over sentences of #predicted / #gold entities (1 when both are 0, 0 when
    only gold is 0)."""
    ratios = []
    for gold, guess in zip(gold_tags, predicted_tags):
        g, p = len(spans_from_tags(gold)), len(spans_from_tags(guess))
        ratios.append(1.0 if g == 0 and p == 0 else (0.0 if g == 0 else p / g))
    return round(float(np.mean(ratios)), 4) if ratios else None


def field_tags(record, field):
    """A line's target tags as one field holds them: tgt_tags as they are, tgt_label_probs decoded to valid IOB2
    (zero-shot), tgt_candidates as spans."""
    if field == "tgt_tags":
        return list(record[field])
    if field == "tgt_label_probs":
        return list(decode(record[field]["probs"], record[field]["labels"]))
    return tags_from_spans(len(record["tgt_tokens"]), [(a, b, k) for a, b, k in record[field]])


def score_projection(input_path, gold_path, output_path, field="tgt_tags", entity_types=None, info=None):
    """Score target-side tags of the lines against the gold CoNLL file (ids are its sentence numbers).
    field: tgt_tags (a projection), tgt_label_probs (the tagger's probabilities, decoded to valid IOB2: zero-shot
    transfer, scored exactly like `xlner evaluate` scores it) or tgt_candidates (the tagger's spans).
    A gold sentence without a line counts as all O, and is counted."""
    gold, gold_stats = read_conll(gold_path, "iob2", {}, entity_types)
    records = {r["id"]: r for r in read_jsonl(input_path, required=("id", "tgt_tokens"), entity_types=entity_types)}
    predicted, missing = [], 0
    for sentence in gold:
        record = records.get(sentence.id)
        if record is None:
            missing += 1
            predicted.append(["O"] * len(sentence.tokens))
            continue
        if record["tgt_tokens"] != sentence.tokens:
            raise InputError(input_path, f"line {sentence.id!r}: tgt_tokens differ from gold sentence "
                                         f"{sentence.id} in {gold_path}", record["_line"])
        if field not in record:
            raise InputError(input_path, f"missing field {field}", record["_line"])
        predicted.append(field_tags(record, field))
    gold_tags = [s.tags for s in gold]
    write_json(output_path, {**score(gold_tags, predicted), "proj_ratio": projection_ratio(gold_tags, predicted),
                             "field": field, "sentences": len(gold), "sentences_without_line": missing,
                             "gold": str(gold_path), "input": str(input_path), "info": info or {},
                             "versions": package_versions()})


TT_TABLE_COLUMNS = ["lang", "method", "teacher", "f1", "f1_sd", "precision", "recall", "proj_ratio", "f1_PER",
                    "f1_ORG", "f1_LOC"]


def teacher_mean(records):
    """One row of the table from each teacher's metrics of a cell: the mean of every score over the teachers, and
    the standard deviation of F1 among them (empty for one teacher)."""
    kinds = ("PER", "ORG", "LOC")

    def mean(values):
        values = [v for v in values if v is not None]
        return round(float(np.mean(values)), 2) if values else ""

    f1s = [r["f1"] for r in records]
    return {"f1": mean(f1s), "f1_sd": round(float(np.std(f1s, ddof=1)), 2) if len(f1s) > 1 else "",
            **{k: mean([r[k] for r in records]) for k in ("precision", "recall", "proj_ratio")},
            **{f"f1_{kind}": mean([r.get("per_class", {}).get(kind, {}).get("f1") for r in records])
               for kind in kinds}}


def translate_test_table(metrics, output_tsv, output_md, columns, languages):
    """metrics: {(lang, column, teacher): metrics.json path, (lang, column): None where the column is not available}
    -> a table shaped like paper.md §6.1: languages as rows, methods as columns, each cell the mean F1 over the
    teachers (± their standard deviation when there are several), an average row; the TSV has every teacher's row,
    the mean row (teacher `mean`) with P/R/proj_ratio and per-class F1."""
    by_cell = {}
    for key, path in metrics.items():
        by_cell.setdefault(key[:2], []).append((int(key[2]), read_json(path)) if path else None)
    rows, table = [], {}
    for (lang, column), records in by_cell.items():
        if None in records:
            table[(lang, column)] = None
            rows.append([lang, column, ""] + ["n/a"] * (len(TT_TABLE_COLUMNS) - 3))
            continue
        records.sort(key=lambda pair: pair[0])
        table[(lang, column)] = teacher_mean([r for _, r in records])
        for teacher, record in records + ([("mean", None)] if len(records) > 1 else []):
            values = table[(lang, column)] if record is None else {**teacher_mean([record]), "f1_sd": ""}
            rows.append([lang, column, str(teacher)] + [str(values[c]) for c in TT_TABLE_COLUMNS[3:]])
    write_text(output_tsv, "\n".join(["\t".join(TT_TABLE_COLUMNS)] + ["\t".join(r) for r in rows]) + "\n")
    teachers = max(len(records) for records in by_cell.values() if None not in records) if by_cell else 1

    def cell(values):
        if not values:
            return "n/a"
        return f"{values['f1']:.1f}" + (f" ± {values['f1_sd']:.1f}" if values["f1_sd"] != "" else "")

    lines = ["| lang | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    for lang in languages:
        lines.append(f"| {lang} | " + " | ".join(cell(table.get((lang, c))) for c in columns) + " |")
    averages = []
    for column in columns:
        values = [table[(lang, column)]["f1"] for lang in languages if table.get((lang, column))]
        full = len(values) == len(languages)
        averages.append(f"{np.mean(values):.1f}" + ("" if full else f" ({len(values)} of {len(languages)})")
                        if values else "n/a")
    lines.append("| **avg F1** | " + " | ".join(averages) + " |")
    if teachers > 1:
        lines += ["", f"F1 is the mean over {teachers} teachers (± the standard deviation among them: the teacher's "
                      f"draw); table.tsv has each teacher's row."]
    write_text(output_md, "\n".join(lines) + "\n")


def refine(projected_path, tagged_path, output_path, stats_path, entity_types, hybrid):
    """Hybrid `refined`: each projected sentence with the teacher's confident labels (projection/refine.py).
    `tagged_path` holds the teacher's `tgt_label_probs` on the same translations (`xlner tag --side tgt`)."""
    projected = read_jsonl(projected_path, required=("id", "tgt_tokens", "tgt_tags"), entity_types=entity_types)
    tagged = {str(r["id"]): r for r in read_jsonl(tagged_path, required=("id", "tgt_tokens", "tgt_label_probs"),
                                                  entity_types=entity_types)}
    changed, sentences_changed, out = 0, 0, []
    for record in projected:
        teacher = tagged.get(str(record["id"]))
        if teacher is None or teacher["tgt_tokens"] != record["tgt_tokens"]:
            raise InputError(tagged_path, f"no tagged line with the words of projected line {record['id']!r} "
                                          f"({projected_path})", record["_line"])
        tags, n = refine_tags(record["tgt_tags"], teacher["tgt_label_probs"]["probs"],
                              teacher["tgt_label_probs"]["labels"], hybrid.refine_confidence)
        changed += n
        sentences_changed += n > 0
        out.append({**clean(record), "tgt_tags": tags, "projected_tags": record["tgt_tags"]})
    write_jsonl(output_path, out)
    write_json(stats_path, {"sentences": len(out), "words": sum(len(r["tgt_tokens"]) for r in out),
                            "words_relabelled_by_teacher": changed, "sentences_changed": sentences_changed,
                            "refine_confidence": hybrid.refine_confidence, "decoding": DECODING,
                            "versions": package_versions()})


QUALITY_COLUMNS = ["lang", "direction", "method", "teacher", "sentences", "sentences_not_projected", "f1",
                   "precision", "recall", "f1_PER", "f1_ORG", "f1_LOC", "proj_ratio", "projection_rate",
                   "entities_in", "lost_PER", "lost_ORG", "lost_LOC"]


def projection_quality(lang, scores, stats_files, output_path):
    """results/{lang}/projection-quality.tsv: how good each projected pool is before any student sees it.
    scores: {(method, teacher): metrics.json of `score-projection`} for target-side projections of a gold pool
    (the pool's own labels, which no arm but the supervised reference trains on); stats_files: {(method,) or
    (method, teacher): stats.json} of translate-train projections (no target gold: the projection rate and the
    entities lost per class; one per teacher where the projection depends on it). Cells that do not apply are left
    empty."""
    rows = []
    for (method, teacher), path in sorted(scores.items()):
        record = read_json(path)
        per_class = record.get("per_class", {})
        rows.append({"direction": "target-side", "method": method, "teacher": teacher,
                     "sentences": record["sentences"], "sentences_not_projected": record["sentences_without_line"],
                     "f1": record["f1"], "precision": record["precision"], "recall": record["recall"],
                     **{f"f1_{kind}": per_class.get(kind, {}).get("f1", "") for kind in ("PER", "ORG", "LOC")},
                     "proj_ratio": record["proj_ratio"]})
    for key, path in sorted(stats_files.items()):
        record = read_json(path)
        lost = record.get("entities_lost", {})
        rows.append({"direction": "translate-train", "method": key[0], "teacher": key[1] if len(key) > 1 else "",
                     "sentences": record["sentences"],
                     "projection_rate": record.get("projection_rate"),
                     "entities_in": sum(record.get("entities_in", {}).values()),
                     **{f"lost_{kind}": lost.get(kind, 0) for kind in ("PER", "ORG", "LOC")}})
    lines = ["\t".join(QUALITY_COLUMNS)]
    for row in rows:
        row["lang"] = lang
        lines.append("\t".join("" if row.get(c) is None else str(row.get(c, "")) for c in QUALITY_COLUMNS))
    write_text(output_path, "\n".join(lines) + "\n")
