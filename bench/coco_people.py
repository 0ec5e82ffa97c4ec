"""Corrections per COCO person (issues #26 and #28), measured as the issues measure them.

    .venv/bin/python bench/coco_people.py [MODEL ...]     (default: the shipped default model)

On the held-out COCO people we have (COCO_VALIDATION: 20 photos of coco_mini_train and the 4 of
coco_sample, 29 people with keypoints), each model predicts every person in their ground-truth
box. A labelled joint counts as a correction when its own OKS term is below 0.5 (COCO's sigma for
the joint, the person's area as scale); a joint the model does not predict (the face, for an
LSP-14 model) is a correction. Printed per model: corrections per person (of the labelled joints
per person), of them face joints, the share of limb joints right, and OKS AP over the 17 joints
(an LSP-14 model's missing face joints count as wrong, as for the issue's table).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from poseapp.core.skeleton import COCO17  # noqa: E402
from poseapp.data import load_samples  # noqa: E402
from poseapp.data.splits import is_coco_validation  # noqa: E402
from poseapp.engine.evaluate import oks_ap, predict_samples  # noqa: E402
from poseapp.engine.predictor import Predictor  # noqa: E402
from poseapp.engine.model_card import attach_evaluation  # noqa: E402
from poseapp.engine.zoo import resolve_model  # noqa: E402

DATA = REPO.parent / "shared" / "data"
FACE = ("nose", "left_eye", "right_eye", "left_ear", "right_ear")


def held_out_people():
    specs = [f"coco:{DATA / 'coco_mini_train' / 'person_keypoints_train2017.json'}",
             f"coco:{DATA / 'coco_sample' / 'test_coco.json'}"]
    return [s for spec in specs for s in load_samples(spec) if is_coco_validation(s)]


def coco17_predictions(predictor: Predictor, samples) -> tuple[np.ndarray, np.ndarray]:
    """(N, 17, 2) image coordinates and (N, 17) scores in COCO-17, by joint name; a joint the
    model's skeleton lacks is NaN (never right)."""
    stages, scores = predict_samples(predictor, samples)
    skeleton = predictor.skeleton()
    out = np.full((len(samples), 17, 2), np.nan)
    score = np.zeros((len(samples), 17))
    for j, name in enumerate(COCO17.joints):
        if name in skeleton.joints:
            k = skeleton.index(name)
            out[:, j] = stages[:, -1, k]
            score[:, j] = scores[:, -1, k]
    return out, score


def corrections(samples, pred: np.ndarray) -> dict[str, float]:
    sigmas = np.array(COCO17.sigmas)
    face = np.array([n in FACE for n in COCO17.joints])
    total = face_total = labelled = limb_right = limb_labelled = 0
    for s, p in zip(samples, pred):
        gt = s.keypoints
        area = s.area if s.area is not None else s.bbox[2] * s.bbox[3]
        d2 = np.sum((np.nan_to_num(p, nan=1e9) - gt[:, :2]) ** 2, axis=1)
        term = np.exp(-d2 / (2 * max(area, 1.0) * (2 * sigmas) ** 2))
        wrong = (gt[:, 2] > 0) & (term < 0.5)
        total += wrong.sum()
        face_total += (wrong & face).sum()
        labelled += (gt[:, 2] > 0).sum()
        limb_labelled += ((gt[:, 2] > 0) & ~face).sum()
        limb_right += ((gt[:, 2] > 0) & ~face & ~wrong).sum()
    n = len(samples)
    return {"people": n, "labelled_per_person": labelled / n, "corrections_per_person": total / n,
            "face_corrections_per_person": face_total / n, "limb_joints_right_%": 100.0 * limb_right / max(limb_labelled, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=["default"])
    parser.add_argument("--flip-test", action="store_true", help="also predict the mirrored crop and average (the window's default)")
    parser.add_argument("--update-card", action="store_true",
                        help="record the figures in each model folder's card.json and README.md (coco_val or coco_val_flip)")
    args = parser.parse_args()
    samples = held_out_people()
    print(f"{len(samples)} held-out COCO people (ground-truth boxes)")
    print("| model | corrections per person (of labelled) | face | limb joints right | OKS AP |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name in args.models:
        predictor = Predictor.from_path(resolve_model(name), device="cpu", flip_test=args.flip_test)
        pred, score = coco17_predictions(predictor, samples)
        c = corrections(samples, pred)
        ap = oks_ap(samples, np.nan_to_num(pred, nan=-1e4), score, COCO17)["ap"]
        print(f"| {predictor.model_id} ({name}){' flip test' if args.flip_test else ''} | {c['corrections_per_person']:.2f} (of {c['labelled_per_person']:.1f}) | "
              f"{c['face_corrections_per_person']:.2f} | {c['limb_joints_right_%']:.1f}% | {100 * ap:.1f} |")
        if args.update_card:
            attach_evaluation(resolve_model(name), {**c, "oks_ap": 100 * ap, "flip_test": args.flip_test,
                                                    "split": "COCO_VALIDATION (poseapp/data/splits.py), ground-truth boxes"},
                              "coco_val_flip" if args.flip_test else "coco_val")


if __name__ == "__main__":
    main()
