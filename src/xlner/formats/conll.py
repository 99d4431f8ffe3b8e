"""Read and write CoNLL-style NER files, and convert between tag sequences and entity spans.

Accepted input: one token per line with the tag in the last column (2 columns `token TAG`, or 4 columns
`token POS chunk TAG` as in CoNLL-2003), columns separated by tabs or spaces, a blank line between
sentences, `-DOCSTART-` lines ignored. Tags are read in the scheme the dataset declares (`iob1` or `iob2`)
and always returned as IOB2. Classes named in `label_map` are mapped (e.g. MISC -> O) and counted; a class
that is neither mapped nor in `entity_types` is an error, as is any malformed line.
"""
from collections import Counter
from dataclasses import dataclass, field

from xlner.errors import InputError, SettingsError, quote
from xlner.formats.atomic import atomic_open
from xlner.formats.text import read_lines

SCHEMES = ("iob1", "iob2")


def label_list(entity_types):
    """The experiment's IOB2 label list: O, then B-X and I-X for each type in order."""
    return ["O"] + [f"{prefix}-{kind}" for kind in entity_types for prefix in ("B", "I")]


@dataclass
class Sentence:
    tokens: list
    tags: list
    line: int = 0  # 1-based line of the sentence's first token in its file; 0 when not read from a file
    id: str = ""


@dataclass
class ReadStats:
    sentences: int = 0
    tokens: int = 0
    entities: Counter = field(default_factory=Counter)
    mapped_entities: Counter = field(default_factory=Counter)  # class -> entities mapped away, by target
    repaired_iob1: int = 0
    empty_sentences_skipped: int = 0

    def as_dict(self):
        return {
            "sentences": self.sentences, "tokens": self.tokens, "entities": dict(self.entities),
            "mapped_entities": dict(self.mapped_entities), "iob1_tags_rewritten_as_b": self.repaired_iob1,
            "empty_sentences_skipped": self.empty_sentences_skipped,
        }


def spans_from_tags(tags):
    """IOB2 tags -> [(start, end_exclusive, type)]. An `I-` that continues nothing starts a new span."""
    spans = []
    for i, tag in enumerate(tags):
        if tag == "O":
            continue
        prefix, kind = tag.split("-", 1)
        if prefix == "I" and spans and spans[-1][1] == i and spans[-1][2] == kind:
            spans[-1] = (spans[-1][0], i + 1, kind)
        else:
            spans.append((i, i + 1, kind))
    return spans


def tags_from_spans(length, spans):
    """[(start, end, type)] -> IOB2 tags; spans must not overlap."""
    tags = ["O"] * length
    for start, end, kind in spans:
        tags[start] = f"B-{kind}"
        for k in range(start + 1, end):
            tags[k] = f"I-{kind}"
    return tags


def _parse_tag(tag, path, line_no):
    if tag == "O":
        return "O", None
    if len(tag) > 2 and tag[1] == "-" and tag[0] in "BI":
        return tag[0], tag[2:]
    raise InputError(path, f"malformed tag {quote(tag)} (expected O, B-TYPE or I-TYPE)", line_no)


def _normalise(raw, scheme, label_map, entity_types, path, lines, stats):
    """Raw tags of one sentence -> IOB2 tags with classes mapped; validate as we go."""
    tags = []
    previous = "O"
    for tag, line_no in zip(raw, lines):
        prefix, kind = _parse_tag(tag, path, line_no)
        if kind is None:
            tags.append("O")
            previous = "O"
            continue
        if entity_types is not None and kind not in entity_types and kind not in label_map:
            raise InputError(path, f"unknown entity class {kind!r} in tag {tag!r} (known: "
                                   f"{', '.join(sorted(entity_types))}; map others with label_map)", line_no)
        continues = previous != "O" and previous[2:] == kind
        if prefix == "I" and not continues:
            if scheme == "iob2":
                raise InputError(path, f"tag {tag!r} follows {previous!r}: an I- tag must continue an entity "
                                       f"of the same class in an IOB2 file (is the file IOB1?)", line_no)
            prefix = "B"  # IOB1: I- starts an entity unless it continues one
            stats.repaired_iob1 += 1
        tags.append(f"{prefix}-{kind}")
        previous = tags[-1]
    # Map classes on spans, so an entity is counted once and never leaves a dangling I-.
    kept = []
    for start, end, kind in spans_from_tags(tags):
        target = label_map.get(kind, kind)
        if target != kind:
            stats.mapped_entities[f"{kind}->{target}"] += 1
        if target != "O":
            kept.append((start, end, target))
            stats.entities[target] += 1
    return tags_from_spans(len(tags), kept)


def sentences_from_rows(rows, source, scheme="iob2", label_map=None, entity_types=("PER", "ORG", "LOC")):
    """[(tokens, raw tags, [line or row number per token])] -> (Sentences in IOB2, ReadStats).

    The one normalisation path for every input (CoNLL files, Hugging Face datasets); `source` names the input
    in error messages.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown tag scheme {scheme!r}; use one of {SCHEMES}")
    label_map = dict(label_map or {})
    entity_types = set(entity_types) if entity_types is not None else None  # None: any class
    for kind, target in label_map.items():
        if entity_types is not None and target != "O" and target not in entity_types:
            raise SettingsError(f"label_map maps {kind} to {target!r}, which is neither O nor one of the entity "
                                f"types {sorted(entity_types)}")
    stats = ReadStats()
    sentences = []
    for tokens, raw, lines in rows:
        if not tokens:
            stats.empty_sentences_skipped += 1
            continue
        tags = _normalise(raw, scheme, label_map, entity_types, source, lines, stats)
        sentences.append(Sentence(list(tokens), tags, lines[0], str(len(sentences))))
        stats.sentences += 1
        stats.tokens += len(tokens)
    if not sentences:
        raise InputError(source, "no sentences found (empty file?)")
    return sentences, stats


def conll_rows(path, max_sentences=None, tags=True):
    """Yield (tokens, tags, line numbers) per sentence of a CoNLL/TSV file, checking each line. Columns are
    tab-separated when the line has a tab (a token may then hold spaces), else space-separated; the token is the
    first column and the tag the last. tags=False: a token per line and nothing else needed (unlabelled text,
    `xlner predict`); tags are then empty lists."""
    tokens, raw, lines = [], [], []
    n_columns = None
    produced = 0
    for line_no, text in read_lines(path):
        if not text.strip():
            if tokens:
                yield tokens, raw, lines
                produced += 1
                tokens, raw, lines = [], [], []
                if max_sentences is not None and produced >= max_sentences:
                    return
            continue
        columns = text.split("\t") if "\t" in text else text.split()
        if columns[0].startswith("-DOCSTART-"):
            continue
        if tags and len(columns) < 2:
            raise InputError(path, f"expected a token and a tag, found {len(columns)} column(s): {quote(text)}",
                             line_no)
        if n_columns is None:
            n_columns = len(columns)
        elif tags and len(columns) != n_columns:
            raise InputError(path, f"found {len(columns)} columns where earlier lines have {n_columns}: "
                                   f"{quote(text)}", line_no)
        token = columns[0]
        if not token.strip():
            raise InputError(path, "empty token", line_no)
        tokens.append(token)
        lines.append(line_no)
        if tags:
            tag = columns[-1].strip()
            if not tag:
                raise InputError(path, "empty tag", line_no)
            raw.append(tag)
    if tokens:
        yield tokens, raw, lines


def read_conll(path, scheme="iob2", label_map=None, entity_types=("PER", "ORG", "LOC"), max_sentences=None):
    """Read a CoNLL/TSV NER file into Sentences with IOB2 tags. Returns (sentences, ReadStats)."""
    return sentences_from_rows(conll_rows(path, max_sentences), path, scheme, label_map, entity_types)


def read_hf_dataset(dataset_id, config=None, split="test", revision=None, scheme="iob2", label_map=None,
                    entity_types=("PER", "ORG", "LOC"), max_sentences=None, tokens_column="tokens",
                    tags_column="ner_tags"):
    """Read a Hugging Face token-classification dataset (Hub id or local directory) like a CoNLL file.

    Tag ids are turned into names with the dataset's own `ClassLabel` feature; rows count as "lines" in errors.
    """
    from datasets import load_dataset

    dataset = load_dataset(dataset_id, config, split=split, revision=revision)
    names = dataset.features[tags_column].feature.names
    source = f"{dataset_id}[{config or 'default'}/{split}]"
    if max_sentences is not None:
        dataset = dataset.select(range(min(max_sentences, len(dataset))))

    def rows():
        for row_no, row in enumerate(dataset, start=1):
            yield row[tokens_column], [names[i] for i in row[tags_column]], [row_no] * len(row[tokens_column])

    return sentences_from_rows(rows(), source, scheme, label_map, entity_types)


def write_conll(path, sentences, columns=None):
    """Write `token<TAB>tag` lines (or extra columns from `columns(sentence)`), blank line between sentences."""
    with atomic_open(path) as handle:
        for sentence in sentences:
            rows = columns(sentence) if columns else zip(sentence.tokens, sentence.tags)
            for row in rows:
                handle.write("\t".join(row) + "\n")
            handle.write("\n")


# --- predictions: `token gold predicted` lines, so anyone can re-score them with another tool ----------------

def write_predictions(path, sentences, predicted):
    with atomic_open(path) as handle:
        for sentence, tags in zip(sentences, predicted):
            for token, gold, guess in zip(sentence.tokens, sentence.tags, tags):
                handle.write(f"{token} {gold} {guess}\n")
            handle.write("\n")


def read_predictions(path):
    """`token gold predicted` lines -> (gold tag lists, predicted tag lists)."""
    gold, predicted, g, p = [], [], [], []
    for line_no, line in read_lines(path):
        parts = line.split()
        if not parts:
            if g:
                gold.append(g), predicted.append(p)
                g, p = [], []
            continue
        if len(parts) < 3:
            raise InputError(path, f"expected `token gold predicted`, found {quote(line)}", line_no)
        g.append(parts[-2]), p.append(parts[-1])
    if g:
        gold.append(g), predicted.append(p)
    return gold, predicted
