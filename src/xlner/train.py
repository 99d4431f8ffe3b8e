"""Fine-tune a token-classification student on word-level IOB2 data with transformers' Trainer.

One implementation for every arm: the projection student, the supervised reference and (later) the teacher
and the distilled student all go through `train_tagger`. Defaults follow the measurements in offline.md §G
(lr 1e-4, 10 % warm-up then linear decay, weight decay 0.01, clipping 1.0, batch 32, a fixed number of
optimizer steps, fused AdamW, word-embedding matrix frozen: same F1, 30 % faster on CPU).
"""
import json
import logging
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .atomic import atomic_directory, write_json
from .tagging import encode_sentences

log = logging.getLogger(__name__)


def label_list(entity_types):
    return ["O"] + [f"{prefix}-{kind}" for kind in entity_types for prefix in ("B", "I")]


@dataclass
class TrainSettings:
    seed: int = 1
    max_steps: int = 150
    batch_size: int = 32
    learning_rate: float = 1e-4
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    max_length: int = 64
    freeze_embeddings: bool = True
    threads: int = 0  # 0: torch's default


def _trainer_arguments(settings, output_dir):
    from transformers import TrainingArguments

    import torch

    return TrainingArguments(
        output_dir=str(output_dir), seed=settings.seed, data_seed=settings.seed,
        max_steps=settings.max_steps, per_device_train_batch_size=settings.batch_size,
        learning_rate=settings.learning_rate, warmup_steps=max(1, round(settings.warmup_ratio * settings.max_steps)),
        lr_scheduler_type="linear", weight_decay=settings.weight_decay, max_grad_norm=settings.max_grad_norm,
        optim="adamw_torch_fused", train_sampling_strategy="group_by_length", save_strategy="no", report_to=[], logging_steps=10,
        dataloader_num_workers=0, use_cpu=not torch.cuda.is_available(), disable_tqdm=False,
    )


def train_tagger(encoder, sentences, entity_types, output_dir, settings=None, extra_record=None):
    """Train on [(words, IOB2 tags)] and save a `from_pretrained`-loadable model directory.

    `encoder` is a Hugging Face id or local directory. Writes `xlner_train.json` (settings, data counts,
    loss, duration) next to the weights. Returns that record.
    """
    import torch
    from transformers import (AutoModelForTokenClassification, AutoTokenizer, DataCollatorForTokenClassification,
                              Trainer, set_seed)

    settings = settings or TrainSettings()
    if not sentences:
        raise ValueError("no training sentences")
    if settings.threads:
        torch.set_num_threads(settings.threads)
    set_seed(settings.seed)
    labels = label_list(entity_types)
    label2id = {label: i for i, label in enumerate(labels)}
    unknown = sorted({tag for _, tags in sentences for tag in tags} - set(labels))
    if unknown:
        raise ValueError(f"training tags {unknown} are not in the label set {labels}")
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    features, owners = encode_sentences(tokenizer, sentences, label2id, settings.max_length)
    for feature in features:
        feature.pop("word_index")
    model = AutoModelForTokenClassification.from_pretrained(
        encoder, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id=label2id)
    if settings.freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    started = time.time()
    with atomic_directory(output_dir) as tmp:
        trainer = Trainer(model=model, args=_trainer_arguments(settings, Path(tmp) / "trainer"),
                          train_dataset=features, data_collator=DataCollatorForTokenClassification(tokenizer))
        result = trainer.train()
        shutil.rmtree(Path(tmp) / "trainer", ignore_errors=True)
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        record = {
            "encoder": encoder, "settings": asdict(settings), "labels": labels,
            "sentences": len(sentences), "words": sum(len(w) for w, _ in sentences),
            "chunks": len(features), "sentences_split_into_chunks": len(features) - len({o[0] for o in owners}),
            "final_train_loss": round(float(result.training_loss), 6),
            "seconds": round(time.time() - started, 1),
            **(extra_record or {}),
        }
        write_json(Path(tmp) / "xlner_train.json", record)
    return record


def load_training_record(model_dir):
    path = Path(model_dir) / "xlner_train.json"
    return json.loads(path.read_text()) if path.exists() else {}
