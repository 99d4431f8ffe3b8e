"""The word-alignment stage: source and translated tokens (or back-translation and translation) aligned."""
import logging

from tqdm import tqdm

from xlner.align.aligners import AwesomeAligner, BatchedSimAligner, EflomalAligner, SimAligner, align_records
from xlner.formats.atomic import write_json, write_jsonl
from xlner.formats.jsonl import clean, read_jsonl
from xlner.pacing import pause
from xlner.stages.data import shard_of

log = logging.getLogger(__name__)


def make_aligner(settings):
    """The aligner that AlignSettings names."""
    if settings.aligner == "awesome":
        return AwesomeAligner(settings.model, layer=settings.layer, threshold=settings.threshold,
                              batch_size=settings.batch_size, batch_tokens=settings.batch_tokens,
                              precision=settings.precision)
    if settings.aligner == "eflomal":
        log.warning("eflomal has no seed: its links differ from run to run (the cached alignment is kept)")
        return EflomalAligner()
    if settings.implementation == "batched":
        return BatchedSimAligner(settings.model, layer=settings.layer, matching=settings.matching,
                                 batch_size=settings.batch_size, batch_tokens=settings.batch_tokens,
                                 precision=settings.precision)
    return SimAligner(settings.model, layer=settings.layer, matching=settings.matching)


def align(input_path, output_path, stats_path, settings, shard=None):
    records = shard_of([clean(r) for r in read_jsonl(input_path, required=("id", "src_tokens", "tgt_tokens"))],
                       shard)
    aligner = make_aligner(settings)
    with tqdm(total=len(records), desc="align", unit="pair") as bar:
        aligned, stats = align_records(aligner, records, progress=lambda n: (bar.update(n), pause()))
    write_jsonl(output_path, aligned)
    write_json(stats_path, {**stats, **aligner.describe()})
