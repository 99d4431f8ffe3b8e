"""Each workflow stage as a function from input files to output files (the `xlner` commands call these)."""
import logging
from pathlib import Path

from tqdm import tqdm

from .atomic import write_json, write_jsonl, write_text
from .conll import Sentence, read_conll, write_conll
from .errors import InputError
from .jsonl import check_aligned_record, clean, read_jsonl
from .provenance import package_versions

log = logging.getLogger(__name__)


def prepare(input_path, output_path, stats_path, scheme, label_map, entity_types, max_sentences=None, hf=None):
    """Read any CoNLL flavour (or a Hugging Face dataset: `hf` = {id, config, split, revision}), normalise to
    IOB2, map labels, keep the first `max_sentences`."""
    if hf:
        from .conll import read_hf_dataset

        sentences, stats = read_hf_dataset(hf["id"], hf.get("config"), hf.get("split", "test"), hf.get("revision"),
                                           scheme, label_map, entity_types, max_sentences)
    else:
        sentences, stats = read_conll(input_path, scheme, label_map, entity_types, max_sentences)
    write_conll(output_path, sentences)
    write_json(stats_path, {"input": str(input_path) if input_path else None, "hf": hf, "scheme": scheme,
                            "label_map": label_map, "max_sentences": max_sentences, **stats.as_dict()})


def label(input_path, output_path, stats_path, source, entity_types):
    """Label the English source pool: `gold` keeps the dataset's own labels."""
    if source != "gold":
        raise ValueError(f"label source {source!r} is not available yet; use 'gold'")
    sentences, stats = read_conll(input_path, "iob2", {}, entity_types)
    write_conll(output_path, sentences)
    write_json(stats_path, {"source": source, **stats.as_dict()})


def translate(input_path, output_path, stats_path, mt_settings):
    from .translate import make_translator, translate_sentences

    sentences, _ = read_conll(input_path, "iob2", {}, None)
    translator = make_translator(mt_settings)
    pairs = [(s.id, s.tokens) for s in sentences]
    with tqdm(total=len(pairs), desc="translate", unit="sent") as bar:
        records, failed = translate_sentences(translator, pairs, progress=bar.update)
    write_jsonl(output_path, records)
    write_json(stats_path, {"sentences": len(pairs), "translated": len(records), "failed": len(failed),
                            "failed_ids": failed, "retried_batches": getattr(translator, "retried_batches", 0),
                            "mt": translator.describe()})



def align(input_path, output_path, stats_path, model, layer, matching):
    from .align import SimAligner, align_records

    records = [clean(r) for r in read_jsonl(input_path, required=("id", "src_tokens", "tgt_tokens"))]
    aligner = SimAligner(model, layer=layer, matching=matching)
    with tqdm(total=len(records), desc="align", unit="pair") as bar:
        aligned, stats = align_records(aligner, records, progress=bar.update)
    write_jsonl(output_path, aligned)
    write_json(stats_path, {**stats, **aligner.describe()})


def project(input_path, output_path, conll_path, stats_path, method, merge_distance, ratio_threshold,
            labels_path=None, entity_types=None):
    """Project src_tags onto tgt_tokens; src_tags come from the lines or from a labels CoNLL file (by id)."""
    from .project import project_heuristic, projection_stats

    records = read_jsonl(input_path, required=("id", "src_tokens", "tgt_tokens", "alignment"))
    if labels_path:
        labelled, _ = read_conll(labels_path, "iob2", {}, entity_types)
        by_id = {s.id: s for s in labelled}
        for record in records:
            source = by_id.get(str(record["id"]))
            if source is None or source.tokens != record["src_tokens"]:
                raise InputError(input_path, f"record {record['id']!r} has no matching sentence in {labels_path}",
                                 record["_line"])
            record["src_tags"] = source.tags
    out, outcomes = [], []
    for record in records:
        if "src_tags" not in record:
            raise InputError(input_path, "missing field src_tags (give --labels or add it to the line)",
                             record["_line"])
        check_aligned_record(input_path, record)
        tags, outcome = project_heuristic(record["src_tags"], len(record["tgt_tokens"]), record["alignment"],
                                          merge_distance, ratio_threshold, method)
        out.append({**clean(record), "tgt_tags": tags})
        outcomes.append(outcome)
    write_jsonl(output_path, out)
    write_conll(conll_path, [Sentence(r["tgt_tokens"], r["tgt_tags"]) for r in out])
    write_json(stats_path, {"method": method, "merge_distance": merge_distance,
                            "ratio_threshold": ratio_threshold, **projection_stats(outcomes)})


def subset(pool_path, size, seed, output_path):
    from .subsets import nested_subset

    ids = [s.id for s in read_conll(pool_path, "iob2", {}, None)[0]]
    chosen = nested_subset(ids, size, seed)
    write_text(output_path, "".join(f"{i}\n" for i in chosen))


def read_training_data(path, entity_types, ids_path=None):
    """Training sentences from projected JSONL (tgt_tokens/tgt_tags) or an IOB2 CoNLL file, optionally by id."""
    path = Path(path)
    if path.suffix == ".jsonl":
        records = read_jsonl(path, required=("id", "tgt_tokens", "tgt_tags"))
        items = [(str(r["id"]), r["tgt_tokens"], r["tgt_tags"]) for r in records]
    else:
        sentences, _ = read_conll(path, "iob2", {}, entity_types)
        items = [(s.id, s.tokens, s.tags) for s in sentences]
    requested = None
    if ids_path:
        requested = [line.strip() for line in open(ids_path, encoding="utf-8") if line.strip()]
        wanted = set(requested)
        items = [item for item in items if item[0] in wanted]
    stats = {"requested": len(requested) if requested is not None else len(items), "available": len(items)}
    return [(words, tags) for _, words, tags in items], stats


def train(train_path, encoder, output_dir, entity_types, settings, ids_path=None):
    from .train import train_tagger

    sentences, stats = read_training_data(train_path, entity_types, ids_path)
    missing = stats["requested"] - stats["available"]
    if missing:
        log.warning("%d of the %d requested training sentences are not in %s (dropped upstream, e.g. failed "
                    "translation); training on %d", missing, stats["requested"], train_path, stats["available"])
    return train_tagger(encoder, sentences, entity_types, output_dir, settings,
                        extra_record={"train_file": str(train_path), "subset": str(ids_path) if ids_path else None,
                                      "sentences_requested": stats["requested"],
                                      "sentences_missing_upstream": missing})


def evaluate(model_dir, test_path, metrics_path, predictions_path, entity_types, settings=None, max_length=128):
    from .evaluate import predict_tags, score, write_predictions
    from .train import load_training_record

    test, test_stats = read_conll(test_path, "iob2", {}, entity_types)
    predicted = predict_tags(model_dir, [s.tokens for s in test], max_length=max_length)
    write_predictions(predictions_path, test, predicted)
    scores = score([s.tags for s in test], predicted)
    record = load_training_record(model_dir)
    write_json(metrics_path, {
        **scores,
        "test": {"file": str(test_path), "sentences": test_stats.sentences, "tokens": test_stats.tokens,
                 "words_predicted": sum(len(p) for p in predicted)},
        "model": str(model_dir), "encoder": record.get("encoder"),
        "seed": record.get("settings", {}).get("seed"),
        "train": {k: record.get(k) for k in ("settings", "sentences", "sentences_requested",
                                             "sentences_missing_upstream", "chunks", "final_train_loss")},
        "settings": settings or {},
        "versions": package_versions(),
    })
    return scores
