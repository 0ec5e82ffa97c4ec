"""Issue #26's COCO-17 fine-tune target, as a user would reach it: a project of
coco_mini_train's people (86 with keypoints; the 17 on its held-out photos are never trained on,
poseapp.data.splits), `poseapp finetune --model default` (the shipped model for the project's
skeleton), then corrections per held-out COCO person (bench/coco_people.py's measure: the 29
people of COCO_VALIDATION, ground-truth boxes; target at most 4.5 per person, 1.5 of them face).

    .venv/bin/python bench/coco_finetune.py [--model default] [--epochs N] [--lr LR] [--out /tmp/coco-ft]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from poseapp.formats import import_source  # noqa: E402
from poseapp.store import Project  # noqa: E402

COCO = ROOT.parent / "shared" / "data" / "coco_mini_train" / "person_keypoints_train2017.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--epochs", type=int, help="default: finetune's own (auto: at least 150 steps)")
    parser.add_argument("--lr", help="default: finetune's own")
    parser.add_argument("--out", default="/tmp/coco-ft")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    project = out / "coco.poseapp"
    project.unlink(missing_ok=True)
    with Project.open(project, create=True) as p:
        import_source(p, COCO)
    model = out / "model"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "poseapp", "finetune", "--model", args.model, "--project", str(project),
                    *(["--epochs", str(args.epochs)] if args.epochs else []), *(["--lr", args.lr] if args.lr else []),
                    "--out", str(model), "--background"], check=True, cwd=ROOT)
    minutes = (time.perf_counter() - start) / 60
    card = json.loads((model / "card.json").read_text())
    print(json.dumps({"started_from": card["training"]["initialized_from"], "epochs": card["training"].get("epochs_run"), "lr": card["training"]["config"]["lr"], "minutes": round(minutes, 1),
                      "kept_epoch": card["training"].get("kept_epoch")}, default=str))
    parent = card["training"]["initialized_from"]
    parent = parent.get("path", parent.get("name")) if isinstance(parent, dict) else parent
    for flip in ([], ["--flip-test"]):
        subprocess.run([sys.executable, "bench/coco_people.py", *flip, str(parent), str(model)], check=True, cwd=ROOT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
