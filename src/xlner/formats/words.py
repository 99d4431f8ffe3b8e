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

from xlner.formats.conll import conll_rows
from xlner.formats.text import read_lines

_TOKEN = re.compile(r"(?:[^\W\d_]\.){2,}|\d+(?:[.,]\d+)+|[^\W_]+(?:['’\-][^\W_]+)*|\S", re.UNICODE)


def split_words(text):
    return _TOKEN.findall(text)


def word_starts(text):
    """The character offset where each word of `split_words(text)` starts (same tokenizer)."""
    return [match.start() for match in _TOKEN.finditer(text)]


_CHARACTER_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[.,'’\-][A-Za-z0-9]+)*|\S", re.UNICODE)


def split_characters(text):
    """For languages written without spaces (ja, th, zh): every character is a token, except runs of Latin
    letters and digits, which stay words. This is how PAN-X tokenises those languages (and EasyProject's
    Japanese/Thai splitter), so projected training data matches the test data."""
    return _CHARACTER_TOKEN.findall(text)


def read_word_sentences(path, fmt, max_sentences=None):
    """[[words]] from CoNLL (first column; tags, if any, ignored) or raw text (one sentence per line)."""
    if fmt == "conll":
        return [tokens for tokens, _, _ in conll_rows(path, max_sentences, tags=False)]
    sentences = []
    for _, text in read_lines(path):
        if text.strip():
            sentences.append(split_words(text))
            if max_sentences and len(sentences) >= max_sentences:
                break
    return sentences
