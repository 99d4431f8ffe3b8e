"""Score a tagger on gold IOB2 data with seqeval (strict mode, span-level micro P/R/F1 and per class).

Every gold word gets a prediction (long sentences are chunked, never truncated); predictions are written
as `token gold predicted` lines so anyone can re-score them with another tool.
"""
from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

from .atomic import atomic_open


def predict_tags(model_dir, sentences, target_labels, max_length=128, batch_size=64, scheme=None, label_map=None):
    """[[words]] -> ([[IOB2 tags]], label-space mapping record) with a saved token-classification model."""
    from .inference import Tagger

    tagger = Tagger(model_dir, target_labels, scheme, label_map, max_length, batch_size)
    return tagger.tags(sentences), tagger.mapping


def score(gold, predicted):
    """seqeval strict IOB2 scores, as percentages rounded to 2 decimals."""
    report = classification_report(gold, predicted, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
    per_class = {kind: {"precision": round(100 * v["precision"], 2), "recall": round(100 * v["recall"], 2),
                        "f1": round(100 * v["f1-score"], 2), "support": int(v["support"])}
                 for kind, v in report.items() if not kind.endswith(" avg")}
    micro = report["micro avg"]
    return {"precision": round(100 * micro["precision"], 2), "recall": round(100 * micro["recall"], 2),
            "f1": round(100 * micro["f1-score"], 2), "support": int(micro["support"]), "per_class": per_class}


def write_predictions(path, sentences, predicted):
    with atomic_open(path) as handle:
        for sentence, tags in zip(sentences, predicted):
            for token, gold, guess in zip(sentence.tokens, sentence.tags, tags):
                handle.write(f"{token} {gold} {guess}\n")
            handle.write("\n")
