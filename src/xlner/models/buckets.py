"""Run one training batch as length-sorted micro-batches: the same sentences, the same loss, less padding.

A batch of 32 short sentences drawn at random is padded to its longest one: at N <= 500, where transformers'
`LengthGroupedSampler` cannot group (it needs 4 x 32 sentences per mega-batch), two thirds of the positions a
student computes on are padding (measured on the Spanish projected pool: 33% real tokens). Splitting the batch into
a few micro-batches of similar length, each padded only to its own longest sentence, and putting the logits back
in the batch's order before the loss gives the same loss and gradient (up to float rounding; dropout draws its
masks per micro-batch) for about half the arithmetic: a training step 0.75 -> 0.37 s (docs/speed.md).

transformers has no such option (its samplers change which sentences share a batch, which would change the
training itself), hence this module.
"""
from transformers import Trainer

# What one extra forward/backward pass costs, in padded sub-tokens: the split only pays where it saves more
# padding than this. Measured on a 2-core CPU (6-layer student): 64 and 128 both halve the step, 0 (one
# micro-batch per length) is 1.7x slower than 64, 256 9% slower.
PASS_COST_TOKENS = 96


def length_buckets(lengths, pass_cost=PASS_COST_TOKENS):
    """Row indices grouped into micro-batches that minimise the padded positions plus `pass_cost` per group.

    Rows are sorted longest first (ties: original order) and cut into consecutive runs by dynamic programming:
    a run's cost is its row count times its first (longest) row's length. Exact for any batch; O(rows^2).
    """
    order = sorted(range(len(lengths)), key=lambda row: -lengths[row])
    ordered = [lengths[row] for row in order]
    best = [0.0] + [float("inf")] * len(order)
    cut = [0] * (len(order) + 1)
    for end in range(1, len(order) + 1):
        for start in range(end):
            cost = best[start] + (end - start) * ordered[start] + pass_cost
            if cost < best[end]:
                best[end], cut[end] = cost, start
    groups, end = [], len(order)
    while end > 0:
        groups.append(order[cut[end]:end])
        end = cut[end]
    return groups[::-1]


def bucketed_logits(model, input_ids, attention_mask, pass_cost=PASS_COST_TOKENS):
    """The model's logits for a right-padded batch, computed micro-batch by micro-batch (`length_buckets`) and
    returned in the batch's shape and row order. Positions past a row's length are padding, as in the whole batch
    (every loss masks them by label or attention mask)."""
    import torch
    import torch.nn.functional as F

    lengths = attention_mask.sum(dim=1).tolist()
    width = input_ids.shape[1]
    pieces, rows = [], []
    for group in length_buckets(lengths, pass_cost):
        index = torch.tensor(group, device=input_ids.device)
        used = max(lengths[row] for row in group)
        logits = model(input_ids=input_ids[index, :used], attention_mask=attention_mask[index, :used]).logits
        pieces.append(F.pad(logits, (0, 0, 0, width - used)))
        rows.extend(group)
    back = torch.empty(len(rows), dtype=torch.long, device=input_ids.device)
    back[torch.tensor(rows, device=input_ids.device)] = torch.arange(len(rows), device=input_ids.device)
    return torch.cat(pieces)[back]


class BucketedTrainer(Trainer):
    """transformers' Trainer that, with `length_buckets`, runs each training batch as micro-batches
    (`bucketed_logits`); evaluation passes and `length_buckets=False` are the Trainer's own."""

    def __init__(self, *args, length_buckets=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.length_buckets = bool(length_buckets)

    def training_logits(self, model, inputs):
        if self.length_buckets and model.training:
            return bucketed_logits(model, inputs["input_ids"], inputs["attention_mask"])
        return model(**inputs).logits


class HardLabelTrainer(BucketedTrainer):
    """Cross-entropy on hard labels (mean over the positions whose label is not -100: the loss BERT's
    token-classification head computes), through `training_logits`."""

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        import torch.nn.functional as F

        if not (self.length_buckets and model.training):
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        labels = inputs.pop("labels")
        logits = self.training_logits(model, inputs)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)
        return (loss, {"logits": logits}) if return_outputs else loss
