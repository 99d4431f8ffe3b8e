"""Knowledge distillation for the teacher-student arm (Wu et al. 2020, "Single-/Multi-Source Cross-Lingual NER
via Teacher-Student Learning on Unlabeled Data in Target Language").

The student matches the teacher's per-word probability distributions at first sub-tokens only. `mse` is Wu et
al.'s loss (mean squared error between probability vectors, mean over positions and classes); `kl` is the
Hinton-style alternative: KL(teacher_T || student_T) * T^2 with both sides softened by temperature T.
Teacher probabilities are stored at T=1; softening p^(1/T) / sum equals softmax(logits / T) of the same logits.
"""
from transformers import Trainer

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


class DistillationTrainer(Trainer):
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
        outputs = model(**inputs)
        loss = kd_loss(outputs.logits, teacher, mask, self.kd_loss_name, self.temperature)
        return (loss, outputs) if return_outputs else loss
