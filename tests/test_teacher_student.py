"""The model-transfer arm: distillation loss, label-space mapping, soft labels, distilled students, predict, export."""
import json
import math
import shutil

import numpy as np
import pytest
import torch

from xlner.errors import InputError
from xlner.formats.conll import label_list, read_conll, write_conll
from xlner.models.kd import kd_loss, soften
from xlner.models.labelspace import describe_mapping, detect_scheme, to_target_probabilities
from xlner.models.train import soft_features
from xlner.settings import DatasetSettings, KDSettings, TrainSettings, UnlabelledSettings
from xlner.stages import data as data_stages
from xlner.stages import models as model_stages
from xlner.stages import training as training_stages

TYPES = ["PER", "ORG", "LOC"]
LABELS = label_list(TYPES)
SETTINGS = dict(min_steps=4, max_steps=4, batch_size=8, max_length=32)


# --- the loss, by hand ------------------------------------------------------------------------------------

def test_mse_loss_matches_a_hand_computed_example():
    # One active position, two labels. Student logits (0, ln 3) -> softmax (0.25, 0.75); teacher (0.5, 0.5).
    logits = torch.tensor([[[0.0, math.log(3.0)], [5.0, -5.0]]])
    teacher = torch.tensor([[[0.5, 0.5], [1.0, 0.0]]])
    mask = torch.tensor([[True, False]])  # the second position (not a first sub-token) must not count
    # MSE mean over the active vector's elements: ((0.25-0.5)^2 + (0.75-0.5)^2) / 2 = 0.0625
    assert kd_loss(logits, teacher, mask, "mse").item() == pytest.approx(0.0625)


def test_kl_loss_with_temperature_matches_a_hand_computed_example():
    logits = torch.tensor([[[0.0, math.log(3.0)]]])
    teacher = torch.tensor([[[0.8, 0.2]]])
    mask = torch.tensor([[True]])
    t = 2.0
    # teacher at T=2: sqrt(0.8), sqrt(0.2) normalised; student at T=2: softmax(0, ln3/2) = (1, sqrt 3)/(1+sqrt 3)
    p = np.sqrt([0.8, 0.2]) / np.sqrt([0.8, 0.2]).sum()
    q = np.array([1.0, math.sqrt(3.0)]) / (1 + math.sqrt(3.0))
    expected = float((p * np.log(p / q)).sum()) * t * t
    assert kd_loss(logits, teacher, mask, "kl", t).item() == pytest.approx(expected, rel=1e-5)
    assert soften(teacher, 1.0) is teacher  # T=1 is Wu et al.'s setting: no change


def test_loss_ignores_positions_outside_the_mask():
    torch.manual_seed(0)
    logits = torch.randn(2, 5, 7)
    teacher = torch.softmax(torch.randn(2, 5, 7), -1)
    mask = torch.tensor([[True, False, True, False, False], [False, True, True, True, False]])
    base = kd_loss(logits, teacher, mask, "mse")
    noisy_logits, noisy_teacher = logits.clone(), teacher.clone()
    noisy_logits[~mask] += 100 * torch.randn_like(noisy_logits[~mask])
    noisy_teacher[~mask] = 1.0
    assert kd_loss(noisy_logits, noisy_teacher, mask, "mse").item() == pytest.approx(base.item())


# --- label spaces ------------------------------------------------------------------------------------------

CONLL03_IOB1 = ["O", "B-MISC", "I-MISC", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]


def test_scheme_detection_spots_iob1_without_b_per():
    assert detect_scheme(["O", "I-PER", "B-LOC", "I-LOC", "I-ORG", "I-MISC"]) == "iob1"
    assert detect_scheme(LABELS) == "iob2"


def test_misc_mass_goes_to_o_and_is_reported():
    probs = np.zeros((1, len(CONLL03_IOB1)))
    probs[0, CONLL03_IOB1.index("B-MISC")] = 0.6
    probs[0, CONLL03_IOB1.index("B-PER")] = 0.4
    out = to_target_probabilities(probs, CONLL03_IOB1, LABELS, "iob2")
    assert out[0, LABELS.index("O")] == pytest.approx(0.6) and out[0, LABELS.index("B-PER")] == pytest.approx(0.4)
    info = describe_mapping(CONLL03_IOB1, LABELS)
    assert info["mapped_to_O"] == ["MISC"] and info["target_types_missing_from_model"] == []
    assert describe_mapping(["O", "B-PER", "I-PER"], LABELS)["target_types_missing_from_model"] == ["LOC", "ORG"]


def test_iob1_decoding_starts_entities_with_b_and_continues_with_i():
    model = ["O", "I-PER", "B-PER", "I-LOC"]
    one_hot = lambda label: [1.0 if m == label else 0.0 for m in model]  # noqa: E731
    # "Juan Pérez Ana Lima": I-PER I-PER B-PER I-LOC in IOB1 = two PER entities then a LOC
    probs = np.array([one_hot("I-PER"), one_hot("I-PER"), one_hot("B-PER"), one_hot("I-LOC")])
    out = to_target_probabilities(probs, model, LABELS, "iob1")
    assert [LABELS[i] for i in out.argmax(-1)] == ["B-PER", "I-PER", "B-PER", "B-LOC"]
    assert np.allclose(out.sum(-1), 1.0)


# --- soft labels and the distilled student -----------------------------------------------------------------

@pytest.fixture(scope="module")
def spanish_pool(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pool")
    train, _ = read_conll(_repo("data/wikiann/es/train.tsv"), "iob2", {}, TYPES, 48)
    write_conll(tmp / "train.conll", train)
    data_stages.prepare(tmp / "test.conll", tmp / "test.json", TYPES,
                        DatasetSettings(path=str(_repo("data/wikiann/es/test.tsv")), max_sentences=30))
    data_stages.unlabelled(tmp / "pool.jsonl", tmp / "pool.json", UnlabelledSettings(path=str(tmp / "train.conll")))
    return tmp


def _repo(path):
    from conftest import ROOT

    return ROOT / path


@pytest.fixture(scope="module")
def teacher(spanish_pool, tiny_encoder):
    """A tiny teacher trained on English gold with dev selection (real Trainer, real checkpoints)."""
    tmp = spanish_pool
    en, _ = read_conll(_repo("data/wikiann/en/train.tsv"), "iob2", {}, TYPES, 64)
    dev, _ = read_conll(_repo("data/wikiann/en/dev.tsv"), "iob2", {}, TYPES, 16)
    write_conll(tmp / "en.conll", en)
    write_conll(tmp / "dev.conll", dev)
    record = training_stages.train_teacher(tmp / "en.conll", str(tiny_encoder), tmp / "teacher", TYPES,
                                  TrainSettings(min_steps=6, max_steps=6, batch_size=8, max_length=32, eval_steps=3),
                                  dev_path=tmp / "dev.conll")
    return tmp / "teacher", record


def test_teacher_checkpoint_is_chosen_on_dev(teacher):
    _, record = teacher
    steps = [step for step, _ in record["dev"]["f1_by_step"]]
    assert steps == [3, 6]
    assert record["dev"]["best_f1"] == max(f1 for _, f1 in record["dev"]["f1_by_step"])
    assert record["dev"]["best_step"] in steps


def test_soft_labels_sum_to_one_per_word(spanish_pool, teacher):
    model_stages.soft_labels(spanish_pool / "pool.jsonl", teacher[0], spanish_pool / "soft.jsonl",
                       spanish_pool / "soft.json", TYPES)
    lines = [json.loads(l) for l in (spanish_pool / "soft.jsonl").read_text().splitlines()]
    assert len(lines) == 48
    for line in lines:
        assert line["labels"] == LABELS and len(line["probs"]) == len(line["words"])
        assert np.allclose(np.sum(line["probs"], axis=1), 1.0, atol=1e-5)
    stats = json.loads((spanish_pool / "soft.json").read_text())
    assert stats["sentences"] == 48 and stats["mapping"]["mapped_to_O"] == []


def test_student_targets_sit_on_first_subtokens_only(tiny_encoder):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_encoder)
    words = ["Huascarán", "visitó", "Tegucigalpa"]
    probs = np.eye(len(LABELS))[[1, 0, 5]]
    (feature,), _ = soft_features(tokenizer, [(words, probs)], max_length=32)
    word_ids = tokenizer(words, is_split_into_words=True).word_ids()
    firsts = [i for i, w in enumerate(word_ids) if w is not None and (i == 0 or word_ids[i - 1] != w)]
    assert [i for i, m in enumerate(feature["labels"]) if m != -100] == firsts
    assert [feature["teacher_probs"][i] for i in firsts] == probs.tolist()
    others = [i for i in range(len(word_ids)) if i not in firsts]
    assert others and all(sum(feature["teacher_probs"][i]) == 0 for i in others)


def _distil(pool, tiny_encoder, out, seed=1):
    training_stages.train_distilled(pool / "soft.jsonl", str(tiny_encoder), out / "model", TYPES,
                                 TrainSettings(seed=seed, **SETTINGS), KDSettings(loss="mse", temperature=1.0))
    model_stages.evaluate(out / "model", pool / "test.conll", out / "metrics.json", out / "predictions.conll", TYPES,
                          {"run": {"lang": "es", "arm": "teacher-student", "method": "mse", "size": 48, "seed": seed}})
    metrics = json.loads((out / "metrics.json").read_text())
    metrics.pop("model")
    return metrics


def test_distilled_student_same_seed_identical_metrics(spanish_pool, teacher, tiny_encoder, tmp_path):
    if not (spanish_pool / "soft.jsonl").exists():
        model_stages.soft_labels(spanish_pool / "pool.jsonl", teacher[0], spanish_pool / "soft.jsonl",
                           spanish_pool / "soft.json", TYPES)
    a = _distil(spanish_pool, tiny_encoder, tmp_path / "a")
    b = _distil(spanish_pool, tiny_encoder, tmp_path / "b")
    assert a == b and a["train"]["targets"] == "soft" and a["train"]["kd"]["loss"] == "mse"
    assert a["run"]["arm"] == "teacher-student"
    c = _distil(spanish_pool, tiny_encoder, tmp_path / "c", seed=2)
    assert c["train"]["final_train_loss"] != a["train"]["final_train_loss"]  # the seed matters


def test_empty_unlabelled_pool_is_an_error_naming_the_file(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(InputError, match="empty.txt.*empty"):
        data_stages.unlabelled(tmp_path / "pool.jsonl", tmp_path / "pool.json",
                               UnlabelledSettings(path=str(empty), format="text"))
    assert not (tmp_path / "pool.jsonl").exists()


def test_model_directory_without_tokenizer_is_a_clear_error(teacher, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(teacher[0], broken)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "sentencepiece.bpe.model"):
        (broken / name).unlink(missing_ok=True)
    (tmp_path / "in.txt").write_text("Juan vive en Lima .\n")
    with pytest.raises(InputError, match="broken.*tokenizer"):
        model_stages.predict(broken, tmp_path / "in.txt", tmp_path / "out.conll")
    assert not (tmp_path / "out.conll").exists()


# --- using the models ----------------------------------------------------------------------------------------

def test_predict_tags_raw_text_and_conll_with_valid_iob2(teacher, tmp_path):
    from xlner.cli import main

    (tmp_path / "in.txt").write_text("Juan Pérez vive en Madrid.\n\nLa ONU se reunió en Nueva York.\n")
    assert main(["predict", "--model", str(teacher[0]), "--input", str(tmp_path / "in.txt"),
                 "--output", str(tmp_path / "out.conll")]) == 0
    sentences, _ = read_conll(tmp_path / "out.conll", "iob2", {}, TYPES)  # read back as strict IOB2
    assert [s.tokens for s in sentences] == [["Juan", "Pérez", "vive", "en", "Madrid", "."],
                                             ["La", "ONU", "se", "reunió", "en", "Nueva", "York", "."]]
    conll = tmp_path / "in.conll"
    write_conll(conll, sentences)
    assert main(["predict", "--model", str(teacher[0]), "--input", str(conll),
                 "--output", str(tmp_path / "out2.conll")]) == 0
    again, _ = read_conll(tmp_path / "out2.conll", "iob2", {}, TYPES)
    assert [s.tokens for s in again] == [s.tokens for s in sentences]


def test_export_copies_the_best_run_with_a_model_card(teacher, tmp_path):
    from transformers import AutoModelForTokenClassification

    from xlner.models.export import export_best

    candidate = shutil.copytree(teacher[0], tmp_path / "candidate")
    (candidate / ".snakemake_timestamp").write_text("")  # a directory output's bookkeeping, as Snakemake leaves it
    runs = [(teacher[0], {"f1": 40.0, "precision": 1, "recall": 1, "per_class": {}, "test": {"file": "t", "sentences": 3}}),
            (candidate, {"f1": 55.5, "precision": 50.0, "recall": 62.0,
                          "per_class": {"PER": {"f1": 60.0}}, "test": {"file": "es/test.conll", "sentences": 30}})]
    best = export_best(runs, tmp_path / "export", {"lang": "es", "arm": "supervised", "method": "gold", "size": 48,
                                                    "data": "WikiANN es train", "licence": "other"})
    assert best == 1
    card = (tmp_path / "export" / "README.md").read_text()
    assert "test F1 **55.5**" in card and "arm: **supervised**" in card and "WikiANN es train" in card
    model = AutoModelForTokenClassification.from_pretrained(tmp_path / "export")
    assert [model.config.id2label[i] for i in range(7)] == LABELS
    assert json.loads((tmp_path / "export" / "xlner_export.json").read_text())["candidates_f1"] == [40.0, 55.5]
    # Snakemake's timestamp is not carried over: a hard link would share it, and finishing the export would then touch
    # the candidate's, making whatever reads the candidate (comb-tt) look out of date
    assert not (tmp_path / "export" / ".snakemake_timestamp").exists()
    assert (tmp_path / "export" / "model.safetensors").stat().st_ino == (candidate / "model.safetensors").stat().st_ino


def test_label_stage_with_the_teacher_labels_the_source_and_counts(spanish_pool, teacher):
    data_stages.label(spanish_pool / "en.conll", spanish_pool / "labelled.conll", spanish_pool / "labelled.json", "model",
                 TYPES, teacher[0])
    labelled, _ = read_conll(spanish_pool / "labelled.conll", "iob2", {}, TYPES)  # valid IOB2
    gold, _ = read_conll(spanish_pool / "en.conll", "iob2", {}, TYPES)
    assert [s.tokens for s in labelled] == [s.tokens for s in gold]
    stats = json.loads((spanish_pool / "labelled.json").read_text())
    assert stats["source"] == "model" and set(stats["gold_entities"]) == set(TYPES)
    assert stats["mapping"]["scheme"] == "iob2"


def test_teacher_lacking_a_test_class_is_reported(spanish_pool, tiny_encoder, tmp_path):
    from xlner.models.train import train_tagger

    person_only, _ = read_conll(_repo("data/wikiann/en/train.tsv"), "iob2", {"LOC": "O", "ORG": "O"}, ["PER"], 16)
    train_tagger(str(tiny_encoder), [(s.tokens, s.tags) for s in person_only], label_list(["PER"]),
                 tmp_path / "per", TrainSettings(**SETTINGS))
    model_stages.evaluate(tmp_path / "per", spanish_pool / "test.conll", tmp_path / "m.json", tmp_path / "p.conll", TYPES)
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["label_space"]["test_types_model_cannot_predict"] == ["LOC", "ORG"]
    assert metrics["per_class"]["LOC"]["f1"] == 0.0
