"""How much each condition of ordinary photos costs a model (issue #28 item 2): PCK@0.2 on the
held-out COCO people (29, COCO_VALIDATION) and on LSP val (im0801-im1000, 200 people), on clean
crops and on the same crops with one photo augmentation applied (data/photo_augment.py:
truncation, occluders, distractor, small, blur, low_light; each drawn with a fixed seed per
person, so every model sees the same corrupted crops). A model trained with these augmentations
should lose less under them than one trained without.

Truncation unlabels the joints it cuts away and occluders flag the ones they cover occluded
(still scored, as COCO scores its occluded joints): the figures are PCK over what stays labelled.

Run: .venv/bin/python bench/augment_robustness.py --models models/recurrent-coco17-lite ../runs/recurrent-coco17-large
Prints a markdown table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from poseapp.core.skeleton import skeleton_of  # noqa: E402
from poseapp.data import load_samples  # noqa: E402
from poseapp.data.augment import AugmentConfig  # noqa: E402
from poseapp.data.photo_augment import KINDS, PhotoAugmentConfig  # noqa: E402
from poseapp.data.samples import in_skeleton  # noqa: E402
from poseapp.data.splits import is_coco_validation, is_lsp_validation  # noqa: E402
from poseapp.engine import checkpoint as ckpt  # noqa: E402
from poseapp.engine.dataset import PoseDataset  # noqa: E402
from poseapp.engine.evaluate import evaluate_crops  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def validation_sets(skeleton: str) -> dict[str, list]:
    coco = [s for spec in (f"coco:{DATA / 'coco_mini_train/person_keypoints_train2017.json'}",
                           f"coco:{DATA / 'coco_sample/test_coco.json'}") for s in load_samples(spec)]
    lsp = [s for s in load_samples(f"lsp:{DATA / 'lsp_train'}") if is_lsp_validation(s)]
    return {"COCO val": in_skeleton([s for s in coco if is_coco_validation(s)], skeleton)[0],
            "LSP val": in_skeleton(lsp, skeleton)[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", required=True)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    conditions = ["clean", *KINDS]
    print("| model | data | " + " | ".join(conditions) + " |")
    print("| --- | --- | " + " | ".join("---:" for _ in conditions) + " |")
    for path in args.models:
        model, card = ckpt.load_model(path)
        skeleton = skeleton_of(model.config)
        for name, samples in validation_sets(skeleton.name).items():
            cells = []
            for condition in conditions:
                photo = None if condition == "clean" else PhotoAugmentConfig.only(condition)
                # geometric augmentation off: the crop is the evaluation crop; the photo one seeded per person
                data = PoseDataset(samples, model.codec(), model.config.input_size, AugmentConfig.none(),
                                   seed=7, skeleton=skeleton, photo=photo)
                cells.append(f"{evaluate_crops(model, data, torch.device('cpu'))['pck@0.2']['total']:.1f}")
            print(f"| {card.get('name', Path(path).name)} | {name} ({len(samples)}) | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
