"""Find the people nobody labelled in LSP/LSPET training photos (issue #27): each of those photos
labels one athlete, but many show others too (hurdlers beside the one labelled, spectators,
passers-by). A detector trained on them learnt those people as "not a person". This script runs a
trained detector on every training photo and writes the boxes it finds away from the labelled
person; a detector run given the file (`"unlabelled_people"` in its config) treats them as ignore
regions: neither person nor background.

    OMP_NUM_THREADS=1 .venv/bin/python scripts/unlabelled_people.py [--weights models/person-detector]
        [--threshold 0.15] [--out resources/detector/unlabelled_people.json]

A low threshold on purpose: a region wrongly ignored costs a little background to learn from; a
person left as background teaches the detector to miss people.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from poseapp.core.atomic import write_json_atomic  # noqa: E402
from poseapp.detection.evaluate import iou_matrix  # noqa: E402
from poseapp.detection.runtime import CenterNetPersonDetector  # noqa: E402
from poseapp.detection.scenes import covered_share, load_spec  # noqa: E402
from poseapp.media.images import read_image  # noqa: E402

DATA = REPO.parent / "shared" / "data"
SPECS = (f"lsp:{DATA / 'lsp_train'}", f"lspet:{DATA / 'lspet'}")
SAME_PERSON_IOU = 0.5  # a box overlapping the labelled person this much is that person
# a box mostly inside the labelled person's is a part of them (legs, a torso): left as background,
# so that the detector still learns not to box half a person
INSIDE_SHARE = 0.6


def main() -> int:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=str(REPO / "models" / "person-detector"))
    parser.add_argument("--threshold", type=float, default=0.15)
    parser.add_argument("--out", default=str(REPO / "resources" / "detector" / "unlabelled_people.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    detector = CenterNetPersonDetector(args.weights, threshold=args.threshold)
    regions: dict[str, list[list[float]]] = {}
    photos_seen = with_people = 0
    start = time.time()
    for spec in SPECS:
        for photo in load_spec(spec, "train"):  # never the validation photos
            photos_seen += 1
            found = np.array([box for box, _ in detector.detect(read_image(photo.path))], dtype=float).reshape(-1, 4)
            for person in photo.boxes:
                if len(found):
                    inside = np.array([covered_share(box, person) for box in found])
                    keep = (iou_matrix(found, person[None])[:, 0] < SAME_PERSON_IOU) & (inside < INSIDE_SHARE)
                    found = found[keep]
            if len(found):
                regions[f"{photo.source}:{Path(photo.path).name}"] = np.round(found, 1).tolist()
                with_people += 1
            if photos_seen % 1000 == 0:
                print(f"{photos_seen} photos, {with_people} with unlabelled people, {time.time() - start:.0f} s", flush=True)
    card = detector.card
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(Path(args.out), {
        "made_by": {"script": "scripts/unlabelled_people.py", "weights": Path(args.weights).name,
                    "weights_steps": card.get("training", {}).get("steps"), "threshold": args.threshold,
                    "flip_test": detector.flip, "same_person_iou": SAME_PERSON_IOU, "inside_share": INSIDE_SHARE},
        "photos": photos_seen, "photos_with_unlabelled_people": with_people,
        "boxes": sum(len(v) for v in regions.values()), "regions": regions,
    })
    print(f"{photos_seen} photos: {with_people} with unlabelled people, {sum(len(v) for v in regions.values())} boxes "
          f"-> {args.out} ({time.time() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
