"""Plain records returned by the store; numpy arrays for keypoints, no database handles inside."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

SOURCE_KINDS = ("image", "folder", "video")
# labelled: human annotations brought in by an import; edited: changed by a user in poseapp.
FRAME_STATES = ("unlabelled", "labelled", "predicted", "edited", "reviewed")
ORIGINS = ("manual", "predicted")


@dataclass(frozen=True)
class Source:
    id: int
    kind: str
    path: str  # absolute: the image file, the image root folder, or the video file
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Frame:
    id: int
    source_id: int
    index: int  # position in the source: frame number for video, ordinal for folders
    file_name: str | None  # relative to the source folder; None for video frames
    width: int
    height: int
    state: str
    ext_id: int | None = None  # the id the frame had in an imported dataset (COCO image id)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Instance:
    """One person in one frame. ``keypoints`` is K x 3: x, y, COCO visibility (0, 1, 2)."""

    frame_id: int
    skeleton: str
    keypoints: np.ndarray
    bbox: tuple[float, float, float, float] | None = None  # x, y, w, h in image pixels
    origin: str = "manual"
    model_id: str | None = None
    score: float | None = None
    joint_scores: np.ndarray | None = None
    vis_scores: np.ndarray | None = None
    category_id: int | None = None  # the dataset category it came from, kept for export
    ext_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    id: int | None = None

    def __post_init__(self) -> None:
        self.keypoints = validate_keypoints(self.keypoints)
        if self.origin not in ORIGINS:
            raise ValueError(f"origin must be one of {ORIGINS}, not {self.origin!r}")
        if self.bbox is not None:
            self.bbox = validate_bbox(self.bbox)
        k = len(self.keypoints)
        for name in ("joint_scores", "vis_scores"):
            value = getattr(self, name)
            if value is not None:
                arr = np.asarray(value, dtype=np.float64).reshape(-1)
                if arr.shape != (k,) or not np.all(np.isfinite(arr)):
                    raise ValueError(f"{name} must be {k} finite numbers")
                setattr(self, name, arr)

    @property
    def num_labelled(self) -> int:
        return int(np.count_nonzero(self.keypoints[:, 2] > 0))

    def person_box(self) -> tuple[float, float, float, float] | None:
        """The box a dataset should give this person: the one drawn or imported, or, where the
        box is only the crop a model looked in (``CROP_BOX``: a prediction, or an annotation made
        from one), the extent of the labelled joints with COCO's usual margin. A crop can be the
        whole picture (nobody was found), which is no person's box."""
        if self.bbox is not None and not self.extra.get(CROP_BOX):
            return self.bbox
        return keypoint_extent(self.keypoints, PERSON_BOX_PAD) or self.bbox

    def box_or_keypoint_extent(self, pad: float = 0.1) -> tuple[float, float, float, float] | None:
        """The instance box, or the padded extent of its labelled keypoints when it has none."""
        if self.bbox is not None:
            return self.bbox
        return keypoint_extent(self.keypoints, pad)

    def copy(self, **changes: Any) -> "Instance":
        out = replace(self, **changes)
        out.keypoints = out.keypoints.copy()
        return out

    def same_as(self, other: "Instance") -> bool:
        """Every field equal, arrays by value: whether a record is still as an edit left it."""
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
                if a is None or b is None or not np.array_equal(a, b):
                    return False
            elif a != b:
                return False
        return True


# instance.extra key: nobody drew this bbox (the crop a model predicted in, or the padded extent of
# joints placed one by one), so the person's box follows their joints (Instance.person_box)
CROP_BOX = "crop_box"
# COCO's person boxes reach past the labelled joints by a median 11-16% of their extent on each side
# (the 18 fully labelled people of coco_mini_train): an annotation's box follows its joints by this
PERSON_BOX_PAD = 0.12
# instance.extra key: a prediction made in the whole picture because nobody was found; the window
# says so on the frame, and a re-run replaces it whatever it finds
WHOLE_IMAGE = "whole_image"


def validate_keypoints(keypoints: Any) -> np.ndarray:
    arr = np.array(keypoints, dtype=np.float64)
    if arr.ndim == 1 and arr.size % 3 == 0:
        arr = arr.reshape(-1, 3)
    if arr.ndim != 2 or arr.shape[1] != 3 or arr.shape[0] == 0:
        raise ValueError(f"keypoints must be K x 3 (x, y, v), got shape {np.shape(keypoints)}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("keypoints contain NaN or infinite numbers")
    if not np.all(np.isin(arr[:, 2], (0, 1, 2))):
        raise ValueError("keypoint visibility must be 0 (not labelled), 1 (occluded) or 2 (visible)")
    return arr


def validate_bbox(bbox: Any) -> tuple[float, float, float, float]:
    values = tuple(float(v) for v in bbox)
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ValueError(f"bbox must be 4 finite numbers x, y, w, h, got {bbox!r}")
    if values[2] < 0 or values[3] < 0:
        raise ValueError(f"bbox width and height must not be negative, got {bbox!r}")
    return values  # type: ignore[return-value]


def keypoint_extent(keypoints: np.ndarray, pad: float = 0.1) -> tuple[float, float, float, float] | None:
    labelled = keypoints[keypoints[:, 2] > 0, :2]
    if len(labelled) == 0:
        return None
    x0, y0 = labelled.min(axis=0)
    x1, y1 = labelled.max(axis=0)
    w, h = x1 - x0, y1 - y0
    return (float(x0 - pad * w), float(y0 - pad * h), float(w * (1 + 2 * pad)), float(h * (1 + 2 * pad)))
