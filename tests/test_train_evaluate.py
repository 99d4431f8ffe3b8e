"""Student training and evaluation on real Spanish WikiANN data with a tiny model built here."""
import json

import pytest

from conftest import shared_file
from xlner.analysis.metrics import score
from xlner.errors import SettingsError
from xlner.formats.atomic import all_or_nothing
from xlner.formats.conll import label_list, read_conll
from xlner.models.tokens import encode_sentences, word_chunks
from xlner.settings import DatasetSettings, TrainSettings
from xlner.stages import data as data_stages
from xlner.stages import models as model_stages
from xlner.stages import training as training_stages

TYPES = ["PER", "ORG", "LOC"]


def test_word_chunks_cover_every_word_and_fit_the_window():
    counts = [3, 1, 4, 1, 5, 9, 2, 6]
    chunks = word_chunks(counts, window=10)
    assert chunks[0][0] == 0 and chunks[-1][1] == len(counts)
    assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:]))  # consecutive, no gaps
    for start, end in chunks:
        assert sum(counts[start:end]) <= 10 or end - start == 1
    assert word_chunks([20], window=10) == [(0, 1)]  # an over-long word gets its own chunk


def test_labels_sit_on_first_subtokens_only(tiny_encoder):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_encoder)
    words = ["Huascarán", "visitó", "Tegucigalpa"]
    tags = ["B-PER", "O", "B-LOC"]
    label2id = {label: i for i, label in enumerate(label_list(TYPES))}
    (feature,), _ = encode_sentences(tokenizer, [(words, tags)], label2id, max_length=32)
    labelled = [(i, l) for i, l in enumerate(feature["labels"]) if l != -100]
    assert [l for _, l in labelled] == [label2id[t] for t in tags]
    word_ids = tokenizer(words, is_split_into_words=True).word_ids()
    firsts = [i for i, w in enumerate(word_ids) if w is not None and (i == 0 or word_ids[i - 1] != w)]
    assert [i for i, _ in labelled] == firsts
    assert len(word_ids) > len(words) + 2  # some words really have several sub-tokens


def test_seqeval_strict_scores_a_hand_made_case():
    gold = [["B-PER", "I-PER", "O", "B-LOC"]]
    predicted = [["B-PER", "I-PER", "O", "I-LOC"]]  # strict IOB2: an entity starting with I- is not one
    result = score(gold, predicted)
    assert result["precision"] == 100.0 and result["recall"] == 50.0 and result["f1"] == 66.67
    assert result["per_class"]["LOC"]["f1"] == 0.0


@pytest.fixture(scope="module")
def spanish(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("es")
    train, _ = read_conll(shared_file("wikiann_xtreme_panx", "es", "train.tsv"), "iob2", {}, TYPES, 64)
    from xlner.formats.conll import write_conll
    write_conll(tmp / "train.conll", train)
    data_stages.prepare(tmp / "test.conll", tmp / "test.json", TYPES,
                        DatasetSettings(path=str(shared_file("wikiann_xtreme_panx", "es", "test.tsv")), max_sentences=40))
    return tmp


def _train_and_evaluate(spanish, tiny_encoder, out, seed=1):
    settings = TrainSettings(seed=seed, min_steps=4, max_steps=4, batch_size=8, max_length=32)
    training_stages.train(spanish / "train.conll", str(tiny_encoder), out / "model", TYPES, settings)
    model_stages.evaluate(out / "model", spanish / "test.conll", out / "metrics.json", out / "predictions.conll", TYPES,
                    {"note": "test"})
    return json.loads((out / "metrics.json").read_text())


def test_train_then_evaluate_writes_model_metrics_and_predictions(spanish, tiny_encoder, tmp_path):
    metrics = _train_and_evaluate(spanish, tiny_encoder, tmp_path)
    assert (tmp_path / "model" / "config.json").exists() and (tmp_path / "model" / "tokenizer.json").exists()
    assert not (tmp_path / "model" / "trainer").exists()
    assert set(metrics) >= {"precision", "recall", "f1", "per_class", "settings", "versions", "seed", "test"}
    assert metrics["seed"] == 1 and metrics["settings"] == {"note": "test"}
    assert metrics["versions"]["transformers"] and metrics["train"]["sentences"] == 64
    test, _ = read_conll(spanish / "test.conll", "iob2", {}, TYPES)
    lines = [l for l in (tmp_path / "predictions.conll").read_text().split("\n")]
    assert sum(1 for l in lines if l) == sum(len(s.tokens) for s in test)  # every gold token has a prediction
    assert lines.count("") >= len(test)
    first = lines[0].split(" ")
    assert first[0] == test[0].tokens[0] and first[1] == test[0].tags[0]


def test_same_seed_gives_identical_metrics(spanish, tiny_encoder, tmp_path):
    a = _train_and_evaluate(spanish, tiny_encoder, tmp_path / "a")
    b = _train_and_evaluate(spanish, tiny_encoder, tmp_path / "b")
    for metrics in (a, b):
        metrics.pop("model")
    assert a == b
    assert (tmp_path / "a" / "predictions.conll").read_bytes() == (tmp_path / "b" / "predictions.conll").read_bytes()


def test_overlong_test_sentence_gets_a_prediction_for_every_word(spanish, tiny_encoder, tmp_path):
    from xlner.models.inference import predict_tags

    _train_and_evaluate(spanish, tiny_encoder, tmp_path)
    words = ["Tegucigalpa"] * 2000
    (tags,), _ = predict_tags(tmp_path / "model", [words], label_list(TYPES), max_length=32)
    assert len(tags) == 2000


def test_a_training_job_scores_its_model_as_xlner_evaluate_does(spanish, tiny_encoder, tmp_path):
    separate = _train_and_evaluate(spanish, tiny_encoder, tmp_path / "separate")
    settings = TrainSettings(seed=1, min_steps=4, max_steps=4, batch_size=8, max_length=32)
    out = tmp_path / "together"
    with all_or_nothing():  # as `xlner train` runs it: the model goes into place only when the job ends
        training_stages.train(spanish / "train.conll", str(tiny_encoder), out / "model", TYPES, settings,
                           test_path=spanish / "test.conll", metrics_path=out / "metrics.json",
                           predictions_path=out / "predictions.conll", record={"note": "test"})
    together = json.loads((out / "metrics.json").read_text())
    assert together.pop("model") == str(out / "model") and (out / "model/config.json").exists()
    separate.pop("model")
    assert together == separate
    assert (out / "predictions.conll").read_bytes() == (tmp_path / "separate/predictions.conll").read_bytes()
    # a language without gold test data: the run says it is not scored, with its training record
    training_stages.train(spanish / "train.conll", str(tiny_encoder), tmp_path / "untested/model", TYPES, settings,
                       metrics_path=tmp_path / "untested/metrics.json",
                       predictions_path=tmp_path / "untested/predictions.conll", record={"run": {"lang": "gl"}})
    untested = json.loads((tmp_path / "untested/metrics.json").read_text())
    assert untested["f1"] is None and untested["test"] is None and "not scored" in untested["note"]
    assert untested["run"] == {"lang": "gl"} and untested["train"]["sentences"] == 64


def test_frozen_lower_layers_keep_their_weights_and_the_rest_trains(spanish, tiny_encoder, tmp_path):
    """freeze_layers: 1 of the tiny encoder's 2 layers: the embedding block and layer 0 come out of training as they
    went in, layer 1 and the head do not; the record keeps the setting."""
    from safetensors.torch import load_file

    settings = TrainSettings(seed=1, min_steps=4, max_steps=4, batch_size=8, max_length=32, freeze_layers=1)
    record = training_stages.train(spanish / "train.conll", str(tiny_encoder), tmp_path / "model", TYPES, settings)
    before = {k.removeprefix("bert."): v for k, v in load_file(tiny_encoder / "model.safetensors").items()}
    after = {k.removeprefix("bert."): v for k, v in load_file(tmp_path / "model" / "model.safetensors").items()}
    frozen = [k for k in after if k.startswith(("embeddings.", "encoder.layer.0."))]
    trained = [k for k in after if k.startswith("encoder.layer.1.")]
    assert len(frozen) > 5 and len(trained) > 5
    assert all(after[k].equal(before[k]) for k in frozen)
    assert sum(not after[k].equal(before[k]) for k in trained) >= len(trained) // 2
    assert record["settings"]["freeze_layers"] == 1


def test_freezing_every_layer_is_refused(spanish, tiny_encoder, tmp_path):
    settings = TrainSettings(seed=1, min_steps=2, max_steps=2, batch_size=8, max_length=32, freeze_layers=2)
    with pytest.raises(SettingsError, match="would freeze all 2 layers"):
        training_stages.train(spanish / "train.conll", str(tiny_encoder), tmp_path / "model", TYPES, settings)
    assert not (tmp_path / "model").exists()
