"""Recall and precision of person boxes at IoU 0.5, for people at least ``min_height`` px tall.

Detections are matched greedily by score: each takes the unmatched counted person it overlaps
most (IoU >= 0.5) and is a true positive; one that overlaps only a smaller person or a crowd
region (IoU >= 0.5, or for a crowd: half of the detection inside it) is neither a true nor a false
positive; any other detection is a false positive. Numpy only: the bench and the trainer share it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Box = tuple[float, float, float, float]


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in ``a`` (N x 4, x y w h) with every box in ``b`` (M x 4)."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    ax1, ay1 = a[:, 0] + a[:, 2], a[:, 1] + a[:, 3]
    bx1, by1 = b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    iw = np.clip(np.minimum(ax1[:, None], bx1[None]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    ih = np.clip(np.minimum(ay1[:, None], by1[None]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = iw * ih
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    people: int = 0  # counted people (at least min_height tall, not crowds)
    ignored: int = 0  # detections matched to smaller people or crowds

    def add(self, other: "Counts") -> None:
        self.tp, self.fp, self.people, self.ignored = (self.tp + other.tp, self.fp + other.fp,
                                                       self.people + other.people, self.ignored + other.ignored)

    @property
    def recall(self) -> float:
        return self.tp / self.people if self.people else 0.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    def as_dict(self) -> dict:
        return {"recall": round(self.recall, 4), "precision": round(self.precision, 4), "tp": self.tp,
                "fp": self.fp, "people": self.people, "ignored_detections": self.ignored}


def match_photo(detections: list[tuple[Box, float]], people: np.ndarray, crowd: np.ndarray | None = None,
                min_height: float = 64.0, iou_threshold: float = 0.5) -> Counts:
    people = np.asarray(people, dtype=float).reshape(-1, 4)
    crowd = np.zeros((0, 4)) if crowd is None else np.asarray(crowd, dtype=float).reshape(-1, 4)
    counted = people[:, 3] >= min_height
    counts = Counts(people=int(counted.sum()))
    dets = sorted(detections, key=lambda d: -d[1])
    boxes = np.array([d[0] for d in dets], dtype=float).reshape(-1, 4)
    ious = iou_matrix(boxes, people)
    taken = np.zeros(len(people), bool)
    for i in range(len(boxes)):
        free = np.where(counted & ~taken, ious[i], -1.0)
        j = int(np.argmax(free)) if len(people) else -1
        if j >= 0 and free[j] >= iou_threshold:
            taken[j] = True
            counts.tp += 1
        elif (len(people) and np.max(np.where(~counted, ious[i], -1.0)) >= iou_threshold) or _in_crowd(boxes[i], crowd):
            counts.ignored += 1
        else:
            counts.fp += 1
    return counts


def _in_crowd(box: np.ndarray, crowd: np.ndarray) -> bool:
    for c in crowd:
        iw = max(0.0, min(box[0] + box[2], c[0] + c[2]) - max(box[0], c[0]))
        ih = max(0.0, min(box[1] + box[3], c[1] + c[3]) - max(box[1], c[1]))
        if iw * ih >= 0.5 * box[2] * box[3]:
            return True
    return False


def counts_at(found: list[list[tuple[Box, float]]], photos: list, threshold: float) -> Counts:
    """The matches of every photo's detections scoring at least ``threshold``, summed. ``found``
    holds one detection list per photo (``PersonPhoto``-like: ``boxes``, ``ignore``), found once at
    a low threshold, so a sweep of thresholds needs one detection pass."""
    total = Counts()
    for photo, detections in zip(photos, found):
        total.add(match_photo([d for d in detections if d[1] >= threshold], photo.boxes, photo.ignore))
    return total


def ap50(found: list[list[tuple[Box, float]]], photos: list, thresholds: np.ndarray | None = None) -> float:
    """Average precision at IoU 0.5: the area under the interpolated precision-recall curve traced
    by score thresholds 0.05-0.95 (steps of 0.01; the detections must have been found at 0.05 or
    lower). A threshold with no detection counts as precision 1, as COCO's interpolation does."""
    thresholds = np.arange(0.05, 0.96, 0.01) if thresholds is None else thresholds
    points = sorted((c.recall, c.precision if c.tp + c.fp else 1.0)
                    for c in (counts_at(found, photos, t) for t in thresholds))
    recall = np.array([r for r, _ in points])
    precision = np.array([p for _, p in points])
    area, previous = 0.0, 0.0
    for r in np.unique(recall):
        area += (r - previous) * precision[recall >= r].max()
        previous = r
    return float(area)
