"""Inference speed per crop, decoding included, for every model (full and lite) at batch 1 and 32.

Targets (issue 3): the lite recurrent model at most 40 ms per crop at batch 1 on the 2-core CPU;
the full recurrent model with 2 iterations at least 1,000 crops/s at batch 32 with bf16 autocast
on an H100-class GPU (measured only when CUDA is present).
Run: .venv/bin/python bench/infer.py [--models recurrent-lite ...] [--repeat N]
Weights are random: speed does not depend on them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from poseapp.engine.decoding import decode_output  # noqa: E402
from poseapp.models import available_models, build_model, count_parameters  # noqa: E402


def measure(model, batch: int, device: torch.device, amp: torch.dtype | None, repeat: int, iterations=None) -> float:
    size = model.config.input_size
    x = torch.randn(batch, 3, size, size, device=device)
    codec = model.codec()

    def once():
        with torch.no_grad(), torch.autocast(device.type, dtype=amp or torch.float32, enabled=amp is not None):
            out = model(x, iterations=iterations)
        decode_output(model, out, codec)  # includes the copy back to the host
        if device.type == "cuda":
            torch.cuda.synchronize()

    once()
    start = time.perf_counter()
    for _ in range(repeat):
        once()
    return (time.perf_counter() - start) / repeat / batch


def measure_refine(name: str, repeat: int) -> tuple[float, dict[int, float]]:
    """Median ms of a first prediction that keeps the cache, and of Predictor.refine from it with
    1 and 3 hints (hint maps, the re-run of the cheap part, decoding, mapping to the image)."""
    import numpy as np

    from poseapp.engine.predictor import Predictor

    predictor = Predictor(build_model(name).eval(), {"name": name})
    image = np.random.default_rng(0).integers(0, 255, (200, 150, 3), dtype=np.uint8)
    box = (10.0, 10.0, 120.0, 180.0)

    def median_ms(fn) -> float:
        fn()
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return 1000 * float(np.median(times))

    cache = predictor.predict(image, [box], keep_cache=True)[0].cache
    full = median_ms(lambda: predictor.predict(image, [box], keep_cache=True))
    hints = {6: (40.0, 60.0), 7: (50.0, 70.0), 0: (60.0, 170.0)}
    refine = {n: median_ms(lambda n=n: predictor.refine(cache, dict(list(hints.items())[:n]))) for n in (1, 3)}
    return full, refine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", default=available_models())
    parser.add_argument("--batches", nargs="*", type=int, default=[1, 32])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    devices = [(torch.device("cpu"), None)]
    if torch.cuda.is_available():
        devices.append((torch.device("cuda"), torch.bfloat16))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads"
          + (f", GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ", no CUDA GPU (GPU figures not measured)"))
    print(f"{'model':22s} {'params':>8s} {'device':>10s} {'batch':>5s} {'ms/crop':>9s} {'crops/s':>9s}")
    for name in args.models:
        for device, amp in devices:
            model = build_model(name).to(device).eval()
            for batch in args.batches:
                repeat = args.repeat if (batch == 1 or name.endswith("-lite") or device.type == "cuda") else 1
                sec = measure(model, batch, device, amp, repeat)
                label = f"{device.type}{'+bf16' if amp else ''}"
                print(f"{name:22s} {count_parameters(model) / 1e6:7.2f}M {label:>10s} {batch:5d} {1000 * sec:9.2f} {1 / sec:9.1f}", flush=True)
    for name in ("recurrent-lite", "part_regression-lite"):
        if name in args.models:
            full, refine = measure_refine(name, args.repeat * 10)
            print(f"{name} on cpu: predict with cache {full:.1f} ms, refine with 1 / 3 hints "
                  f"{refine[1]:.1f} / {refine[3]:.1f} ms per person (median; issue #13 target well under 50)")
    # the recurrent model with 0, 1, 2, 3 iterations, for the cost of each iteration
    for name in ("recurrent-lite", "recurrent"):
        if name in args.models:
            model = build_model(name).eval()
            costs = [1000 * measure(model, 1, torch.device("cpu"), None, args.repeat, iterations=t) for t in range(4)]
            print(f"{name} on cpu, batch 1, ms/crop by iterations 0-3: " + ", ".join(f"{c:.1f}" for c in costs))


if __name__ == "__main__":
    main()
