"""Word-level token classification on sub-token encoders: encoding, chunking and prediction.

Labels sit on the first sub-token of each word (the others get -100 and are ignored by the loss), and the
prediction for a word is the one at its first sub-token. Sentences whose sub-tokens do not fit the window
are cut into consecutive word chunks that do, so every word is trained on and predicted — nothing is
truncated.
"""
import re
from pathlib import Path

import numpy as np

from xlner.errors import InputError

IGNORE = -100


def word_chunks(subtoken_counts, window):
    """Split words into consecutive [start, end) chunks whose sub-token totals fit in `window`.

    A single word longer than the window gets a chunk of its own (its tail sub-tokens are cut, its first
    sub-token — the one that carries the label — is kept).
    """
    chunks, start, used = [], 0, 0
    for i, count in enumerate(subtoken_counts):
        count = max(count, 1)
        if i > start and used + count > window:
            chunks.append((start, i))
            start, used = i, 0
        used += count
    if start < len(subtoken_counts) or not chunks:
        chunks.append((start, len(subtoken_counts)))
    return chunks


def encode_words(tokenizer, words, label_ids=None, max_length=128):
    """Encode one word chunk; label only first sub-tokens. Returns a feature dict with `word_index`."""
    encoding = tokenizer(words, is_split_into_words=True, truncation=True, max_length=max_length)
    word_ids = encoding.word_ids()
    first = []
    previous = None
    for position, word in enumerate(word_ids):
        first.append(word is not None and word != previous)
        previous = word
    feature = {"input_ids": encoding["input_ids"], "attention_mask": encoding["attention_mask"]}
    feature["word_index"] = [w if is_first else -1 for w, is_first in zip(word_ids, first)]
    if label_ids is not None:
        feature["labels"] = [label_ids[w] if is_first else IGNORE for w, is_first in zip(word_ids, first)]
    return feature


def subtoken_counts(tokenizer, words):
    encoding = tokenizer(words, is_split_into_words=True, add_special_tokens=False)
    counts = [0] * len(words)
    for word in encoding.word_ids():
        if word is not None:
            counts[word] += 1
    return counts


def encode_sentences(tokenizer, sentences, label2id=None, max_length=128):
    """[(words, tags or None)] -> (features, chunk map [(sentence index, word offset)], chunk count)."""
    window = max_length - tokenizer.num_special_tokens_to_add()
    features, owners = [], []
    for index, (words, tags) in enumerate(sentences):
        counts = subtoken_counts(tokenizer, words)
        for start, end in word_chunks(counts, window):
            labels = [label2id[t] for t in tags[start:end]] if tags is not None else None
            features.append(encode_words(tokenizer, words[start:end], labels, max_length))
            owners.append((index, start))
    return features, owners


def predict_probabilities(model, tokenizer, sentences, max_length=128, batch_size=64, device="cpu"):
    """Per-word probability vectors for each sentence (list of numpy arrays, words x labels)."""
    import torch

    features, owners = encode_sentences(tokenizer, [(words, None) for words in sentences], max_length=max_length)
    result = [np.zeros((len(words), model.config.num_labels), dtype=np.float32) for words in sentences]
    order = sorted(range(len(features)), key=lambda i: len(features[i]["input_ids"]))
    model.eval()
    pad = tokenizer.pad_token_id
    for start in range(0, len(order), batch_size):
        batch = [features[i] for i in order[start:start + batch_size]]
        width = max(len(f["input_ids"]) for f in batch)
        ids = torch.tensor([f["input_ids"] + [pad] * (width - len(f["input_ids"])) for f in batch])
        mask = torch.tensor([f["attention_mask"] + [0] * (width - len(f["attention_mask"])) for f in batch])
        with torch.no_grad():
            logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
        probs = torch.softmax(logits.float(), dim=-1).cpu().numpy()
        for row, feature_index in enumerate(order[start:start + batch_size]):
            sentence, offset = owners[feature_index]
            for position, word in enumerate(features[feature_index]["word_index"]):
                if word >= 0:
                    result[sentence][offset + word] = probs[row, position]
    return result


TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json", "sentencepiece.bpe.model",
                   "spiece.model")


HUB_ID = re.compile(r"^[\w.-]+(/[\w.-]+)?$")


def check_model_reference(name_or_path):
    """A local model directory must exist and hold a config.json; anything else must look like a Hub id."""
    path = Path(name_or_path)
    if path.is_dir():
        if not (path / "config.json").exists():
            raise InputError(path, "not a model directory: it has no config.json")
    elif path.exists():
        raise InputError(path, "is a file; a model is a directory (or a Hugging Face id)")
    elif not HUB_ID.match(str(name_or_path)) or str(name_or_path).startswith("."):
        raise InputError(path, "no such model directory (and not a Hugging Face id)")


def load_tokenizer(name_or_path):
    """AutoTokenizer, refusing a model directory without tokenizer files.

    transformers 5 quietly builds an empty 5-token tokenizer for such a directory, which turns every word
    into [UNK] and yields all-O predictions; that must be an error naming the directory instead.
    """
    from transformers import AutoTokenizer

    check_model_reference(name_or_path)
    path = Path(name_or_path)
    if path.is_dir() and not any((path / name).exists() for name in TOKENIZER_FILES):
        raise InputError(path, f"no tokenizer in this model directory (none of {', '.join(TOKENIZER_FILES)}); "
                               "save one next to the weights with tokenizer.save_pretrained")
    try:
        tokenizer = AutoTokenizer.from_pretrained(name_or_path)
    except (OSError, ValueError, TypeError) as error:
        raise InputError(name_or_path, f"cannot load a tokenizer ({error})") from error
    if len(tokenizer) < 100:
        raise InputError(name_or_path, f"the tokenizer has only {len(tokenizer)} tokens (a missing vocabulary?)")
    return tokenizer
