"""Several models on the same people in the same picture, for side-by-side comparison (the GUI's
Model > Compare models). No Qt here: the window runs it as a background job."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from poseapp.engine.predictor import PersonPrediction, Predictor

Box = tuple[float, float, float, float]


@dataclass
class ModelRun:
    name: str
    architecture: str
    measured: str  # the card's own accuracy claim, e.g. 'LSP val PCK@0.2 65.1', or 'not measured'
    predictions: list[PersonPrediction]
    ms_per_person: float | None  # None: stored predictions, not run here
    skeleton: object  # the model's Skeleton, for drawing


def card_accuracy(card: dict) -> str:
    """The card's accuracy claim: the LSP validation figure of ``poseapp eval --update-card``, else
    the run's own validation of its kept weights (a fine-tuned model's held-out project people),
    named as such; 'not measured' when the card has neither."""
    evaluation = card.get("metrics", {}).get("lsp_val")
    if evaluation:
        return f"LSP val PCK@0.2 {evaluation['pck@0.2']['total']:.1f}"
    crops = card.get("metrics", {}).get("validation_crops")
    if crops and "pck@0.2" in crops:
        split = card.get("training", {}).get("validation_split", "held out")
        where = "LSP val" if split.startswith("LSP") else f"{crops.get('n', '?')} held-out people"
        return f"{where} PCK@0.2 {crops['pck@0.2']['total']:.1f} (training's own check)"
    return "not measured"


def compare_models(
    image: np.ndarray, boxes: Sequence[Box], predictors: Sequence[Callable[[], Predictor]],
    progress: Callable[[int, int], None] | None = None, cancelled: Callable[[], bool] | None = None,
) -> list[ModelRun]:
    """Run each model (given as a loader, so that loading also happens in the background) on the
    same boxes; the timing is the model's own forward and decoding, after one warm-up call."""
    runs = []
    for n, load in enumerate(predictors):
        if cancelled is not None and cancelled():
            break
        predictor = load()
        predictor.predict(image, boxes[:1])  # warm-up: first calls allocate
        start = time.perf_counter()
        preds = predictor.predict(image, boxes)
        ms = 1000 * (time.perf_counter() - start) / max(1, len(boxes))
        runs.append(ModelRun(
            name=predictor.model_id, architecture=predictor.card.get("architecture", predictor.model.registry_name),
            measured=card_accuracy(predictor.card), predictions=preds, ms_per_person=ms, skeleton=predictor.skeleton(),
        ))
        if progress is not None:
            progress(n + 1, len(predictors))
    return runs


def stored_runs(project, frame_id: int, exclude: set[str]) -> list[ModelRun]:
    """The predictions already stored on a frame by models not run here (another tool's results
    imported with ``poseapp import --format coco-results``, or a model no longer in the list), one
    panel per model, so they are compared like the live ones."""
    by_model: dict[str, list] = {}
    for inst in project.instances(frame_id):
        if inst.origin == "predicted" and inst.model_id and inst.model_id not in exclude:
            by_model.setdefault(inst.model_id, []).append(inst)
    runs = []
    for model_id, instances in sorted(by_model.items()):
        predictions = [_as_prediction(inst) for inst in instances]
        runs.append(ModelRun(
            name=model_id, architecture="stored predictions", measured="imported or earlier results",
            predictions=predictions, ms_per_person=None, skeleton=project.skeleton(instances[0].skeleton),
        ))
    return runs


def _as_prediction(inst) -> PersonPrediction:
    """A stored instance in the shape the comparison draws (one 'stage': the stored joints)."""
    if inst.joint_scores is not None:
        scores = np.asarray(inst.joint_scores, float)
    else:  # a tool that wrote no per-joint confidence: labelled joints count as sure
        scores = np.where(inst.keypoints[:, 2] > 0, 1.0, 0.0)
    visibility = np.asarray(inst.vis_scores, float) if inst.vis_scores is not None else scores.copy()
    return PersonPrediction(
        box=tuple(inst.box_or_keypoint_extent() or (0.0, 0.0, 1.0, 1.0)), keypoints=inst.keypoints.copy(),
        scores=scores, visibility=visibility, stages=inst.keypoints[None, :, :2].copy(),
        stage_scores=scores[None].copy(), stage_names=["stored"],
    )
