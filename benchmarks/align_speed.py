"""Alignment speed: the simalign package's per-pair call against xlner's batched SimAlign (same links).

Translates the first --pairs English WikiANN sentences with Apertium eng-spa, aligns them both ways with the
encoder of config.yaml (build it first: `make run` or `xlner build-encoder`), checks that the links are
identical and prints pairs per second.

    .venv/bin/python benchmarks/align_speed.py [--pairs 300] [--threads 2] [--batch-size 64]
"""
import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--encoder", default=str(ROOT / "resources/models/multilingual-e5-small"))
    parser.add_argument("--matching", default="i")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda on a GPU machine (both aligners on it)")
    args = parser.parse_args()

    import torch

    from xlner.align import BatchedSimAligner, SimAligner
    from xlner.conll import read_conll
    from xlner.translate import ApertiumTranslator, translate_sentences

    torch.set_num_threads(args.threads)
    sentences, _ = read_conll(ROOT / "data/wikiann/en/train.tsv", "iob2", {}, None, args.pairs)
    records, _ = translate_sentences(ApertiumTranslator("eng-spa"), [(s.id, s.tokens) for s in sentences])
    pairs = [(r["src_tokens"], r["tgt_tokens"]) for r in records]
    words = sum(len(s) + len(t) for s, t in pairs) / len(pairs)

    pairwise = SimAligner(args.encoder, layer=8, matching=args.matching, device=args.device)
    started = time.perf_counter()
    expected = [pairwise.align(s, t) for s, t in pairs]
    pairwise_seconds = time.perf_counter() - started

    batched = BatchedSimAligner(args.encoder, layer=8, matching=args.matching, batch_size=args.batch_size,
                                device=args.device)
    started = time.perf_counter()
    got = batched.align_batch(pairs)
    batched_seconds = time.perf_counter() - started

    same = sum(a == b for a, b in zip(expected, got))
    print(f"pairs {len(pairs)} (mean {words:.1f} words per pair), threads {args.threads}, matching {args.matching}")
    print(f"simalign per pair : {len(pairs) / pairwise_seconds:7.1f} pairs/s ({pairwise_seconds:.1f} s)")
    print(f"xlner batched     : {len(pairs) / batched_seconds:7.1f} pairs/s ({batched_seconds:.1f} s), "
          f"batch {args.batch_size}")
    print(f"speed-up          : {pairwise_seconds / batched_seconds:7.1f}x")
    print(f"identical links   : {same} of {len(pairs)} pairs")


if __name__ == "__main__":
    main()
