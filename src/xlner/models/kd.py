"""Knowledge distillation for the teacher-student arm (Wu et al. 2020, "Single-/Multi-Source Cross-Lingual NER
via Teacher-Student Learning on Unlabeled Data in Target Language").

The student matches the teacher's per-word probability distributions at first sub-tokens only. `mse` is Wu et
al.'s loss (mean squared error between probability vectors, mean over positions and classes); `kl` is the
Hinton-style alternative: KL(teacher_T || student_T) * T^2 with both sides softened by temperature T.
Teacher probabilities are stored at T=1; softening p^(1/T) / sum equals softmax(logits / T) of the same logits.
"""
from xlner.models.buckets import BucketedTrainer

LOSSES = ("mse", "kl")


def soften(probs, temperature):
    """Teacher probabilities at temperature T (rows sum to 1)."""
    if temperature == 1:
        return probs
    powered = probs.clamp_min(0) ** (1.0 / temperature)
    return powered / powered.sum(-1, keepdim=True).clamp_min(1e-12)


def kd_loss(student_logits, teacher_probs, mask, loss="mse", temperature=1.0):
    """Distillation loss over the positions where `mask` is true (first sub-tokens of words).

    student_logits, teacher_probs: (batch, sequence, labels); mask: (batch, sequence) bool.
    """
    import torch.nn.functional as F

    if loss not in LOSSES:
        raise ValueError(f"unknown distillation loss {loss!r}; choose one of {LOSSES}")
    student = student_logits[mask].float()
    teacher = teacher_probs[mask].float()
    if student.shape[0] == 0:
        return student_logits.sum() * 0.0
    if loss == "mse":
        return F.mse_loss(F.softmax(student, dim=-1), teacher)
    log_student = F.log_softmax(student / temperature, dim=-1)
    return F.kl_div(log_student, soften(teacher, temperature), reduction="batchmean") * temperature ** 2


class DistillationTrainer(BucketedTrainer):
    """transformers' Trainer with the distillation loss in place of cross-entropy.

    Batches carry `teacher_probs` (aligned to sub-tokens) and `labels` (0 at first sub-tokens, -100 elsewhere),
    which only marks the positions the loss sees; gold labels are never used.
    """

    def __init__(self, *args, loss="mse", temperature=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.kd_loss_name = loss
        self.temperature = float(temperature)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        teacher = inputs.pop("teacher_probs")
        mask = inputs.pop("labels") != -100
        logits = self.training_logits(model, inputs)
        loss = kd_loss(logits, teacher, mask, self.kd_loss_name, self.temperature)
        return (loss, {"logits": logits}) if return_outputs else loss


def mixed_loss(student_logits, labels, teacher_probs, soft_rows, kd_weight, loss="mse", temperature=1.0):
    """The hybrid `mixed` student's loss on a batch holding both kinds of sentence: cross-entropy on the hard
    (projected) labels of the rows where `soft_rows` is false, plus `kd_weight` times the distillation loss on the
    teacher's distributions of the rows where it is true. Positions with label -100 (later sub-tokens, padding)
    count in neither part; a part with no position in the batch adds 0.

    student_logits, teacher_probs: (batch, sequence, labels); labels: (batch, sequence); soft_rows: (batch,) bool.
    """
    import torch.nn.functional as F

    scored = labels != -100
    hard = scored & ~soft_rows[:, None]
    soft = scored & soft_rows[:, None]
    if hard.any():
        cross_entropy = F.cross_entropy(student_logits[hard].float(), labels[hard])
    else:
        cross_entropy = student_logits.sum() * 0.0
    return cross_entropy + kd_weight * kd_loss(student_logits, teacher_probs, soft, loss, temperature)


class MixedTrainer(BucketedTrainer):
    """transformers' Trainer with `mixed_loss`: batches carry `labels` (hard ids on projected rows, 0 at the first
    sub-tokens of soft rows), `teacher_probs` (zeros on projected rows) and `soft_rows`."""

    def __init__(self, *args, loss="mse", temperature=1.0, kd_weight=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.kd_loss_name = loss
        self.temperature = float(temperature)
        self.kd_weight = float(kd_weight)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        teacher = inputs.pop("teacher_probs")
        soft_rows = inputs.pop("soft_rows")
        labels = inputs.pop("labels")
        logits = self.training_logits(model, inputs)
        loss = mixed_loss(logits, labels, teacher, soft_rows, self.kd_weight, self.kd_loss_name, self.temperature)
        return (loss, {"logits": logits}) if return_outputs else loss
