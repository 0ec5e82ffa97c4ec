"""Run a model on project frames and store the results as predicted instances: the command the
GUI's model panel and the CLI share. No Qt here; progress and cancel come in as callables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

from poseapp.core.accepting import SAME_PERSON_IOU, box_iou, extent
from poseapp.engine.detector import box_from_pose, detector_upscale
from poseapp.engine.inference import BoxSource
from poseapp.engine.tracking import PoseTracker, Track
from poseapp.engine.predictor import PersonPrediction, Predictor
from poseapp.media.frames import FrameLoader
from poseapp.store import Frame, Instance, Project
from poseapp.store.edits import is_edited_prediction


@dataclass
class FrameResult:
    frame_id: int
    predictions: list[PersonPrediction]
    instances: list[Instance]  # the predictions as stored
    replaced: list[Instance] = field(default_factory=list)  # the model's earlier predictions it deleted
    old_state: str = "unlabelled"  # the frame's state before the run (what an undo puts back)


class FrameBoxes:
    """Detector boxes for project frames, at the scale ``poseapp predict`` uses for the same kind
    of source (video frames are upscaled), so the GUI and the CLI find the same people. On
    consecutive frames of a video, people are followed by their poses between detector runs
    (engine/tracking.py), and ``track_ids`` names the person in each box of the last call. With
    ``project``, a run that starts mid-video goes on with the tracks stored on the frame before,
    and new people get ids after every id stored in the video, so one id never names two people."""

    def __init__(self, mode: str = "hog", project: Project | None = None):
        self.mode = mode
        self.project = project
        self._sources: dict[bool, BoxSource] = {}
        self._trackers: dict[int, tuple[PoseTracker, int]] = {}  # video source id -> (tracker, last frame index)
        self._active: PoseTracker | None = None
        self.track_ids: list[int] | None = None

    def given(self, frame: Frame, boxes: list[tuple]) -> None:
        """The frame's people are annotated and their boxes are used: on a video, they take the track
        ids of the people followed (``track_ids``), and the tracker goes on from them."""
        tracker = self._tracker(frame, self._source(frame)) if frame.file_name is None else None
        self._active = tracker
        self.track_ids = tracker.boxes_given(list(boxes))[1] if tracker is not None else None

    def _source(self, frame: Frame) -> BoxSource:
        is_video = frame.file_name is None
        if is_video not in self._sources:
            self._sources[is_video] = BoxSource(self.mode, upscale=detector_upscale(is_video))
        return self._sources[is_video]

    def boxes(self, frame: Frame, image: np.ndarray) -> list[tuple]:
        is_video = frame.file_name is None
        source = self._source(frame)
        tracker = self._tracker(frame, source) if is_video else None
        self._active = tracker
        if tracker is None:
            self.track_ids = None
            return source.boxes(image)
        boxes, self.track_ids = tracker.boxes(image)
        return boxes

    def _tracker(self, frame: Frame, source: BoxSource) -> PoseTracker | None:
        tracker, last = self._trackers.get(frame.source_id, (None, None))
        tracker = tracker or source.tracker()
        if tracker is None:
            return None
        if last is None or frame.index != last + 1:
            tracker.reset()  # a jump: nobody this run followed on the frame before
            if self.project is not None:
                tracker.continue_from(self._stored_tracks(frame), self.project.max_track_id(frame.source_id) + 1)
        self._trackers[frame.source_id] = (tracker, frame.index)
        return tracker

    def _stored_tracks(self, frame: Frame) -> list[Track]:
        """The people with a track id stored on the frame before ``frame``, where their poses put them."""
        before = self.project.frame_by_index(frame.source_id, frame.index - 1) if frame.index > 0 else None
        tracks = []
        for inst in self.project.instances(before.id) if before is not None else ():
            track_id = stored_track_id(inst)
            box = box_from_pose(inst.keypoints, inst.joint_scores)
            if track_id is not None and box is not None:
                tracks.append(Track(track_id, box, inst.score if inst.score is not None else 1.0))
        return tracks

    def update(self, predictions: list[PersonPrediction]) -> None:
        """The poses found in the last call's boxes, for the tracker to follow."""
        if self._active is not None:
            self._active.update(predictions)

    def keep_earlier_ids(self, predictions: list[PersonPrediction], earlier: list[Instance]) -> None:
        """A re-run over frames a run predicted before: each person found where an earlier
        prediction with a track id was (box IoU >= SAME_PERSON_IOU) goes on under that id, so
        re-running a model does not rename every walker (an accepted person keeps theirs)."""
        if self._active is None or self.track_ids is None:
            return
        wanted = {}
        for new_id, pred in zip(self.track_ids, predictions):
            for old in earlier:
                old_id = stored_track_id(old)
                if old_id is not None and old.bbox is not None \
                        and box_iou(pred.box, old.bbox) >= SAME_PERSON_IOU and old_id not in wanted.values():
                    wanted[new_id] = old_id
                    break
        made = self._active.rename(wanted)
        self.track_ids = [made.get(i, i) for i in self.track_ids]


def stored_track_id(instance: Instance) -> int | None:
    """The track id a record carries (a whole number in ``extra``; anything else is no id)."""
    track_id = instance.extra.get("track_id")
    return track_id if isinstance(track_id, int) and not isinstance(track_id, bool) else None


def person_boxes(project: Project, frame: Frame, image: np.ndarray, detector: FrameBoxes | None) -> list[tuple]:
    """Boxes from the frame's annotations; else from the detector; else the whole image. On a video,
    ``detector.track_ids`` then names the person in each box (annotated ones too)."""
    if detector is not None:
        detector.track_ids = None
    boxes = []
    for inst in project.instances(frame.id):
        if inst.origin == "manual":
            box = inst.box_or_keypoint_extent()
            if box is not None and box[2] > 1 and box[3] > 1:
                boxes.append(box)
    if boxes:
        if detector is not None:
            detector.given(frame, boxes)
        return boxes
    return (detector or FrameBoxes("whole")).boxes(frame, image)


def predict_frames(
    project: Project, frame_ids: Iterable[int], predictor: Predictor, loader: FrameLoader | None = None,
    iterations: int | None = None, use_detector: bool = True, keep_heatmaps: bool = True,
    progress: Callable[[int, int], None] | None = None, cancelled: Callable[[], bool] | None = None,
    keep_cache: bool = False,
) -> list[FrameResult]:
    """Predict each frame; the model's earlier predictions on a frame are replaced (one commit per
    frame), except those the user edited (a prediction marked edited is kept, and no new one is
    added over it; an edited prediction without an annotation of its person became an annotation).
    ``keep_cache``: each prediction keeps what ``Predictor.refine`` needs (models that take hints only)."""
    keep_cache = keep_cache and getattr(predictor.model, "supports_hints", False)
    frame_ids = list(frame_ids)
    loader = loader or FrameLoader(project)
    detector = FrameBoxes("hog", project) if use_detector else None
    skeleton = predictor.skeleton()
    project.ensure_skeleton(skeleton)
    results = []
    for n, fid in enumerate(frame_ids):
        if cancelled is not None and cancelled():
            break
        frame = project.frame(fid)
        image = loader.read(frame)
        boxes = person_boxes(project, frame, image, detector)
        preds = predictor.predict(image, boxes, iterations=iterations, keep_heatmaps=keep_heatmaps, keep_cache=keep_cache)
        if detector is not None and detector.track_ids is not None:
            detector.update(preds)
            detector.keep_earlier_ids(preds, [i for i in project.instances(fid) if i.origin == "predicted" or "track_id" in i.extra])
        track_ids = detector.track_ids if detector is not None else None
        with project.transaction():
            old_state = project.frame(fid).state
            edited, replaced = [], []
            for old in project.instances(fid):
                if old.origin == "predicted" and old.model_id == predictor.model_id:
                    if is_edited_prediction(old):  # the user's edits are never replaced by a run
                        edited.append(old)
                    else:
                        replaced.append(project.delete_instance(old.id, frame_state=None))
            kept_boxes = [b for b in (extent(e.keypoints, e.bbox) for e in edited) if b is not None]
            new = [(n, p) for n, p in enumerate(preds) if not any(box_iou(p.box, b) >= SAME_PERSON_IOU for b in kept_boxes)]
            stored = [
                project.add_instance(Instance(
                    frame_id=fid, skeleton=skeleton.name, keypoints=p.keypoints, bbox=p.box, origin="predicted",
                    model_id=predictor.model_id, score=p.score, joint_scores=p.scores, vis_scores=p.visibility,
                    extra={"track_id": track_ids[n]} if track_ids is not None else {},
                ))
                for n, p in new
            ]
        results.append(FrameResult(fid, [p for _, p in new], stored, replaced, old_state))
        if progress is not None:
            progress(n + 1, len(frame_ids))
    return results
