"""The arithmetic a stage runs in: float32, or bfloat16 where the hardware computes it natively.

`precision: auto | float32 | bfloat16`, one per stage family (config `precision.inference`: alignment, soft labels,
tagging, evaluation; `precision.training`). `auto` takes bfloat16 on a CUDA GPU that supports it and on a CPU with
AMX or AVX-512 BF16 instructions (read from the CPU's flags, hardware.py), float32 anywhere else: bfloat16 on a CPU
without them is emulated and slower. bfloat16 runs under `torch.autocast`: weights and optimiser state stay
float32, matrix products run in bfloat16, and the operations autocast keeps in float32 (softmax, layer norm,
losses) stay there; xlner's losses and probabilities are computed from float32 logits either way. What was asked
for and what was used are both recorded with every result.
"""
import contextlib

from xlner.errors import SettingsError
from xlner.hardware import BF16_FLAGS, cpu_flags
from xlner.settings import PRECISIONS


def native_bfloat16(device):
    """Whether `device` ("cpu" or "cuda") multiplies bfloat16 matrices natively."""
    if device == "cuda":
        import torch

        return bool(torch.cuda.is_bf16_supported())
    return any(flag in cpu_flags() for flag in BF16_FLAGS)


def resolve(requested, device):
    """"auto" | "float32" | "bfloat16" -> the precision a stage on `device` runs in."""
    if requested not in PRECISIONS:
        raise SettingsError(f"precision must be one of {', '.join(PRECISIONS)}, not {requested!r}")
    if requested != "auto":
        return requested
    return "bfloat16" if native_bfloat16(device) else "float32"


def autocast(precision, device):
    """The context a forward pass runs in at `precision` (already resolved)."""
    if precision == "float32":
        return contextlib.nullcontext()
    import torch

    return torch.autocast(device_type=device, dtype=torch.bfloat16)


def record(requested, used, device):
    """What a result records about its arithmetic."""
    return {"requested": requested, "used": used, "device": device, "native_bf16": native_bfloat16(device)}
