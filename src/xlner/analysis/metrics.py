"""Scores of predicted tags against gold IOB2 tags with seqeval (strict mode, span-level micro P/R/F1 and per
class).

`seqeval.metrics` imports scikit-learn (1.4 s): it is imported by the two functions that score, not with this
module, so that stages which import it without scoring (projection, the translate-test projections: one job per
column and language) do not pay for it.
"""


def score(gold, predicted):
    """seqeval strict IOB2 scores, as percentages rounded to 2 decimals."""
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    report = classification_report(gold, predicted, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
    per_class = {kind: {"precision": round(100 * v["precision"], 2), "recall": round(100 * v["recall"], 2),
                        "f1": round(100 * v["f1-score"], 2), "support": int(v["support"])}
                 for kind, v in report.items() if not kind.endswith(" avg")}
    micro = report["micro avg"]
    return {"precision": round(100 * micro["precision"], 2), "recall": round(100 * micro["recall"], 2),
            "f1": round(100 * micro["f1-score"], 2), "support": int(micro["support"]), "per_class": per_class}


def conlleval_f1(gold, predicted):
    """Micro F1 (percent, 2 decimals) as conlleval.pl reads tags: seqeval's default mode, where an orphan `I-X`
    starts an entity. Equal to `score(...)["f1"]` when the predictions are valid IOB2."""
    from seqeval.metrics import f1_score

    return round(100 * f1_score(gold, predicted, zero_division=0), 2)
