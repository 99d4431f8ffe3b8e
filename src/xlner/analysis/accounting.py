"""Nothing silent: one table per language of everything dropped, truncated, split or relabelled on the way.

Built from the stages' own statistics files (each stage counts what it changes); a zero is listed too, so the
reader sees that the check was made.
"""

from xlner.formats.tables import write_tsv
from xlner.formats.text import read_json


def _load(path):
    """A stage's statistics; a stage the language does not have is not named (a named file must be there)."""
    return read_json(path) if path else None


def _with_teacher(stage, key):
    """A stage's name for a file NAME or NAME@t (one per teacher, where the stage depends on the teacher)."""
    stage = stage.partition("@")[0]
    return f"{stage} (teacher {key.rpartition('@')[2]})" if "@" in key else stage


def read_rows(name, stats):
    """Rows for a dataset read (`xlner prepare`): empty sentences, IOB1 repairs, classes mapped away."""
    rows = [(name, "empty sentences skipped", stats.get("empty_sentences_skipped", 0), ""),
            (name, "IOB1 tags rewritten as B-", stats.get("iob1_tags_rewritten_as_b", 0), "")]
    for mapping, count in sorted((stats.get("mapped_entities") or {}).items()):
        rows.append((name, f"entities mapped {mapping}", count, "label_map"))
    return rows


def accounting_rows(lang, files):
    """files: {stage name: statistics JSON path}; absent files (stages a language does not have) are skipped."""
    rows = []
    for name in ("source", "test", "train"):
        stats = _load(files.get(f"data_{name}"))
        if stats:
            rows += read_rows(f"data/{name}", stats)
    # translate-train (the English pool), then target-side (the language's own pool, into English)
    for prefix, stage in (("", ""), ("pool_", "to-english/")):
        stats = _load(files.get(f"{prefix}translate"))
        if stats:
            rows.append((f"{stage}translate", "sentences that failed translation (dropped)", stats["failed"],
                         " ".join(map(str, stats.get("failed_ids", [])[:20]))))
        stats = _load(files.get(f"{prefix}align"))
        if stats:
            rows.append((f"{stage}align", "pairs left unaligned (too long for the aligner)",
                         stats.get("too_long_unaligned", 0), ""))
            rows.append((f"{stage}align", "sentences embedded in windows (too long for one pass)",
                         stats.get("sentences_split_into_windows", 0), ""))
    for key in sorted(k for k in files if k == "label" or k.startswith("label@")):
        stats = _load(files[key])
        stage = _with_teacher("label", key)
        if stats and stats.get("source") == "model":
            rows.append((stage, "words whose model label differs from argmax (IOB2 decoding)",
                         stats.get("words_changed_from_argmax", 0), ""))
            rows.append((stage, "model classes sent to O", len(stats["mapping"]["mapped_to_O"]),
                         ",".join(stats["mapping"]["mapped_to_O"])))
    for key in sorted(k for k in files if k == "backtranslate" or k.startswith("backtranslate@")):
        stats = _load(files[key])
        stage = _with_teacher("back-translate", key)
        if stats:
            rows.append((stage, "sentences that failed back-translation (project nothing)", stats["failed"], ""))
            rows.append((stage, "entities lost in back-translation", stats.get("entities_lost", 0),
                         f"of {stats['entities_in']}"))
            for what, name in (("entities split by reordering (longest piece kept)", "split_entities"),
                               ("bracketed spans with no entity match (unlabelled)", "unmatched_spans")):
                if name in stats:
                    rows.append((stage, what, stats[name], ""))
    for key in sorted(k for k in files if k.startswith("pool_tag_")):
        stats = _load(files[key])
        rows.append((f"to-english/tag (teacher {key[len('pool_tag_'):]})",
                     "English words whose teacher label differs from argmax (IOB2 decoding)",
                     stats.get("src_words_changed_from_argmax", 0), ""))
    for key in sorted(k for k in files if k.startswith(("project_", "pool_project_"))):
        stats = _load(files[key])
        if stats:
            method = _with_teacher(key[len("project_"):], key) if key.startswith("project_") else \
                "to-english/{} (teacher {})".format(*key[len("pool_project_"):].rsplit("_", 1))
            for kind, lost in sorted(stats["entities_lost"].items()):
                rows.append((f"project/{method}", f"{kind} entities not projected", lost,
                             f"of {stats['entities_in'][kind]}"))
            rows.append((f"project/{method}", "sentences with an entity lost", stats["sentences_with_lost_entities"], ""))
            if "infeasible_sentences" in (stats.get("matching") or {}):
                rows.append((f"project/{method}", "sentences whose ILP is infeasible (no projection)",
                             stats["matching"]["infeasible_sentences"], ""))
    for name in sorted(k for k in files if k == "soft" or k.startswith("soft_")):
        stats = _load(files[name])
        stage = "soft labels" + (f" (teacher {name[5:]})" if name != "soft" else "")
        rows.append((stage, "teacher classes sent to O", len(stats["mapping"]["mapped_to_O"]),
                     ",".join(stats["mapping"]["mapped_to_O"])))
        rows.append((stage, "experiment classes the teacher cannot predict",
                     len(stats["mapping"]["target_types_missing_from_model"]),
                     ",".join(stats["mapping"]["target_types_missing_from_model"])))
    for key in sorted(k for k in files if k.startswith("agree_")):
        stats = _load(files[key])
        method, teacher = key[len("agree_"):].rsplit("_", 1)
        rows.append((f"hybrid/agree-{method} (teacher {teacher})", "pool sentences without a projection (left out)",
                     stats["sentences_without_projection"], ""))
        rows.append((f"hybrid/agree-{method} (teacher {teacher})", "words where projection and teacher disagree (mixed)",
                     stats["words"] - stats["words_agreed_hard"], f"of {stats['words']}"))
    trained = [(_load(p) or {}).get("train") or {} for k, p in files.items() if k.startswith("metrics_")]
    missing = [t.get("sentences_missing_upstream") or 0 for t in trained if t.get("sentences") is not None]
    if missing:
        rows.append(("train", "requested training sentences missing upstream (summed over runs)", sum(missing),
                     f"{len(missing)} runs"))
    return [{"lang": lang, "stage": stage, "what": what, "count": count, "detail": detail}
            for stage, what, count, detail in rows]


def write_accounting(lang, files, output):
    rows = accounting_rows(lang, files)
    write_tsv(output, rows, ["lang", "stage", "what", "count", "detail"])
    return rows
