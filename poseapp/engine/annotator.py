"""A simulated annotator (issue #13): how many corrections does a person need with and without
the model re-running on the corrections?

Per person: the labelled joints outside PCK@alpha of the ground truth are wrong. Without
refinement every wrong joint of the first prediction costs one correction. With refinement the
annotator moves the joint with the largest error to its ground truth, the model re-runs with all
corrections so far as hints (``Predictor.refine``), and the annotator looks again, until no joint
is wrong. A regression is a joint that was right before a re-run and wrong after it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable

import numpy as np

from poseapp.data.samples import PoseSample
from poseapp.engine.dataset import ImageCache
from poseapp.engine.metrics import torso_sizes
from poseapp.engine.predictor import Predictor


def wrong_joints(pred: np.ndarray, gt: np.ndarray, norm: float, alpha: float) -> np.ndarray:
    """(K,) bool: labelled joints farther than alpha x norm from the ground truth (none when norm is 0)."""
    if norm <= 0:
        return np.zeros(len(gt), bool)
    return (gt[:, 2] > 0) & (np.linalg.norm(pred[:, :2] - gt[:, :2], axis=1) > alpha * norm)


def correct_person(predictor: Predictor, cache, first: np.ndarray, gt: np.ndarray, norm: float, alpha: float,
                   iterations: int | None = None) -> tuple[int, int]:
    """(corrections, regressions) for one person with refinement, from its first prediction (K, 2+)."""
    current = first[:, :2]
    hints: dict[int, tuple[float, float]] = {}
    corrections = regressions = 0
    for _ in range(len(gt)):  # each joint is corrected at most once, so this always ends
        wrong = wrong_joints(current, gt, norm, alpha)
        if not wrong.any():
            break
        errors = np.where(wrong, np.linalg.norm(current - gt[:, :2], axis=1), -1.0)
        j = int(errors.argmax())
        hints[j] = (float(gt[j, 0]), float(gt[j, 1]))
        corrections += 1
        before = ~wrong
        before[j] = True  # the corrected joint is right now
        current = predictor.refine(cache, hints, iterations).keypoints[:, :2]
        regressions += int((before & wrong_joints(current, gt, norm, alpha)).sum())
    return corrections, regressions


def simulate_annotator(predictor: Predictor, samples: list[PoseSample], iterations: int | None = None,
                       alpha: float = 0.2, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    skeleton = predictor.skeleton()
    gts = np.stack([s.keypoints for s in samples])
    norms = torso_sizes(gts, skeleton)
    refine = getattr(predictor.model, "supports_hints", False)
    without, with_, regressions = [], [], []
    pictures = ImageCache(keep=False)
    for i, sample in enumerate(samples):
        pred = predictor.predict(pictures.get(sample), [sample.bbox], iterations=iterations, keep_cache=refine)[0]
        without.append(int(wrong_joints(pred.keypoints, gts[i], norms[i], alpha).sum()))
        if refine:
            c, r = correct_person(predictor, pred.cache, pred.keypoints, gts[i], norms[i], alpha, iterations)
            with_.append(c)
            regressions.append(r)
        if progress:
            progress(i + 1, len(samples))
    pictures.close_videos()

    def distribution(counts: list[int]) -> dict[str, int]:
        return {str(k): v for k, v in sorted(Counter(counts).items())}

    a = float(np.mean(without))
    b = float(np.mean(with_)) if refine else None
    return {
        "people": len(samples), "alpha": alpha, "refinement": refine,
        "corrections_per_person": {"without_refinement": a, "with_refinement": b},
        "ratio": (b / a if a else None) if refine else None,
        "regressions_per_person": float(np.mean(regressions)) if refine else None,
        "distribution": {"without_refinement": distribution(without), **({"with_refinement": distribution(with_)} if refine else {})},
    }
