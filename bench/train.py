"""Training throughput (samples per second) for every model, full and lite, with its own loss,
on the CPU here (fp32 and bf16 autocast) and on CUDA when present. Synthetic targets of the
right shape: throughput does not depend on the data.
Run: .venv/bin/python bench/train.py [--models ...] [--steps N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from poseapp.models.losses import LossConfig  # noqa: E402
from poseapp.models import available_models, build_model  # noqa: E402


def fake_batch(model, batch: int, device):
    codec = model.codec()
    size = model.config.input_size
    rng = np.random.default_rng(0)
    targets, weights, kps = [], [], []
    for _ in range(batch):
        k = np.column_stack([rng.uniform(10, size - 10, model.config.num_joints), rng.uniform(10, size - 10, model.config.num_joints),
                             rng.choice([1.0, 2.0], model.config.num_joints)])
        t, w = codec.encode(k)
        targets.append(t)
        weights.append(w)
        kps.append(k.astype(np.float32))
    to = lambda a: torch.from_numpy(np.stack(a)).to(device)  # noqa: E731
    return torch.randn(batch, 3, size, size, device=device), to(targets), to(weights), to(kps)


def measure(name: str, device, amp, batch: int, steps: int, overrides: dict | None = None,
            channels_last: bool = False) -> float:
    model = build_model(name, **(overrides or {})).to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x, target, weight, kps = fake_batch(model, batch, device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    cfg = LossConfig()

    def step():
        with torch.autocast(device.type, dtype=amp or torch.float32, enabled=amp is not None):
            out = model(x)
        loss = model.loss(out, target, weight, kps, cfg)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()

    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return batch * steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", default=available_models())
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--recurrent-variants", action="store_true",
                        help="issue #12: recurrent-lite at lite / wide / wide-dilated widths, fp32, bf16, bf16 + channels-last")
    args = parser.parse_args()
    if args.recurrent_variants:
        recurrent_variants(args.batch, max(args.steps, 6))
        return
    setups = [(torch.device("cpu"), None, "cpu fp32"), (torch.device("cpu"), torch.bfloat16, "cpu bf16")]
    if torch.cuda.is_available():
        setups.append((torch.device("cuda"), torch.bfloat16, "cuda bf16"))
    else:
        print("no CUDA GPU: GPU figures not measured")
    print(f"{'model':22s} {'setup':>10s} {'samples/s':>10s}")
    for name in args.models:
        for device, amp, label in setups:
            steps = args.steps if name.endswith("-lite") or device.type == "cuda" else 1
            batch = args.batch if name.endswith("-lite") or device.type == "cuda" else 4
            print(f"{name:22s} {label:>10s} {measure(name, device, amp, batch, steps):10.1f}", flush=True)


WIDE = {"widths": (32, 64, 128), "context_width": 128, "fusion_width": 128, "recurrent_width": 64}
VARIANTS = {
    "lite": {},
    "wide (7x7)": WIDE,
    "wide-dilated (3x3, dilation 3)": {**WIDE, "context_kernel": 3, "context_dilation": 3, "recurrent_kernel": 3,
                                        "recurrent_dilation": 3},
}


def recurrent_variants(batch: int, steps: int) -> None:
    """Samples/s of the recipe experiments' architectures (bench/recipe.py). bf16 + channels-last
    with dilated convolutions gives NaN gradients in oneDNN (the trainer avoids it), so its speed
    there is not a usable figure."""
    print(f"torch threads {torch.get_num_threads()}; batch {batch}; {'variant':32s} fp32 | bf16 | bf16+channels-last")
    cpu = torch.device("cpu")
    for label, overrides in VARIANTS.items():
        rates = [measure("recurrent-lite", cpu, amp, batch, steps, overrides, cl)
                 for amp, cl in ((None, False), (torch.bfloat16, False), (torch.bfloat16, True))]
        print(f"{label:32s} " + " | ".join(f"{r:6.1f}" for r in rates), flush=True)


if __name__ == "__main__":
    main()
