"""Ship a person-detector run into models/person-detector/ (issue #27): its weights, and its card
with the recall and precision measured here on the held-out photos at the default threshold and
the ms per 640-px photo on one thread.

    OMP_NUM_THREADS=1 .venv/bin/python scripts/ship_detector.py ../runs/person-detector-long [--threshold 0.3]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from poseapp.core.atomic import write_json_atomic  # noqa: E402
from poseapp.detection import weights as store  # noqa: E402
from poseapp.detection.evaluate import counts_at  # noqa: E402
from poseapp.detection.held_out import held_out_photos  # noqa: E402
from poseapp.detection.runtime import CenterNetPersonDetector  # noqa: E402
from poseapp.media.images import read_image  # noqa: E402

DATA = REPO.parent / "shared" / "data"


def measure(folder: Path, threshold: float) -> dict:
    import cv2
    import torch

    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    detector = CenterNetPersonDetector(folder, threshold=threshold)
    result = {"threshold": threshold, "min_height": 64, "iou": 0.5, "input_size": detector.input_size,
              "flip_test": detector.flip}
    for name, photos in held_out_photos(DATA).items():
        # RGB, as the app hands pictures to detectors (cv2.imread's BGR measured another detector)
        counts = counts_at([detector.detect(read_image(p.path)) for p in photos], photos, threshold)
        result[name] = {"photos": len(photos), **counts.as_dict()}
    image = read_image(DATA / "coco_mini_train" / "images" / "000000493652.jpg")  # 640 x 399
    for _ in range(3):
        detector.detect(image)
    t0 = time.perf_counter()
    for _ in range(20):
        detector.detect(image)
    result["ms_per_640px_photo_1_thread"] = round(1000 * (time.perf_counter() - t0) / 20, 1)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run")
    parser.add_argument("--threshold", type=float, default=0.3)
    parser.add_argument("--name", default="person-detector")
    args = parser.parse_args()
    run = Path(args.run)
    store.load(run)  # refuse a damaged run before copying anything
    dest = REPO / "models" / args.name
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(run / store.WEIGHTS, dest / store.WEIGHTS)
    card = store.read_card(run)
    card["name"] = args.name
    card["default_threshold"] = args.threshold
    write_json_atomic(dest / store.CARD, card, indent=2)
    card["metrics"]["shipped"] = measure(dest, args.threshold)
    write_json_atomic(dest / store.CARD, card, indent=2)
    print(card["metrics"]["shipped"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
