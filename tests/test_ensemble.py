"""The teacher ensemble (`teacher.ensemble`): the mean of k teachers' per-word distributions, its Viterbi decoding,
the averaged soft labels of a pool and the ensemble's zero-shot score."""
import json

import numpy as np
import pytest
from test_train_evaluate import TYPES, _train_and_evaluate, spanish  # noqa: F401 (the module fixture)

from xlner.errors import InputError
from xlner.formats.conll import label_list
from xlner.formats.decoding import decode
from xlner.models.voting import mean_distributions, unanimous_words
from xlner.stages import models as model_stages

LABELS = label_list(TYPES)  # O, B-PER, I-PER, B-ORG, I-ORG, B-LOC, I-LOC


def one_word(**probs):
    row = np.zeros(len(LABELS))
    for label, p in probs.items():
        row[LABELS.index(label.replace("_", "-"))] = p
    return row


def test_the_ensemble_is_the_mean_of_the_teachers_and_decodes_to_valid_iob2():
    # "Ana Lima": teacher 1 reads a person, teacher 2 a place; the mean's argmax of word 2 is I-PER (valid after
    # B-PER), of word 1 B-PER 0.45 against B-LOC 0.45 + ... : every number below is the arithmetic mean
    first = [one_word(B_PER=0.8, O=0.2), one_word(I_PER=0.7, O=0.3)]
    second = [one_word(B_LOC=0.9, O=0.1), one_word(I_LOC=0.4, O=0.6)]
    mean, stacked = mean_distributions([first, second])
    assert np.allclose(mean[0], one_word(B_PER=0.4, B_LOC=0.45, O=0.15))
    assert np.allclose(mean[1], one_word(I_PER=0.35, I_LOC=0.2, O=0.45))
    assert np.allclose(mean.sum(-1), 1.0) and stacked.shape == (2, 2, len(LABELS))
    # argmax would say B-LOC then O; Viterbi keeps the best valid path: B-LOC O (I-PER after B-LOC is not allowed)
    assert decode(mean, LABELS) == ["B-LOC", "O"]
    assert unanimous_words(stacked, LABELS) == 0  # the teachers decode B-PER I-PER and B-LOC O
    # an argmax that is invalid IOB2 (I-LOC after O) is repaired by the decoding
    lone = [one_word(O=0.6, B_LOC=0.4), one_word(I_LOC=0.9, O=0.1)]
    mean, stacked = mean_distributions([lone, lone])
    assert np.argmax(mean, -1).tolist() == [0, LABELS.index("I-LOC")] and decode(mean, LABELS) == ["B-LOC", "I-LOC"]
    assert unanimous_words(stacked, LABELS) == 2
    with pytest.raises(ValueError):
        mean_distributions([first, first[:1]])  # different words


def _soft(path, rows):
    path.write_text("".join(json.dumps({"id": sid, "words": words, "labels": LABELS, "probs": probs}) + "\n"
                            for sid, words, probs in rows))
    return path


def test_average_soft_labels_of_a_pool_and_its_refusals(tmp_path):
    a = [one_word(B_PER=1.0).tolist(), one_word(O=1.0).tolist()]
    b = [one_word(B_PER=0.6, O=0.4).tolist(), one_word(O=1.0).tolist()]
    first = _soft(tmp_path / "t1.jsonl", [("s1", ["Ana", "come"], a), ("s2", ["sol"], [one_word(O=1.0).tolist()])])
    # the second teacher's file in another order: sentences are matched by id
    second = _soft(tmp_path / "t2.jsonl", [("s2", ["sol"], [one_word(O=1.0).tolist()]), ("s1", ["Ana", "come"], b)])
    out, stats = tmp_path / "avg.jsonl", tmp_path / "avg.stats.json"
    model_stages.average_soft_labels([first, second], out, stats, TYPES)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == ["s1", "s2"]
    assert np.allclose(lines[0]["probs"][0], one_word(B_PER=0.8, O=0.2))
    record = json.loads(stats.read_text())
    assert record["sentences"] == 2 and record["words"] == 3 and record["words_every_teacher_decodes_alike"] == 3
    assert record["decoded_entities"] == {"PER": 1}
    wrong = _soft(tmp_path / "t3.jsonl", [("s1", ["Ana", "bebe"], b), ("s2", ["sol"], [one_word(O=1.0).tolist()])])
    with pytest.raises(InputError, match="t3.jsonl.*'s1'"):
        model_stages.average_soft_labels([first, wrong], tmp_path / "x.jsonl", tmp_path / "x.json", TYPES)
    extra = _soft(tmp_path / "t4.jsonl", [("s1", ["Ana", "come"], b), ("s2", ["sol"], [one_word(O=1.0).tolist()]),
                                          ("s9", ["mar"], [one_word(O=1.0).tolist()])])
    with pytest.raises(InputError, match="t4.jsonl:3: sentence 's9'"):
        model_stages.average_soft_labels([first, extra], tmp_path / "y.jsonl", tmp_path / "y.json", TYPES)
    with pytest.raises(InputError, match="at least two"):
        model_stages.average_soft_labels([first], tmp_path / "z.jsonl", tmp_path / "z.json", TYPES)
    assert not any((tmp_path / name).exists() for name in ("x.jsonl", "y.jsonl", "z.jsonl"))


def test_the_ensemble_of_one_model_twice_scores_as_the_model(spanish, tiny_encoder, tmp_path):  # noqa: F811
    single = _train_and_evaluate(spanish, tiny_encoder, tmp_path / "one")
    model = tmp_path / "one" / "model"
    ensemble = model_stages.evaluate_ensemble([model, model], spanish / "test.conll", tmp_path / "m.json",
                                              tmp_path / "p.conll", TYPES, {"run": {"method": "avg2"}})
    assert ensemble["f1"] == single["f1"] and ensemble["per_class"] == single["per_class"]
    assert (tmp_path / "p.conll").read_bytes() == (tmp_path / "one" / "predictions.conll").read_bytes()
    record = json.loads((tmp_path / "m.json").read_text())
    assert record["ensemble"]["models"] == [str(model)] * 2 and record["ensemble"]["seeds"] == [1, 1]
    assert record["run"] == {"method": "avg2"} and record["decoding"]["method"] == "viterbi-iob2"


def test_checkpoint_averaging_keeps_the_mean_of_the_second_halfs_checkpoints():
    """average_checkpoints: the weights at every `every` steps past half of training and at the last step."""
    from types import SimpleNamespace

    import torch

    from xlner.models.train import CheckpointAverage

    model = torch.nn.Linear(2, 1)
    model.bias.requires_grad_(False)  # frozen: never averaged, never touched
    average = CheckpointAverage(model, every=2, steps=7)
    seen = []
    for step in range(1, 8):
        with torch.no_grad():
            model.weight.fill_(float(step))
        average.on_step_end(None, SimpleNamespace(global_step=step), None)
        if step in (4, 6, 7):  # past half of 7 steps every 2, and the last
            seen.append(float(step))
    bias = model.bias.detach().clone()
    assert average.apply() == 3
    assert torch.allclose(model.weight, torch.full((1, 2), sum(seen) / 3)) and torch.equal(model.bias, bias)


def test_an_averaged_teacher_is_scored_on_dev_once_and_weighs_the_same_as_without_dev(
        spanish, tiny_encoder, tmp_path):  # noqa: F811
    """With average_checkpoints the best dev checkpoint is discarded, so dev is not evaluated during training: the
    weights equal those of the same run without dev, and the record's dev F1 is the averaged model's."""
    import torch
    from safetensors.torch import load_file

    from xlner.formats.conll import read_conll
    from xlner.models.train import train_tagger
    from xlner.settings import TrainSettings

    train, dev = ([(s.tokens, s.tags) for s in read_conll(spanish / name, "iob2", {}, TYPES)[0]]
                  for name in ("train.conll", "test.conll"))
    settings = TrainSettings(seed=3, min_steps=6, max_steps=6, batch_size=8, max_length=32, eval_steps=2,
                             average_checkpoints=True)
    with_dev = train_tagger(str(tiny_encoder), train, LABELS, tmp_path / "dev", settings, dev=dev)
    without = train_tagger(str(tiny_encoder), train, LABELS, tmp_path / "none", settings)
    assert with_dev["averaged_checkpoints"] == without["averaged_checkpoints"] == 2  # steps 4 and 6 (the last)
    first, second = (load_file(tmp_path / name / "model.safetensors") for name in ("dev", "none"))
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)
    assert with_dev["dev"]["checkpoint"] == "average" and with_dev["dev"]["sentences"] == len(dev) == 40
    scored = model_stages.evaluate(tmp_path / "dev", spanish / "test.conll", tmp_path / "m.json", tmp_path / "p.conll",
                                   TYPES)
    assert abs(with_dev["dev"]["f1"] - scored["f1"]) < 1e-6 and "dev" not in without
