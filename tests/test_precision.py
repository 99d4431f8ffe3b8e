"""Precision per stage family: `auto` follows what the hardware computes natively, bfloat16 runs under autocast
and is recorded, float32 stays exactly what it was."""
import json

import numpy as np
import pytest

from xlner import precision
from xlner.errors import SettingsError
from xlner.settings import TrainSettings

TYPES = ["PER", "ORG", "LOC"]


@pytest.mark.parametrize("flags, expected", [({"avx512f", "amx_bf16"}, "bfloat16"), ({"avx512_bf16"}, "bfloat16"),
                                             ({"avx512f", "avx2"}, "float32"), (set(), "float32")])
def test_auto_takes_bfloat16_only_where_the_cpu_has_native_instructions(monkeypatch, flags, expected):
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset(flags))
    assert precision.resolve("auto", "cpu") == expected
    assert precision.resolve("float32", "cpu") == "float32" and precision.resolve("bfloat16", "cpu") == "bfloat16"
    assert precision.record("auto", expected, "cpu")["native_bf16"] == (expected == "bfloat16")
    with pytest.raises(SettingsError, match="precision must be one of auto, float32, bfloat16"):
        precision.resolve("fp16", "cpu")


def test_settings_refuse_an_unknown_precision():
    from xlner import settings as S

    with pytest.raises(SettingsError, match="precision 'half' is not one of"):
        S.build(TrainSettings, {"precision": "half"})


@pytest.mark.slow  # trains a tiny model
def test_bfloat16_training_and_tagging_run_under_autocast_and_are_recorded(tiny_encoder, tmp_path):
    from xlner.formats.conll import label_list
    from xlner.models.inference import Tagger
    from xlner.models.train import train_tagger

    words = [["Ana", "vive", "en", "Lima"], ["El", "banco", "Sur", "abrió", "hoy"]] * 8
    tags = [["B-PER", "O", "O", "B-LOC"], ["O", "B-ORG", "I-ORG", "O", "O"]] * 8
    labels = label_list(TYPES)
    record = train_tagger(str(tiny_encoder), list(zip(words, tags)), labels, tmp_path / "model",
                          TrainSettings(min_steps=4, max_steps=4, batch_size=8, precision="bfloat16"))
    assert record["precision"] == {"requested": "bfloat16", "used": "bfloat16", "device": "cpu",
                                   "native_bf16": precision.native_bfloat16("cpu")}
    saved = json.loads((tmp_path / "model/xlner_train.json").read_text())
    assert saved["precision"]["used"] == "bfloat16" and saved["settings"]["precision"] == "bfloat16"
    import torch
    from safetensors.torch import load_file

    weights = load_file(tmp_path / "model/model.safetensors")
    assert all(t.dtype == torch.float32 for t in weights.values())  # autocast: the weights stay float32

    exact = Tagger(tmp_path / "model", labels)
    fast = Tagger(tmp_path / "model", labels, precision="bfloat16")
    assert exact.precision["used"] == "float32" and fast.precision["used"] == "bfloat16"
    p32, p16 = exact.probabilities(words[:2]), fast.probabilities(words[:2])
    for a, b in zip(p32, p16):
        assert a.dtype == b.dtype == np.float32 and np.allclose(b.sum(-1), 1, atol=1e-5)
        assert np.abs(a - b).max() < 0.05  # bfloat16 has 8 bits of mantissa: close, not equal
        assert not np.array_equal(a, b)  # and it really ran in bfloat16
