"""Projection as matching, step 1: a corpus in flat arrays, and the target candidate spans of each sentence.

Politov et al. (paper.md §3.2) match each source entity to one of a set of target candidate spans. Everything
here works on a whole batch of sentences at once with numpy, so no Python loop runs per candidate: the
authors' pure-Python version spends most of its time there (paper.md §8.6).

Spans are half-open [start, end) word ranges. Candidate generators:
* `ngram_candidates`: every span of 1..max_len words that contains no stop word (`!`, `?`);
* `window_candidates`: the n-grams inside each entity's aligned window [leftmost, rightmost aligned target
  word] (the thesis's `AlignedContiniousSubrangeExtractor`, lossless for the alignment score), union per sentence;
* `listed_candidates`: spans given on the line (`tgt_candidates`, e.g. a NER model's predictions);
* `subspan_candidates`: the listed ones and their parts cut at punctuation (`split_candidates`, xlner): the teacher's
  boundaries stay the outer limit, but a span it merged ("San Francisco , California") can be matched part by part.
"""
from dataclasses import dataclass
from itertools import chain

import numpy as np

from xlner.formats.conll import spans_from_tags

STOP_WORDS = frozenset({"!", "?"})


def _flat(lists, dtype=np.int64):
    return np.fromiter(chain.from_iterable(lists), dtype=dtype)


def segment_aranges(counts):
    """For counts [2, 3] -> [0, 1, 0, 1, 2]: the position of each item inside its segment."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - starts


@dataclass
class Corpus:
    """Sentences flattened into arrays. Target words of sentence i are global positions
    tgt_offset[i] .. tgt_offset[i] + n_tgt[i] - 1; source entities and alignment links carry their sentence."""
    n_tgt: np.ndarray
    tgt_offset: np.ndarray
    stop: np.ndarray           # per global target word: is a stop word
    punct: np.ndarray          # per global target word: has no letter or digit (",", "(", "''")
    ent_sent: np.ndarray
    ent_start: np.ndarray
    ent_end: np.ndarray
    ent_kind: list             # type name per entity
    link_sent: np.ndarray
    link_src: np.ndarray
    link_tgt: np.ndarray

    @property
    def n_sentences(self):
        return len(self.n_tgt)

    @classmethod
    def build(cls, src_tags, tgt_tokens, alignments, stop_words=STOP_WORDS):
        """src_tags: IOB2 per sentence; tgt_tokens: words per sentence; alignments: (src, tgt) pairs per sentence."""
        n_tgt = np.fromiter((len(t) for t in tgt_tokens), dtype=np.int64, count=len(tgt_tokens))
        tgt_offset = np.cumsum(n_tgt) - n_tgt
        stop = np.fromiter((w in stop_words for w in chain.from_iterable(tgt_tokens)), dtype=bool,
                           count=int(n_tgt.sum()))
        punct = np.fromiter((not any(c.isalnum() for c in w) for w in chain.from_iterable(tgt_tokens)), dtype=bool,
                            count=int(n_tgt.sum()))
        entities = [spans_from_tags(tags) for tags in src_tags]
        counts = [len(e) for e in entities]
        flat = list(chain.from_iterable(entities))
        n_links = [len(a) for a in alignments]
        links = np.array(list(chain.from_iterable(alignments)), dtype=np.int64).reshape(-1, 2)
        return cls(
            n_tgt=n_tgt, tgt_offset=tgt_offset, stop=stop, punct=punct,
            ent_sent=np.repeat(np.arange(len(counts)), counts),
            ent_start=np.array([e[0] for e in flat], dtype=np.int64),
            ent_end=np.array([e[1] for e in flat], dtype=np.int64),
            ent_kind=[e[2] for e in flat],
            link_sent=np.repeat(np.arange(len(n_links)), n_links),
            link_src=links[:, 0], link_tgt=links[:, 1],
        )

    def entity_of_links(self):
        """The entity each alignment link's source word belongs to (-1: none). Source entities never overlap."""
        if not len(self.link_src) or not len(self.ent_sent):
            return np.full(len(self.link_src), -1, dtype=np.int64)
        # Entities are sorted by (sentence, start): find the last entity starting at or before the link.
        ent_key = self.ent_sent * (1 << 32) + self.ent_start
        link_key = self.link_sent * (1 << 32) + self.link_src
        index = np.searchsorted(ent_key, link_key, side="right") - 1
        valid = index >= 0
        safe = np.where(valid, index, 0)
        inside = valid & (self.ent_sent[safe] == self.link_sent) & (self.link_src < self.ent_end[safe])
        return np.where(inside, safe, -1)


@dataclass
class Candidates:
    """Candidate spans, sorted by (sentence, start, end)."""
    sent: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def __len__(self):
        return len(self.sent)

    @classmethod
    def from_arrays(cls, sent, start, end):
        if not len(sent):
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, empty.copy(), empty.copy())
        # One integer key per span (sentences < 2^23, words < 2^20): unique sorts and drops duplicates.
        key = np.unique((np.asarray(sent, np.int64) << 40) | (np.asarray(start, np.int64) << 20)
                        | np.asarray(end, np.int64))
        return cls(key >> 40, (key >> 20) & 0xFFFFF, key & 0xFFFFF)


def _spans_without_stop_words(corpus, sent, start, end):
    stop_prefix = np.concatenate([[0], np.cumsum(corpus.stop, dtype=np.int64)])
    base = corpus.tgt_offset[sent]
    clean = stop_prefix[base + end] - stop_prefix[base + start] == 0
    return sent[clean], start[clean], end[clean]


def ngram_candidates(corpus, max_len=10):
    """All spans of 1..max_len words (None: any length) without a stop word."""
    longest = int(corpus.n_tgt.max(initial=0)) if max_len is None else max_len
    word_sent = np.repeat(np.arange(corpus.n_sentences), corpus.n_tgt)
    word_pos = segment_aranges(corpus.n_tgt)
    sents, starts, ends = [], [], []
    for length in range(1, longest + 1):
        fits = word_pos + length <= corpus.n_tgt[word_sent]
        sents.append(word_sent[fits])
        starts.append(word_pos[fits])
        ends.append(word_pos[fits] + length)
    sent, start, end = (np.concatenate(x) if x else np.zeros(0, dtype=np.int64) for x in (sents, starts, ends))
    return Candidates.from_arrays(*_spans_without_stop_words(corpus, sent, start, end))


def aligned_windows(corpus):
    """Per entity: [leftmost, rightmost + 1) of the target words aligned to it, or (-1, -1) when none is."""
    owner = corpus.entity_of_links()
    keep = owner >= 0
    lo = np.full(len(corpus.ent_sent), np.iinfo(np.int64).max)
    hi = np.full(len(corpus.ent_sent), -1)
    np.minimum.at(lo, owner[keep], corpus.link_tgt[keep])
    np.maximum.at(hi, owner[keep], corpus.link_tgt[keep])
    lo[hi < 0] = -1
    return lo, hi + 1


def window_candidates(corpus, max_len=10):
    """All spans of 1..max_len words inside each entity's aligned window (no stop words), per sentence."""
    lo, hi = aligned_windows(corpus)
    has = hi > 0
    return _spans_inside(corpus, corpus.ent_sent[has], lo[has], hi[has], max_len)


def subspan_candidates(corpus, listed, max_len=10):
    """The listed candidates and their parts cut at punctuation: every sub-span of 1..max_len words that begins
    where a listed span begins or after a punctuation word, ends where one ends or before a punctuation word, and
    neither begins nor ends on punctuation ("San Francisco , California" -> "San Francisco", "California").
    Cutting anywhere else lets the alignment's Dice score trim a name's unaligned words: on es dev, all sub-spans
    lowered F1 by 2.3 (teacher 1)."""
    inside = _spans_inside(corpus, listed.sent, listed.start, listed.end, max_len)
    first = corpus.tgt_offset[inside.sent] + inside.start  # global index of the first and of the last word
    last = corpus.tgt_offset[inside.sent] + inside.end - 1
    begins, ends = np.zeros(len(corpus.punct) + 1, dtype=bool), np.zeros(len(corpus.punct) + 1, dtype=bool)
    begins[corpus.tgt_offset[listed.sent] + listed.start] = True
    ends[corpus.tgt_offset[listed.sent] + listed.end - 1] = True
    after_cut = begins[first] | corpus.punct[np.maximum(first - 1, 0)]  # word 0 of a sentence begins a listed span
    before_cut = ends[last] | corpus.punct[np.minimum(last + 1, len(corpus.punct) - 1)]
    keep = after_cut & before_cut & ~corpus.punct[first] & ~corpus.punct[last]
    return Candidates.from_arrays(np.concatenate([listed.sent, inside.sent[keep]]),
                                  np.concatenate([listed.start, inside.start[keep]]),
                                  np.concatenate([listed.end, inside.end[keep]]))


def _spans_inside(corpus, sent, lo, hi, max_len):
    """All spans of 1..max_len words (None: any length) inside the windows [lo, hi) of sentences `sent`."""
    sents, starts, ends = [], [], []
    width = hi - lo
    longest = int(width.max(initial=0)) if max_len is None else max_len
    for length in range(1, longest + 1):
        n = np.clip(width - length + 1, 0, None)  # spans of this length per window
        rep = np.repeat(np.arange(len(sent)), n)
        begin = lo[rep] + segment_aranges(n)
        sents.append(sent[rep])
        starts.append(begin)
        ends.append(begin + length)
    sent, start, end = (np.concatenate(x) if x else np.zeros(0, dtype=np.int64) for x in (sents, starts, ends))
    return Candidates.from_arrays(*_spans_without_stop_words(corpus, sent, start, end))


def listed_candidates(spans_per_sentence):
    """Spans given per sentence, as [start, end] or [start, end, label] (the label is ignored)."""
    counts = [len(s) for s in spans_per_sentence]
    flat = list(chain.from_iterable(spans_per_sentence))
    sent = np.repeat(np.arange(len(counts)), counts)
    start = np.array([int(s[0]) for s in flat], dtype=np.int64)
    end = np.array([int(s[1]) for s in flat], dtype=np.int64)
    return Candidates.from_arrays(sent, start, end)


def pairs(corpus, candidates):
    """Every (entity, candidate) pair of the same sentence: two index arrays, sorted by entity then candidate."""
    first = np.searchsorted(candidates.sent, np.arange(corpus.n_sentences), side="left")
    last = np.searchsorted(candidates.sent, np.arange(corpus.n_sentences), side="right")
    per_entity = (last - first)[corpus.ent_sent]
    entity = np.repeat(np.arange(len(corpus.ent_sent)), per_entity)
    candidate = first[corpus.ent_sent][entity] + segment_aranges(per_entity)
    return entity, candidate
