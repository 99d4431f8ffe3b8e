"""Length-sorted micro-batches (models/buckets.py): a partition of the batch that saves padding, and the same
logits, loss and gradient as the whole batch."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import shared_file
from xlner.models.buckets import bucketed_logits, length_buckets

lengths_lists = st.lists(st.integers(min_value=1, max_value=64), min_size=1, max_size=40)


def padded_cost(groups, lengths, pass_cost):
    return sum(len(group) * max(lengths[row] for row in group) + pass_cost for group in groups)


@settings(max_examples=200, deadline=None)
@given(lengths_lists, st.integers(min_value=0, max_value=300))
def test_buckets_partition_the_rows_and_never_cost_more_than_one_batch(lengths, pass_cost):
    groups = length_buckets(lengths, pass_cost)
    assert sorted(row for group in groups for row in group) == list(range(len(lengths)))
    assert all(group for group in groups)
    assert padded_cost(groups, lengths, pass_cost) <= padded_cost([list(range(len(lengths)))], lengths, pass_cost)
    # consecutive runs of the longest-first order: no group's rows interleave another's lengths
    spans = [(min(lengths[r] for r in group), max(lengths[r] for r in group)) for group in groups]
    assert all(low >= next_high for (low, _), (_, next_high) in zip(spans, spans[1:]))


@given(lengths_lists)
def test_free_passes_group_equal_lengths_and_costly_ones_keep_one_batch(lengths):
    assert all(len({lengths[row] for row in group}) == 1 for group in length_buckets(lengths, 0))
    assert len(length_buckets(lengths, 10**6)) == 1


def test_a_typical_batch_is_split_where_the_lengths_jump():
    lengths = [40, 12, 11, 10, 39, 12, 9, 11]
    groups = length_buckets(lengths, pass_cost=20)
    assert groups == [[0, 4], [1, 5, 2, 7, 3, 6]]
    assert padded_cost(groups, lengths, 0) == 2 * 40 + 6 * 12  # against 8 x 40 in one batch


def tiny_bert(seed=0, dropout=0.0):
    import torch
    from transformers import BertConfig, BertForTokenClassification

    torch.manual_seed(seed)
    config = BertConfig(vocab_size=500, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=64, hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout,
                        num_labels=7)
    return BertForTokenClassification(config)


def right_padded_batch(lengths, width, seed=1):
    import torch

    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, 500, (len(lengths), width), generator=generator)
    mask = torch.zeros(len(lengths), width, dtype=torch.long)
    labels = torch.randint(0, 7, (len(lengths), width), generator=generator)
    for row, length in enumerate(lengths):
        mask[row, :length] = 1
        ids[row, length:] = 0
        labels[row, length:] = -100
    labels[:, 0] = -100  # the [CLS] position, as the encoder labels it
    return ids, mask, labels


LENGTHS = [30, 6, 7, 29, 5, 12, 6, 8]


def test_bucketed_logits_equal_the_whole_batch_at_every_real_position():
    import torch

    model = tiny_bert().train()  # dropout 0: train mode without randomness
    ids, mask, _ = right_padded_batch(LENGTHS, width=32)
    whole = model(input_ids=ids, attention_mask=mask).logits
    parts = bucketed_logits(model, ids, mask, pass_cost=10)
    assert parts.shape == whole.shape
    real = mask.bool()
    assert torch.allclose(parts[real], whole[real], atol=1e-5)
    assert len(length_buckets(mask.sum(1).tolist(), 10)) > 1  # the test really splits the batch


def test_hard_label_loss_and_gradient_match_the_models_own_loss():
    import torch
    import torch.nn.functional as F

    ids, mask, labels = right_padded_batch(LENGTHS, width=32)
    whole_model, split_model = tiny_bert(), tiny_bert()
    whole_loss = whole_model(input_ids=ids, attention_mask=mask, labels=labels).loss
    logits = bucketed_logits(split_model, ids, mask, pass_cost=10)
    split_loss = F.cross_entropy(logits.reshape(-1, 7), labels.reshape(-1), ignore_index=-100)
    assert split_loss.item() == pytest.approx(whole_loss.item(), abs=1e-6)
    whole_loss.backward()
    split_loss.backward()
    for (name, a), (_, b) in zip(whole_model.named_parameters(), split_model.named_parameters()):
        assert torch.allclose(a.grad, b.grad, atol=1e-6), name


def _without_dropout(encoder, target):
    """A copy of an encoder directory whose config turns dropout off: training is then deterministic in what the
    micro-batches change (dropout draws its masks per forward pass)."""
    import json
    import shutil

    shutil.copytree(encoder, target)
    config = json.loads((target / "config.json").read_text())
    config.update(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    (target / "config.json").write_text(json.dumps(config))
    return target


@pytest.mark.parametrize("targets", ["hard", "soft", "mixed"])
def test_training_in_micro_batches_learns_what_whole_batches_learn(tiny_encoder, tmp_path, targets):
    """Without dropout, each trainer (hard tags, soft labels, the hybrid mix) ends with the same loss and weights
    whether its batches run whole or as length-sorted micro-batches."""
    import numpy as np
    import torch
    from safetensors.torch import load_file

    from xlner.formats.conll import label_list, read_conll
    from xlner.models.train import train_tagger
    from xlner.settings import TrainSettings

    types = ["PER", "ORG", "LOC"]
    labels = label_list(types)
    sentences, _ = read_conll(shared_file("wikiann_xtreme_panx", "es", "train.tsv"), "iob2", {}, types, 32)
    hard = [(s.tokens, s.tags) for s in sentences[:16]]
    assert len({len(words) for words, _ in hard}) > 4  # lengths that differ: the batches really split
    rng = np.random.default_rng(0)
    soft = [(s.tokens, rng.dirichlet(np.ones(len(labels)), len(s.tokens))) for s in sentences[16:32]]
    encoder = str(_without_dropout(tiny_encoder, tmp_path / "encoder"))
    arguments = {"hard": dict(examples=hard), "soft": dict(examples=soft, soft=True, kd={"loss": "mse"}),
                 "mixed": dict(examples=hard, soft_examples=soft, kd={"loss": "mse"}, kd_weight=2.0)}[targets]
    results = {}
    for buckets in (False, True):
        settings = TrainSettings(min_steps=6, max_steps=6, batch_size=8, max_length=32, length_buckets=buckets)
        out = tmp_path / f"buckets-{buckets}"
        record = train_tagger(encoder, labels=labels, output_dir=out, settings=settings, **arguments)
        results[buckets] = (record["final_train_loss"], load_file(out / "model.safetensors"))
    (loss_whole, whole), (loss_split, split) = results[False], results[True]
    assert loss_split == pytest.approx(loss_whole, rel=1e-4)
    for name, weights in whole.items():
        assert torch.allclose(weights, split[name], atol=1e-5), name
