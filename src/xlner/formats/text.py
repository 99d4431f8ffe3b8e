"""The one way xlner reads lines of text, for every format (CoNLL, raw text, JSONL, id lists, predictions).

Decisions, applied to every reader alike:
- UTF-8 only; a byte that is not UTF-8 is an error naming the line.
- A UTF-8 byte-order mark at the start of the file (Windows editors write one) is dropped, so it never becomes
  part of the first token or hides a `-DOCSTART-` line.
- Line ends \\n, \\r\\n and a lone \\r (old Mac files) all end a line, so such a file never collapses into one line.
"""
from xlner.errors import InputError, quote

BOM = b"\xef\xbb\xbf"


def read_lines(path):
    """Yield (line number, text without its line end) for each line of a file."""
    try:
        data = open(path, "rb").read()
    except IsADirectoryError:
        raise InputError(path, "is a directory, not a file") from None
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    if data.startswith(BOM):
        data = data[len(BOM):]
    # bytes.splitlines splits at \n, \r\n and \r only (unlike str.splitlines, which also splits at \x1c, \x85, ...)
    for line_no, raw in enumerate(data.splitlines(), start=1):
        try:
            yield line_no, raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InputError(path, f"not valid UTF-8 (byte {error.start}: {quote(raw[error.start:error.start + 1])})",
                             line_no) from None


def read_json(path, kind=dict):
    """A JSON file (statistics, metrics, records of a model directory): a truncated or malformed file is an error
    naming the file and line, not a traceback."""
    import json

    text = "\n".join(line for _, line in read_lines(path))
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(path, f"not valid JSON: {error.msg} (column {error.colno})", error.lineno) from None
    if not isinstance(value, kind):
        raise InputError(path, f"expected a JSON {'object' if kind is dict else kind.__name__}, got {quote(value)}")
    return value
