"""Accepting a prediction as an annotation, in plain numpy: which existing annotation is the same
person (and is replaced), and each joint's flag from the model's visibility score."""

from __future__ import annotations

import numpy as np

DEFAULT_OCCLUDED_BELOW = 0.5  # a visibility score under this flags the joint occluded
SAME_PERSON_IOU = 0.5


def extent(keypoints: np.ndarray, bbox: tuple | None) -> tuple[float, float, float, float] | None:
    """The person's box, or the extent of its labelled joints when it has none."""
    if bbox is not None:
        return tuple(float(v) for v in bbox)
    pts = keypoints[keypoints[:, 2] > 0, :2]
    if len(pts) == 0:
        return None
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    return float(x0), float(y0), float(max(x1 - x0, 1.0)), float(max(y1 - y0, 1.0))


def box_iou(a: tuple, b: tuple) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = w * h
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def same_person(prediction, annotations: list, any_skeleton: bool = False) -> list:
    """The annotations (same frame, same skeleton unless ``any_skeleton``) whose box overlaps the
    prediction's by at least SAME_PERSON_IOU: accepting the prediction replaces those of its
    skeleton instead of adding a copy."""
    pbox = extent(prediction.keypoints, prediction.bbox)
    if pbox is None:
        return []
    found = []
    for inst in annotations:
        if inst.id == prediction.id or inst.origin != "manual" or (inst.skeleton != prediction.skeleton and not any_skeleton):
            continue
        box = extent(inst.keypoints, inst.bbox)
        if box is not None and box_iou(pbox, box) >= SAME_PERSON_IOU:
            found.append(inst)
    return found


# Accepting a prediction into an annotation of another skeleton (an LSP-14 model on COCO-17
# people) writes the joints the two share by name; below this many shared joints the skeletons are
# too different for that, and the prediction becomes an annotation of its own.
MIN_SHARED_JOINTS = 6


def shared_joints(source: tuple[str, ...], target: tuple[str, ...]) -> list[tuple[int, int]]:
    """(source index, target index) of each joint name the two skeletons share, in source order."""
    where = {name: j for j, name in enumerate(target)}
    return [(i, where[name]) for i, name in enumerate(source) if name in where]


def merged_keypoints(source: np.ndarray, target: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    """``target``'s keypoints with each shared joint taken from ``source`` (where the source has
    it labelled); the target's own joints (a COCO face, say) stay as they are."""
    out = np.array(target, dtype=np.float64, copy=True)
    for i, j in pairs:
        if source[i, 2] > 0:
            out[j] = source[i]
    return out


def flags_from_visibility(keypoints: np.ndarray, vis_scores: np.ndarray | None, occluded_below: float) -> np.ndarray:
    """Keypoints with each labelled joint flagged visible (2) or occluded (1) by its visibility
    score; unchanged where the model gives no scores."""
    kps = np.array(keypoints, dtype=np.float64, copy=True)
    if vis_scores is None:
        return kps
    labelled = kps[:, 2] > 0
    kps[labelled, 2] = np.where(np.asarray(vis_scores)[labelled] < occluded_below, 1.0, 2.0)
    return kps
