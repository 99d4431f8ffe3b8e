"""Training stages: the students of the learning curves (projection, supervised, teacher-student, hybrid `mixed`),
each scored in the same job, and the English teacher.

transformers' Trainer loads with this module (about 2.5 s): the inference stages (stages/models.py) do without it.
"""
import logging

from xlner.errors import InputError, SettingsError
from xlner.formats.atomic import current_location, write_json
from xlner.formats.conll import label_list, write_predictions
from xlner.formats.training import load_training_record, read_soft_labels, read_training_data, training_record
from xlner.hardware import describe as describe_hardware
from xlner.models.tokens import load_tokenizer
from xlner.models.train import train_tagger
from xlner.provenance import package_versions
from xlner.stages.models import evaluate

log = logging.getLogger(__name__)


def score_trained(output_path, entity_types, metrics_path=None, predictions_path=None, test_path=None, record=None,
                  eval_precision="float32", tokenizer=None):
    """A student's scores, written by its training job (no second process loading the model again): `evaluate`
    on the saved directory when the language has a test set; without one, a metrics.json that says it is not
    scored (the run's record and training, no numbers) so that every run leaves the same files. `tokenizer`: the
    one training used (the saved directory holds a copy of it; loading that again costs about 1.2 s a run)."""
    if not metrics_path:
        return
    if not predictions_path:
        raise SettingsError("--metrics needs --predictions (where the scored tags go)")
    saved = current_location(output_path)  # the model goes into place with the metrics, when the job ends
    if test_path:
        evaluate(saved, test_path, metrics_path, predictions_path, entity_types, record, precision=eval_precision,
                 recorded_as=output_path, tokenizer=tokenizer)
        return
    training = load_training_record(saved)
    write_predictions(predictions_path, [], [])
    write_json(metrics_path, {"precision": None, "recall": None, "f1": None, "run": (record or {}).get("run"),
                              "test": None, "note": "no gold test data for this language: not scored",
                              "model": str(output_path), "train": training, "settings": record or {},
                              "versions": package_versions(), "hardware": describe_hardware()})


def train(train_path, encoder, output_path, entity_types, settings, ids_path=None, **scoring):
    """Projection student or supervised reference: hard IOB2 tags (TrainSettings); `scoring`: score_trained."""
    sentences, stats = read_training_data(train_path, entity_types, ids_path)
    tokenizer = load_tokenizer(encoder)
    record = train_tagger(encoder, sentences, label_list(entity_types), output_path, settings,
                          extra_record=training_record(train_path, ids_path, stats), tokenizer=tokenizer)
    score_trained(output_path, entity_types, tokenizer=tokenizer, **scoring)
    return record


def train_teacher(train_path, encoder, output_path, entity_types, settings, dev_path=None):
    """The English teacher: gold English tags, checkpoint chosen on English dev F1 (never target data)."""
    sentences, _ = read_training_data(train_path, entity_types)
    dev = read_training_data(dev_path, entity_types)[0] if dev_path else None
    if dev and not settings.eval_steps:
        raise InputError(dev_path, "a dev set needs settings.eval_steps > 0 (how often to evaluate on it)")
    return train_tagger(encoder, sentences, label_list(entity_types), output_path, settings, dev=dev,
                        extra_record={"role": "teacher", "train_file": str(train_path),
                                      "dev_file": str(dev_path) if dev_path else None})


def train_distilled(soft_path, encoder, output_path, entity_types, settings, kd, ids_path=None, **scoring):
    """Teacher-student student: a fresh encoder fitted to the teacher's soft labels on N target sentences."""
    examples, stats = read_soft_labels(soft_path, entity_types, ids_path)
    tokenizer = load_tokenizer(encoder)
    record = train_tagger(encoder, examples, label_list(entity_types), output_path, settings, soft=True,
                          kd={"loss": kd.loss, "temperature": kd.temperature},
                          extra_record=training_record(soft_path, ids_path, stats), tokenizer=tokenizer)
    score_trained(output_path, entity_types, tokenizer=tokenizer, **scoring)
    return record


def train_mixed(train_path, soft_path, encoder, output_path, entity_types, settings, kd, hybrid, ids_path=None,
                soft_ids_path=None, **scoring):
    """Hybrid `mixed` student: N projected sentences (hard tags) and N target sentences (the teacher's soft
    labels), one loss: cross-entropy + hybrid.kd_weight x the distillation loss (kd)."""
    hard, hard_stats = read_training_data(train_path, entity_types, ids_path)
    soft, soft_stats = read_soft_labels(soft_path, entity_types, soft_ids_path)
    if not hard or not soft:
        raise InputError(train_path if not hard else soft_path, "no training sentences of this kind in the subset")
    record = training_record(train_path, ids_path, hard_stats)
    soft_record = training_record(soft_path, soft_ids_path, soft_stats)
    record.update(soft_file=soft_record["train_file"], soft_subset=soft_record["subset"],
                  sentences_requested=record["sentences_requested"] + soft_record["sentences_requested"],
                  sentences_missing_upstream=record["sentences_missing_upstream"]
                  + soft_record["sentences_missing_upstream"])
    tokenizer = load_tokenizer(encoder)
    trained = train_tagger(encoder, hard, label_list(entity_types), output_path, settings,
                           kd={"loss": kd.loss, "temperature": kd.temperature}, soft_examples=soft,
                           kd_weight=hybrid.kd_weight, extra_record=record, tokenizer=tokenizer)
    score_trained(output_path, entity_types, tokenizer=tokenizer, **scoring)
    return trained
