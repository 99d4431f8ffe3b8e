"""Analysis stages: learning curves with bootstrap gaps and plots; the accounting of what each stage dropped."""
from xlner.analysis.accounting import write_accounting
from xlner.analysis.curves import build_curves


def curves(run_dirs, output_dir, settings, no_test=()):
    """curves.tsv, summary.tsv, gaps.tsv and plots from the runs' metrics and predictions (CurveSettings)."""
    return build_curves(run_dirs, output_dir, settings.reference_arm, settings.bootstrap, settings.seed, no_test,
                        settings.confidence)


def accounting(lang, stats_files, output_path):
    """stats_files: NAME -> statistics file (data_source, translate, align, project_METHOD, soft, metrics_N...)."""
    return write_accounting(lang, stats_files, output_path)
