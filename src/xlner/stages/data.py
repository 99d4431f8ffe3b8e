"""Data stages: read labelled datasets, label the source, build unlabelled pools, draw subsets, gather shards."""
from collections import Counter
from itertools import zip_longest
from pathlib import Path

from xlner.analysis.subsets import nested_subset
from xlner.errors import InputError
from xlner.formats.atomic import write_json, write_jsonl, write_text
from xlner.formats.conll import Sentence, label_list, read_conll, read_hf_dataset, spans_from_tags, write_conll
from xlner.formats.decoding import DECODING
from xlner.formats.jsonl import clean, read_jsonl
from xlner.formats.text import read_json
from xlner.formats.training import pool_ids
from xlner.formats.words import read_word_sentences
from xlner.models.inference import Tagger


def prepare(output_path, stats_path, entity_types, settings):
    """Read any CoNLL flavour or a Hugging Face dataset (DatasetSettings), normalise to IOB2, map labels, keep
    the first `max_sentences`."""
    if settings.hf:
        hf = {"config": None, "split": "test", "revision": None, **settings.hf}
        sentences, stats = read_hf_dataset(hf["id"], hf["config"], hf["split"], hf["revision"], settings.scheme,
                                           settings.label_map, entity_types, settings.max_sentences)
    else:
        sentences, stats = read_conll(settings.path, settings.scheme, settings.label_map, entity_types,
                                      settings.max_sentences)
    write_conll(output_path, sentences)
    write_json(stats_path, {"input": settings.path, "hf": settings.hf, "scheme": settings.scheme,
                            "label_map": settings.label_map, "max_sentences": settings.max_sentences,
                            **stats.as_dict()})


def label(input_path, output_path, stats_path, source, entity_types, model=None, scheme=None, label_map=None,
          precision="float32"):
    """Label the English source pool: `gold` keeps the dataset's labels, `model` tags it with an English
    tagger (the teacher, or any pretrained model: its label set is mapped as labelspace.py says)."""
    sentences, stats = read_conll(input_path, "iob2", {}, entity_types)
    record = {"source": source, **stats.as_dict()}
    if source == "model":
        if not model:
            raise InputError(input_path, "label source 'model' needs --model (a model directory or id)")
        tagger = Tagger(model, label_list(entity_types), scheme, label_map, precision=precision)
        tags, changed = tagger.tags([s.tokens for s in sentences])
        sentences = [Sentence(s.tokens, t, s.line, s.id) for s, t in zip(sentences, tags)]
        record.update(model=str(model), mapping=tagger.mapping, precision=tagger.precision, decoding=DECODING, words_changed_from_argmax=changed,
                      model_entities=count_entities(tags), gold_entities=record.pop("entities", None))
    write_conll(output_path, sentences)
    write_json(stats_path, record)


def count_entities(tag_lists):
    return dict(sorted(Counter(kind for tags in tag_lists for _, _, kind in spans_from_tags(tags)).items()))


def unlabelled(output_path, stats_path, settings):
    """An unlabelled target pool as JSONL {"id", "words"} (UnlabelledSettings): from a CoNLL file (its tags are
    dropped, never read as labels) or a text file with one sentence per line (tokenized like translations)."""
    words = read_word_sentences(settings.path, settings.format, settings.max_sentences)
    if not words:
        raise InputError(settings.path, "the unlabelled pool is empty (no sentences)")
    write_jsonl(output_path, [{"id": str(i), "words": w} for i, w in enumerate(words)])
    write_json(stats_path, {"input": str(settings.path), "format": settings.format, "sentences": len(words),
                            "words": sum(map(len, words)), "max_sentences": settings.max_sentences})


def subset(pool_path, size, seed, output_path):
    """Write the ids of a seeded subset; `size` "all" takes the whole pool."""
    ids = pool_ids(pool_path)
    if str(size) != "all" and int(size) > len(ids):
        raise InputError(pool_path, f"a subset of {size} sentences was asked from a pool of {len(ids)}")
    chosen = ids if str(size) == "all" else nested_subset(ids, int(size), seed)
    write_text(output_path, "".join(f"{i}\n" for i in chosen))


def shard_of(items, shard):
    """Items i, i+n, i+2n, ... for shard "i/n" (round robin, so `gather` restores the order exactly)."""
    if not shard:
        return items
    index, count = (int(x) for x in str(shard).split("/"))
    if not 0 <= index < count:
        raise ValueError(f"shard {shard!r}: need 0 <= i < n")
    return items[index::count]


def gather(shard_paths, output_path, stats_paths=(), stats_output=None):
    """Merge the round-robin shards of a JSONL file back into one, in the original order, and add up their
    statistics (numbers summed, lists joined, other values taken from the first shard)."""
    shards = [read_jsonl(p) if Path(p).stat().st_size else [] for p in shard_paths]
    merged = [clean(r) for group in zip_longest(*shards) for r in group if r is not None]
    write_jsonl(output_path, merged)
    if stats_output:
        total = {}
        for path in stats_paths:
            for key, value in read_json(path).items():
                if isinstance(value, (int, float)) and not isinstance(value, bool) and key in total:
                    total[key] += value
                elif isinstance(value, list) and key in total:
                    total[key] = total[key] + value
                else:
                    total.setdefault(key, value)
        total["shards"] = len(shard_paths)
        write_json(stats_output, total)
