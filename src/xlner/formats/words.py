"""The one word tokenizer xlner applies to machine-translated text, whatever the MT backend.

Rules, in order of precedence at each position:
  1. initials and dotted abbreviations of single letters (`R.H.`, `U.S.`), and numbers with inner `.`/`,`
     separators (`3.5`, `1,000`);
  2. a word of letters/digits/marks, with inner apostrophes or hyphens kept (`d'Alemanya`, `2-0`, `São`);
  3. any other single non-space character (punctuation and symbols are tokens of their own).
Whitespace separates tokens and is never part of one. This matches how CoNLL and WikiANN tokenise
(punctuation split off, hyphenated words and decimals kept whole), so translated training data looks like
the gold test data. Languages written without spaces (ja, th, zh) need a script-specific splitter instead.
"""
import re

from xlner.errors import InputError

_TOKEN = re.compile(r"(?:[^\W\d_]\.){2,}|\d+(?:[.,]\d+)+|[^\W_]+(?:['’\-][^\W_]+)*|\S", re.UNICODE)


def split_words(text):
    return _TOKEN.findall(text)


_CHARACTER_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[.,'’\-][A-Za-z0-9]+)*|\S", re.UNICODE)


def split_characters(text):
    """For languages written without spaces (ja, th, zh): every character is a token, except runs of Latin
    letters and digits, which stay words. This is how PAN-X tokenises those languages (and EasyProject's
    Japanese/Thai splitter), so projected training data matches the test data."""
    return _CHARACTER_TOKEN.findall(text)


def read_word_sentences(path, fmt, max_sentences=None):
    """[[words]] from CoNLL (first column; tags, if any, ignored) or raw text (one sentence per line)."""
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
