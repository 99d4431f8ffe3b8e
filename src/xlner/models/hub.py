"""Snapshots of Hugging Face models for offline jobs: download once where there is internet, record what.

The record (`xlner-fetch.json` inside the directory) names the id, the revision asked for and the commit it
resolved to, so a result can say exactly which weights produced it, and a rerun can pin them (`hub.revisions`).
"""
import json
from pathlib import Path

from xlner.formats.atomic import atomic_directory

RECORD = "xlner-fetch.json"


def fetch_model(model_id, output, revision=None):
    """Download every file of `model_id` at `revision` into `output` (atomically: a killed download leaves
    nothing that looks complete)."""
    from huggingface_hub import HfApi, snapshot_download

    info = HfApi().model_info(model_id, revision=revision)
    with atomic_directory(output) as tmp:
        snapshot_download(model_id, revision=info.sha, local_dir=tmp)
        Path(tmp, RECORD).write_text(json.dumps({"id": model_id, "revision": revision or "main",
                                                 "commit": info.sha}, indent=1, sort_keys=True) + "\n")
    return info.sha


def fetched_record(path):
    """The fetch record of a snapshot directory, or None for any other directory or Hub id."""
    record = Path(path) / RECORD
    return json.loads(record.read_text()) if record.is_file() else None
