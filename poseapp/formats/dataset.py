"""What every importer produces: a fully validated batch, held in memory until it is applied.

Importers parse and check everything first; only a batch with no problems reaches the project,
and it goes in as one transaction, so a bad file changes nothing.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable

import numpy as np

from poseapp.core.errors import DataError
from poseapp.core.skeleton import Skeleton

MAX_REPORTED_PROBLEMS = 10


@dataclass
class ImportedInstance:
    keypoints: np.ndarray  # K x 3, COCO visibility
    skeleton: Skeleton
    bbox: tuple[float, float, float, float] | None = None
    category_id: int | None = None
    ext_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    origin: str = "manual"
    score: float | None = None
    joint_scores: np.ndarray | None = None  # a prediction's score per joint (SLEAP's point scores)
    model_id: str | None = None  # a prediction's model, as the project files it


@dataclass
class ImportedImage:
    file_name: str  # POSIX path relative to the batch's image root
    width: int
    height: int
    ext_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    instances: list[ImportedInstance] = field(default_factory=list)
    # a frame of a video (poseapp's own COCO export of video frames: ``poseapp_video``): the
    # video's path relative to the image root and the frame's index; None for an image file
    video: tuple[str, int] | None = None


@dataclass
class ImportBatch:
    format: str
    annotation_file: Path
    image_root: Path
    images: list[ImportedImage]
    categories: list[tuple[dict[str, Any], Skeleton]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. COCO info and licenses
    notes: list[str] = field(default_factory=list)  # things skipped on purpose, told to the user
    # Images a format holds inside itself (a SLEAP .pkg.slp) are written to a folder beside the
    # project when it is imported: called with that folder, it writes them there and sets image_root.
    prepare: Callable[[Path], None] | None = None

    @property
    def instance_count(self) -> int:
        return sum(len(im.instances) for im in self.images)


class Problems:
    """Collects what is wrong with an input file, then raises one DataError that lists it all."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.items: list[str] = []
        self.total = 0

    def add(self, problem: str) -> None:
        self.total += 1
        if len(self.items) < MAX_REPORTED_PROBLEMS:
            self.items.append(problem)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        more = f"\n  ... and {self.total - len(self.items)} more" if self.total > len(self.items) else ""
        if self.total == 1:
            raise DataError(self.path, self.items[0])
        raise DataError(self.path, f"{self.total} problems:\n  " + "\n  ".join(self.items) + more)


def safe_relative_path(file_name: Any, root: Path) -> str | None:
    """The normalised relative path, or None when it is absolute or climbs out of ``root``."""
    if not isinstance(file_name, str) or not file_name or "\x00" in file_name:
        return None
    posix = PurePosixPath(file_name.replace("\\", "/"))
    if posix.is_absolute() or (len(file_name) > 1 and file_name[1] == ":"):
        return None
    parts = []
    for part in posix.parts:
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part != ".":
            parts.append(part)
    if not parts:
        return None
    return "/".join(parts)


# SQLite stores integers in 64 bits; a larger id would fail deep inside the store.
INT_RANGE = (-(2**63), 2**63 - 1)
# Pixel coordinates beyond this are not a position in any image; 1e200 would overflow areas to inf.
MAX_COORDINATE = 1e6


def is_finite_number(value: Any) -> bool:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def is_int(value: Any) -> bool:
    """An integer that fits the store (64-bit)."""
    return isinstance(value, int) and not isinstance(value, bool) and INT_RANGE[0] <= value <= INT_RANGE[1]


def describe(value: Any, limit: int = 40) -> str:
    """A short repr for error messages (a 400-digit number or a huge list must not flood them)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_coordinate(value: Any) -> bool:
    return is_finite_number(value) and abs(value) <= MAX_COORDINATE


def box_around(keypoints: np.ndarray, width: int, height: int, pad: float = 0.15) -> tuple[float, float, float, float] | None:
    """A person box from labelled joints, padded and clipped to the image (LSP and similar carry no box)."""
    pts = keypoints[keypoints[:, 2] > 0, :2]
    if len(pts) == 0:
        return None
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    px, py = pad * max(x1 - x0, 1.0), pad * max(y1 - y0, 1.0)
    x0, y0 = max(0.0, x0 - px), max(0.0, y0 - py)
    x1, y1 = min(float(width), x1 + px), min(float(height), y1 + py)
    return (float(x0), float(y0), float(max(0.0, x1 - x0)), float(max(0.0, y1 - y0)))
