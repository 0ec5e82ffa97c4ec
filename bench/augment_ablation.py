"""What each photo augmentation buys, one at a time (issue #28 item 2: "measure each on the COCO
people you hold out and on LSP val").

Every trial fine-tunes the shipped `recurrent-coco17-lite` (trained without photo augmentations)
for the same steps, data, shuffle, seed and learning rate; the trials differ only in the photo
augmentation they switch on (`none` switches on nothing: the control, which also shows what the
extra steps alone do; `parent` is the starting model, not trained further). Each finished trial is measured on the held-out COCO people (29,
COCO_VALIDATION) and on LSP val (200) under every condition, as bench/augment_robustness.py
measures a model, plus corrections per COCO person (bench/coco_people.py, no flip test).

Run (one core):
    OMP_NUM_THREADS=1 .venv/bin/python bench/augment_ablation.py RUNS [trial ...]
One JSON line per finished trial goes to RUNS/results.jsonl (a finished trial is skipped when the
script runs again); `--table RUNS` prints them as markdown.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from augment_robustness import validation_sets  # noqa: E402
from coco_people import coco17_predictions, corrections, held_out_people  # noqa: E402

from poseapp.core.skeleton import skeleton_of  # noqa: E402
from poseapp.data.augment import AugmentConfig  # noqa: E402
from poseapp.data.photo_augment import KINDS, PhotoAugmentConfig  # noqa: E402
from poseapp.engine import checkpoint as ckpt  # noqa: E402
from poseapp.engine.dataset import PoseDataset  # noqa: E402
from poseapp.engine.evaluate import evaluate_crops  # noqa: E402
from poseapp.engine.predictor import Predictor  # noqa: E402
from poseapp.engine.trainer import Progress, TrainConfig, Trainer  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
PARENT = ROOT / "models" / "recurrent-coco17-lite"
PROBABILITY = 0.4  # each trial's one augmentation, on this share of crops
BASE = dict(
    model="recurrent-lite", init_from=str(PARENT), model_overrides={"skeleton": "coco17", "num_joints": 17},
    data=(f"lsp:{DATA / 'lsp_train'}", f"lspet:{DATA / 'lspet'}",
          f"coco:{DATA / 'coco_mini_train' / 'person_keypoints_train2017.json'}",
          f"coco:{DATA / 'coco_sample' / 'test_coco.json'}"),
    extra_labels=str(ROOT / "resources" / "face_labels" / "lsp_lspet_faces.npz"),
    oversample={"coco": 20}, epochs=1, max_steps=500, batch_size=16, lr=2.5e-4, warmup_steps=50,
    amp="bf16", hints=0.5, threads=1, seed=0, train_eval=0, log_every=100, checkpoint_minutes=5.0,
)
TRIALS = {"parent": None, "none": {}, **{kind: {kind: PROBABILITY} for kind in KINDS}}


def measure(model_dir: Path) -> dict:
    """PCK@0.2 per condition on COCO val and LSP val, and corrections per COCO person."""
    model, _card = ckpt.load_model(model_dir)
    skeleton = skeleton_of(model.config)
    pck: dict[str, dict[str, float]] = {}
    for name, samples in validation_sets(skeleton.name).items():
        pck[name] = {}
        for condition in ("clean", *KINDS):
            photo = None if condition == "clean" else PhotoAugmentConfig.only(condition)
            data = PoseDataset(samples, model.codec(), model.config.input_size, AugmentConfig.none(),
                               seed=7, skeleton=skeleton, photo=photo)
            pck[name][condition] = round(evaluate_crops(model, data, torch.device("cpu"))["pck@0.2"]["total"], 1)
    people = held_out_people()
    pred, _ = coco17_predictions(Predictor.from_path(model_dir, device="cpu", flip_test=False), people)
    return {"pck": pck, "coco_corrections": round(corrections(people, pred)["corrections_per_person"], 2)}


def run_trial(runs: Path, name: str) -> dict:
    if name == "parent":  # the starting point itself, untrained further
        return {"name": name, "steps": 0, **measure(PARENT)}
    config = TrainConfig(**BASE, photo_augment=TRIALS[name])
    start = time.time()
    with open(runs / f"{name}.log", "a", encoding="utf-8") as log:
        result = Trainer(config, runs / name, progress=Progress(log)).run()
    if result["stopped"]:
        return {"name": name, "stopped": True}
    last = result["history"][-1]
    return {"name": name, "photo_augment": TRIALS[name], "steps": last.get("steps"),
            "train_cpu_min": round(last.get("train_seconds", 0) / 60, 1), "wall_min": round((time.time() - start) / 60, 1),
            **measure(runs / name)}


def table(runs: Path) -> None:
    rows = [json.loads(line) for line in (runs / "results.jsonl").read_text().splitlines() if line.strip()]
    conditions = ("clean", *KINDS)
    print("| trial | data | " + " | ".join(conditions) + " | corrections / COCO person |")
    print("| --- | --- | " + " | ".join("---:" for _ in conditions) + " | ---: |")
    for row in rows:
        for data, cells in row["pck"].items():
            own = [f"**{cells[c]}**" if c == row["name"] else str(cells[c]) for c in conditions]
            extra = str(row["coco_corrections"]) if data.startswith("COCO") else ""
            print(f"| {row['name']} | {data} | " + " | ".join(own) + f" | {extra} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path)
    parser.add_argument("trials", nargs="*", help=f"trials to run (default all): {', '.join(TRIALS)}")
    parser.add_argument("--table", action="store_true", help="print the finished trials as markdown and stop")
    args = parser.parse_args()
    if args.table:
        table(args.runs)
        return 0
    torch.set_num_threads(1)
    args.runs.mkdir(parents=True, exist_ok=True)
    done_file = args.runs / "results.jsonl"
    done = {json.loads(line)["name"] for line in done_file.read_text().splitlines()} if done_file.exists() else set()
    for name in args.trials or list(TRIALS):
        if name not in TRIALS:
            raise SystemExit(f"unknown trial {name!r}; choose from {', '.join(TRIALS)}")
        if name in done:
            continue
        row = run_trial(args.runs, name)
        print(json.dumps(row), flush=True)
        if row.get("stopped"):
            return 1
        with open(done_file, "a", encoding="utf-8") as out:
            out.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
