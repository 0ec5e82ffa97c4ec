"""Run a model on project frames and store the results as predicted instances: the command the
GUI's model panel and the CLI share. No Qt here; progress and cancel come in as callables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from poseapp.engine.detector import detector_upscale
from poseapp.engine.inference import BoxSource
from poseapp.engine.predictor import PersonPrediction, Predictor
from poseapp.media.frames import FrameLoader
from poseapp.store import Frame, Instance, Project


@dataclass
class FrameResult:
    frame_id: int
    predictions: list[PersonPrediction]
    instances: list[Instance]


class FrameBoxes:
    """Detector boxes for project frames, at the scale ``poseapp predict`` uses for the same kind
    of source (video frames are upscaled), so the GUI and the CLI find the same people."""

    def __init__(self, mode: str = "hog"):
        self.mode = mode
        self._sources: dict[bool, BoxSource] = {}

    def boxes(self, frame: Frame, image: np.ndarray) -> list[tuple]:
        is_video = frame.file_name is None
        if is_video not in self._sources:
            self._sources[is_video] = BoxSource(self.mode, upscale=detector_upscale(is_video))
        return self._sources[is_video].boxes(image, sequential=False)


def person_boxes(project: Project, frame: Frame, image: np.ndarray, detector: FrameBoxes | None) -> list[tuple]:
    """Boxes from the frame's annotations; else from the detector; else the whole image."""
    boxes = []
    for inst in project.instances(frame.id):
        if inst.origin == "manual":
            box = inst.box_or_keypoint_extent()
            if box is not None and box[2] > 1 and box[3] > 1:
                boxes.append(box)
    if boxes:
        return boxes
    return (detector or FrameBoxes("whole")).boxes(frame, image)


def predict_frames(
    project: Project, frame_ids: Iterable[int], predictor: Predictor, loader: FrameLoader | None = None,
    iterations: int | None = None, use_detector: bool = True, keep_heatmaps: bool = True,
    progress: Callable[[int, int], None] | None = None, cancelled: Callable[[], bool] | None = None,
) -> list[FrameResult]:
    """Predict each frame; the model's earlier predictions on a frame are replaced (one commit per frame)."""
    frame_ids = list(frame_ids)
    loader = loader or FrameLoader(project)
    detector = FrameBoxes("hog") if use_detector else None
    skeleton = predictor.skeleton()
    project.ensure_skeleton(skeleton)
    results = []
    for n, fid in enumerate(frame_ids):
        if cancelled is not None and cancelled():
            break
        frame = project.frame(fid)
        image = loader.read(frame)
        boxes = person_boxes(project, frame, image, detector)
        preds = predictor.predict(image, boxes, iterations=iterations, keep_heatmaps=keep_heatmaps)
        with project.transaction():
            for old in project.instances(fid):
                if old.origin == "predicted" and old.model_id == predictor.model_id:
                    project.delete_instance(old.id, frame_state=None)
            stored = [
                project.add_instance(Instance(
                    frame_id=fid, skeleton=skeleton.name, keypoints=p.keypoints, bbox=p.box, origin="predicted",
                    model_id=predictor.model_id, score=p.score, joint_scores=p.scores, vis_scores=p.visibility,
                ))
                for p in preds
            ]
        results.append(FrameResult(fid, preds, stored))
        if progress is not None:
            progress(n + 1, len(frame_ids))
    return results
