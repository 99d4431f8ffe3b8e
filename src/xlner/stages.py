"""Each workflow stage as a function from input files to output files (the `xlner` commands call these)."""
import logging
from pathlib import Path

from tqdm import tqdm

from .atomic import write_json, write_jsonl, write_text
from .conll import Sentence, read_conll, write_conll
from .errors import InputError
from .jsonl import clean, read_jsonl
from .pacing import pause
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


def label(input_path, output_path, stats_path, source, entity_types, model=None, scheme=None, label_map=None):
    """Label the English source pool: `gold` keeps the dataset's labels, `model` tags it with an English
    tagger (the teacher, or any pretrained model: its label set is mapped as labelspace.py says)."""
    from .train import label_list

    sentences, stats = read_conll(input_path, "iob2", {}, entity_types)
    record = {"source": source, **stats.as_dict()}
    if source == "model":
        if not model:
            raise ValueError("label source 'model' needs a model directory or id")
        from .inference import Tagger

        tagger = Tagger(model, label_list(entity_types), scheme, label_map)
        tags, repaired = tagger.valid_tags([s.tokens for s in sentences])
        sentences = [Sentence(s.tokens, t, s.line, s.id) for s, t in zip(sentences, tags)]
        record.update(model=str(model), mapping=tagger.mapping, orphan_i_tags_rewritten_as_b=repaired,
                      model_entities=_count_entities(tags), gold_entities=record.pop("entities", None))
    elif source != "gold":
        raise ValueError(f"unknown label source {source!r}; use 'gold' or 'model'")
    write_conll(output_path, sentences)
    write_json(stats_path, record)


def _count_entities(tag_lists):
    from collections import Counter

    from .conll import spans_from_tags

    return dict(sorted(Counter(kind for tags in tag_lists for _, _, kind in spans_from_tags(tags)).items()))


def shard_of(items, shard):
    """Items i, i+n, i+2n, ... for shard "i/n" (round robin, so `gather` restores the order exactly)."""
    if not shard:
        return items
    index, count = (int(x) for x in str(shard).split("/"))
    if not 0 <= index < count:
        raise ValueError(f"shard {shard!r}: need 0 <= i < n")
    return items[index::count]


def translate(input_path, output_path, stats_path, mt_settings, swap=False, whitespace=True, shard=None):
    """Translate the sentences of a CoNLL file. swap: the translation becomes the source side and the input
    the target side (translate-test: the target test set is translated into English, whose labels are then
    projected back onto the original words). whitespace=False: the target language is written without
    spaces (ja, th, zh; paper.md §2.2): its words are joined with "" for MT, and MT output in it is split
    into characters (Latin letters and digits stay words), as PAN-X tokenises it. shard "i/n": only every
    n-th sentence from the i-th (`xlner gather` merges the shards)."""
    from .translate import make_translator, translate_sentences

    sentences, _ = read_conll(input_path, "iob2", {}, None)
    translator = make_translator(mt_settings)
    pairs = shard_of([(s.id, s.tokens) for s in sentences], shard)
    segmentation = "words" if whitespace else "characters"
    with tqdm(total=len(pairs), desc="translate", unit="sent") as bar:
        records, failed = translate_sentences(
            translator, pairs, progress=lambda n: (bar.update(n), pause()),
            join="" if (swap and not whitespace) else " ", segmentation="words" if swap else segmentation)
    if swap:
        records = [{"id": r["id"], "src_tokens": r["tgt_tokens"], "src_text": r["tgt_text"],
                    "tgt_tokens": r["src_tokens"]} for r in records]
    write_jsonl(output_path, records)
    write_json(stats_path, {"sentences": len(pairs), "translated": len(records), "failed": len(failed),
                            "failed_ids": failed, "retried_batches": getattr(translator, "retried_batches", 0),
                            "mt": translator.describe()})



def align(input_path, output_path, stats_path, model, layer, matching, implementation="batched", batch_size=None,
          aligner_name="simalign", threshold=1e-3, shard=None, batch_tokens=512):
    from .align import AwesomeAligner, BatchedSimAligner, SimAligner, align_records

    records = shard_of([clean(r) for r in read_jsonl(input_path, required=("id", "src_tokens", "tgt_tokens"))],
                       shard)
    if aligner_name == "awesome":
        aligner = AwesomeAligner(model, layer=layer, threshold=threshold, batch_size=batch_size,
                                 batch_tokens=batch_tokens)
    elif aligner_name == "eflomal":
        from .align import EflomalAligner

        aligner = EflomalAligner()
        log.warning("eflomal has no seed: its links differ from run to run (the cached alignment is kept)")
    elif aligner_name != "simalign":
        raise ValueError(f"unknown aligner {aligner_name!r}; use simalign, awesome or eflomal")
    elif implementation == "batched":
        aligner = BatchedSimAligner(model, layer=layer, matching=matching, batch_size=batch_size,
                                    batch_tokens=batch_tokens)
    elif implementation == "pairwise":
        aligner = SimAligner(model, layer=layer, matching=matching)
    else:
        raise ValueError(f"unknown SimAlign implementation {implementation!r}; use batched or pairwise")
    with tqdm(total=len(records), desc="align", unit="pair") as bar:
        aligned, stats = align_records(aligner, records, progress=lambda n: (bar.update(n), pause()))
    write_jsonl(output_path, aligned)
    write_json(stats_path, {**stats, **aligner.describe()})


def gather(shard_paths, output_path, stats_paths=(), stats_output=None):
    """Merge the round-robin shards of a JSONL file back into one, in the original order, and add up their
    statistics (numbers summed, lists joined, other values taken from the first shard)."""
    import json
    from itertools import zip_longest

    shards = [read_jsonl(p) if Path(p).stat().st_size else [] for p in shard_paths]
    merged = [clean(r) for group in zip_longest(*shards) for r in group if r is not None]
    write_jsonl(output_path, merged)
    if stats_output:
        total = {}
        for path in stats_paths:
            for key, value in json.loads(Path(path).read_text()).items():
                if isinstance(value, (int, float)) and not isinstance(value, bool) and key in total:
                    total[key] += value
                elif isinstance(value, list) and key in total:
                    total[key] = total[key] + value
                else:
                    total.setdefault(key, value)
        total["shards"] = len(shard_paths)
        write_json(stats_output, total)


def pool_ids(path):
    """Sentence ids of a pool: a CoNLL file (ids are sentence numbers) or a JSONL file with `id` fields."""
    if Path(path).suffix == ".jsonl":
        return [str(r["id"]) for r in read_jsonl(path, required=("id",))]
    return [s.id for s in read_conll(path, "iob2", {}, None)[0]]


def subset(pool_path, size, seed, output_path):
    """Write the ids of a seeded subset; `size` "all" takes the whole pool."""
    from .subsets import nested_subset

    ids = pool_ids(pool_path)
    chosen = ids if str(size) == "all" else nested_subset(ids, int(size), seed)
    write_text(output_path, "".join(f"{i}\n" for i in chosen))


def read_ids(ids_path):
    return [line.strip() for line in open(ids_path, encoding="utf-8") if line.strip()]


def read_training_data(path, entity_types, ids_path=None):
    """Training sentences from projected JSONL (tgt_tokens/tgt_tags) or an IOB2 CoNLL file, optionally by id."""
    path = Path(path)
    if path.suffix == ".jsonl":
        records = read_jsonl(path, required=("id", "tgt_tokens", "tgt_tags"))
        items = [(str(r["id"]), r["tgt_tokens"], r["tgt_tags"]) for r in records]
    else:
        sentences, _ = read_conll(path, "iob2", {}, entity_types)
        items = [(s.id, s.tokens, s.tags) for s in sentences]
    items, stats = _select(items, ids_path)
    return [(words, tags) for _, words, tags in items], stats


def _select(items, ids_path):
    """Keep the items whose id (first field) is listed in `ids_path`; count the ids not found."""
    requested = None
    if ids_path:
        requested = read_ids(ids_path)
        wanted = set(requested)
        items = [item for item in items if item[0] in wanted]
    stats = {"requested": len(requested) if requested is not None else len(items), "available": len(items)}
    return items, stats


def _train_record(train_path, ids_path, stats):
    missing = stats["requested"] - stats["available"]
    if missing:
        log.warning("%d of the %d requested training sentences are not in %s (dropped upstream, e.g. failed "
                    "translation); training on %d", missing, stats["requested"], train_path, stats["available"])
    return {"train_file": str(train_path), "subset": str(ids_path) if ids_path else None,
            "sentences_requested": stats["requested"], "sentences_missing_upstream": missing}


def train(train_path, encoder, output_dir, entity_types, settings, ids_path=None):
    """Projection student or supervised reference: hard IOB2 tags."""
    from .train import label_list, train_tagger

    sentences, stats = read_training_data(train_path, entity_types, ids_path)
    return train_tagger(encoder, sentences, label_list(entity_types), output_dir, settings,
                        extra_record=_train_record(train_path, ids_path, stats))


def train_teacher(train_path, dev_path, encoder, output_dir, entity_types, settings):
    """The English teacher: gold English tags, checkpoint chosen on English dev F1 (never target data)."""
    from .train import label_list, train_tagger

    sentences, _ = read_training_data(train_path, entity_types)
    dev = read_training_data(dev_path, entity_types)[0] if dev_path else None
    if dev and not settings.eval_steps:
        raise ValueError("a dev set needs settings.eval_steps > 0 (how often to evaluate on it)")
    return train_tagger(encoder, sentences, label_list(entity_types), output_dir, settings, dev=dev,
                        extra_record={"role": "teacher", "train_file": str(train_path),
                                      "dev_file": str(dev_path) if dev_path else None})


def unlabelled(input_path, output_path, stats_path, fmt, max_sentences=None):
    """An unlabelled target pool as JSONL {"id", "words"}: from a CoNLL file (its tags are dropped, never read
    as labels) or a text file with one sentence per line (tokenized like translations)."""
    words = _read_words(input_path, fmt, max_sentences)
    if not words:
        raise InputError(input_path, "the unlabelled pool is empty (no sentences)")
    write_jsonl(output_path, [{"id": str(i), "words": w} for i, w in enumerate(words)])
    write_json(stats_path, {"input": str(input_path), "format": fmt, "sentences": len(words),
                            "words": sum(map(len, words)), "max_sentences": max_sentences})


def _read_words(path, fmt, max_sentences=None):
    """[[words]] from CoNLL (first column; tags, if any, ignored) or raw text (one sentence per line)."""
    from .tokenize import split_words

    sentences, current = [], []
    with open(path, "rb") as handle:
        for line_no, data in enumerate(handle, start=1):
            try:
                text = data.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as error:
                raise InputError(path, f"not valid UTF-8 (byte {error.start})", line_no) from None
            if fmt == "text":
                if text.strip():
                    sentences.append(split_words(text))
            elif not text.strip():
                if current:
                    sentences.append(current)
                    current = []
            elif not text.startswith("-DOCSTART-"):
                current.append(text.split("\t")[0].split()[0] if "\t" in text else text.split()[0])
            if max_sentences and len(sentences) >= max_sentences:
                break
    if current and not (max_sentences and len(sentences) >= max_sentences):
        sentences.append(current)
    return sentences


def soft_labels(pool_path, model_dir, output_path, stats_path, entity_types, scheme=None, label_map=None):
    """The teacher's per-word distributions over the unlabelled pool, written once for every student.

    One JSON line per sentence: {"id", "words", "labels": [label list], "probs": [[p per label] per word]};
    probabilities are rounded to 6 decimals and renormalised, so each word's vector sums to 1.
    """
    import numpy as np

    from .inference import Tagger
    from .train import label_list

    records = read_jsonl(pool_path, required=("id", "words"))
    if not records:
        raise InputError(pool_path, "the unlabelled pool is empty (no sentences)")
    labels = label_list(entity_types)
    tagger = Tagger(model_dir, labels, scheme, label_map)
    with tqdm(total=len(records), desc="soft labels", unit="sent") as bar:
        probabilities = []
        for start in range(0, len(records), 256):
            chunk = records[start:start + 256]
            probabilities += tagger.probabilities([r["words"] for r in chunk])
            bar.update(len(chunk))
    out = []
    for record, probs in zip(records, probabilities):
        probs = np.asarray(probs, dtype=np.float64)
        probs = probs / probs.sum(-1, keepdims=True)
        out.append({"id": str(record["id"]), "words": record["words"], "labels": labels,
                    "probs": [[round(float(p), 6) for p in row] for row in probs]})
    write_jsonl(output_path, out)
    argmax = [[labels[int(i)] for i in np.asarray(p).argmax(-1)] for p in probabilities]
    write_json(stats_path, {"teacher": str(model_dir), "sentences": len(out), "words": sum(len(r["words"]) for r in out),
                            "labels": labels, "mapping": tagger.mapping, "argmax_entities": _count_entities(argmax),
                            "mean_max_probability": round(float(np.mean([p.max(-1).mean() for p in probabilities])), 4)})


def read_soft_labels(path, entity_types, ids_path=None):
    import numpy as np

    from .train import label_list

    labels = label_list(entity_types)
    records = read_jsonl(path, required=("id", "words", "labels", "probs"))
    items = []
    for record in records:
        if record["labels"] != labels:
            raise InputError(path, f"label list {record['labels']} differs from the experiment's {labels}",
                             record["_line"])
        probs = np.asarray(record["probs"], dtype=np.float32)
        if probs.shape != (len(record["words"]), len(labels)):
            raise InputError(path, f"probs has shape {probs.shape}, expected ({len(record['words'])}, "
                                   f"{len(labels)})", record["_line"])
        items.append((str(record["id"]), record["words"], probs))
    items, stats = _select(items, ids_path)
    return [(words, probs) for _, words, probs in items], stats


def train_distilled(soft_path, encoder, output_dir, entity_types, settings, kd, ids_path=None):
    """Teacher-student student: a fresh encoder fitted to the teacher's soft labels on N target sentences."""
    from .train import label_list, train_tagger

    examples, stats = read_soft_labels(soft_path, entity_types, ids_path)
    return train_tagger(encoder, examples, label_list(entity_types), output_dir, settings, soft=True, kd=kd,
                        extra_record=_train_record(soft_path, ids_path, stats))


def evaluate(model_dir, test_path, metrics_path, predictions_path, entity_types, settings=None, max_length=128,
             scheme=None, label_map=None):
    from .evaluate import predict_tags, score, write_predictions
    from .train import label_list, load_training_record

    test, test_stats = read_conll(test_path, "iob2", {}, entity_types)
    predicted, mapping = predict_tags(model_dir, [s.tokens for s in test], label_list(entity_types),
                                      max_length=max_length, scheme=scheme, label_map=label_map)
    write_predictions(predictions_path, test, predicted)
    scores = score([s.tags for s in test], predicted)
    record = load_training_record(model_dir)
    test_types = sorted(test_stats.entities)
    write_json(metrics_path, {
        **scores,
        "run": (settings or {}).get("run"),
        "test": {"file": str(test_path), "sentences": test_stats.sentences, "tokens": test_stats.tokens,
                 "words_predicted": sum(len(p) for p in predicted), "entities": dict(sorted(test_stats.entities.items()))},
        "model": str(model_dir), "encoder": record.get("encoder"),
        "hub_snapshots": _snapshots(record.get("encoder"), model_dir),
        "seed": record.get("settings", {}).get("seed"),
        "label_space": {**mapping, "test_types_model_cannot_predict":
                        [t for t in test_types if t in mapping["target_types_missing_from_model"]]},
        "train": {k: record.get(k) for k in ("settings", "steps", "targets", "kd", "sentences", "sentences_requested",
                                             "sentences_missing_upstream", "chunks", "final_train_loss", "dev")},
        "settings": settings or {},
        "versions": package_versions(),
    })
    return scores


def _snapshots(*paths):
    """Id and commit of each Hub snapshot among `paths` (`xlner fetch-model` records them), else nothing."""
    from .hub import fetched_record

    return {str(p): r for p in paths if p and (r := fetched_record(p))} or None


def predict(model_dir, input_path, output_path, fmt="auto", max_length=128):
    """Tag a CoNLL file (first column) or raw text (one sentence per line) with any saved tagger; writes
    `token<TAB>tag` lines in the model's own classes, IOB2."""
    from .inference import Tagger

    if fmt == "auto":
        fmt = "text" if Path(input_path).suffix in (".txt", ".text") else "conll"
    sentences = _read_words(input_path, fmt)
    if not sentences:
        raise InputError(input_path, "no sentences to tag")
    tags, repaired = Tagger(model_dir, None, max_length=max_length).valid_tags(sentences)
    if repaired:
        log.info("%d orphan I- tags written as B- (valid IOB2)", repaired)
    write_conll(output_path, [Sentence(w, t) for w, t in zip(sentences, tags)])
    return len(sentences)
