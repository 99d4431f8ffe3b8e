"""Word alignment of source and translated sentences with SimAlign (Jalili Sabet et al., 2020).

SimAlign embeds both sentences with a multilingual encoder (any Hugging Face id or local directory) and
aligns sub-tokens by similarity; `a` = argmax (intersection), `i` = itermax, `m` = max-weight matching.
`BatchedSimAligner` (the default) runs SimAlign's own algorithm on many sentences per forward pass and embeds
sentences longer than the encoder's window in word windows. The package's per-pair `SimAligner` is kept as the
reference (`align.implementation: pairwise`); it truncates at the encoder's window without saying so, so pairs
that do not fit are not passed to it: they get an empty alignment and are counted (`too_long`).
"""
import logging
from contextlib import contextmanager

from xlner.models.tokens import word_chunks
from xlner.precision import autocast, resolve
from xlner.precision import record as precision_record

log = logging.getLogger(__name__)

MATCHING_NAMES = {"a": "inter", "i": "itermax", "m": "mwmf"}


class SimAligner:
    def __init__(self, model, layer=8, matching="i", token_type="bpe", device="cpu"):
        from simalign import SentenceAligner

        if matching not in MATCHING_NAMES:
            raise ValueError(f"unknown SimAlign matching method {matching!r}; use one of {sorted(MATCHING_NAMES)}")
        self.model, self.layer, self.matching, self.token_type = model, layer, matching, token_type
        self._aligner = SentenceAligner(model=model, token_type=token_type, matching_methods=matching,
                                        layer=layer, device=device)
        tokenizer = self._aligner.embed_loader.tokenizer
        self._tokenizer = tokenizer
        self.max_subtokens = min(getattr(tokenizer, "model_max_length", 512) or 512, 512) - 2

    def fits(self, words):
        return sum(len(self._tokenizer.tokenize(w)) for w in words) <= self.max_subtokens

    def align(self, src_words, tgt_words):
        links = self._aligner.get_word_aligns(src_words, tgt_words)[MATCHING_NAMES[self.matching]]
        return [[int(s), int(t)] for s, t in links]

    def describe(self):
        return {"aligner": "simalign", "model": self.model, "layer": self.layer, "matching": self.matching,
                "token_type": self.token_type}


class BatchedSimAligner:
    """SimAlign's alignment, many sentences per forward pass: the same loader (model, tokenizer), similarity
    ((cosine + 1) / 2), argmax, itermax and max-weight matching as `simalign.SentenceAligner.get_word_aligns`, so
    it gives the same links, but embeds length-sorted sentences in batches of at most `batch_tokens` padded
    sub-tokens (and `batch_size` sentences, if given) instead of one pair per call (simalign issues #18, #43).
    A sentence longer than the encoder's window is embedded in consecutive word windows that fit, never
    truncated; such sentences are counted in `split_sentences`.
    """

    def __init__(self, model, layer=8, matching="i", token_type="bpe", device="cpu", batch_size=None,
                 batch_tokens=512, precision="float32"):
        from simalign.simalign import EmbeddingLoader

        if matching not in MATCHING_NAMES:
            raise ValueError(f"unknown SimAlign matching method {matching!r}; use one of {sorted(MATCHING_NAMES)}")
        if token_type not in ("bpe", "word"):
            raise ValueError(f"unknown SimAlign token type {token_type!r}; use bpe or word")
        import torch

        self.model, self.layer, self.matching, self.token_type = model, layer, matching, token_type
        self.batch_size, self.batch_tokens = batch_size, batch_tokens
        # bfloat16 embeddings can move a link where two similarities are within ~1% (benchmarks/align_precision.py)
        self.precision = precision_record(precision, resolve(precision, device), device)
        self._loader = EmbeddingLoader(model=model, device=torch.device(device), layer=layer)
        self.tokenizer = self._loader.tokenizer
        positions = getattr(self._loader.emb_model.config, "max_position_embeddings", 512)
        self.window = min(getattr(self.tokenizer, "model_max_length", 512) or 512, positions, 512) - 2
        self.split_sentences = 0

    def fits(self, words):
        return True  # long sentences are windowed

    @contextmanager
    def _up_to_layer(self):
        """Run only the encoder layers below the one SimAlign reads: the layers above cannot change it (a third
        less work for layer 8 of 12, the same hidden states). Models without `encoder.layer` run whole."""
        encoder = getattr(self._loader.emb_model, "encoder", None)
        layers = getattr(encoder, "layer", None)
        if layers is None or self.layer >= len(layers):
            yield
            return
        encoder.layer = layers[:self.layer]
        try:
            yield
        finally:
            encoder.layer = layers

    def _embed(self, sentences):
        """[[words]] -> ([sub-tokens x hidden arrays], [[sub-tokens per word]])."""
        import numpy as np
        import torch

        pieces = self._word_pieces(sentences)
        chunks = []  # (sentence index, chunk words, sub-token count)
        for index, (words, tokens) in enumerate(zip(sentences, pieces)):
            spans = word_chunks([len(t) for t in tokens], self.window)
            self.split_sentences += len(spans) > 1
            for start, end in spans:
                chunks.append((index, words[start:end], sum(len(t) for t in tokens[start:end])))
        vectors = [None] * len(chunks)
        order = sorted(range(len(chunks)), key=lambda i: chunks[i][2])
        with self._up_to_layer(), torch.inference_mode(), autocast(self.precision["used"], self._loader.device.type):
            for batch in token_batches([chunks[i][2] + 2 for i in order], self.batch_tokens, self.batch_size):
                batch = [order[i] for i in batch]
                inputs = self.tokenizer([chunks[i][1] for i in batch], is_split_into_words=True, padding=True,
                                        truncation=True, return_tensors="pt")
                _check_lengths(inputs["attention_mask"].sum(1).tolist(), [chunks[i][2] + 2 for i in batch])
                hidden = self._loader.emb_model(**inputs.to(self._loader.device))["hidden_states"]
                if self.layer >= len(hidden):
                    raise ValueError(f"layer {self.layer} asked for, but the model has only {len(hidden)} layers")
                layer = hidden[self.layer][:, 1:-1, :].float().cpu().numpy()
                for row, i in enumerate(batch):
                    vectors[i] = layer[row, :chunks[i][2]]
        per_sentence = [[] for _ in sentences]
        for (index, _, _), vector in zip(chunks, vectors):
            per_sentence[index].append(vector)
        return [np.concatenate(v) if len(v) > 1 else v[0] for v in per_sentence], pieces

    def _word_pieces(self, sentences):
        """Sub-token counts per word as SimAlign takes them (`tokenizer.tokenize(word)`), in one tokenizer call
        for all words instead of one call per word: [[[piece ids] per word] per sentence]."""
        words = [w for sentence in sentences for w in sentence]
        ids = self.tokenizer(words, add_special_tokens=False)["input_ids"] if words else []
        out, start = [], 0
        for sentence in sentences:
            out.append(ids[start:start + len(sentence)])
            start += len(sentence)
        return out

    def _links(self, src_vectors, tgt_vectors, src_pieces, tgt_pieces):
        from simalign import SentenceAligner

        if self.token_type == "word":
            src_vectors, tgt_vectors = SentenceAligner.average_embeds_over_words(
                [src_vectors, tgt_vectors], [src_pieces, tgt_pieces])
        sim = similarity(src_vectors, tgt_vectors)
        if self.matching == "a":
            forward, backward = SentenceAligner.get_alignment_matrix(sim)
            matrix = forward * backward
        elif self.matching == "i":
            matrix = SentenceAligner.iter_max(sim)
        else:
            matrix = SentenceAligner.get_max_weight_match(sim)
        if self.token_type == "bpe":
            src_map = [w for w, tokens in enumerate(src_pieces) for _ in tokens]
            tgt_map = [w for w, tokens in enumerate(tgt_pieces) for _ in tokens]
        else:
            src_map, tgt_map = range(len(src_pieces)), range(len(tgt_pieces))
        rows, columns = (matrix > 0).nonzero()
        return sorted({(src_map[i], tgt_map[j]) for i, j in zip(rows, columns)})

    def align_batch(self, pairs):
        """[(src words, tgt words)] -> [[[src index, tgt index], ...]] for each pair."""
        src_vectors, src_pieces = self._embed([s for s, _ in pairs])
        tgt_vectors, tgt_pieces = self._embed([t for _, t in pairs])
        return [[[int(s), int(t)] for s, t in self._links(*items)]
                for items in zip(src_vectors, tgt_vectors, src_pieces, tgt_pieces)]

    def align(self, src_words, tgt_words):
        return self.align_batch([(src_words, tgt_words)])[0]

    def describe(self):
        return {"aligner": "simalign", "implementation": "batched", "model": self.model, "layer": self.layer,
                "matching": self.matching, "token_type": self.token_type, "batch_tokens": self.batch_tokens,
                "batch_size": self.batch_size, "precision": self.precision,
                "sentences_split_into_windows": self.split_sentences}


class AwesomeAligner(BatchedSimAligner):
    """AWESoME's extraction without fine-tuning (Dou & Neubig 2021; the paper's best MasakhaNER2 aligner):
    dot products of layer-`layer` sub-token embeddings, softmax over target words for each source sub-token and
    over source words for each target sub-token, a link where both probabilities exceed `threshold` (0.001), any
    linked sub-token pair linking its words. Any Hugging Face encoder; embedded in batches like the SimAlign path.
    """

    def __init__(self, model, layer=8, threshold=1e-3, device="cpu", batch_size=None, batch_tokens=512,
                 precision="float32"):
        super().__init__(model, layer=layer, matching="a", token_type="bpe", device=device, batch_size=batch_size,
                         batch_tokens=batch_tokens, precision=precision)
        self.threshold = threshold

    def _links(self, src_vectors, tgt_vectors, src_pieces, tgt_pieces):
        import numpy as np

        dot = src_vectors.astype(np.float64) @ tgt_vectors.astype(np.float64).T
        src_to_tgt = np.exp(dot - dot.max(1, keepdims=True))
        src_to_tgt /= src_to_tgt.sum(1, keepdims=True)
        tgt_to_src = np.exp(dot - dot.max(0, keepdims=True))
        tgt_to_src /= tgt_to_src.sum(0, keepdims=True)
        rows, columns = ((src_to_tgt > self.threshold) & (tgt_to_src > self.threshold)).nonzero()
        src_map = [w for w, tokens in enumerate(src_pieces) for _ in tokens]
        tgt_map = [w for w, tokens in enumerate(tgt_pieces) for _ in tokens]
        return sorted({(src_map[i], tgt_map[j]) for i, j in zip(rows, columns)})

    def describe(self):
        return {"aligner": "awesome", "extraction": "softmax", "threshold": self.threshold, "model": self.model,
                "layer": self.layer, "batch_tokens": self.batch_tokens, "batch_size": self.batch_size,
                "precision": self.precision, "sentences_split_into_windows": self.split_sentences}


def _unit_rows(vectors):
    """Rows scaled to unit length exactly as scikit-learn's `normalize` does (einsum norms; near-zero norms left
    at 1), without its input checks, which cost more than the arithmetic for sentence-sized matrices."""
    import numpy as np

    norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors))
    norms[norms < 10 * np.finfo(norms.dtype).eps] = 1.0
    return vectors / norms[:, None]


def similarity(src_vectors, tgt_vectors):
    """SimAlign's similarity, (cosine + 1) / 2, bit for bit as `SentenceAligner.get_similarity` computes it."""
    return (_unit_rows(src_vectors) @ _unit_rows(tgt_vectors).T + 1.0) / 2.0


def _check_lengths(got, expected):
    """The encoder input must hold exactly the sub-tokens counted word by word plus one special token at each
    end (SimAlign cuts `[1:-1]`), or vectors would be matched to the wrong words. SimAlign assumes this
    silently; a tokenizer that pieces words differently in context, or adds other special tokens, breaks it."""
    if got != expected:
        raise ValueError(f"the tokenizer gives {got} sub-tokens with special tokens where the words' own pieces "
                         f"add up to {expected}; SimAlign's word mapping would be wrong with this tokenizer")


def token_batches(lengths, max_tokens, max_sentences=None):
    """Cut a list of (ascending) sequence lengths into consecutive batches whose padded size, sentences x longest,
    stays within `max_tokens` (a longer sequence goes alone), and at most `max_sentences` sentences: lists of
    indices. Why tokens, not sentences: the encoder's activations for one batch should stay in the CPU's cache
    (measured: 32 short sentences a batch are 1.3x faster than 64)."""
    batches, batch, longest = [], [], 0
    for index, length in enumerate(lengths):
        wider = max(longest, length)
        full = max_sentences is not None and len(batch) == max_sentences
        if batch and (full or wider * (len(batch) + 1) > max_tokens):
            batches.append(batch)
            batch, wider = [], length
        batch.append(index)
        longest = wider
    if batch:
        batches.append(batch)
    return batches


def grow_diag_final_and(forward, reverse):
    """Symmetrise two directional alignments (sets of (src, tgt)) the Moses way: start from the intersection,
    grow into diagonal neighbours in the union that link an unaligned word, then add union links of words still
    unaligned on both sides."""
    union, alignment = forward | reverse, forward & reverse
    neighbours = [(-1, 0), (0, -1), (1, 0), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)]
    grew = True
    while grew:
        grew = False
        for s, t in sorted(alignment):
            for ds, dt in neighbours:
                candidate = (s + ds, t + dt)
                if candidate in union and candidate not in alignment and (
                        all(a != candidate[0] for a, _ in alignment) or all(b != candidate[1] for _, b in alignment)):
                    alignment.add(candidate)
                    grew = True
    for links in (forward, reverse):  # final-and
        for s, t in sorted(links):
            if all(a != s for a, _ in alignment) and all(b != t for _, b in alignment):
                alignment.add((s, t))
    return alignment


class EflomalAligner:
    """eflomal (Östling & Tiedemann 2016; PyPI, GPLv3, installed separately): a Bayesian IBM-style statistical
    aligner, fast on large N and needing no model. It learns from the corpus it aligns, so all pairs go in one
    call. Not bit-reproducible: its sampler has no seed option (two runs on the same input give different links;
    measured), so a rerun keeps the cached alignment and a fresh run may differ. Links: forward and reverse
    runs symmetrised by `symmetrisation` (grow-diag-final-and, or intersection)."""

    deterministic = False

    def __init__(self, symmetrisation="grow-diag-final-and", n_samplers=3):
        import importlib.util

        if importlib.util.find_spec("eflomal") is None:
            raise RuntimeError("the eflomal aligner needs the eflomal package: pip install eflomal==2.0.0")
        if symmetrisation not in ("grow-diag-final-and", "intersection"):
            raise ValueError(f"unknown symmetrisation {symmetrisation!r}; use grow-diag-final-and or intersection")
        self.symmetrisation, self.n_samplers = symmetrisation, n_samplers

    def fits(self, tokens):
        return True

    def align_all(self, pairs):
        import tempfile
        from pathlib import Path

        from eflomal import Aligner

        with tempfile.TemporaryDirectory() as tmp:
            fwd, rev = Path(tmp, "fwd"), Path(tmp, "rev")
            Aligner(n_samplers=self.n_samplers).align([" ".join(s) for s, _ in pairs], [" ".join(t) for _, t in pairs],
                                                      links_filename_fwd=str(fwd), links_filename_rev=str(rev))
            forward, reverse = (_pharaoh(path.read_text()) for path in (fwd, rev))
        out = []
        for f, r in zip(forward, reverse):
            links = grow_diag_final_and(f, r) if self.symmetrisation == "grow-diag-final-and" else f & r
            out.append(sorted(links))
        return out

    def describe(self):
        return {"aligner": "eflomal", "symmetrisation": self.symmetrisation, "n_samplers": self.n_samplers,
                "deterministic": False}


def _pharaoh(text):
    return [{tuple(int(i) for i in pair.split("-")) for pair in line.split()} for line in text.split("\n")[:-1]]


def align_records(aligner, records, progress=None, chunk=256):
    """Add `alignment` to each {"id", "src_tokens", "tgt_tokens", ...} record; return (records, stats).

    A batched aligner gets `chunk` pairs at a time; the per-pair one, pair by pair. Pairs it cannot take whole
    (the per-pair SimAlign's window) get an empty alignment and are counted, never truncated silently.
    """
    too_long, empty = [], []
    out = []
    if hasattr(aligner, "align_all"):  # a corpus-level aligner: every pair in one call
        chunk = max(len(records), 1)
    for start in range(0, len(records), chunk):
        batch = records[start:start + chunk]
        fitting = [r for r in batch if r["src_tokens"] and r["tgt_tokens"]
                   and aligner.fits(r["src_tokens"]) and aligner.fits(r["tgt_tokens"])]
        if hasattr(aligner, "align_all"):
            links = aligner.align_all([(r["src_tokens"], r["tgt_tokens"]) for r in fitting])
        elif hasattr(aligner, "align_batch"):
            links = aligner.align_batch([(r["src_tokens"], r["tgt_tokens"]) for r in fitting])
        else:
            links = [aligner.align(r["src_tokens"], r["tgt_tokens"]) for r in fitting]
        by_id = {id(r): alignment for r, alignment in zip(fitting, links)}
        for record in batch:
            if not (record["src_tokens"] and record["tgt_tokens"]):
                empty.append(record["id"])
            elif id(record) not in by_id:
                too_long.append(record["id"])
            out.append({**record, "alignment": by_id.get(id(record), [])})
        if progress:
            progress(len(batch))
    stats = {"pairs": len(records), "too_long_unaligned": len(too_long), "too_long_ids": too_long,
             "empty_side_unaligned": len(empty), "empty_side_ids": empty,
             "links": sum(len(r["alignment"]) for r in out)}
    return out, stats
