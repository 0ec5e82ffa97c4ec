"""Occlusion inspection over a project: each labelled joint's flag (visible or occluded) paired
with a model's visibility score, the precision-recall curve of those scores, and the queue of
disagreements a user steps through. No Qt here."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from poseapp.engine.metrics import average_precision
from poseapp.store import Instance, Project


@dataclass(frozen=True)
class JointRef:
    frame_id: int
    instance_id: int  # the annotation (manual instance)
    joint: int


@dataclass
class VisibilityPairs:
    scores: np.ndarray  # (N,) visibility scores
    visible: np.ndarray  # (N,) bool: flag 2 (True) or 1 (False)
    refs: list[JointRef]

    def __len__(self) -> int:
        return len(self.scores)

    def pr_curve(self) -> tuple[float, np.ndarray, np.ndarray]:
        """(AP in percent, precision, recall) of 'visible' ranked by score."""
        ap, precision, recall = average_precision(self.scores, self.visible)
        return 100.0 * ap, precision, recall

    def chance(self) -> float:
        """The AP (percent) of a ranking that knows nothing: the share of visible joints. An AP
        below it means the scores rank worse than calling every joint visible."""
        return 100.0 * float(self.visible.mean()) if len(self) else 0.0

    def occluded_ap(self) -> tuple[float, float]:
        """(AP, chance) in percent for finding the occluded joints: the rarer class, so the
        more telling figure when nearly every joint is visible."""
        if not len(self) or self.visible.all():
            return 0.0, 0.0
        ap, _, _ = average_precision(1.0 - self.scores, ~self.visible)
        return 100.0 * ap, 100.0 * float((~self.visible).mean())

    def disagreements(self, occluded_below: float = 0.5) -> list[tuple[JointRef, str, float]]:
        """Joints where the model's call (occluded below ``occluded_below``, the threshold that
        accepting a prediction uses) differs from the flag; the most confident calls first."""
        out = []
        for ref, s, vis in zip(self.refs, self.scores, self.visible):
            if vis and s < occluded_below:
                out.append((ref, f"model says occluded (visibility {s:.2f}), flagged visible", float(occluded_below - s)))
            elif not vis and s >= occluded_below:
                out.append((ref, f"model says visible (visibility {s:.2f}), flagged occluded", float(s - occluded_below)))
        return sorted(out, key=lambda item: -item[2])


def _match(manual: Instance, predicted: list[Instance]) -> Instance | None:
    """The prediction closest to an annotation (mean distance over its labelled joints)."""
    labelled = manual.keypoints[:, 2] > 0
    best, best_d = None, np.inf
    for p in predicted:
        if p.vis_scores is None or len(p.keypoints) != len(manual.keypoints):
            continue
        d = float(np.linalg.norm(p.keypoints[labelled, :2] - manual.keypoints[labelled, :2], axis=1).mean()) if labelled.any() else np.inf
        if d < best_d:
            best, best_d = p, d
    return best


def visibility_pairs(project: Project, model_id: str | None = None) -> VisibilityPairs:
    """For every annotation with labelled joints: its own visibility scores (an accepted prediction
    keeps them), else those of the closest prediction on the frame (of ``model_id``, if given)."""
    scores, visible, refs = [], [], []
    frame_ids = sorted({inst.frame_id for inst in project.iter_instances(origin="manual")})
    for fid in frame_ids:
        insts = project.instances(fid)
        predicted = [i for i in insts if i.origin == "predicted" and (model_id is None or i.model_id == model_id)]
        for manual in (i for i in insts if i.origin == "manual"):
            source = manual if manual.vis_scores is not None and (model_id is None or manual.model_id == model_id) else _match(manual, predicted)
            if source is None:
                continue
            for j in np.flatnonzero(manual.keypoints[:, 2] > 0):
                scores.append(float(source.vis_scores[j]))
                visible.append(bool(manual.keypoints[j, 2] == 2))
                refs.append(JointRef(fid, int(manual.id), int(j)))
    return VisibilityPairs(np.asarray(scores, dtype=np.float64), np.asarray(visible, dtype=bool), refs)
