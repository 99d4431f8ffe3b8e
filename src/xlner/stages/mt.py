"""Machine-translation stages: translate a CoNLL file's sentences, back-translate marked source sentences."""
from tqdm import tqdm

from xlner.formats.atomic import write_json, write_jsonl
from xlner.formats.conll import read_conll
from xlner.formats.jsonl import attach_source_tags, clean, read_jsonl, require_field
from xlner.mt.backtranslate import ApertiumMarkupTranslator, back_translate_apertium, back_translate_marker_model
from xlner.mt.translate import HFSeq2SeqTranslator, make_translator, translate_sentences
from xlner.pacing import pause
from xlner.provenance import package_versions
from xlner.stages.data import shard_of


def translate(input_path, output_path, stats_path, settings, swap=False, whitespace=True, shard=None):
    """Translate the sentences of a CoNLL file (MTSettings). swap: the translation becomes the source side and
    the input the target side (translate-test: the target test set is translated into English, whose labels
    are then projected back onto the original words). whitespace=False: the target language is written
    without spaces (ja, th, zh; paper.md §2.2): its words are joined with "" for MT, and MT output in it is
    split into characters (Latin letters and digits stay words), as PAN-X tokenises it. shard "i/n": only
    every n-th sentence from the i-th (`xlner gather` merges the shards). The input is a CoNLL file (ids: sentence
    numbers) or an unlabelled pool's JSONL ({"id", "words"}: target-side projection keeps the pool's ids)."""
    if str(input_path).endswith(".jsonl"):
        sentences = [(str(r["id"]), r["words"]) for r in read_jsonl(input_path, required=("id", "words"))]
    else:
        sentences = [(s.id, s.tokens) for s in read_conll(input_path, "iob2", {}, None)[0]]
    translator = make_translator(settings)
    pairs = shard_of(sentences, shard)
    segmentation = "words" if whitespace else "characters"
    with tqdm(total=len(pairs), desc="translate", unit="sent") as bar:
        records, failed = translate_sentences(
            translator, pairs, progress=lambda n: (bar.update(n), pause()),
            join="" if (swap and not whitespace) else " ", segmentation="words" if swap else segmentation)
    if swap:
        records = [{"id": r["id"], "src_tokens": r["tgt_tokens"], "src_text": r["tgt_text"],
                    "tgt_tokens": r["src_tokens"], **({"src_unknown": r["tgt_unknown"]} if "tgt_unknown" in r else {})}
                   for r in records]
    write_jsonl(output_path, records)
    marks = {}
    if getattr(translator, "marks", False):
        side = "src_unknown" if swap else "tgt_unknown"
        marks = {"mt_marks": dict(translator.mark_counts), "unknown_words": sum(len(r.get(side, ())) for r in records),
                 "unknown_not_placed": translator.unplaced_unknown, "lines_without_marks": translator.unmarked_lines}
    write_json(stats_path, {"sentences": len(pairs), "translated": len(records), "failed": len(failed),
                            "failed_ids": failed, "retried_batches": getattr(translator, "retried_batches", 0),
                            **marks, "mt": translator.describe()})

def back_translate(input_path, output_path, stats_path, settings, labels_path=None, entity_types=None):
    """Replace the source side of each line by a labelled back-translation (BackTranslationSettings): the
    marked source sentence translated into the target language. The target side (and its tgt_* fields) is
    kept, so `align` then aligns paraphrase and target monolingually. A line whose back-translation failed
    keeps no source words (it projects nothing) and is counted."""
    records = read_jsonl(input_path, required=("id", "src_tokens", "tgt_tokens"), entity_types=entity_types)
    if labels_path:
        attach_source_tags(records, labels_path, input_path, entity_types)
    require_field(records, input_path, "src_tags", "back-translation (give --labels)")
    items = [(r["src_tokens"], r["src_tags"]) for r in records]
    batch = {"batch_size": settings.batch_size} if settings.batch_size else {}
    if settings.backend == "apertium":
        translator = ApertiumMarkupTranslator(settings.mode, **batch)
        results, counts = back_translate_apertium(items, translator)
    else:
        translator = HFSeq2SeqTranslator(settings.model, settings.src_lang, settings.tgt_lang, **batch)
        results, counts = back_translate_marker_model(items, translator, settings.threshold)
    out = []
    for record, result in zip(records, results):
        words, tags = result if result else ([], [])
        # the source side is replaced: its alignment and its MT-unknown word indices no longer apply
        out.append({**{k: v for k, v in clean(record).items() if k not in ("alignment", "src_unknown")},
                    "english_tokens": record["src_tokens"], "src_tokens": words, "src_tags": tags})
    write_jsonl(output_path, out)
    write_json(stats_path, {"backend": translator.describe(), **counts,
                            "retried_batches": getattr(translator, "retried_batches", 0),
                            "similarity_threshold": settings.threshold if settings.backend == "hf" else None,
                            "versions": package_versions()})
