"""The translation score of the thesis (paper.md §3.3.3): NMTScore's direct similarity with any seq2seq model.

P(A | B) = exp(mean_i log p(A_i | B, A_<i)), the length-normalised probability of producing phrase A from B;
sim(A, B) = P(A | B) / P(A | A) (normalised), averaged over both directions. The thesis used
nllb-200-distilled-600M with language codes; any Hugging Face seq2seq model works, by id or local path.
Scores are cached per phrase pair, so a pair seen in many sentences is scored once.
"""
import numpy as np


class NMTScorer:
    def __init__(self, model, src_lang=None, tgt_lang=None, batch_size=32, device=None):
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        self.model_name = str(model)
        self.src_lang, self.tgt_lang = src_lang, tgt_lang
        self.batch_size = batch_size
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.tokenizer = AutoTokenizer.from_pretrained(model)
        self.model = AutoModelForSeq2SeqLM.from_pretrained(model).to(self.device).eval()
        self.cache = {}

    def _set_languages(self, input_lang, output_lang):
        if input_lang and hasattr(self.tokenizer, "src_lang"):
            self.tokenizer.src_lang = input_lang
        if output_lang and hasattr(self.tokenizer, "tgt_lang"):
            self.tokenizer.tgt_lang = output_lang

    def probabilities(self, outputs, inputs, output_lang=None, input_lang=None):
        """P(output | input) for each pair, length-normalised."""
        import torch

        self._set_languages(input_lang, output_lang)
        result = np.zeros(len(outputs))
        for begin in range(0, len(outputs), self.batch_size):
            batch_in, batch_out = inputs[begin:begin + self.batch_size], outputs[begin:begin + self.batch_size]
            encoded = self.tokenizer(batch_in, text_target=batch_out, padding=True, truncation=True,
                                     return_tensors="pt").to(self.device)
            labels = encoded.pop("labels")
            labels = labels.masked_fill(labels == self.tokenizer.pad_token_id, -100)
            with torch.no_grad():
                logits = self.model(**encoded, labels=labels).logits
            logp = torch.log_softmax(logits.float(), dim=-1)
            mask = labels != -100
            token_logp = logp.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1) * mask
            mean = token_logp.sum(-1) / mask.sum(-1).clamp(min=1)
            result[begin:begin + len(batch_in)] = mean.exp().cpu().numpy()
        return result

    def similarities(self, sources, targets):
        """Symmetric normalised similarity of source phrases (src_lang) and target phrases (tgt_lang)."""
        pairs = list(dict.fromkeys(p for p in zip(sources, targets) if p not in self.cache))
        if pairs:
            a = [p[0] for p in pairs]
            b = [p[1] for p in pairs]
            unique_a, unique_b = list(dict.fromkeys(a)), list(dict.fromkeys(b))
            self_a = dict(zip(unique_a, self.probabilities(unique_a, unique_a, self.src_lang, self.src_lang)))
            self_b = dict(zip(unique_b, self.probabilities(unique_b, unique_b, self.tgt_lang, self.tgt_lang)))
            a_given_b = self.probabilities(a, b, self.src_lang, self.tgt_lang)
            b_given_a = self.probabilities(b, a, self.tgt_lang, self.src_lang)
            for (x, y), p_ab, p_ba in zip(pairs, a_given_b, b_given_a):
                self.cache[(x, y)] = 0.5 * (p_ab / max(self_a[x], 1e-12) + p_ba / max(self_b[y], 1e-12))
        return np.array([self.cache[p] for p in zip(sources, targets)], dtype=np.float64)

    def describe(self):
        return {"model": self.model_name, "src_lang": self.src_lang, "tgt_lang": self.tgt_lang}
