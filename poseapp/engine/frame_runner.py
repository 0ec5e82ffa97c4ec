"""Run a model on project frames and store the results as predicted instances: the command the
GUI's model panel and the CLI share. No Qt here; progress and cancel come in as callables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

from poseapp.core.accepting import SAME_PERSON_IOU, box_iou, extent
from poseapp.engine.box_file import picture_id
from poseapp.engine.detector import DEFAULT_DETECTOR, box_from_pose, detector_upscale
from poseapp.engine.inference import BoxSource, FrameInput
from poseapp.engine.tracking import PoseTracker, Track, covers
from poseapp.engine.predictor import PersonPrediction, Predictor
from poseapp.media.frames import FrameLoader
from poseapp.media.video import video_frame_name
from poseapp.store import Frame, Instance, Project
from poseapp.store.edits import is_edited_prediction
from poseapp.store.interpolation import INTERPOLATION
from poseapp.store.records import CROP_BOX, WHOLE_IMAGE


@dataclass
class FrameResult:
    frame_id: int
    predictions: list[PersonPrediction]
    instances: list[Instance]  # the predictions as stored
    replaced: list[Instance] = field(default_factory=list)  # the model's earlier predictions it deleted
    old_state: str = "unlabelled"  # the frame's state before the run (what an undo puts back)
    whole_image: bool = False  # nobody was found: the prediction is a guess in the whole picture
    not_in_box_file: bool = False  # boxes come from a file that does not name this frame: nobody was boxed
    kept: int = 0  # the model's earlier, unedited predictions this run did not find again (kept, not removed)
    weak_person: bool = False  # nobody passed the detector's threshold: its likeliest person was taken
    corrections: int = 0  # people corrected by the user, followed but not predicted again


class FrameBoxes:
    """Person boxes for project frames, at the scale ``poseapp predict`` uses for the same kind
    of source (video frames are upscaled), so the GUI and the CLI find the same people. On
    consecutive frames of a video, people are followed by their poses between detector runs
    (engine/tracking.py), and ``track_ids`` names the person in each box of the last call. With
    ``project``, a run that starts mid-video goes on with the tracks stored on the frame before,
    and new people get ids after every id stored in the video, so one id never names two people.
    ``whole_image`` says the last call found nobody and fell back to the whole picture.

    ``mode`` may be a box file (COCO detection results, engine/box_file.py): a frame is looked up
    by the name every poseapp file gives it, else by its imported image id (a video frame's: its
    index + 1, as `poseapp predict` numbers it). The file's detector said who is there, so a
    frame it names with nobody has nobody (no whole-image guess), and ``not_named`` says when
    the last frame was not in the file at all."""

    def __init__(self, mode: str = DEFAULT_DETECTOR, project: Project | None = None, min_score: float | None = None,
                 min_height: float = 0.0):
        self.mode = mode
        self.project = project
        self.min_score, self.min_height = min_score, min_height
        self._sources: dict[bool, BoxSource] = {}
        self._trackers: dict[int, tuple[PoseTracker, int]] = {}  # video source id -> (tracker, last frame index)
        self._active: PoseTracker | None = None
        self.track_ids: list[int] | None = None
        self.whole_image = self.weak_person = False  # the last frame: nobody found (whole image), or a weak detection taken
        self.not_named = False

    def _source(self, frame: Frame) -> BoxSource:
        is_video = frame.file_name is None
        if is_video not in self._sources:
            self._sources[is_video] = BoxSource(self.mode, upscale=detector_upscale(is_video), min_score=self.min_score,
                                                min_height=self.min_height)
        return self._sources[is_video]

    def boxes(self, frame: Frame, image: np.ndarray, annotated: list[tuple] = ()) -> list[tuple]:
        """Everybody on the frame: the ``annotated`` people's boxes first, then the detected (or,
        in video, followed) people those boxes do not cover. The whole image only when there is
        nobody at all (``whole_image`` then says so)."""
        annotated = list(annotated)
        is_video = frame.file_name is None
        source = self._source(frame)
        self.not_named = False
        if source.file is not None:
            name, image_id = self._picture(frame)
            source.picture = FrameInput(image, image_id, name)  # what BoxSource.detect looks up
            self.not_named = not source.file.names(name, image_id)
        tracker = self._tracker(frame, source) if is_video else None
        self._active = tracker
        self.whole_image = self.weak_person = False
        if tracker is not None:
            boxes, self.track_ids = tracker.boxes(image, annotated)
            return boxes
        self.track_ids = None
        found = [box for box, _ in source.detect(image)]  # a box file, a detector, or nobody ("whole")
        boxes = annotated + [b for b in found if not any(covers(a, b) for a in annotated)]
        if boxes or source.file is not None:  # a box file's "nobody" is nobody
            return boxes
        boxes, how = source.nobody_found(image)  # the likeliest person under the threshold, else the whole image
        self.weak_person, self.whole_image = how == "weak", how == "whole"
        return boxes

    def _picture(self, frame: Frame) -> tuple[str, int]:
        return picture_of(self.project, frame)

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

    def keep_earlier_ids(self, boxes: list[tuple], earlier: list[Instance]) -> None:
        """A re-run over frames a run predicted before: each person in ``boxes`` (the last call's)
        where an earlier record with a track id was (box IoU >= SAME_PERSON_IOU) goes on under
        that id, so re-running a model does not rename every walker (an accepted person keeps theirs)."""
        if self._active is None or self.track_ids is None:
            return
        wanted = {}
        for new_id, box in zip(self.track_ids, boxes):
            for old in earlier:
                old_id = stored_track_id(old)
                if old_id is not None and old.bbox is not None \
                        and box_iou(box, old.bbox) >= SAME_PERSON_IOU and old_id not in wanted.values():
                    wanted[new_id] = old_id
                    break
        made = self._active.rename(wanted)
        self.track_ids = [made.get(i, i) for i in self.track_ids]


def stored_track_id(instance: Instance) -> int | None:
    """The track id a record carries (a whole number in ``extra``; anything else is no id)."""
    track_id = instance.extra.get("track_id")
    return track_id if isinstance(track_id, int) and not isinstance(track_id, bool) else None


def annotated_people(project: Project, frame_id: int) -> list[tuple[Instance, tuple]]:
    """The frame's annotations with a usable box (the one drawn, else their joints' extent)."""
    people = []
    for inst in project.instances(frame_id):
        if inst.origin == "manual":
            box = inst.box_or_keypoint_extent()
            if box is not None and box[2] > 1 and box[3] > 1:
                people.append((inst, box))
    return people


def is_correction(instance: Instance) -> bool:
    """An annotation the user made from a model's prediction (accepted or edited): a model run
    follows that person by it and predicts them no more, so no second skeleton lands on them.
    Imported and hand-placed people are still predicted, to compare and to merge (Accept)."""
    return instance.origin == "manual" and instance.model_id is not None


def picture_of(project: Project | None, frame: Frame) -> tuple[str, int]:
    """The frame's name and image id as a box file names pictures (engine/box_file.py): a photo
    by its file name and COCO image id; a video frame as ``<video stem>/<frame:06d>.jpg`` and its
    index + 1 (or the id it had in an imported file)."""
    if frame.file_name is not None:
        name = frame.extra.get("file_name") or frame.file_name
        return name, picture_id(name, frame.index + 1, frame.ext_id)
    video = project.source(frame.source_id).path if project is not None else ""
    return video_frame_name(video, frame.index), frame.ext_id if frame.ext_id is not None else frame.index + 1


def box_file_coverage(project: Project, box_file) -> tuple[int, int, list[str]]:
    """(Frames of the project the box file names, how many of the file's pictures are none of
    them, up to three of those as the file names them): what the window says on taking a file."""
    named = sum(box_file.names(*picture_of(project, project.frame(fid))) for fid in project.frame_ids())
    left, examples = box_file.unmatched()
    return named, left, examples


def person_boxes(project: Project, frame: Frame, image: np.ndarray, detector: FrameBoxes | None) -> list[tuple]:
    """Everybody on the frame: the annotated people's boxes, then the detected people they do not
    cover (without ``detector``, the annotations alone); the whole image when nobody is found."""
    boxes = [box for _, box in annotated_people(project, frame.id)]
    if detector is None:
        return boxes or FrameBoxes("whole").boxes(frame, image)
    return detector.boxes(frame, image, boxes)


@dataclass
class AnnotatedPose:
    """An annotated person as the tracker sees a pose: where their labelled joints are."""

    keypoints: np.ndarray
    scores: np.ndarray
    score: float = 1.0

    @classmethod
    def of(cls, instance: Instance) -> "AnnotatedPose":
        return cls(instance.keypoints, (instance.keypoints[:, 2] > 0).astype(float))


def _same_person(a: tuple, b: tuple) -> bool:
    return box_iou(a, b) >= SAME_PERSON_IOU or covers(a, b) or covers(b, a)


def _replaced_by(old: Instance, new: list[tuple[PersonPrediction, int | None]]) -> bool:
    """Whether a run's new predictions take the place of ``old`` (one of the model's own): the
    same walker (track id) or the same box; a whole-image guess is always replaced."""
    if old.extra.get(WHOLE_IMAGE):
        return True
    old_id, old_box = stored_track_id(old), extent(old.keypoints, old.bbox)
    return any(
        (old_id is not None and old_id == track_id) or (old_box is not None and _same_person(old_box, p.box))
        for p, track_id in new
    )


def predict_frames(
    project: Project, frame_ids: Iterable[int], predictor: Predictor, loader: FrameLoader | None = None,
    iterations: int | None = None, use_detector: bool = True, keep_heatmaps: bool = True, boxes: str = DEFAULT_DETECTOR,
    min_score: float | None = None, min_height: float = 0.0,
    progress: Callable[[int, int], None] | None = None, cancelled: Callable[[], bool] | None = None,
    keep_cache: bool = False,
) -> list[FrameResult]:
    """Predict each frame (one commit per frame). The model's earlier predictions on a frame are
    replaced person by person: one the run predicts again (same track id or box) gives way to the
    new one; one it does not find again stays (a re-run never removes a person it did not
    predict again); one the user edited is kept, and nothing new is added over it. Annotated
    people are boxed by their annotation; those made from a model's prediction are followed but
    not predicted again (``is_correction``). ``boxes`` names the people detector (engine/detector.py),
    "whole", or a box file (FILE.json, COCO detection results; see FrameBoxes); ``min_score`` (its
    score) and ``min_height`` (pixels) decide which of its detections become people. ``keep_cache``:
    each prediction keeps what ``Predictor.refine`` needs (models that take hints only)."""
    keep_cache = keep_cache and getattr(predictor.model, "supports_hints", False)
    frame_ids = list(frame_ids)
    loader = loader or FrameLoader(project)
    detector = FrameBoxes(boxes, project, min_score, min_height) if use_detector else None
    skeleton = predictor.skeleton()
    project.ensure_skeleton(skeleton)
    results = []
    for n, fid in enumerate(frame_ids):
        if cancelled is not None and cancelled():
            break
        frame = project.frame(fid)
        image = loader.read(frame)
        annotated = annotated_people(project, fid)
        boxes = person_boxes(project, frame, image, detector)
        whole_image = detector.whole_image if detector is not None else not annotated
        # boxes[:len(annotated)] are the annotated people's; corrections are followed, not predicted
        todo = [i for i in range(len(boxes)) if i >= len(annotated) or not is_correction(annotated[i][0])]
        found = predictor.predict(image, [boxes[i] for i in todo], iterations=iterations, keep_heatmaps=keep_heatmaps,
                                  keep_cache=keep_cache)
        by_box = dict(zip(todo, found))
        track_ids = None
        if detector is not None and detector.track_ids is not None:
            detector.update([by_box[i] if i in by_box else AnnotatedPose.of(annotated[i][0]) for i in range(len(boxes))])
            detector.keep_earlier_ids(boxes, [i for i in project.instances(fid) if i.origin == "predicted" or "track_id" in i.extra])
            track_ids = [detector.track_ids[i] for i in todo]
        preds = list(zip(found, track_ids if track_ids is not None else [None] * len(found)))
        with project.transaction():
            old_state = project.frame(fid).state
            # a run replaces the earlier predictions of models run here (its own, and an older model's:
            # the annotation loop's fine-tuned model predicts the person again, not beside the last
            # guess), and people interpolated between corrected frames (an estimate no model made);
            # predictions imported from another tool (a SLEAP file, a COCO results file) stay, to compare
            own = [o for o in project.instances(fid) if o.origin == "predicted" and made_here(o, predictor.model_id)]
            edited = [o for o in own if is_edited_prediction(o)]
            unedited = [o for o in own if not is_edited_prediction(o)]  # by flag: records compare arrays, `in` cannot
            kept_boxes = [b for b in (extent(e.keypoints, e.bbox) for e in edited) if b is not None]
            new = [(p, t) for p, t in preds if not any(box_iou(p.box, b) >= SAME_PERSON_IOU for b in kept_boxes)]
            replaced = [
                project.delete_instance(old.id, frame_state=None)
                for old in unedited if _replaced_by(old, new)
            ]
            stored = [
                project.add_instance(Instance(
                    frame_id=fid, skeleton=skeleton.name, keypoints=p.keypoints, bbox=p.box, origin="predicted",
                    model_id=predictor.model_id, score=p.score, joint_scores=p.scores, vis_scores=p.visibility,
                    extra=_prediction_extra(track_id, whole_image),
                ))
                for p, track_id in new
            ]
        kept = len(unedited) - len(replaced)
        results.append(FrameResult(fid, [p for p, _ in new], stored, replaced, old_state, whole_image=whole_image,
                                   not_in_box_file=detector is not None and detector.not_named, kept=kept,
                                   weak_person=detector is not None and detector.weak_person,
                                   corrections=len(boxes) - len(todo)))
        if progress is not None:
            progress(n + 1, len(frame_ids))
    return results


def made_here(instance: Instance, model_id: str) -> bool:
    """Whether a stored prediction came from a model run in poseapp (marked ``CROP_BOX``: its box
    is the crop the model looked in), the model ``model_id`` or interpolation, not from a file."""
    return instance.model_id in (model_id, INTERPOLATION) or bool(instance.extra.get(CROP_BOX))


def _prediction_extra(track_id: int | None, whole_image: bool) -> dict:
    extra: dict = {CROP_BOX: True}
    if track_id is not None:
        extra["track_id"] = track_id
    if whole_image:
        extra[WHOLE_IMAGE] = True
    return extra
