"""One settings object per stage: its fields, defaults and checks, in one place.

Each class mirrors one block of `workflow/schemas/config.schema.yaml` (`SCHEMA_BLOCKS` says which), and a test
asserts that the two agree field by field, defaults included. The plan (plan.py) fills a stage's object from the
validated config, the rule hands it to the stage as one JSON string (`--settings`), and the command line reads the
same object back (`from_json`), so a new knob is one field here, one schema entry and one test.

Pure standard library: the Snakefile imports this module at parse time.
"""
import json
import math
from dataclasses import asdict, dataclass, field, fields

__all__ = ["asdict", "build", "from_json", "json_object", "to_json"]

from .errors import SettingsError

PRECISIONS = ("auto", "float32", "bfloat16")  # the arithmetic of a stage family (precision.py)


@dataclass(frozen=True)
class DatasetSettings:
    """`xlner prepare`: a labelled dataset, a CoNLL/TSV file (`path`) or a Hugging Face dataset (`hf`)."""

    path: str | None = None
    hf: dict | None = None  # {id, config, split, revision}
    scheme: str = "iob2"
    label_map: dict = field(default_factory=dict)
    max_sentences: int | None = None

    def check(self):
        if bool(self.path) == bool(self.hf):
            raise SettingsError("a dataset names exactly one of `path` and `hf`")
        _one_of("scheme", self.scheme, ("iob1", "iob2"))
        _at_least("max_sentences", self.max_sentences, 1)


@dataclass(frozen=True)
class UnlabelledSettings:
    """`xlner unlabelled`: unlabelled target sentences, CoNLL (tags ignored) or raw text (one per line)."""

    path: str | None = None
    format: str = "conll"
    max_sentences: int | None = None

    def check(self):
        _one_of("format", self.format, ("conll", "text"))
        _at_least("max_sentences", self.max_sentences, 1)


@dataclass(frozen=True)
class MTSettings:
    """`xlner translate`: the machine translation of one direction (a language's `mt` block)."""

    backend: str = "apertium"
    mode: str | None = None  # Apertium mode, e.g. eng-spa
    model: str | None = None  # HF seq2seq model id or path
    src_lang: str | None = None
    tgt_lang: str | None = None
    batch_size: int | None = None  # default: 500 sentences (Apertium), 16 (HF)
    num_beams: int = 4
    max_new_tokens: int = 256
    dtype: str | None = None  # HF: float16 or bfloat16 weights (default: float16 on a GPU)

    def check(self):
        _one_of("backend", self.backend, ("apertium", "hf"))
        if self.backend == "apertium" and not self.mode:
            raise SettingsError("mt: backend apertium needs a `mode` (e.g. eng-spa)")
        if self.backend == "hf" and not self.model:
            raise SettingsError("mt: backend hf needs a `model`")
        _at_least("batch_size", self.batch_size, 1)


@dataclass(frozen=True)
class BackTranslationSettings:
    """`xlner back-translate`: English -> target of marked sentences (Apertium `-f html`, or a marker model)."""

    backend: str = "apertium"
    mode: str | None = None
    model: str | None = None
    src_lang: str | None = None
    tgt_lang: str | None = None
    batch_size: int | None = None  # default: 200 paragraphs (Apertium), 16 (HF)
    threshold: float = 0.5  # fuzzy entity match threshold (hf)

    def check(self):
        _one_of("backend", self.backend, ("apertium", "hf"))


@dataclass(frozen=True)
class AlignSettings:
    """`xlner align`: the word aligner and its encoder (`model`; the plan fills in `encoder.path` when null)."""

    aligner: str = "simalign"
    model: str | None = None
    layer: int = 8
    matching: str = "i"
    implementation: str = "batched"
    batch_tokens: int = 512  # padded sub-tokens per forward pass; 512 suits CPU caches
    batch_size: int | None = None  # optional cap on sentences per forward pass
    threshold: float = 0.001  # AWESoME's softmax threshold
    precision: str = "float32"  # auto | float32 | bfloat16 (precision.py; the plan sets it from precision.inference)

    def check(self):
        _one_of("precision", self.precision, PRECISIONS)
        _one_of("aligner", self.aligner, ("simalign", "awesome", "eflomal"))
        _one_of("matching", self.matching, ("a", "i", "m"))
        _one_of("implementation", self.implementation, ("batched", "pairwise"))
        if self.aligner != "eflomal" and not self.model:
            raise SettingsError("align: `model` (the encoder that aligns) is not set")


# A field added to a settings class after results were made: left out of params and records at its default
# (settings_dict), so an existing results folder does not rerun for it.
ADDED_LATER = {"added_later": True}
HEURISTICS = ("heuristic", "heuristic-paper", "heuristic-thesis")
ANCHOR_KINDS = ("unknown", "exact", "fuzzy")  # projection/anchors.py
ENTITY_TYPE_SOURCES = ("source", "target")  # the English entity's type (the paper) or the teacher's (retype.py)
COMBINE_RULES = ("projection-first", "teacher-first", "agreement", "verified", "mixture", "vote")  # projection/combine.py
MATCH_METHODS = ("ngram", "aligned-window", "ner-candidates")
STUDENT_ARMS = ("projection", "teacher-student", "hybrid", "supervised")  # a comb-tt recipe's `combine_with` arm
SCORE_PARTS = ("align", "ner", "ner_spans", "nmt")
# The paper code's constants (paper.md §3.3): the NER score's boost for an exact argmax span, its floor, and the
# NMT score's floor.
NER_ALPHA = 1.15
NER_THRESHOLD = 0.05
NMT_THRESHOLD = 0.1


@dataclass(frozen=True)
class ProjectSettings:
    """`xlner project`: a projection recipe (a method and its settings, paper.md §3)."""

    method: str = "heuristic"
    # heuristics
    merge_distance: int = 1
    ratio_threshold: float = 0.8
    only_i: bool = False  # heuristic-thesis: do not merge a run starting on the B word
    top_k: int | None = None  # heuristic-thesis: keep the k shortest ranges per entity
    # candidate matching (ngram, aligned-window, ner-candidates)
    matcher: str = "greedy"
    score: str = "align"
    # Weights of the fused score (the thesis's align_ner pipeline by default; all_fusion is
    # {align: 0.5, ner_spans: 0.5, nmt: 1}).
    weights: dict = field(default_factory=lambda: {"align": 0.5, "ner": 0.5, "ner_spans": 0.0, "nmt": 0.0})
    max_len: int | None = 10  # longest n-gram candidate (null: no limit)
    constraint: str = "le"  # candidates per entity <=, <, =, >=, > n_proj
    n_proj: int = 1
    solver: str = "highs"
    ner_alpha: float = NER_ALPHA
    ner_threshold: float = NER_THRESHOLD
    nmt_threshold: float = NMT_THRESHOLD
    back_translation: bool = False  # project through a labelled back-translation (workflow routing)
    # xlner's levers beyond the paper (projection/anchors.py, combine.py): string anchors that overrule the aligner's
    # links of entity words (unknown: MT-copied words; exact; fuzzy: inflected names), and a combination with the
    # teacher's own prediction on the target sentence (projection-first | teacher-first | agreement | verified |
    # mixture | vote).
    anchors: list = field(default_factory=list)
    combine: str | None = None
    combine_confidence: float = 0.0
    # The `mixture` rule's weight of the projected one-hot labels against the teacher's per-word distribution.
    combine_weight: float = field(default=0.5, metadata=ADDED_LATER)
    # Whose prediction on the target sentence the combination (and every target-side field the recipe reads) takes:
    # the zero-shot `teacher` (comb-zs), or a trained arm of the same run, "{arm}/{method}" (comb-tt: the projection
    # arm's student at its largest size, of the teacher's seed, as Ebing & Glavas 2025 combine translate-train and
    # translate-test). Translate-test only: the students do not exist before the curves.
    combine_with: str = field(default="teacher", metadata=ADDED_LATER)
    # Two more levers (session 24): `entity_type: target` types each projected span by the teacher's most probable
    # class over its target words instead of the English entity's type (projection/retype.py); `split_candidates`
    # (ner-candidates only) adds each listed candidate's parts cut at punctuation, so an entity the teacher merged with
    # its neighbour ("San Francisco , California") can be matched on its own by the alignment score.
    entity_type: str = field(default="source", metadata=ADDED_LATER)
    split_candidates: bool = field(default=False, metadata=ADDED_LATER)
    # matching only: a pair whose score is not above this floor is never matched, so a teacher span the English side
    # supports only weakly is dropped (0: the paper's pruning of zero scores)
    min_match_score: float = field(default=0.0, metadata=ADDED_LATER)
    # matching only: the floor is at least this quantile of the entities' best scores in the batch (0: none), a share
    # of entities dropped whatever the scale of the scores (projection/matched.py `match_floor`)
    min_match_quantile: float = field(default=0.0, metadata=ADDED_LATER)

    def check(self):
        _one_of("method", self.method, HEURISTICS + MATCH_METHODS)
        for kind in self.anchors:
            _one_of("anchor", kind, ANCHOR_KINDS)
        if self.combine is not None:
            _one_of("combine", self.combine, COMBINE_RULES)
        if not 0.0 <= self.combine_weight <= 1.0:
            raise SettingsError(f"combine_weight must be between 0 and 1, got {self.combine_weight!r}")
        if self.student:
            if self.combine is None:
                raise SettingsError(f"combine_with {self.combine_with!r} needs a `combine` rule ({list(COMBINE_RULES)})")
            arm, method = self.student
            if arm not in STUDENT_ARMS or not method:
                raise SettingsError(f"combine_with {self.combine_with!r}: use `teacher` or ARM/METHOD of a trained arm "
                                    f"(ARM one of {list(STUDENT_ARMS)}), e.g. projection/tgt-heuristic")
        if self.combine == "vote" and not self.student:
            raise SettingsError("combine `vote` needs three voters: set combine_with to a student (ARM/METHOD, comb-tt); "
                                "with the teacher alone it is `agreement`")
        _one_of("entity_type", self.entity_type, ENTITY_TYPE_SOURCES)
        if self.min_match_score < 0:
            raise SettingsError(f"min_match_score must be at least 0, got {self.min_match_score!r}")
        if not 0.0 <= self.min_match_quantile < 1.0:
            raise SettingsError(f"min_match_quantile must be at least 0 and below 1, got {self.min_match_quantile!r}")
        if self.split_candidates and self.method != "ner-candidates":
            raise SettingsError(f"split_candidates splits listed NER candidates: it needs method ner-candidates, "
                                f"not {self.method!r}")
        _one_of("matcher", self.matcher, ("greedy", "ilp"))
        _one_of("score", self.score, ("align", "ner", "nmt", "fused"))
        _one_of("constraint", self.constraint, ("le", "lt", "eq", "ge", "gt"))
        _one_of("solver", self.solver, ("highs", "cbc"))
        unknown = set(self.weights) - set(SCORE_PARTS)
        if self.score == "fused" and unknown:
            raise SettingsError(f"unknown fused score weights {sorted(unknown)}; use {list(SCORE_PARTS)}")

    @property
    def beyond_the_paper(self):
        """Whether the recipe uses one of xlner's projection levers (anchors, split candidates, the teacher's type, a
        floor on the match score)."""
        return bool(self.anchors) or self.split_candidates or self.entity_type != "source" \
            or self.min_match_score > 0 or self.min_match_quantile > 0

    @property
    def student(self):
        """(arm, method) of the run's model a comb-tt recipe combines with; None where it combines with the teacher."""
        if self.combine_with == "teacher":
            return None
        arm, _, method = self.combine_with.partition("/")
        return arm, method

    def score_weights(self):
        """The weight of each score part: the fused weights, or 1 on the one score chosen."""
        if self.score == "fused":
            return {part: float(self.weights.get(part, 0.0)) for part in SCORE_PARTS}
        return {part: float(part == self.score) for part in SCORE_PARTS}

    def needs(self):
        """(optional fields of the input lines this recipe reads, whether it needs an NMT model)."""
        needed = {"tgt_candidates", "tgt_label_probs"} if self.combine else set()  # the teacher's own prediction
        if self.combine == "vote":
            needed.add("teacher_candidates")  # the zero-shot teacher's spans, kept by `xlner tag --keep-teacher`
        if self.entity_type == "target":
            needed.add("tgt_label_probs")
        if self.method not in MATCH_METHODS:
            return needed, False
        weights = self.score_weights()
        if self.method == "ner-candidates":
            needed.add("tgt_candidates")
        if weights["ner"] or weights["ner_spans"]:
            needed.add("tgt_label_probs")
        return needed, bool(weights["nmt"])


@dataclass(frozen=True)
class NMTSettings:
    """The seq2seq model of the projection's NMT score, with its codes of English and of the target language."""

    model: str | None = None
    src_lang: str | None = None
    tgt_lang: str | None = None


@dataclass(frozen=True)
class TrainSettings:
    """`xlner train`, `train-teacher`, `train-distilled`: transformers' Trainer settings."""

    seed: int = 1
    # Optimizer steps = max(min_steps, ceil(epochs * sentences / batch_size)), capped by max_steps (null: no cap):
    # small training sets still get enough updates, large ones a fixed number of passes.
    epochs: float = 3.0
    min_steps: int = 40
    max_steps: int | None = None
    batch_size: int = 32
    learning_rate: float = 1e-4
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    max_length: int = 64
    freeze_embeddings: bool = True
    threads: int = 0  # 0: torch's default
    layers: int | None = None  # keep only the encoder's first N transformer layers (null: all)
    # Freeze the embeddings and the lowest N transformer layers: backward stops above them (models/train.py).
    freeze_layers: int = 0
    # With dev data: evaluate every N steps and keep the best checkpoint by dev F1. With average_checkpoints: the
    # averaging interval; dev is then not evaluated during training, only the average at the end (models/train.py).
    eval_steps: int = 0
    precision: str = "float32"  # auto | float32 | bfloat16 (precision.py; the plan sets it from precision.training)
    # Run each batch as length-sorted micro-batches (models/buckets.py): the same batches and loss, less padding.
    length_buckets: bool = True
    # Save the mean of the weights at every eval_steps of the second half of training and at its end, not the best
    # dev checkpoint (models/train.py: CheckpointAverage).
    average_checkpoints: bool = False

    def check(self):
        _one_of("precision", self.precision, PRECISIONS)
        _at_least("batch_size", self.batch_size, 1)
        _at_least("min_steps", self.min_steps, 1)
        _at_least("freeze_layers", self.freeze_layers, 0)

    def steps_for(self, sentences):
        steps = max(self.min_steps, math.ceil(self.epochs * sentences / self.batch_size))
        return min(steps, self.max_steps) if self.max_steps else steps


@dataclass(frozen=True)
class KDSettings:
    """`xlner train-distilled`: the distillation loss on the teacher's soft labels."""

    loss: str = "mse"
    temperature: float = 1.0

    def check(self):
        _one_of("loss", self.loss, ("mse", "kl"))


HYBRID_METHODS = ("mixed", "unitrans", "voted", "refined", "agree")
# Which projection direction each hybrid method pairs with (plan.py): agree needs both transfers on the same target
# sentences (target-side projection); unitrans, voted and refined read translate-train files (the projected
# translations, or the teacher's labels of them); mixed takes either.
HYBRID_DIRECTIONS = {"mixed": ("translate-train", "target-side"), "unitrans": ("translate-train",),
                     "voted": ("translate-train",), "refined": ("translate-train",), "agree": ("target-side",)}


@dataclass(frozen=True)
class HybridSettings:
    """The hybrid arm: students that learn from projected data and from the teacher at once (`methods`, each
    paired with every projection recipe: `mixed-heuristic`). mixed: cross-entropy on the N projected sentences
    plus `kd_weight` x the distillation loss on the teacher's soft labels of N target sentences; unitrans: the
    teacher fine-tuned on the N projected sentences (at `teacher_learning_rate`, all its layers) labels the N target
    sentences and a fresh student distils from it; voted: unitrans with UniTrans's voting (a hard label where the
    English teacher and the second-stage teacher decode to the same one, models/voting.py); refined: the projected sentences with each word's label replaced
    by the teacher's where the teacher's probability of its own label is at least `refine_confidence`; agree (target-side
    recipes only: both transfers label the same N target sentences): hard where the projected label and the teacher's
    decoded one agree, else `agree_weight` x the projected one-hot + (1 - agree_weight) x the teacher's
    distribution."""

    methods: list = field(default_factory=lambda: ["mixed"])
    kd_weight: float = 30.0
    teacher_learning_rate: float = 5e-5
    refine_confidence: float = 0.9
    agree_weight: float = 0.0  # chosen on es dev: benchmarks/agree_weight.py -> agree_weight.tsv

    def check(self):
        for method in self.methods:
            _one_of("hybrid.methods", method, HYBRID_METHODS)
        if self.kd_weight < 0:
            raise SettingsError(f"hybrid.kd_weight must be at least 0, not {self.kd_weight}")
        if not 0 < self.refine_confidence <= 1:
            raise SettingsError(f"hybrid.refine_confidence must be in (0, 1], not {self.refine_confidence}")
        if not 0 <= self.agree_weight <= 1:
            raise SettingsError(f"hybrid.agree_weight must be in [0, 1], not {self.agree_weight}")


@dataclass(frozen=True)
class CurveSettings:
    """`xlner curves`: the bootstrap, the fitted curves and the answers beyond the measured sizes."""

    bootstrap: int = 1000
    seed: int = 1
    reference_arm: str = "teacher-student"  # the arm each projection method is compared with
    confidence: float = 0.95  # of the t-intervals over seeds and of the bootstrap intervals of the gaps
    extrapolation_factor: float = 4.0  # answers reach at most this factor beyond the trained sizes (and below)

    def check(self):
        if self.extrapolation_factor < 1:
            raise SettingsError(f"curves.extrapolation_factor must be at least 1, not {self.extrapolation_factor}")


# Which schema block each class mirrors (a JSON pointer into config.schema.yaml): checked by tests/test_settings.py.
SCHEMA_BLOCKS = {
    DatasetSettings: "/definitions/dataset",
    UnlabelledSettings: "/definitions/unlabelled",
    MTSettings: "/definitions/mt",
    BackTranslationSettings: "/definitions/back_translation",
    AlignSettings: "/properties/align",
    ProjectSettings: "/definitions/recipe",
    NMTSettings: "/properties/project/properties/nmt",
    TrainSettings: "/definitions/train_settings",
    KDSettings: "/properties/kd",
    HybridSettings: "/properties/hybrid",
    CurveSettings: "/properties/curves",
}

# Fields the plan fills in rather than the config block: the seed of a run comes from `seeds` (students) or
# `teacher.seed`, never from `train`.
# Fields the plan fills from other config keys: the seed from `seeds`, the precision from `precision` (one block
# for every stage family, rather than a key in each settings block).
FILLED_BY_PLAN = {TrainSettings: ("seed", "precision"), AlignSettings: ("precision",)}


def build(cls, values=None, **overrides):
    """An instance of a settings class from a mapping (missing keys take the defaults), checked."""
    values = {**(values or {}), **overrides}
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise SettingsError(f"{cls.__name__}: unknown setting(s) {unknown}; known: {sorted(known)}")
    try:
        settings = cls(**values)
    except TypeError as error:
        raise SettingsError(f"{cls.__name__}: {error}") from None
    if hasattr(settings, "check"):
        settings.check()
    return settings


def json_object(text):
    """The JSON object of a `--settings` option."""
    try:
        values = json.loads(text)
    except json.JSONDecodeError as error:
        raise SettingsError(f"--settings is not valid JSON ({error.msg} at character {error.pos})") from None
    if not isinstance(values, dict):
        raise SettingsError("--settings must be a JSON object")
    return values


def from_json(cls, text):
    """A settings object from the JSON string a rule passes (`--settings`)."""
    return build(cls, json_object(text))


def settings_dict(settings):
    """The settings as a dict for params and records: every field, but a field added after results were made
    (`ADDED_LATER`) only where it is not at its default, so that adding a setting leaves the params (and so the
    runs) of an existing results folder as they were."""
    later = {f.name: f.default for f in fields(settings) if f.metadata.get("added_later")}
    return {key: value for key, value in asdict(settings).items() if not (key in later and value == later[key])}


def to_json(settings):
    """The one-piece form a rule passes to a stage (sorted keys: the same settings give the same string)."""
    return json.dumps(settings_dict(settings), sort_keys=True)


def _one_of(name, value, choices):
    if value not in choices:
        raise SettingsError(f"{name} {value!r} is not one of {list(choices)}")


def _at_least(name, value, minimum):
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < minimum):
        raise SettingsError(f"{name} must be an integer >= {minimum}, got {value!r}")
