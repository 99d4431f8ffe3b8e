"""What the machine computes natively, detected rather than assumed, and recorded with every result.

Machines differ: an Intel Xeon with AMX multiplies bfloat16 matrices ~9x faster than float32, an AMD EPYC may
have AVX-512 with or without its bfloat16 instructions, a laptop neither. `torch.backends.cpu.
get_cpu_capability()` stops at AVX-512 and cannot see AMX, so the CPU's own flags are read too.
"""
import os
import platform
from functools import lru_cache

BF16_FLAGS = ("amx_bf16", "avx512_bf16")


@lru_cache(maxsize=1)
def cpu_flags():
    """The CPU's feature flags (Linux /proc/cpuinfo; empty elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe():
    """The hardware a result was computed on: CPU model, cores, native bfloat16 (AMX or AVX-512 BF16), and the
    GPU if torch sees one. Imports torch only if it is already loaded (recording costs nothing)."""
    import sys

    flags = cpu_flags()
    record = {"cpu": cpu_model(), "cores": os.cpu_count(), "amx_bf16": "amx_bf16" in flags,
              "avx512_bf16": "avx512_bf16" in flags, "native_bf16": any(f in flags for f in BF16_FLAGS)}
    torch = sys.modules.get("torch")
    if torch is not None:
        record["torch_cpu_capability"] = torch.backends.cpu.get_cpu_capability()
        record["gpu"] = torch.cuda.get_device_name() if torch.cuda.is_available() else None
    return record
