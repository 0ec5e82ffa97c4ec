"""Recipe experiments for issue #12: short runs of (nearly) equal CPU time on the same data and
shuffle, one change each, evaluated on the LSP validation split (im0801-im1000) without hints.
Each run trains into RUNS/<name>; one JSON line per finished run goes to RUNS/results.jsonl.
Run (one core): OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 python bench/recipe.py RUNS [names ...]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from poseapp.engine.trainer import Progress, TrainConfig, Trainer  # noqa: E402

DATA = ("lsp:../shared/data/lsp_train", "lspet:../shared/data/lspet")
WIDE = {"widths": [32, 64, 128], "context_width": 128, "fusion_width": 128, "recurrent_width": 64}
# the same widths with dilated 3x3 context and recurrent convolutions (7x7 reach, a fifth of the weights)
DILATED = {**WIDE, "context_kernel": 3, "context_dilation": 3, "recurrent_kernel": 3, "recurrent_dilation": 3}
BASE = dict(model="recurrent-lite", data=DATA, epochs=100, batch_size=16, lr=2e-3, amp="bf16", threads=1,
            warmup_steps=100, log_every=50, max_minutes=16.0)
# Step budgets chosen from measured throughput (bench/RESULTS.md) so each run takes about 10 CPU-minutes.
EXPERIMENTS = {
    "base": dict(max_steps=1200),
    "hints": dict(max_steps=1200, hints=0.5, model_overrides={"hint_limbs": "touching"}),  # the default
    "ema": dict(max_steps=1200, ema_decay=0.998),
    "wide": dict(max_steps=500, model_overrides=WIDE),
    "wide-ema-hints": dict(max_steps=500, model_overrides=WIDE, ema_decay=0.995, hints=0.5),
    "wide-dilated": dict(max_steps=900, model_overrides=DILATED),
    # hint training with limb maps replaced only where both ends are hinted
    "hints-both": dict(max_steps=1200, hints=0.5, model_overrides={"hint_limbs": "both"}),
    # does hint training cost the cascade accuracy without hints? Both stages train together here
    # (the staged schedule would spend a short run on the detector alone, whose input takes no hints).
    "cascade-base": dict(model="part_regression-lite", cascade_schedule="joint", max_steps=1500),
    "cascade-hints": dict(model="part_regression-lite", cascade_schedule="joint", max_steps=1500, hints=0.5),
}


def main() -> None:
    runs = Path(sys.argv[1])
    names = sys.argv[2:] or list(EXPERIMENTS)
    runs.mkdir(parents=True, exist_ok=True)
    for name in names:
        config = TrainConfig(**{**BASE, **EXPERIMENTS[name]})
        log = open(runs / f"{name}.log", "a", encoding="utf-8")
        start = time.time()
        result = Trainer(config, runs / name, progress=Progress(log)).run()
        if not result["history"]:  # stopped (signal or time) before its first evaluation
            print(json.dumps({"name": name, "stopped": True}), flush=True)
            continue
        last = result["history"][-1]
        row = {
            "name": name, "change": EXPERIMENTS[name], "steps": last.get("steps"), "samples": last.get("steps", 0) * config.batch_size,
            "train_cpu_min": round(last.get("train_seconds", 0) / 60, 1), "wall_min": round((time.time() - start) / 60, 1),
            "samples_per_s": round(last.get("steps", 0) * config.batch_size / max(last.get("train_seconds", 1), 1), 1),
            "val_pck": round(last["val"]["pck@0.2"]["total"], 1),
            "val_per_iteration": [round(r["pck@0.2_total"], 1) for r in last["val"]["per_iteration"]],
            "train_pck": round(last["train"]["pck@0.2"]["total"], 1) if "train" in last else None,
            "stopped": result["stopped"],
        }
        with open(runs / "results.jsonl", "a", encoding="utf-8") as out:
            out.write(json.dumps(row) + "\n")
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
