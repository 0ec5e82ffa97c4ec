"""The photos every person detector is measured on and no detector trains on (issue #27): one
definition for the trainer's defaults, `bench/detector.py` and `scripts/ship_detector.py`.

- COCO: every 4th photo of coco_mini_train by sorted name (poseapp.data.photo_split) and
  coco_sample whole; every person there has a box.
- LSP val: im0801-im1000; one labelled athlete each, so a detector that finds spectators reads as
  less precise there than it is.
"""

from __future__ import annotations

import os
from pathlib import Path


def held_out_specs(data: str | os.PathLike) -> dict[str, tuple[str, ...]]:
    """Name -> the data specs (``load_spec``) whose validation part is held out."""
    data = Path(data)
    return {
        "coco_held_out": (f"coco:{data}/coco_mini_train/person_keypoints_train2017.json",
                          f"coco:{data}/coco_sample/test_coco.json"),
        "lsp_val": (f"lsp:{data}/lsp_train",),
    }


TITLES = {"coco_held_out": "COCO held out (coco_mini_train every 4th + coco_sample)",
          "lsp_val": "LSP im0801-im1000"}


def held_out_photos(data: str | os.PathLike) -> dict[str, list]:
    """Name -> the held-out ``PersonPhoto`` list."""
    from poseapp.detection.scenes import load_spec

    return {name: [p for spec in specs for p in load_spec(spec, "val")]
            for name, specs in held_out_specs(data).items()}
