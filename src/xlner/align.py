"""Word alignment of source and translated sentences with SimAlign (Jalili Sabet et al., 2020).

SimAlign embeds both sentences with a multilingual encoder (any Hugging Face id or local directory) and
aligns sub-tokens by similarity; `a` = argmax (intersection), `i` = itermax, `m` = max-weight matching.
SimAlign truncates at the encoder's window without saying so; sentence pairs whose sub-tokens do not fit
are therefore not passed to it: they get an empty alignment and are counted (`too_long`).
"""
import logging

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


def align_records(aligner, records, progress=None):
    """Add `alignment` to each {"id", "src_tokens", "tgt_tokens", ...} record; return (records, stats)."""
    too_long = []
    out = []
    for record in records:
        src, tgt = record["src_tokens"], record["tgt_tokens"]
        if aligner.fits(src) and aligner.fits(tgt):
            alignment = aligner.align(src, tgt)
        else:
            alignment = []
            too_long.append(record["id"])
        out.append({**record, "alignment": alignment})
        if progress:
            progress(1)
    stats = {"pairs": len(records), "too_long_unaligned": len(too_long), "too_long_ids": too_long,
             "links": sum(len(r["alignment"]) for r in out)}
    return out, stats
