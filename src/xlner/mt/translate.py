"""Machine translation backends. Each returns one translation (or None when it failed) per input sentence.

Apertium (offline, Debian packages) runs through its CLI in batches. It can lose lines silently: a crash in
one module of its pipeline truncates the output while `apertium` still exits 0 (offline.md A.1). Every batch
is therefore checked by line count; a failing batch is retried line by line; a sentence that still fails is
reported as None, which the caller drops and counts — never shifted onto its neighbour's translation.
"""
import difflib
import logging
import re
import shutil
import subprocess
from collections import Counter

from xlner.formats.words import split_characters, split_words, word_starts

log = logging.getLogger(__name__)


class TranslationBackendError(RuntimeError):
    pass


def _batches(items, size):
    for start in range(0, len(items), size):
        yield start, items[start:start + size]


# Apertium's marks (without `-u`): `*word` a word it does not know, copied as it is; `@word` a transfer error and
# `#word` a generation error (a lemma printed instead of a form), each right before the word.
MARKS = "*@#"
_MARK_BEFORE_WORD = re.compile(r"(?<!\w)[*@#](?=\w)")


class MarkedText(str):
    """A translation as `apertium -u` prints it; `unknown` holds the character offsets of the words Apertium
    marked `*` (unknown, copied verbatim) in the marked run, `marks` counts the marks of each kind, `unplaced` the
    unknown words that could not be placed in this text."""

    unknown: tuple = ()
    marks: dict = {}
    unplaced: int = 0


def _with(clean, unknown, marks, unplaced=0):
    text = MarkedText(clean)
    text.unknown, text.marks, text.unplaced = tuple(unknown), dict(marks), unplaced
    return text


def locate_marks(marked, clean):
    """The same sentence without `-u` (`marked`) and with it (`clean`, the text xlner keeps) -> MarkedText.

    Usually `marked` is `clean` plus mark characters, found by a two-pointer walk (`#*hashtag` against `#hashtag`
    finds the `*`; `-u` keeps a generation error's trailing `#`, `#make#` against `make#`). Apertium's output can
    differ beyond the marks, though (a/an before a marked word, a capital, about 1 line in 600 on the pools): then
    the words are matched (difflib) and an unknown word outside the matching blocks is not placed but counted."""
    unknown, marks, j = [], Counter(), 0
    for char in marked:
        if j < len(clean) and char == clean[j]:
            j += 1
        elif char in MARKS:
            marks[char] += 1
            if char == "*":
                unknown.append(j)
        else:
            break
    else:
        if j == len(clean):
            return _with(clean, unknown, marks)
    return _match_words(marked, clean)


def _match_words(marked, clean):
    marks = Counter(match.group() for match in _MARK_BEFORE_WORD.finditer(marked))
    unknown_starts = {match.end() - index - 1 for index, match in enumerate(_MARK_BEFORE_WORD.finditer(marked))
                      if match.group() == "*"}
    stripped = _MARK_BEFORE_WORD.sub("", marked)
    stripped_words, stripped_starts = split_words(stripped), word_starts(stripped)
    unknown_words = {k for k, start in enumerate(stripped_starts) if start in unknown_starts}
    clean_starts = word_starts(clean)
    placed = {}
    matcher = difflib.SequenceMatcher(None, stripped_words, split_words(clean), autojunk=False)
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            placed[block.a + offset] = clean_starts[block.b + offset]
    unknown = sorted(placed[k] for k in unknown_words if k in placed)
    return _with(clean, unknown, marks, unplaced=len(unknown_words) - len(unknown))


class ApertiumTranslator:
    """`apertium -u MODE` over stdin: the text xlner keeps. marks=True (the default) also runs it without `-u`, in
    the same batches, to learn which words Apertium did not know (`*`, copied as they are): MarkedText."""

    def __init__(self, mode, batch_size=500, binary="apertium", marks=True):
        self.mode = mode
        self.batch_size = batch_size
        self.binary = binary
        self.marks = marks
        if shutil.which(binary) is None:
            raise TranslationBackendError(
                f"the Apertium CLI ({binary!r}) is not installed; on Debian/Ubuntu: "
                f"sudo apt-get install apertium apertium-eng-spa (or the package for mode {mode!r})")
        self.retried_batches = 0
        self.mark_counts = Counter()  # marks by kind (`*` unknown, `@` transfer, `#` generation error)
        self.unplaced_unknown = 0  # unknown words not placed in the -u text (it differed beyond the marks)
        self.unmarked_lines = 0  # lines whose marked run failed: kept without positions

    def _run(self, lines, unmarked=True):
        text = "".join(line.replace("\n", " ") + "\n" for line in lines)
        done = subprocess.run([self.binary, *(["-u"] if unmarked else []), self.mode], input=text,
                              capture_output=True, text=True)
        out = done.stdout.split("\n")
        if out and out[-1] == "":
            out.pop()
        return done.returncode, out, done.stderr

    def _translate_batch(self, batch, start, unmarked):
        rc, out, err = self._run(batch, unmarked)
        if rc == 0 and len(out) == len(batch):
            return out
        self.retried_batches += unmarked  # the text's batches (a marked run's failure shows as lines without marks)
        log.warning("apertium %s%s: batch at sentence %d gave %d lines for %d (rc %d): retrying line by line",
                    "-u " if unmarked else "", self.mode, start, len(out), len(batch), rc)
        results = []
        for sentence in batch:
            rc1, out1, _ = self._run([sentence], unmarked)
            results.append(out1[0] if rc1 == 0 and len(out1) == 1 and out1[0].strip() else None)
        return results

    def _with_marks(self, clean, marked):
        if clean is None:
            return None
        if marked is None:
            self.unmarked_lines += 1
            return MarkedText(clean)
        text = locate_marks(marked, clean)
        self.mark_counts.update(text.marks)
        self.unplaced_unknown += text.unplaced
        return text

    def translate(self, sentences, progress=None):
        results = []
        for start, batch in _batches(sentences, self.batch_size):
            clean = self._translate_batch(batch, start, unmarked=True)
            if self.marks:  # same batch, same context: Apertium's output of a line depends on its neighbours
                marked = self._translate_batch(batch, start, unmarked=False)
                clean = [self._with_marks(c, m) for c, m in zip(clean, marked)]
            results.extend(clean)
            if progress:
                progress(len(batch))
        return results

    def describe(self):
        version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "apertium"], capture_output=True, text=True)
        return {"backend": "apertium", "mode": self.mode, "apertium_version": version.stdout.strip() or "unknown",
                "text": "apertium -u", "unknown_words": "from a second run without -u" if self.marks else None}


class HFSeq2SeqTranslator:
    """Any Hugging Face seq2seq MT model (NLLB, M2M100, Marian), by Hub id or local path."""

    def __init__(self, model, src_lang=None, tgt_lang=None, batch_size=16, max_new_tokens=256, num_beams=4,
                 device=None, dtype=None):
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        self.model_name = model
        self.src_lang, self.tgt_lang = src_lang, tgt_lang
        self.batch_size = batch_size
        self.generation = {"max_new_tokens": max_new_tokens, "num_beams": num_beams, "do_sample": False}
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        # Half precision on a GPU unless told otherwise (NLLB-3.3B: about 6.6 GB instead of 13, and faster).
        self.dtype = dtype or ("float16" if self.device == "cuda" else "float32")
        torch_dtype = getattr(torch, self.dtype)
        self.tokenizer = AutoTokenizer.from_pretrained(model, **({"src_lang": src_lang} if src_lang else {}))
        self.model = AutoModelForSeq2SeqLM.from_pretrained(model, dtype=torch_dtype).to(self.device).eval()

    def _forced_bos(self):
        if not self.tgt_lang:
            return {}
        token_id = self.tokenizer.convert_tokens_to_ids(self.tgt_lang)
        if token_id is None or token_id == self.tokenizer.unk_token_id:
            raise TranslationBackendError(f"{self.model_name}: target language code {self.tgt_lang!r} is not a "
                                          f"token of its tokenizer")
        return {"forced_bos_token_id": token_id}

    def translate(self, sentences, progress=None):
        import torch

        # Sort by length so each batch pads little; restore the order afterwards.
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        results = [None] * len(sentences)
        extra = self._forced_bos()
        for _, batch_ids in _batches(order, self.batch_size):
            batch = [sentences[i] for i in batch_ids]
            encoded = self.tokenizer(batch, return_tensors="pt", padding=True).to(self.device)
            with torch.no_grad():
                generated = self.model.generate(**encoded, **self.generation, **extra)
            for i, text in zip(batch_ids, self.tokenizer.batch_decode(generated, skip_special_tokens=True)):
                results[i] = text if text.strip() else None
            if progress:
                progress(len(batch))
        return results

    def describe(self):
        return {"backend": "hf", "model": self.model_name, "src_lang": self.src_lang, "tgt_lang": self.tgt_lang,
                "generation": self.generation, "device": str(self.device), "dtype": self.dtype,
                "batch_size": self.batch_size, "batching": "length-sorted"}


def make_translator(settings):
    """Build a translator from MTSettings (a language's `mt` block)."""
    if settings.backend == "apertium":
        return ApertiumTranslator(settings.mode, batch_size=settings.batch_size or 500)
    return HFSeq2SeqTranslator(settings.model, settings.src_lang, settings.tgt_lang,
                               batch_size=settings.batch_size or 16, max_new_tokens=settings.max_new_tokens,
                               num_beams=settings.num_beams, dtype=settings.dtype)


def translate_sentences(translator, sentences, progress=None, join=" ", segmentation="words"):
    """[(id, source tokens)] -> (records for the translated ones, ids that failed).

    Each record: {"id", "src_tokens", "tgt_text", "tgt_tokens"}; the translation is split into words by
    `xlner.formats.words.split_words` (or `split_characters` for languages written without spaces), the same for
    every backend. `join` glues the source tokens ("" for a source language without spaces). Where the backend
    marks the words it did not know (Apertium), `tgt_unknown` lists their indices in tgt_tokens.
    """
    split = split_words if segmentation == "words" else split_characters
    texts = [join.join(tokens) for _, tokens in sentences]
    outputs = translator.translate(texts, progress=progress)
    records, failed = [], []
    for (sentence_id, tokens), text in zip(sentences, outputs):
        words = split(text) if text is not None else []
        if not words:
            failed.append(sentence_id)
            continue
        record = {"id": sentence_id, "src_tokens": tokens, "tgt_text": str(text), "tgt_tokens": words}
        if isinstance(text, MarkedText) and segmentation == "words":
            record["tgt_unknown"] = unknown_word_indices(text)
        records.append(record)
    return records, failed


def unknown_word_indices(text):
    """Indices of the words of a MarkedText that start where Apertium put an unknown-word mark."""
    unknown = set(text.unknown)
    return [index for index, start in enumerate(word_starts(text)) if start in unknown]

