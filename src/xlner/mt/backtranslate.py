"""Back-translation refinement (paper.md §2.6, §9.5): translate the English sentence with its entities marked,
so the labels travel with the words, giving a labelled target-language paraphrase; it is then aligned to the
target sentence (same language) and projected through that alignment.

Two backends:
* Apertium with HTML markup (`apertium -f html`): each entity becomes <span class="TYPE eN">...</span>, and
  Apertium carries inline tags through transfer as word-bound blanks (offline.md A.1). Pieces of one entity
  that stay adjacent are merged; an entity split into non-adjacent pieces keeps its longest piece; every
  entity lost or split is counted.
* A Hugging Face marker model (EasyProject style, e.g. ychenNLP/nllb-200-3.3B-easyproject): `[ ]` around each
  entity, each entity string also translated on its own, and the bracketed spans of the output matched to
  those translations by `difflib` ratio. Unlike the authors' code (paper.md §8.11) the best match wins (not
  the last above the threshold), the brackets are not part of the compared strings, and unmatched brackets
  are removed from the words (and counted) instead of staying in the text.
"""
import html
import logging
import re
import shutil
import subprocess
from difflib import SequenceMatcher
from html.parser import HTMLParser

from xlner.formats.conll import spans_from_tags, tags_from_spans
from xlner.formats.words import split_words

log = logging.getLogger(__name__)

SIM_THRESHOLD = 0.5
_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_MARKED = re.compile(r"\[(.*?)\]")


# ---------------------------------------------------------------- Apertium HTML markup

def to_marked_html(tokens, tags):
    """One <p> paragraph with an HTML span per entity; `&`, `<`, `>` in tokens are escaped."""
    pieces, cursor = [], 0
    for index, (start, end, kind) in enumerate(spans_from_tags(tags)):
        pieces += [html.escape(t, quote=False) for t in tokens[cursor:start]]
        inner = " ".join(html.escape(t, quote=False) for t in tokens[start:end])
        pieces.append(f'<span class="{kind} e{index}">{inner}</span>')
        cursor = end
    pieces += [html.escape(t, quote=False) for t in tokens[cursor:]]
    return "<p>" + " ".join(pieces) + "</p>"


class _Segments(HTMLParser):
    """Text segments of one paragraph, each with the (type, entity id) of its enclosing span or None."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.segments, self.stack = [], []

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        self.stack.append((classes[0], classes[1]) if len(classes) == 2 else None)

    def handle_endtag(self, tag):
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        self.segments.append((data, self.stack[-1] if self.stack else None))


def from_marked_html(paragraph):
    """Translated paragraph -> (words, IOB2 tags, counts of split and lost pieces)."""
    parser = _Segments()
    parser.feed(paragraph)
    parser.close()
    words, owners = [], []
    for text, owner in parser.segments:
        for word in split_words(text):
            words.append(word)
            owners.append(owner)
    # Contiguous runs of the same entity id are its pieces.
    pieces = {}
    for i, owner in enumerate(owners):
        if owner is None:
            continue
        runs = pieces.setdefault(owner, [])
        if runs and runs[-1][1] == i:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1])
    spans, split = [], 0
    for (kind, _), runs in pieces.items():
        split += len(runs) > 1
        start, end = max(runs, key=lambda r: (r[1] - r[0], -r[0]))
        spans.append((start, end, kind))
    return words, tags_from_spans(len(words), sorted(spans)), {"split_entities": split,
                                                               "entities_out": len(spans)}


class ApertiumMarkupTranslator:
    def __init__(self, mode, batch_size=200, binary="apertium"):
        if shutil.which(binary) is None:
            raise RuntimeError(f"the Apertium CLI ({binary!r}) is not installed; on Debian/Ubuntu: "
                               f"sudo apt-get install apertium (and the package of mode {mode!r})")
        self.mode, self.batch_size, self.binary = mode, batch_size, binary
        self.retried_batches = 0

    def _run(self, paragraphs):
        done = subprocess.run([self.binary, "-f", "html", "-u", self.mode], input="\n".join(paragraphs) + "\n",
                              capture_output=True, text=True)
        return done.returncode, _PARAGRAPH.findall(done.stdout)

    def translate(self, paragraphs):
        """Marked paragraphs -> translated paragraph bodies (None where Apertium lost one)."""
        out = []
        for begin in range(0, len(paragraphs), self.batch_size):
            batch = paragraphs[begin:begin + self.batch_size]
            rc, found = self._run(batch)
            if rc == 0 and len(found) == len(batch):
                out += found
                continue
            self.retried_batches += 1
            log.warning("apertium -f html %s: batch at %d gave %d paragraphs for %d: retrying one by one",
                        self.mode, begin, len(found), len(batch))
            for paragraph in batch:
                rc1, one = self._run([paragraph])
                out.append(one[0] if rc1 == 0 and len(one) == 1 else None)
        return out

    def describe(self):
        return {"backend": "apertium-html", "mode": self.mode}


def back_translate_apertium(items, translator):
    """items: [(tokens, tags)] -> ([(words, tags) or None], counts)."""
    marked = [to_marked_html(tokens, tags) for tokens, tags in items]
    counts = {"sentences": len(items), "failed": 0, "entities_in": 0, "entities_out": 0, "split_entities": 0}
    results = []
    for (tokens, tags), body in zip(items, translator.translate(marked)):
        counts["entities_in"] += len(spans_from_tags(tags))
        words, out_tags, found = from_marked_html(f"<p>{body}</p>") if body is not None else ([], [], None)
        if not words:
            counts["failed"] += 1
            results.append(None)
            continue
        counts["entities_out"] += found["entities_out"]
        counts["split_entities"] += found["split_entities"]
        results.append((words, out_tags))
    counts["entities_lost"] = counts["entities_in"] - counts["entities_out"]
    return results, counts


# ---------------------------------------------------------------- EasyProject-style marker model

def to_bracketed(tokens, tags):
    """Tokens with `[` and `]` around every entity, joined by spaces; and the entity strings with labels."""
    pieces, cursor, entities = [], 0, []
    for start, end, kind in spans_from_tags(tags):
        pieces += tokens[cursor:start] + ["["] + tokens[start:end] + ["]"]
        entities.append((" ".join(tokens[start:end]), kind))
        cursor = end
    return " ".join(pieces + tokens[cursor:]), entities


def match_entities(translation, entity_translations, threshold=SIM_THRESHOLD):
    """Translated bracketed sentence + [(entity translation, type)] -> (words, tags, counts).

    Each bracketed span takes the remaining entity whose translation is most similar (difflib ratio on
    lower-cased text, brackets excluded) if that ratio exceeds `threshold`; the entity then leaves the pool."""
    def plain(text):  # words of a stretch of text, stray brackets dropped
        return [w for w in split_words(text) if w not in ("[", "]")]

    pool = list(entity_translations)
    words, spans = [], []
    unmatched, cursor = 0, 0
    for match in _MARKED.finditer(translation):
        words += plain(translation[cursor:match.start()])
        inner = plain(match.group(1))
        scores = [SequenceMatcher(None, match.group(1).strip().lower(), text.strip().lower()).ratio()
                  for text, _ in pool]
        best = max(range(len(pool)), key=lambda i: (scores[i], -i)) if pool else None
        if best is not None and scores[best] > threshold and inner:
            spans.append((len(words), len(words) + len(inner), pool.pop(best)[1]))
        else:
            unmatched += 1
        words += inner
        cursor = match.end()
    words += plain(translation[cursor:])
    return words, tags_from_spans(len(words), spans), {"unmatched_spans": unmatched, "entities_out": len(spans)}


def back_translate_marker_model(items, translator, threshold=SIM_THRESHOLD):
    """items: [(tokens, tags)]; translator: an HFSeq2SeqTranslator of a marker model (en -> target)."""
    bracketed = [to_bracketed(tokens, tags) for tokens, tags in items]
    sentences = translator.translate([b[0] for b in bracketed])
    strings = list(dict.fromkeys(text for _, entities in bracketed for text, _ in entities))
    translated = dict(zip(strings, translator.translate(strings))) if strings else {}
    counts = {"sentences": len(items), "failed": 0, "entities_in": 0, "entities_out": 0, "unmatched_spans": 0}
    results = []
    for (_, entities), sentence in zip(bracketed, sentences):
        counts["entities_in"] += len(entities)
        if not sentence:
            counts["failed"] += 1
            results.append(None)
            continue
        pool = [(translated.get(text) or text, kind) for text, kind in entities]
        words, tags, found = match_entities(sentence, pool, threshold)
        counts["entities_out"] += found["entities_out"]
        counts["unmatched_spans"] += found["unmatched_spans"]
        results.append((words, tags) if words else None)
        counts["failed"] += not words
    counts["entities_lost"] = counts["entities_in"] - counts["entities_out"]
    return results, counts
