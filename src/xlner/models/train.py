"""Fine-tune a token-classification model on word-level data with transformers' Trainer.

One implementation for every arm: the projection student and the supervised reference learn hard IOB2 tags,
the teacher learns English gold tags (with its checkpoint chosen on English dev F1), and the teacher-student
student learns the teacher's soft labels through `DistillationTrainer` (kd.py). All of them label the first
sub-token of each word only. Defaults follow offline.md §G (lr 1e-4, 10 % warm-up then linear decay, weight decay
0.01, clipping 1.0, batch 32, fused AdamW, word-embedding matrix frozen: same F1, 30 % faster on CPU).
"""
import logging
import math
import os
import shutil
import time
from dataclasses import asdict
from pathlib import Path

from scipy.special import softmax
from transformers import TrainerCallback

from xlner.analysis.metrics import score
from xlner.errors import SettingsError
from xlner.formats.atomic import atomic_directory, write_json
from xlner.formats.conll import label_list  # noqa: F401 (re-exported)
from xlner.formats.decoding import decode
from xlner.models.buckets import HardLabelTrainer
from xlner.models.kd import DistillationTrainer, MixedTrainer
from xlner.models.tokens import IGNORE, encode_sentences, load_tokenizer
from xlner.pacing import pause
from xlner.precision import record as precision_record
from xlner.precision import resolve
from xlner.settings import TrainSettings

log = logging.getLogger(__name__)


class PauseCallback(TrainerCallback):
    """XLNER_PAUSE seconds after each optimizer step (pacing.py: for the kill-and-resume tests only)."""

    def on_step_end(self, args, state, control, **kwargs):
        pause()


class CheckpointAverage(TrainerCallback):
    """The mean of the trainable weights at every `every` steps of the second half of training and at its last step
    (`average_checkpoints`): checkpoint averaging desensitises cross-lingual transfer to the run's draw (Schmidt,
    Vulić & Glavaš, ACL 2023). Kept as float64 running sums of the parameters that train (frozen ones cannot
    change)."""

    def __init__(self, model, every, steps):
        self.model, self.every, self.steps = model, every, steps
        self.sums, self.count = {}, 0

    def on_step_end(self, args, state, control, **kwargs):
        step = state.global_step
        if step == self.steps or (2 * step > self.steps and step % self.every == 0):
            for name, weights in self.model.named_parameters():
                if weights.requires_grad:
                    total = self.sums.get(name)
                    value = weights.detach().double()
                    self.sums[name] = value.clone() if total is None else total + value
            self.count += 1

    def apply(self):
        """Load the mean into the model; returns how many checkpoints it averages."""
        import torch

        with torch.no_grad():
            for name, weights in self.model.named_parameters():
                if name in self.sums:
                    weights.copy_((self.sums[name] / self.count).to(weights.dtype))
        return self.count


class PaddingCollator:
    """Pads input ids, attention masks, labels (-100) and, for distillation, teacher probabilities (zeros)."""

    def __init__(self, pad_id):
        self.pad_id = pad_id

    def __call__(self, features):
        import torch

        width = max(len(f["input_ids"]) for f in features)

        def pad(key, value):
            return [f[key] + [value] * (width - len(f[key])) for f in features]

        batch = {"input_ids": torch.tensor(pad("input_ids", self.pad_id)),
                 "attention_mask": torch.tensor(pad("attention_mask", 0)),
                 "labels": torch.tensor(pad("labels", IGNORE))}
        if "teacher_probs" in features[0]:
            n_labels = len(features[0]["teacher_probs"][0])
            batch["teacher_probs"] = torch.tensor(pad("teacher_probs", [0.0] * n_labels), dtype=torch.float32)
        if "soft_rows" in features[0]:
            batch["soft_rows"] = torch.tensor([f["soft_rows"] for f in features], dtype=torch.bool)
        return batch


def soft_features(tokenizer, examples, max_length):
    """[(words, probs words x labels)] -> features whose first sub-tokens carry the teacher's vector.

    `labels` is 0 at first sub-tokens and -100 elsewhere: the distillation loss uses it as its mask.
    """
    features, owners = encode_sentences(tokenizer, [(words, None) for words, _ in examples], max_length=max_length)
    n_labels = len(examples[0][1][0])
    zeros = [0.0] * n_labels
    for feature, (sentence, offset) in zip(features, owners):
        probs = examples[sentence][1]
        index = feature.pop("word_index")
        feature["labels"] = [0 if w >= 0 else IGNORE for w in index]
        feature["teacher_probs"] = [list(map(float, probs[offset + w])) if w >= 0 else zeros for w in index]
    return features, owners


def hard_features(tokenizer, examples, labels, max_length):
    label2id = {label: i for i, label in enumerate(labels)}
    unknown = sorted({tag for _, tags in examples for tag in tags} - set(labels))
    if unknown:
        raise ValueError(f"training tags {unknown} are not in the label set {labels}")
    features, owners = encode_sentences(tokenizer, examples, label2id, max_length)
    for feature in features:
        feature.pop("word_index")
    return features, owners


def mixed_features(tokenizer, hard_examples, soft_examples, labels, max_length):
    """The hybrid `mixed` student's data: projected sentences (hard labels, zero teacher vectors) followed by
    target sentences (teacher vectors at first sub-tokens), each feature flagged with `soft_rows`."""
    hard, hard_owners = hard_features(tokenizer, hard_examples, labels, max_length)
    soft, soft_owners = soft_features(tokenizer, soft_examples, max_length)
    zeros = [0.0] * len(labels)
    for feature in hard:
        feature["teacher_probs"] = [zeros] * len(feature["input_ids"])
        feature["soft_rows"] = False
    for feature in soft:
        feature["soft_rows"] = True
    owners = hard_owners + [(len(hard_examples) + sentence, offset) for sentence, offset in soft_owners]
    return hard + soft, owners


def _dev_f1(labels):
    """compute_metrics for Trainer: seqeval strict F1 over first sub-tokens of each dev chunk, decoded as every
    tagger's output is (constrained IOB2 Viterbi over the word distributions)."""
    def compute(prediction):
        logits, gold = prediction.predictions, prediction.label_ids
        gold_tags, predicted_tags = [], []
        for row_gold, row_logits in zip(gold, logits):
            keep = row_gold != IGNORE
            gold_tags.append([labels[i] for i in row_gold[keep]])
            predicted_tags.append(decode(softmax(row_logits[keep], axis=-1), labels))
        return {"f1": score(gold_tags, predicted_tags)["f1"]}

    return compute


def _trainer_arguments(settings, steps, output_dir, with_dev, precision="float32"):
    import torch
    from transformers import TrainingArguments

    selection = {}
    if with_dev:
        selection = dict(eval_strategy="steps", eval_steps=settings.eval_steps, save_strategy="steps",
                         save_steps=settings.eval_steps, save_total_limit=1, save_only_model=True,
                         load_best_model_at_end=True, metric_for_best_model="f1", greater_is_better=True)
    return TrainingArguments(
        output_dir=str(output_dir), seed=settings.seed, data_seed=settings.seed,
        max_steps=steps, per_device_train_batch_size=settings.batch_size, per_device_eval_batch_size=64,
        learning_rate=settings.learning_rate, warmup_steps=max(1, round(settings.warmup_ratio * steps)),
        lr_scheduler_type="linear", weight_decay=settings.weight_decay, max_grad_norm=settings.max_grad_norm,
        optim="adamw_torch_fused", train_sampling_strategy="group_by_length", report_to=[], logging_steps=10,
        remove_unused_columns=False, dataloader_num_workers=0, use_cpu=not torch.cuda.is_available(), disable_tqdm=False,
        bf16=precision == "bfloat16",  # torch.autocast around forward passes (precision.py); weights stay float32
        **({"save_strategy": "no"} if not with_dev else selection),
    )


def train_tagger(encoder, examples, labels, output_dir, settings=None, soft=False, kd=None, dev=None,
                 extra_record=None, soft_examples=None, kd_weight=None, tokenizer=None):
    """Train a tagger and save a `from_pretrained`-loadable model directory (weights, tokenizer, record).

    examples: [(words, IOB2 tags)], or with `soft=True` [(words, probabilities words x len(labels))] learned
    with the distillation loss `kd` ({"loss": "mse"|"kl", "temperature": T}). dev: optional [(words, tags)]
    used to pick the checkpoint with the best F1 (every `settings.eval_steps` steps). With `soft_examples`
    (the hybrid `mixed` student), `examples` are hard and both are learned at once: cross-entropy plus `kd_weight`
    times the distillation loss (kd.mixed_loss). `encoder` is a Hugging Face id or local directory (a trained
    tagger with the same labels keeps its head: a second-stage teacher continues from the teacher). Writes `xlner_train.json` next to the weights and returns it.
    """
    import torch
    from transformers import Trainer, set_seed

    settings = settings or TrainSettings()
    if not examples:
        raise ValueError("no training sentences")
    if settings.threads:
        torch.set_num_threads(settings.threads)
    set_seed(settings.seed)
    tokenizer = tokenizer or load_tokenizer(encoder)  # the caller's, when it scores the model with it afterwards
    if soft_examples is not None:
        features, owners = mixed_features(tokenizer, examples, soft_examples, labels, settings.max_length)
    elif soft:
        features, owners = soft_features(tokenizer, examples, settings.max_length)
    else:
        features, owners = hard_features(tokenizer, examples, labels, settings.max_length)
    dev_features = hard_features(tokenizer, dev, labels, settings.max_length)[0] if dev else None
    model = _student(encoder, labels, settings)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    precision = precision_record(settings.precision, resolve(settings.precision, device), device)
    sentences = len(examples) + len(soft_examples or ())
    steps = settings.steps_for(sentences)
    started = time.time()
    # With checkpoint averaging the best dev checkpoint is thrown away, so dev is not evaluated (nor checkpoints
    # saved) during training: the averaged model is scored on it once at the end. The weights are the same either way
    # (evaluating draws no random numbers); a teacher of 469 steps saves 5 evaluations of 1,000 sentences.
    select_on_dev = dev_features is not None and not settings.average_checkpoints
    with atomic_directory(output_dir) as tmp:
        arguments = _trainer_arguments(settings, steps, Path(tmp) / "trainer", select_on_dev, precision["used"])
        common = dict(model=model, args=arguments, train_dataset=features,
                      data_collator=PaddingCollator(tokenizer.pad_token_id))
        if dev_features is not None:
            common.update(eval_dataset=dev_features, compute_metrics=_dev_f1(labels))
        if soft_examples is not None:
            trainer = MixedTrainer(**common, **(kd or {}), kd_weight=kd_weight,
                                   length_buckets=settings.length_buckets)
        elif soft:
            trainer = DistillationTrainer(**common, **(kd or {}), length_buckets=settings.length_buckets)
        elif settings.length_buckets:
            trainer = HardLabelTrainer(**common, length_buckets=True)
        else:
            trainer = Trainer(**common)
        if os.environ.get("XLNER_PAUSE"):
            trainer.add_callback(PauseCallback())
        average = CheckpointAverage(model, settings.eval_steps or steps, steps) if settings.average_checkpoints \
            else None
        if average:
            trainer.add_callback(average)
        result = trainer.train()
        averaged = average.apply() if average else None  # replaces the best dev checkpoint
        _check_finite(model, result.training_loss, trainer.state.log_history)
        shutil.rmtree(Path(tmp) / "trainer", ignore_errors=True)
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        record = {
            "encoder": encoder, "settings": asdict(settings), "steps": steps, "labels": list(labels),
            "precision": precision,
            "targets": "mixed" if soft_examples is not None else "soft" if soft else "hard",
            "kd": kd if soft or soft_examples is not None else None,
            **({"kd_weight": kd_weight, "hard_sentences": len(examples), "soft_sentences": len(soft_examples)}
               if soft_examples is not None else {}),
            "sentences": sentences, "words": sum(len(w) for w, _ in list(examples) + list(soft_examples or ())),
            "chunks": len(features), "sentences_split_into_chunks": len(features) - len({o[0] for o in owners}),
            "final_train_loss": round(float(result.training_loss), 6),
            "seconds": round(time.time() - started, 1),
            **({"averaged_checkpoints": averaged} if averaged else {}),
            **(extra_record or {}),
        }
        if select_on_dev:
            record["dev"] = _dev_record(trainer.state, len(dev))
        elif dev_features is not None:
            record["dev"] = {"sentences": len(dev), "f1": trainer.evaluate()["eval_f1"], "checkpoint": "average"}
        write_json(Path(tmp) / "xlner_train.json", record)
    return record


def _check_finite(model, loss, history):
    """Stop with an error when training diverged: a NaN or infinite loss or weight (a NaN in the soft labels, a
    learning rate far too high) would otherwise be saved, evaluated, and recorded as a loss of 0.0."""
    import torch

    losses = [loss] + [entry["loss"] for entry in history if "loss" in entry]
    # frozen weights (the 250,002-row embedding matrix: 0.6 s to scan) cannot have changed
    bad_weights = [name for name, weights in model.named_parameters()
                   if weights.requires_grad and not torch.isfinite(weights).all()]
    if bad_weights or not all(math.isfinite(value) for value in losses):
        raise SettingsError(f"training diverged (losses {losses[1:] or losses}; non-finite weights in "
                            f"{bad_weights[:3] or 'none'}): check the training data for NaN and lower "
                            f"train.learning_rate")


def _student(encoder, labels, settings):
    """The encoder (its first `settings.layers` layers) with a fresh token-classification head over `labels`."""
    from transformers import AutoModelForTokenClassification

    extra = {"num_hidden_layers": settings.layers} if settings.layers else {}
    model = AutoModelForTokenClassification.from_pretrained(
        encoder, num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)}, **extra)
    if settings.freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    if settings.freeze_layers:
        _freeze_lower_layers(model, settings.freeze_layers)
    return model


def _freeze_lower_layers(model, count):
    """Freeze the whole embedding block and the lowest `count` transformer layers. Nothing below them then needs a
    gradient, so the backward pass stops above them: a third of a step less with 3 of 6 layers frozen."""
    base = model.base_model
    layers = getattr(getattr(base, "encoder", None), "layer", None)
    if layers is None or not hasattr(base, "embeddings"):
        raise SettingsError(f"train.freeze_layers: {type(model).__name__} has no BERT-style embeddings and "
                            f"encoder.layer to freeze; set freeze_layers: 0")
    if count >= len(layers):
        raise SettingsError(f"train.freeze_layers: {count} would freeze all {len(layers)} layers of the student")
    base.embeddings.requires_grad_(False)
    for layer in layers[:count]:
        layer.requires_grad_(False)


def _dev_record(state, sentences):
    """The dev F1 at each evaluation and the checkpoint kept (the best)."""
    history = [(h["step"], h["eval_f1"]) for h in state.log_history if "eval_f1" in h]
    return {"sentences": sentences, "best_f1": state.best_metric, "best_step": state.best_global_step,
            "f1_by_step": history}

