"""Anchors: word links found by the words' strings, which overrule the aligner's links of an entity word.

Names often cross machine translation unchanged or nearly so, and a neural aligner misplaces exactly those words
(rare strings, no context). Three kinds of evidence, each a recipe option (`anchors` in ProjectSettings):

* `unknown`: the MT system did not know the word and copied it (Apertium's `*` mark, `src_unknown`/`tgt_unknown`
  of a translated line), so it has an identical word on the other side: an identity link.
* `exact`: an entity word equal to a word of the other sentence once case and diacritics are folded.
* `fuzzy`: an inflected or respelled name (Ehrmann et al., RANLP 2011): consonant signatures, one a prefix of the
  other (eu `Bilboko` and `Bilbao`: `blbk`, `blb`), or a normalised edit similarity of at least 0.82 (is `Mónakó`
  and `Monaco`); both words capitalised and at least 4 letters, so `Bilbao` never anchors on `Bizkaia`.

Pure functions: no I/O. Alignments are lists of (source index, target index) pairs, source first.
"""
import unicodedata
from functools import lru_cache

from xlner.formats.conll import spans_from_tags
from xlner.settings import ANCHOR_KINDS

VOWELS = set("aeiouy")
# Fixed before any data was seen, not tuned: 0.82 accepts one edit in 6 letters and refuses one in 5 (Maria/Marta).
EDIT_SIMILARITY = 0.82
MIN_FUZZY_LETTERS = 4
MIN_SIGNATURE = 3


def normalise(word):
    """Casefolded, without diacritics (`Mónakó` -> `monako`)."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def signature(word):
    """The consonant skeleton of a normalised word, doubled letters collapsed (`Bilboko` -> `blbk`)."""
    letters = [char for char in normalise(word) if char.isalpha() and char not in VOWELS]
    return "".join(char for i, char in enumerate(letters) if i == 0 or char != letters[i - 1])


def edit_similarity(a, b):
    """1 - Levenshtein distance / longer length (difflib's ratio is not an edit distance)."""
    if not a and not b:
        return 1.0
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return 1.0 - previous[-1] / max(len(a), len(b))


@lru_cache(maxsize=1 << 16)
def _features(word):
    """(normalised, signature, capitalised, letters): what matching reads of a word, once per distinct word."""
    folded = normalise(word)
    return folded, signature(word), word[:1].isupper(), sum(char.isalpha() for char in folded)


def name_match(word_a, word_b, kinds=ANCHOR_KINDS):
    """How two words match as the same name: "exact", "fuzzy", or None (refused)."""
    a, sig_a, upper_a, letters_a = _features(word_a)
    b, sig_b, upper_b, letters_b = _features(word_b)
    if "exact" in kinds and a == b and any(char.isalnum() for char in a):
        return "exact"
    if "fuzzy" not in kinds or not (upper_a and upper_b) or min(letters_a, letters_b) < MIN_FUZZY_LETTERS:
        return None
    if a[0] != b[0]:
        return None
    shorter, longer = sorted((sig_a, sig_b), key=len)
    if len(shorter) >= MIN_SIGNATURE and longer.startswith(shorter):
        return "fuzzy"
    # the length difference alone bounds the similarity: skip the edit distance when it cannot reach the threshold
    if 1 - abs(len(a) - len(b)) / max(len(a), len(b)) >= EDIT_SIMILARITY and edit_similarity(a, b) >= EDIT_SIMILARITY:
        return "fuzzy"
    return None


def _nearest(candidates, anchor_to, position):
    """The candidate index nearest the aligner's links of the word (or, without links, its relative position)."""
    if anchor_to:
        return min(candidates, key=lambda k: (min(abs(k - t) for t in anchor_to), k))
    return min(candidates, key=lambda k: (abs(k - position), k))


def anchor_links(src_tokens, tgt_tokens, src_tags, alignment, kinds=ANCHOR_KINDS, src_unknown=(), tgt_unknown=()):
    """Anchors of the source entity words: {source index: (target index, kind)}.

    A source word the MT copied (src_unknown) anchors on an identical target word; a target word the MT copied
    (tgt_unknown) anchors the identical source word; otherwise `name_match` decides. Among several matching target
    words the one nearest the word's aligner links wins; a target word anchors at most one source word."""
    aligned = {}
    for s, t in alignment:
        aligned.setdefault(s, []).append(t)
    copied_into_source, copied_into_target = set(src_unknown), set(tgt_unknown)
    anchors, taken = {}, set()
    by_string = "exact" in kinds or "fuzzy" in kinds
    n_src, n_tgt = len(src_tokens), max(len(tgt_tokens), 1)
    for start, end, _ in spans_from_tags(src_tags):
        for i in range(start, end):
            word = src_tokens[i]
            if "unknown" in kinds and (i in copied_into_source or any(tgt_tokens[k] == word for k in copied_into_target)):
                candidates = [k for k, other in enumerate(tgt_tokens) if other == word and k not in taken]
                kind = "unknown"
            else:
                candidates, kind = [], None
            if not candidates and by_string:
                matches = [(k, name_match(word, other, kinds)) for k, other in enumerate(tgt_tokens) if k not in taken]
                best = "exact" if any(m == "exact" for _, m in matches) else "fuzzy"
                candidates = [k for k, m in matches if m == best]
                kind = best
            if candidates:
                k = _nearest(candidates, aligned.get(i, ()), i / max(n_src, 1) * n_tgt)
                anchors[i] = (k, kind)
                taken.add(k)
    return anchors


def anchored_alignment(alignment, anchors):
    """The alignment with each anchored source word linked to its anchor only, and each anchored target word
    linked from its anchor only."""
    targets = {k for k, _ in anchors.values()}
    kept = [(s, t) for s, t in alignment if s not in anchors and t not in targets]
    return sorted(kept + [(s, k) for s, (k, _) in anchors.items()])
