"""Whole-image pose accuracy as `poseapp predict` meets a photo: boxes from the app's own box
source (not the labelled person's box), then the pose, on LSP's held-out im0801-im1000 (single
people in sports photos, one labelled person each).

Issue #27 asks that the default pipeline's PCK@0.2 on single-person sports photos not fall below
64.2 (12 limb joints; the issue's figure for HOG + whole-image fallback on held-back LSP images);
issue #28 item 5 asks the LSP-14 default to gain on whole images (BlazePose Full: 75.2).

The labelled person's prediction is the predicted person whose box overlaps the extent of the
labelled joints most (IoU); when no predicted box overlaps it, the person was missed and all 12
joints count as wrong. PCK@0.2 of the 12 limb joints (LSP's neck and head top left out),
normalised by the torso (left shoulder to right hip), as `poseapp eval`.

    .venv/bin/python bench/whole_image.py [--models default] [--boxes whole hog detector] [--limit N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from poseapp.core.accepting import extent  # noqa: E402
from poseapp.core.skeleton import LSP14  # noqa: E402
from poseapp.data import load_samples  # noqa: E402
from poseapp.data.splits import is_lsp_validation  # noqa: E402
from poseapp.engine.detector import iou  # noqa: E402
from poseapp.engine.inference import BoxSource  # noqa: E402
from poseapp.engine.metrics import correct_joints, torso_sizes  # noqa: E402
from poseapp.engine.predictor import Predictor  # noqa: E402
from poseapp.engine.zoo import resolve_model  # noqa: E402
from poseapp.media.images import read_image  # noqa: E402

LSP = REPO.parent / "shared" / "data" / "lsp_train"
LIMBS = [j for j in LSP14.joints if j not in ("neck", "head_top")]


def run(predictor: Predictor, samples, boxes: str) -> dict:
    """PCK@0.2 (12 limb joints) of the labelled person in each image, boxes from ``boxes``."""
    source = BoxSource(boxes)
    joints = [predictor.skeleton().index(j) for j in LIMBS]
    gt_joints = [LSP14.index(j) for j in LIMBS]
    preds, gts, missed, people, seconds = [], [], 0, 0, 0.0
    for sample in samples:
        image = read_image(sample.image_path)  # RGB, as the app reads it
        start = time.perf_counter()
        found = predictor.predict(image, source.boxes(image))
        seconds += time.perf_counter() - start
        people += len(found)
        gt = sample.keypoints
        target = extent(gt, None)
        overlaps = [iou(p.box, target) for p in found]
        pred = np.zeros((len(LIMBS), 3))
        if overlaps and max(overlaps) > 0:
            pred = found[int(np.argmax(overlaps))].keypoints[joints]
        else:
            pred[:, :2] = -1e6  # nobody where the person is: every joint needs placing by hand
            missed += 1
        preds.append(pred)
        gts.append(gt)
    gt = np.stack(gts)
    ok, valid = correct_joints(np.stack(preds), gt[:, gt_joints], torso_sizes(gt, LSP14), 0.2)
    return {"pck": 100.0 * ok.sum() / valid.sum(), "missed": missed, "people_per_image": people / len(samples),
            "ms": 1000.0 * seconds / len(samples), "fallbacks": source.whole_image_fallbacks}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["default"])
    parser.add_argument("--boxes", nargs="+", default=["whole", "hog", "detector"])
    parser.add_argument("--flip", nargs="+", default=["off", "on"], choices=["off", "on"])
    parser.add_argument("--limit", type=int)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    samples = [s for s in load_samples(f"lsp:{LSP}") if is_lsp_validation(s)][: args.limit]
    print(f"{len(samples)} LSP held-out photos (im0801-im1000), PCK@0.2 of 12 limb joints; {args.threads} thread(s)")
    print("| model | boxes | flip test | PCK@0.2 | person missed | people per photo | ms per photo (boxes + pose) |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    for name in args.models:
        for flip in args.flip:
            predictor = Predictor.from_path(resolve_model(name), device="cpu", flip_test=flip == "on")
            predictor.adapt_threads = False
            for boxes in args.boxes:
                r = run(predictor, samples, boxes)
                label = boxes if boxes != "hog" else "hog + whole fallback"
                print(f"| {predictor.model_id} | {label} | {flip} | {r['pck']:.1f} | {r['missed']} | "
                      f"{r['people_per_image']:.2f} | {r['ms']:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
