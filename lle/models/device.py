"""Where and at which precision a model runs: ``device="auto"`` is CUDA when available, else the CPU; ``precision``
"bf16"/"fp16" runs the forward pass under autocast. Scores always come back as float32 numpy on the CPU. On the
CPU in float32 nothing is moved or cast, so results are bit-identical to code that never heard of devices."""

from __future__ import annotations

import contextlib
import platform
from pathlib import Path

import torch

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


ISA_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16")


def cpu_description(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name and which of :data:`ISA_FLAGS` it has (Linux: /proc/cpuinfo; elsewhere the platform's
    processor string). Recorded beside torch's kernel capability: CPUs with the same torch kernels ("AVX512") can
    differ in the vector and matrix units their BLAS uses, so a run that does not give back its bits elsewhere
    can be told apart from one that changed."""
    try:
        lines = cpuinfo.read_text().splitlines()
    except OSError:
        return platform.processor() or "unknown"
    fields = dict(line.split(":", 1) for line in lines if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    flags = set(fields.get("flags", "").split())
    present = " ".join(flag for flag in ISA_FLAGS if flag in flags)
    model = fields.get("model name") or platform.processor() or "unknown"
    return f"{model} ({present})" if present else model


def resolve_device(device="auto") -> torch.device:
    """'auto' to CUDA when available else CPU; CUDA asked for but absent is a ValueError."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for but torch sees no CUDA device; use device='cpu' or 'auto'")
    return resolved


def check_precision(precision: str, device: torch.device) -> None:
    """Reject an unknown precision, and fp16 on the CPU."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {sorted(PRECISIONS)}, got {precision!r}")
    if precision == "fp16" and device.type == "cpu":
        raise ValueError("precision='fp16' needs a GPU; on the CPU use 'bf16' or 'fp32'")


def check_placement(device: str, precision: str) -> None:
    """Refuse, before any work, a device torch cannot find or a precision it cannot run there; the message names
    the ``--device`` or ``--precision`` value and the fix."""
    try:
        resolved = resolve_device(device)
    except (RuntimeError, ValueError) as error:
        raise ValueError(f"--device {device}: {error}") from None
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"--device {device}: torch sees no Apple GPU (MPS) here; use --device cpu or auto")
    try:
        check_precision(precision, resolved)
    except ValueError as error:
        raise ValueError(f"--precision {precision}: {error}") from None


def autocast(device: torch.device, precision: str = "fp32"):
    """torch.autocast for bf16/fp16, nothing for fp32."""
    dtype = PRECISIONS[precision]
    return contextlib.nullcontext() if dtype is None else torch.autocast(device.type, dtype=dtype)


def to_device(batch: dict, device: torch.device | None) -> dict:
    """``batch`` moved to ``device`` (unchanged on the CPU)."""
    return batch if device is None or device.type == "cpu" else {k: v.to(device) for k, v in batch.items()}


def place(model: torch.nn.Module, device=None, precision: str = "fp32") -> torch.device:
    """Move ``model`` to ``device`` if one is asked for (None: leave it where it is), check the precision for that
    device, and return where the model runs."""
    if device is not None:
        model.to(resolve_device(device))
    resolved = next(model.parameters()).device
    check_precision(precision, resolved)
    return resolved
