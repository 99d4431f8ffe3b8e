"""Alignment speed: the simalign package's per-pair call against xlner's batched SimAlign (same links).

Translates the first --pairs English WikiANN sentences with Apertium eng-spa, aligns them both ways with the
encoder of config.yaml (build it first: `make run` or `xlner build-encoder`), checks that the float32 batched links
are identical and prints pairs per second (best of --repeats runs each, after a warm-up). With --precision auto
(default) or bfloat16 the batched aligner also runs in bfloat16 where the CPU computes it natively (precision.py):
its speed-up over simalign is the headline figure, with the share of links that differ from float32.

It also prints the ceiling: the batched aligner's encoder matrix products (FLOPs of its linear layers on its
padded batches) at this machine's measured fp32 matrix-product rate. Those products are the floor of any
implementation that computes SimAlign's fp32 embeddings, so simalign's time over that floor bounds the speed-up.

    .venv/bin/python benchmarks/align_speed.py [--pairs 1000] [--threads 2] [--batch-tokens 512] [--precision auto]
"""
import argparse
import sys
from pathlib import Path

from timing import best_of

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-tokens", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--precision", default="auto", choices=("auto", "float32", "bfloat16"))
    parser.add_argument("--encoder", default=str(ROOT / "resources/models/multilingual-e5-small"))
    parser.add_argument("--matching", default="i")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda on a GPU machine (both aligners on it)")
    args = parser.parse_args()

    import torch

    from xlner.align.aligners import BatchedSimAligner, SimAligner
    from xlner.formats.conll import read_conll
    from xlner.mt.translate import ApertiumTranslator, translate_sentences

    torch.set_num_threads(args.threads)
    sentences, _ = read_conll(ROOT / "data/wikiann/en/train.tsv", "iob2", {}, None, args.pairs)
    records, _ = translate_sentences(ApertiumTranslator("eng-spa"), [(s.id, s.tokens) for s in sentences])
    pairs = [(r["src_tokens"], r["tgt_tokens"]) for r in records]
    words = sum(len(s) + len(t) for s, t in pairs) / len(pairs)

    pairwise = SimAligner(args.encoder, layer=8, matching=args.matching, device=args.device)
    batched = BatchedSimAligner(args.encoder, layer=8, matching=args.matching, batch_tokens=args.batch_tokens,
                                device=args.device)
    for aligner in (pairwise, batched):  # warm-up: first calls allocate
        [aligner.align(s, t) for s, t in pairs[:5]]
    pairwise_seconds, expected = best_of(args.repeats, lambda: [pairwise.align(s, t) for s, t in pairs])
    batched_seconds, got = best_of(args.repeats, lambda: batched.align_batch(pairs))
    fast = BatchedSimAligner(args.encoder, layer=8, matching=args.matching, batch_tokens=args.batch_tokens,
                             device=args.device, precision=args.precision)
    fast.align_batch(pairs[:5])
    fast_seconds, fast_links = best_of(args.repeats, lambda: fast.align_batch(pairs))

    same = sum(a == b for a, b in zip(expected, got))
    links = sum(map(len, got))
    kept = sum(len({tuple(x) for x in a} & {tuple(x) for x in b}) for a, b in zip(got, fast_links))
    floor_seconds, gflop, rate = matrix_product_floor(batched, pairs, args.device)
    print(f"pairs {len(pairs)} (mean {words:.1f} words per pair), threads {args.threads}, matching {args.matching}, "
          f"device {args.device}, best of {args.repeats}")
    print(f"simalign per pair : {len(pairs) / pairwise_seconds:7.1f} pairs/s ({pairwise_seconds:.2f} s)")
    print(f"xlner batched     : {len(pairs) / batched_seconds:7.1f} pairs/s ({batched_seconds:.2f} s), "
          f"batch {args.batch_tokens} sub-tokens")
    print(f"speed-up          : {pairwise_seconds / batched_seconds:7.2f}x (float32)")
    print(f"identical links   : {same} of {len(pairs)} pairs (float32 batched vs simalign)")
    used = fast.precision["used"]
    print(f"xlner batched {used:8s}: {len(pairs) / fast_seconds:7.1f} pairs/s ({fast_seconds:.2f} s); speed-up over "
          f"simalign {pairwise_seconds / fast_seconds:.2f}x (precision {args.precision} -> {used}, native bfloat16 "
          f"{fast.precision['native_bf16']})")
    print(f"links changed     : {links - kept} of {links} float32 links ({(links - kept) / max(links, 1):.2%}) "
          f"absent in {used}; {sum(map(len, fast_links)) - kept} new")
    print(f"floor             : {gflop:.0f} GFLOP of encoder matrix products at {rate:.0f} GFLOP/s (fp32 "
          f"peak measured here) = {floor_seconds:.2f} s; speed-up ceiling {pairwise_seconds / floor_seconds:.2f}x")


def matrix_product_floor(aligner, pairs, device):
    """(seconds, GFLOP, GFLOP/s): the FLOPs of the linear layers the batched aligner runs on its padded batches,
    and the time they take at the fp32 rate of one large matrix product of the encoder's own shape."""
    import torch

    from xlner.align.aligners import token_batches

    layers = aligner._loader.emb_model.encoder.layer[:aligner.layer]
    per_token = sum(2 * m.in_features * m.out_features for m in layers.modules() if isinstance(m, torch.nn.Linear))
    lengths = sorted(sum(len(p) for p in words) + 2 for side in (0, 1)
                     for words in aligner._word_pieces([pair[side] for pair in pairs]))
    padded = sum(max(lengths[i] for i in b) * len(b) for b in token_batches(lengths, aligner.batch_tokens))
    flop = padded * per_token
    dense = next(m for m in layers.modules() if isinstance(m, torch.nn.Linear) and m.out_features > m.in_features)
    x = torch.randn(1024, dense.in_features, device=device)
    weight = torch.randn(dense.out_features, dense.in_features, device=device)
    with torch.inference_mode():
        seconds, _ = best_of(5, lambda: [torch.nn.functional.linear(x, weight) for _ in range(50)]
                             + ([torch.cuda.synchronize()] if device.startswith("cuda") else []))
    rate = 50 * 2 * x.shape[0] * dense.in_features * dense.out_features / seconds
    return flop / rate, flop / 1e9, rate / 1e9

if __name__ == "__main__":
    main()
