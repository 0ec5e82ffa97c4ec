"""Where a run trains: the device, its mixed-precision type, and how the card names the hardware."""

from __future__ import annotations

import os
import platform

import torch

from poseapp.core.errors import PoseAppError


def amp_dtype_for(device: torch.device, mode: str) -> torch.dtype | None:
    if mode == "off":
        return None
    if device.type == "cuda":
        if mode == "fp16":
            return torch.float16
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if mode == "fp16":
        raise PoseAppError("fp16 autocast needs a CUDA GPU; use bf16 or off on the CPU")
    # Without native bf16 (AVX512-BF16/AMX) oneDNN emulates it: 50x slower than fp32 on an AVX2 CPU,
    # and it has no bf16 LSTM at all. So "bf16" means "bf16 where the CPU has it", like "auto";
    # the start event says which was used (amp, amp_note).
    if mode in ("bf16", "auto") and cpu_has_fast_bf16():
        return torch.bfloat16
    return None


def cpu_has_fast_bf16() -> bool:
    return bool(getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)())


def amp_note(device: torch.device, mode: str, dtype: torch.dtype | None) -> str | None:
    if device.type == "cpu" and mode == "bf16" and dtype is None:
        return "bf16 asked for, but this CPU has no native bf16: training in fp32"
    return None


def pick_device() -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    return torch.device("cpu")


def hardware_description(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            name = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    threads = torch.get_num_threads()
    return f"{name} CPU, {threads} thread{'s' if threads != 1 else ''}"


