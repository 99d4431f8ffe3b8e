"""Apply a saved tagger to words: per-word probabilities in the experiment's label space, and IOB2 tags.

Used by evaluation, zero-shot transfer, soft labels, model labelling of the source and `xlner predict`, so all
of them decode the same way: the first sub-token's distribution is the word's, tags are the most probable valid
IOB2 sequence (formats/decoding.py), long sentences are cut into
word chunks that fit the model (every word gets a prediction), and the model's label set is mapped onto
the experiment's (labelspace.py).
"""
import logging

from xlner.formats.conll import label_list
from xlner.formats.decoding import DECODING, decode_all
from xlner.models.labelspace import describe_mapping, detect_scheme, model_labels, split_label, to_target_probabilities
from xlner.models.tokens import load_tokenizer, predict_probabilities
from xlner.precision import autocast, resolve
from xlner.precision import record as precision_record

log = logging.getLogger(__name__)


class Tagger:
    """A loaded model that answers in `target_labels` (None: its own classes, IOB2)."""

    def __init__(self, model_dir, target_labels=None, scheme=None, label_map=None, max_length=128, batch_size=64,
                 precision="float32", tokenizer=None):
        import torch
        from transformers import AutoModelForTokenClassification

        self.tokenizer = tokenizer or load_tokenizer(model_dir)
        self.model = AutoModelForTokenClassification.from_pretrained(model_dir)
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.model.to(self.device)
        self.precision = precision_record(precision, resolve(precision, self.device), self.device)
        self.model_dir = str(model_dir)
        self.own_labels = model_labels(self.model)
        if target_labels is None:  # the model's own classes, as IOB2
            kinds = dict.fromkeys(split_label(label)[1] for label in self.own_labels)
            target_labels = label_list([kind for kind in kinds if kind])
        self.target_labels = list(target_labels)
        self.scheme = scheme or detect_scheme(self.own_labels)
        self.label_map = label_map or {}
        self.max_length = min(max_length, getattr(self.tokenizer, "model_max_length", max_length) or max_length)
        self.batch_size = batch_size
        self.mapping = {"model_labels": self.own_labels, "scheme": self.scheme, "label_map": self.label_map,
                        **describe_mapping(self.own_labels, self.target_labels, self.label_map)}
        self.identity = self.own_labels == self.target_labels and self.scheme == "iob2"
        if self.mapping["mapped_to_O"]:
            log.warning("%s: classes %s are not in the experiment; their probability goes to O",
                        model_dir, self.mapping["mapped_to_O"])
        if self.mapping["target_types_missing_from_model"]:
            log.warning("%s cannot predict %s (not in its label set %s)", model_dir,
                        self.mapping["target_types_missing_from_model"], self.own_labels)

    def probabilities(self, sentences):
        """[[words]] -> [words x target labels arrays]."""
        with autocast(self.precision["used"], self.device):
            raw = predict_probabilities(self.model, self.tokenizer, sentences, self.max_length, self.batch_size,
                                        self.device)
        if self.identity:
            return raw
        return [to_target_probabilities(p, self.own_labels, self.target_labels, self.scheme, self.label_map)
                for p in raw]

    def tags(self, sentences):
        """[[words]] -> ([[valid IOB2 tags]], number of words whose tag differs from the word-wise argmax): the
        constrained Viterbi decoding every user of a tagger shares (formats/decoding.py)."""
        return decode_all(self.probabilities(sentences), self.target_labels)


def predict_tags(model_dir, sentences, target_labels, max_length=128, batch_size=64, scheme=None, label_map=None,
                 precision="float32", tokenizer=None):
    """[[words]] -> ([[IOB2 tags]], label-space mapping record with the decoding and the precision) with a saved
    token-classification model."""
    tagger = Tagger(model_dir, target_labels, scheme, label_map, max_length, batch_size, precision, tokenizer)
    tags, changed = tagger.tags(sentences)
    return tags, {**tagger.mapping, "decoding": DECODING, "words_changed_from_argmax": changed,
                  "precision": tagger.precision}
