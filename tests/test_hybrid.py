"""The hybrid arm: the mixed loss by hand, a second-stage teacher that continues from the teacher, the refine rule,
the mixed student end to end, and the gap to the better single arm."""
import json

import numpy as np
import pytest

from conftest import peaked_probs
from xlner.analysis.bootstrap import build_replicates
from xlner.analysis.curves import hybrid_gap_rows
from xlner.formats.conll import label_list
from xlner.models.voting import vote
from xlner.projection.refine import refine_tags
from xlner.settings import HybridSettings, KDSettings, TrainSettings

TYPES = ["PER", "ORG", "LOC"]
LABELS = label_list(TYPES)


def test_mixed_loss_on_a_hand_computed_two_sentence_batch():
    import torch

    from xlner.models.kd import mixed_loss

    # sentence 0: projected (hard labels O, B-PER; its third position is a later sub-token)
    # sentence 1: target text with the teacher's distributions at two first sub-tokens
    logits = torch.tensor([[[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [5.0, 5.0, 5.0]],
                           [[1.0, 1.0, 0.0], [0.0, 0.0, 3.0], [9.0, 0.0, 0.0]]])
    labels = torch.tensor([[0, 1, -100], [0, 0, -100]])
    teacher = torch.tensor([[[0.0] * 3] * 3, [[0.5, 0.5, 0.0], [0.0, 0.2, 0.8], [0.0, 0.0, 0.0]]])
    soft_rows = torch.tensor([False, True])

    def softmax(row):
        e = np.exp(np.array(row))
        return e / e.sum()

    cross_entropy = -(np.log(softmax([2, 0, 0])[0]) + np.log(softmax([0, 1, 0])[1])) / 2
    mse = (np.square(softmax([1, 1, 0]) - [0.5, 0.5, 0]).sum() + np.square(softmax([0, 0, 3]) - [0, 0.2, 0.8]).sum()) / 6
    for weight in (0.0, 1.0, 10.0):
        got = mixed_loss(logits, labels, teacher, soft_rows, weight, "mse").item()
        assert got == pytest.approx(cross_entropy + weight * mse, rel=1e-5)
    # a batch of one kind only: the other part adds nothing
    only_hard = mixed_loss(logits, labels, teacher, torch.tensor([False, False]), 10.0, "mse").item()
    assert only_hard == pytest.approx(-(np.log(softmax([2, 0, 0])[0]) + np.log(softmax([0, 1, 0])[1])
                                        + np.log(softmax([1, 1, 0])[0]) + np.log(softmax([0, 0, 3])[0])) / 4, rel=1e-5)


def test_refine_takes_the_teacher_where_it_is_confident_and_keeps_iob2():
    projected = ["O", "B-PER", "I-PER", "O", "B-LOC"]
    probs = np.full((5, len(LABELS)), 0.01)
    confident = {0: "B-ORG", 1: "B-PER", 2: "I-PER", 3: "O", 4: "B-PER"}  # disagrees at words 0 and 4
    for w, tag in confident.items():
        probs[w, LABELS.index(tag)] = 0.95 if w != 4 else 0.5  # word 4: 0.5 / 0.56 = 0.89 after normalising
    probs /= probs.sum(1, keepdims=True)
    tags, changed = refine_tags(projected, probs, LABELS, confidence=0.9)
    assert tags == ["B-ORG", "B-PER", "I-PER", "O", "B-LOC"] and changed == 1  # word 4: only 0.6 sure
    tags, changed = refine_tags(projected, probs, LABELS, confidence=0.5)
    assert tags[4] == "B-PER" and changed == 2
    # the teacher ends an entity early: what is left of it stays valid IOB2 (an orphan I- starts an entity)
    probs = np.full((3, len(LABELS)), 0.01)
    for w, tag in enumerate(["B-PER", "O", "O"]):
        probs[w, LABELS.index(tag)] = 0.95
    probs[2, LABELS.index("O")] = 0.3
    probs[2, LABELS.index("I-PER")] = 0.6
    tags, _ = refine_tags(["B-PER", "I-PER", "I-PER"], probs / probs.sum(1, keepdims=True), LABELS, 0.9)
    assert tags == ["B-PER", "O", "B-PER"]


def _probs(tags, sure=0.9):
    return peaked_probs(tags, LABELS, sure)


def test_voting_keeps_a_hard_label_where_both_teachers_agree_and_the_second_distribution_elsewhere():
    english = _probs(["B-PER", "I-PER", "O", "B-LOC", "O"])
    second = _probs(["B-PER", "I-PER", "O", "B-ORG", "B-LOC"], sure=0.6)
    targets, agreed = vote(english, second, LABELS)
    assert agreed == 3
    assert targets[0].tolist() == np.eye(len(LABELS))[LABELS.index("B-PER")].tolist()
    assert targets[2].tolist() == np.eye(len(LABELS))[0].tolist()  # agreeing on O is agreeing too
    assert targets[3] == pytest.approx(second[3]) and targets[4] == pytest.approx(second[4])
    # agreement is on the decoded (valid IOB2) tags: an orphan I-ORG argmax after O decodes to something else
    orphan = _probs(["O", "I-ORG"], sure=0.5)
    orphan[1, LABELS.index("B-ORG")] = 0.4
    orphan /= orphan.sum(1, keepdims=True)
    targets, agreed = vote(_probs(["O", "B-ORG"]), orphan, LABELS)
    assert agreed == 2 and targets[1].argmax() == LABELS.index("B-ORG") and targets[1].max() == 1.0
    with pytest.raises(ValueError, match="shape"):
        vote(english, second[:3], LABELS)


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    """Projected-style JSONL and soft labels of a few invented sentences."""
    root = tmp_path_factory.mktemp("hybrid")
    words = [["Ana", "vive", "en", "Lima"], ["El", "banco", "Sur", "abrió"], ["Juan", "Pérez", "llegó"]] * 6
    tags = [["B-PER", "O", "O", "B-LOC"], ["O", "B-ORG", "I-ORG", "O"], ["B-PER", "I-PER", "O"]] * 6
    with open(root / "projected.jsonl", "w") as handle:
        for i, (w, t) in enumerate(zip(words, tags)):
            handle.write(json.dumps({"id": str(i), "src_tokens": w, "tgt_tokens": w, "tgt_tags": t}) + "\n")
    rng = np.random.default_rng(0)
    with open(root / "soft.jsonl", "w") as handle:
        for i, w in enumerate(words):
            probs = rng.dirichlet(np.ones(len(LABELS)), size=len(w))
            handle.write(json.dumps({"id": str(i), "words": w, "labels": LABELS,
                                     "probs": np.round(probs / probs.sum(1, keepdims=True), 6).tolist()}) + "\n")
    (root / "ids.txt").write_text("".join(f"{i}\n" for i in range(10)))
    return root


@pytest.mark.slow  # trains two tiny models
def test_mixed_student_trains_on_both_kinds_and_a_second_teacher_continues_from_the_teacher(small_data, tiny_encoder,
                                                                                           tmp_path):
    import torch
    from transformers import AutoModelForTokenClassification

    from xlner.stages import training as stages

    settings = TrainSettings(min_steps=3, max_steps=3, batch_size=4, layers=None, threads=1)
    record = stages.train_mixed(small_data / "projected.jsonl", small_data / "soft.jsonl", str(tiny_encoder),
                                tmp_path / "mixed", TYPES, settings, KDSettings(), HybridSettings(kd_weight=5.0),
                                ids_path=small_data / "ids.txt", soft_ids_path=small_data / "ids.txt")
    assert record["targets"] == "mixed" and record["hard_sentences"] == 10 and record["soft_sentences"] == 10
    assert record["kd_weight"] == 5.0 and record["sentences"] == 20
    # the mixed student is the "teacher" here: train a second-stage teacher from it on the projected data
    second = stages.train(small_data / "projected.jsonl", str(tmp_path / "mixed"), tmp_path / "second", TYPES,
                          TrainSettings(min_steps=1, max_steps=1, batch_size=4, layers=None, learning_rate=1e-6),
                          ids_path=small_data / "ids.txt")
    assert second["encoder"] == str(tmp_path / "mixed")
    teacher = AutoModelForTokenClassification.from_pretrained(tmp_path / "mixed")
    continued = AutoModelForTokenClassification.from_pretrained(tmp_path / "second")
    fresh = AutoModelForTokenClassification.from_pretrained(tiny_encoder, num_labels=len(LABELS))
    head = "classifier.weight"
    state = {name: dict(m.named_parameters())[head] for name, m in
             (("teacher", teacher), ("continued", continued), ("fresh", fresh))}
    # one step at lr 1e-6 keeps the teacher's head (a fresh head would be far from it)
    assert torch.allclose(state["continued"], state["teacher"], atol=1e-4)
    assert not torch.allclose(state["fresh"], state["teacher"], atol=1e-2)


def test_hybrid_gap_is_taken_against_the_better_single_arm_in_every_replicate():
    rng = np.random.default_rng(2)
    gold = rng.integers(1, 4, size=400)

    def run(quality):
        found = rng.binomial(gold, quality)
        return np.stack([found, found, gold], axis=1)

    cells = {("projection", "heuristic", 100): {1: run(0.5), 2: run(0.5)},
             ("teacher-student", "mse", 100): {1: run(0.7), 2: run(0.7)},
             ("hybrid", "mixed-heuristic", 100): {1: run(0.75), 2: run(0.75)}}
    reps = build_replicates(cells, 300, 1)
    (row,) = hybrid_gap_rows("es", cells, reps, 0.95)
    assert row["reference"] == "max(projection/heuristic, teacher-student/mse)"
    best = max(reps.observed(("projection", "heuristic", 100)), reps.observed(("teacher-student", "mse", 100)))
    assert row["gap"] == round(reps.observed(("hybrid", "mixed-heuristic", 100)) - best, 2)
    assert row["ci_low"] <= row["gap"] <= row["ci_high"] and row["settled"] in ("+", "no")


def test_vote_names_the_sentence_the_english_teacher_did_not_label(tmp_path):
    from xlner.errors import InputError
    from xlner.stages.models import vote as vote_stage

    def soft(path, sentence_id, words):
        path.write_text(json.dumps({"id": sentence_id, "words": words, "labels": LABELS,
                                    "probs": _probs(["O"] * len(words)).round(6).tolist()}) + "\n")

    soft(tmp_path / "english.jsonl", "0", ["Ana", "vive"])
    soft(tmp_path / "second.jsonl", "0", ["Ana", "vivía"])  # other words under the same id
    with pytest.raises(InputError, match=r"second.jsonl:1: sentence '0': no line with its words"):
        vote_stage(tmp_path / "english.jsonl", tmp_path / "second.jsonl", tmp_path / "out.jsonl",
                   tmp_path / "stats.json", TYPES)
    soft(tmp_path / "second.jsonl", "0", ["Ana", "vive"])
    vote_stage(tmp_path / "english.jsonl", tmp_path / "second.jsonl", tmp_path / "out.jsonl", tmp_path / "stats.json",
               TYPES)
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert (stats["words"], stats["words_agreed_hard"], stats["share_agreed"]) == (2, 2, 1.0)
