"""Analysis stages: learning curves with bootstrap gaps and plots; the accounting of what each stage dropped."""
from pathlib import Path

from xlner.analysis.accounting import write_accounting
from xlner.analysis.curves import build_curves
from xlner.analysis.recommend import recommendation
from xlner.errors import InputError
from xlner.formats.atomic import write_text
from xlner.formats.text import read_json


def curves(run_dirs, output_dir, settings, no_test=()):
    """curves.tsv, summary.tsv, gaps.tsv, fits.tsv, equivalents.tsv, fits.json and plots from the runs' metrics
    and predictions (CurveSettings)."""
    return build_curves(run_dirs, output_dir, settings, no_test)


def accounting(lang, stats_files, output_path):
    """stats_files: NAME -> statistics file (data_source, translate, align, project_METHOD, soft, metrics_N...)."""
    return write_accounting(lang, stats_files, output_path)


def recommend(results_dir, lang, budget, gold=None, output_path=None):
    """The Markdown recommendation for one language at a budget, from `{results}/fits.json` (`xlner curves`)."""
    path = Path(results_dir) / "fits.json"
    if not path.is_file():
        raise InputError(path, "no fits.json here: run the workflow (or `xlner curves`) first")
    record = read_json(path)
    if lang not in record:
        raise InputError(path, f"no curves of language {lang!r}; it has {sorted(record) or 'none'}")
    text = recommendation(record[lang], budget, gold)
    if output_path:
        write_text(output_path, text)
    else:
        print(text)
    return text
