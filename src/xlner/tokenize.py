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

_TOKEN = re.compile(r"(?:[^\W\d_]\.){2,}|\d+(?:[.,]\d+)+|[^\W_]+(?:['’\-][^\W_]+)*|\S", re.UNICODE)


def split_words(text):
    return _TOKEN.findall(text)
