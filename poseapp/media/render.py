"""Skeleton overlays drawn with OpenCV, for rendered frames outside the GUI (CLI, model cards)."""

from __future__ import annotations

import numpy as np

from poseapp.core.skeleton import Skeleton

SIDE_BGR = {"left": (244, 133, 66), "right": (46, 120, 244), "centre": (89, 199, 52)}


def draw_pose(image_rgb: np.ndarray, keypoints: np.ndarray, skeleton: Skeleton, box=None, min_score: float = 0.0,
              scores: np.ndarray | None = None) -> np.ndarray:
    """A copy of the image with limbs and joints; occluded (v = 1) joints hollow, v = 0 hidden."""
    import cv2

    out = np.ascontiguousarray(image_rgb[:, :, ::-1].copy())
    # strokes scale with the person, so small far-away people stay readable
    size = box[3] if box is not None else float(np.ptp(keypoints[keypoints[:, 2] > 0, 1])) if (keypoints[:, 2] > 0).any() else 100.0
    scale = max(1, round(size / 120))
    shown = keypoints[:, 2] > 0
    if scores is not None:
        shown &= scores >= min_score
    if box is not None:
        x, y, w, h = (int(round(v)) for v in box)
        cv2.rectangle(out, (x, y), (x + w, y + h), (212, 188, 0), 1)
    for a, b in skeleton.edges:
        if shown[a] and shown[b]:
            sides = {skeleton.side(a), skeleton.side(b)}
            colour = SIDE_BGR[sides.pop() if len(sides) == 1 else "centre"]
            pa = tuple(int(round(v)) for v in keypoints[a, :2])
            pb = tuple(int(round(v)) for v in keypoints[b, :2])
            cv2.line(out, pa, pb, colour, scale, cv2.LINE_AA)
    for j in np.flatnonzero(shown):
        centre = tuple(int(round(v)) for v in keypoints[j, :2])
        colour = SIDE_BGR[skeleton.side(int(j))]
        filled = -1 if keypoints[j, 2] == 2 else 2
        cv2.circle(out, centre, 1 + scale, colour, filled if filled < 0 else 1, cv2.LINE_AA)
    return np.ascontiguousarray(out[:, :, ::-1])
