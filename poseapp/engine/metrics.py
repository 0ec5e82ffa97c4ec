"""Pose metrics on arrays (numpy only): PCK@alpha with torso or head normalisation, per joint
group as in the papers' tables, PCP, the area under the PCK curve, mean pixel error."""

from __future__ import annotations

import numpy as np

from poseapp.core.skeleton import Skeleton

GROUP_ORDER = ("head", "shoulder", "elbow", "wrist", "hip", "knee", "ankle")


def torso_sizes(gt: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """LSP's torso: left shoulder to right hip (N,); 0 (the person is not measured) where either
    is not labelled, as on a COCO person cut off at the waist, whose unlabelled hip sits at (0, 0).
    A skeleton without those joints (a fly, a mouse) is measured by its size instead: the square
    root of the area its labelled joints span (so PCK@0.2 is 0.2 of that)."""
    if "left_shoulder" not in skeleton.joints or "right_hip" not in skeleton.joints:
        return extent_sizes(gt)
    ls, rh = skeleton.index("left_shoulder"), skeleton.index("right_hip")
    both = (gt[:, ls, 2] > 0) & (gt[:, rh, 2] > 0) if gt.shape[-1] > 2 else True
    return np.where(both, np.linalg.norm(gt[:, ls, :2] - gt[:, rh, :2], axis=1), 0.0)


def pck_normaliser(skeleton: Skeleton) -> str:
    """What PCK@alpha is a fraction of, for this skeleton (torso_sizes), in words for reports."""
    if "left_shoulder" in skeleton.joints and "right_hip" in skeleton.joints:
        return "torso (left shoulder to right hip)"
    return "person size (square root of the area of the labelled joints' box)"


def extent_sizes(gt: np.ndarray) -> np.ndarray:
    """(N,) square root of the area each person's labelled joints span (0 with fewer than 2)."""
    out = np.zeros(len(gt))
    for n, person in enumerate(gt):
        pts = person[person[:, 2] > 0, :2] if person.shape[-1] > 2 else person[:, :2]
        if len(pts) >= 2:
            w, h = pts.max(axis=0) - pts.min(axis=0)
            out[n] = float(np.sqrt(max(w, 1.0) * max(h, 1.0)))
    return out


def head_sizes(gt: np.ndarray, skeleton: Skeleton) -> np.ndarray | None:
    """The head segment for PCKh: MPII's upper neck to head top, LSP's neck to head top."""
    names = skeleton.joints
    for a, b in (("upper_neck", "head_top"), ("neck", "head_top")):
        if a in names and b in names:
            ia, ib = names.index(a), names.index(b)
            labelled = (gt[:, ia, 2] > 0) & (gt[:, ib, 2] > 0)
            if not labelled.any():  # COCO people in LSP's skeleton: no neck, no head top, so no PCKh
                return None
            return np.where(labelled, np.linalg.norm(gt[:, ia, :2] - gt[:, ib, :2], axis=1), 0.0)
    return None


def correct_joints(pred: np.ndarray, gt: np.ndarray, norm: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(N, K) bool correct and (N, K) bool evaluated (labelled joints of people whose norm is > 0)."""
    dist = np.linalg.norm(pred[:, :, :2] - gt[:, :, :2], axis=2)
    valid = (gt[:, :, 2] > 0) & (norm[:, None] > 0)
    return (dist <= alpha * norm[:, None]) & valid, valid


def pck_table(pred: np.ndarray, gt: np.ndarray, skeleton: Skeleton, alpha: float = 0.2, norm: np.ndarray | None = None) -> dict[str, float]:
    """PCK in percent per joint group and in total (torso-normalised unless ``norm`` is given)."""
    norm = torso_sizes(gt, skeleton) if norm is None else norm
    correct, valid = correct_joints(pred, gt, norm, alpha)
    table: dict[str, float] = {}
    groups = skeleton.groups or tuple("total" for _ in skeleton.joints)
    for group in GROUP_ORDER:
        cols = [j for j, g in enumerate(groups) if g == group]
        if cols:
            n = valid[:, cols].sum()
            if n:  # a group nobody labelled (COCO has no head top or neck) is not measured, not NaN
                table[group] = float(100.0 * correct[:, cols].sum() / n)
    table["total"] = float(100.0 * correct.sum() / max(valid.sum(), 1))
    return table


def pck_curve_auc(pred: np.ndarray, gt: np.ndarray, skeleton: Skeleton, max_alpha: float = 0.2, steps: int = 21) -> tuple[np.ndarray, np.ndarray, float]:
    """(alphas, PCK per alpha in percent, normalised area under the curve in percent)."""
    alphas = np.linspace(0.0, max_alpha, steps)
    norm = torso_sizes(gt, skeleton)
    values = np.array([pck_table(pred, gt, skeleton, a, norm)["total"] for a in alphas])
    trapezoid = getattr(np, "trapezoid", None) or np.trapz  # numpy < 2 names it trapz
    auc = float(trapezoid(values, alphas) / max_alpha)
    return alphas, values, auc


def pcp(pred: np.ndarray, gt: np.ndarray, skeleton: Skeleton, alpha: float = 0.5) -> float:
    """Percentage of Correct Parts (strict): both ends within alpha x the ground-truth limb length."""
    hits, total = 0, 0
    for a, b in skeleton.edges:
        length = np.linalg.norm(gt[:, a, :2] - gt[:, b, :2], axis=1)
        valid = (gt[:, a, 2] > 0) & (gt[:, b, 2] > 0) & (length > 0)
        da = np.linalg.norm(pred[:, a, :2] - gt[:, a, :2], axis=1)
        db = np.linalg.norm(pred[:, b, :2] - gt[:, b, :2], axis=1)
        hits += int(((da <= alpha * length) & (db <= alpha * length) & valid).sum())
        total += int(valid.sum())
    return 100.0 * hits / max(total, 1)


def mean_pixel_error(pred: np.ndarray, gt: np.ndarray) -> float:
    valid = gt[:, :, 2] > 0
    dist = np.linalg.norm(pred[:, :, :2] - gt[:, :, :2], axis=2)
    return float(dist[valid].mean()) if valid.any() else float("nan")


def average_precision(scores: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """AP (area under the step-wise precision-recall curve), precision and recall arrays."""
    order = np.argsort(-scores, kind="stable")
    labels = labels[order].astype(bool)
    tp = np.cumsum(labels)
    fp = np.cumsum(~labels)
    positives = labels.sum()
    if positives == 0:
        return float("nan"), np.array([]), np.array([])
    recall = tp / positives
    precision = tp / np.maximum(tp + fp, 1)
    ap = float(np.sum(np.diff(np.concatenate([[0.0], recall])) * precision))
    return ap, precision, recall
