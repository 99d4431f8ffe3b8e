"""GPU time of a configuration from measured rates: what `benchmarks/gpu_check.py` prints as GPU-hours per language.

Pure arithmetic over the plan's own counts (pool sizes, sizes x seeds x arms, training steps from the train
settings) and rates measured on a GPU (sentences/s, pairs/s, optimizer steps/s). Counts a config does not state
(the size of a Hugging Face test or train split) come from `Assumptions`, printed with the result.
"""
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Rates:
    """Throughputs measured on one GPU."""

    mt_sentences_per_s: float  # the configured MT model, beams and batch size
    align_pairs_per_s: float  # the batched aligner on the configured encoder
    train_steps_per_s: float  # a student at the configured batch size
    student_sentences_per_s: float  # student inference (evaluation)
    teacher_sentences_per_s: float  # teacher inference (soft labels, tagging, zero-shot)


@dataclass(frozen=True)
class Assumptions:
    """Counts the config leaves to the datasets (Hugging Face splits are not read to plan)."""

    test_sentences: int = 1000  # a language's test split when it sets no max_sentences
    train_sentences: int = 5000  # a language's gold train split (and unlabelled pool) when not stated


def seconds_per_language(plan, lang, rates, assumed=Assumptions()):
    """{component: GPU seconds} for one language of a plan."""
    spec = plan.lang(lang)
    pool = plan.config["source"]["pool_size"]
    test = (spec.get("test") or {}).get("max_sentences") or assumed.test_sentences
    train = (spec.get("train") or {}).get("max_sentences") or assumed.train_sentences
    back_translated = any(plan.recipe(m).back_translation for m in plan.methods)
    tt = plan.tt.get("languages", {}).get(lang)
    tt_test = ((tt or {}).get("test") or {}).get("max_sentences") or assumed.test_sentences
    tt_back = bool(tt and tt.get("back_translation")) and any(plan.recipe(c).back_translation for c in plan.tt_columns)
    mt = pool * (1 + back_translated) + (tt_test * (1 + tt_back) if tt else 0)
    pairs = pool * (1 + back_translated) + (tt_test * (1 + tt_back) if tt else 0)
    steps, evaluated = 0, 0
    for arm, method, size, _seed in plan.trained_runs(lang):
        available = pool if arm == "projection" else train
        sentences = available if size == "all" else min(int(size), available)
        if arm == "hybrid":  # N projected and N target sentences; unitrans (and voted, which reuses unitrans's)
            sentences = 2 * sentences if method.startswith("mixed") else sentences  # also fine-tunes a teacher on N
            second_teacher = method.startswith("unitrans") or (method.startswith("voted")
                                                               and "unitrans" not in plan.hybrid().methods)
            steps += plan.train(1).steps_for(sentences) if second_teacher else 0
        steps += plan.train(1).steps_for(sentences)
        evaluated += test if plan.has_test(lang) else 0
    teacher = (train if "teacher-student" in plan.lang_arms(lang) else 0) + (test if "zero-shot" in plan.arms else 0)
    teacher += pool if any(plan.reads_tagger(m) for m in plan.methods) else 0
    teacher += tt_test if tt else 0
    return {"translate": mt / rates.mt_sentences_per_s, "align": pairs / rates.align_pairs_per_s,
            "train": steps / rates.train_steps_per_s, "evaluate": evaluated / rates.student_sentences_per_s,
            "teacher": teacher / rates.teacher_sentences_per_s}


def gpu_hours(plan, rates, assumed=Assumptions()):
    """Per language and in all: GPU-hours by component, with the rates and assumptions they rest on."""
    languages = {lang: seconds_per_language(plan, lang, rates, assumed) for lang in plan.langs}
    per_language = {lang: round(sum(parts.values()) / 3600, 3) for lang, parts in languages.items()}
    components = {part: round(sum(parts[part] for parts in languages.values()) / 3600, 3)
                  for part in next(iter(languages.values()))}
    return {"per_language": per_language, "mean_per_language": round(sum(per_language.values()) / len(languages), 3),
            "total": round(sum(per_language.values()), 3), "by_component": components, "rates": asdict(rates),
            "assumptions": asdict(assumed)}
