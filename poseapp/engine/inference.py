"""Running a predictor over images, folders and videos: boxes from the detector (or following
the previous frame's poses in video), COCO results records, optional rendered overlays."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from poseapp.core.errors import DataError
from poseapp.engine.box_file import BoxFile, picture_id
from poseapp.engine.detector import DEFAULT_DETECTOR, DETECTORS, Box, detector_upscale, make_detector
from poseapp.engine.predictor import PersonPrediction, Predictor
from poseapp.engine import tracking
from poseapp.engine.tracking import DETECT_EVERY, PoseTracker
from poseapp.media.images import is_image_file, is_video_file, list_images, read_image
from poseapp.media.video import VideoReader, video_frame_name


# A person whose box is under half the model's input side is upscaled past what the model learnt:
# it then draws a confident skeleton on a blur. The window and `poseapp predict` both say so.
TOO_SMALL = 0.5


def too_small(box: Box, input_size: int) -> bool:
    return max(box[2], box[3]) < TOO_SMALL * input_size


@dataclass
class FrameInput:
    image: np.ndarray
    image_id: int
    name: str  # the file name, or a video frame's STEM/000123.jpg (formats/coco_export.frame_file_name)
    frame: int | None = None
    video: str | None = None  # the video's file name, for a video frame


def iter_inputs(path: str | Path, max_frames: int | None = None, every: int = 1) -> Iterator[FrameInput]:
    path = Path(path)
    if path.is_dir():
        names = list_images(path)
        if not names:
            raise DataError(path, "the folder holds no images")
        ids = [picture_id(name, i + 1) for i, name in enumerate(names)]
        if len(set(ids)) < len(ids):  # '1.jpg' and '001.jpg': numbers that name two pictures are no ids
            ids = list(range(1, len(names) + 1))
        for name, image_id in zip(names[:max_frames], ids):
            yield FrameInput(read_image(path / name), image_id, name)
    elif is_video_file(path):
        reader = VideoReader(path, cache_size=2)
        stop = len(reader) if max_frames is None else min(len(reader), max_frames * every)
        for index in range(0, stop, every):
            yield FrameInput(reader.read(index), index + 1, video_frame_name(path, index), index, path.name)
        reader.close()
    elif is_image_file(path):
        yield FrameInput(read_image(path), picture_id(path.name, 1), path.name)
    elif not path.exists():
        raise DataError(path, "no such file or folder")
    else:
        raise DataError(path, "not an image, an image folder or a video")


class BoxSource:
    """Person boxes for one picture: a registered detector's (the trained one unless told), a box
    file's, or the whole image (also when a detector finds nobody, so a single photo always gets a
    prediction)."""

    def __init__(self, mode: str = DEFAULT_DETECTOR, upscale: float = 1.0, min_score: float | None = None,
                 min_height: float = 0.0):
        """``min_score``: the detector's own score a detection needs to be a person (None: its
        default); ``min_height``: people shorter than this many pixels are left out."""
        self.mode = mode
        self.min_score, self.min_height = min_score, min_height
        self.file: BoxFile | None = None
        self.picture: FrameInput | None = None  # the picture being boxed, for a box file's lookup
        registered = mode in DETECTORS
        if mode != "whole" and not registered:
            if not Path(mode).suffix.lower() == ".json":
                raise ValueError(f"boxes come from a detector ({', '.join(DETECTORS)}), 'whole' or a COCO detections file (FILE.json)")
            # the threshold asked for replaces the file's default one (the window's People row sets it)
            self.file = BoxFile(mode, **({"min_score": min_score} if min_score is not None else {}))
        self.person_score: float | None = None  # the score a detection needs to be a person
        self._weak: list[tuple[Box, float]] = []  # the last picture's detections below it (a detector's fallback)
        if registered:  # engine/detector.py's registry: one file plus its registration. Each detector's
            # scores start at its own threshold (HOG's SVM margin, the network's peak): min_score replaces it
            self.detector = make_detector(mode, upscale=upscale, **({"threshold": min_score} if min_score is not None else {}))
            self.person_score = self.detector.threshold
            fallback = getattr(self.detector, "fallback_threshold", None)
            if fallback is not None and fallback < self.person_score:
                self.detector.threshold = fallback  # it finds the weak ones too; detect() keeps those at person_score
        else:
            self.detector = None
        self.whole_image_fallbacks = 0  # pictures where the detector found nobody: said in the summary
        self.weak_fallbacks = 0  # pictures where nobody passed the threshold and the likeliest person was taken

    def detect(self, image: np.ndarray) -> list[tuple[Box, float]]:
        if self.file is not None:
            item = self.picture
            found = self.file.boxes(item.name, item.image_id) if item is not None else []
        else:
            found = self.detector.detect(image) if self.detector is not None else []
            if self.person_score is not None:
                self._weak = [(b, s) for b, s in found if s < self.person_score and b[3] >= self.min_height]
                found = [(b, s) for b, s in found if s >= self.person_score]
        return [(box, score) for box, score in found
                if box[3] >= self.min_height and (self.min_score is None or score >= self.min_score)]

    def fallback(self) -> list[tuple[Box, float]]:
        """For a photo where ``detect`` found nobody: its likeliest person below the threshold (down
        to the detector's ``fallback_threshold``), as a list of one, else nobody. Better than the
        whole image on every held-out set (runtime.CenterNetPersonDetector.fallback_threshold)."""
        return self._weak[:1]

    def nobody_found(self, image: np.ndarray) -> tuple[list[Box], str]:
        """(Boxes, how) for a picture where ``detect`` found nobody: the detector's likeliest person
        below the threshold ("weak"), else the whole image ("whole"); counted for the summary.
        The one place both `predict` (``boxes``) and the window (FrameBoxes) decide it."""
        weak = self.fallback()
        if weak:
            self.weak_fallbacks += 1
            return [box for box, _ in weak], "weak"
        self.whole_image_fallbacks += self.detector is not None
        return [(0.0, 0.0, float(image.shape[1]), float(image.shape[0]))], "whole"

    def boxes(self, image: np.ndarray) -> list[Box]:
        if self.detector is None and self.file is None:
            return self.nobody_found(image)[0]
        found = [box for box, _ in self.detect(image)]
        if self.file is not None:
            return found  # the user's detector said who is there: nobody means nobody
        return found or self.nobody_found(image)[0]

    def tracker(self, detect_every: int = DETECT_EVERY) -> PoseTracker | None:
        """For consecutive video frames: people followed by their poses between detections."""
        if self.file is not None:  # every frame has its own boxes: followed, but looked up each frame
            return PoseTracker(self.detect, 1, keep_unconfirmed=False)
        if self.detector is None:
            return None
        scored = self.person_score is not None and getattr(self.detector, "fallback_threshold", None) is not None
        if not scored:  # HOG's margins: one threshold
            return PoseTracker(self.detect, detect_every)
        return PoseTracker(self.detect, detect_every, weak=(lambda: self._weak) if tracking.WEAK_CONTINUES else None,
                           new_track_score=tracking.NEW_TRACK_SCORE)


def predict_source(
    predictor: Predictor, source: str | Path, iterations: int | None = None, boxes: str = DEFAULT_DETECTOR,
    max_frames: int | None = None, every: int = 1, detect_every: int = DETECT_EVERY, on_frame: Callable[[FrameInput, list[PersonPrediction]], None] | None = None,
) -> tuple[list[dict], dict]:
    """(COCO results records, timing summary) for an image, folder or video."""
    source = Path(source)
    box_source = BoxSource(boxes, upscale=detector_upscale(is_video_file(source)))
    # poses are followed only between neighbouring frames; with a stride every frame is detected
    tracker = box_source.tracker(detect_every) if is_video_file(source) and every <= 2 else None
    results: list[dict] = []
    frames = people = small = 0
    input_size = predictor.model.config.input_size
    start = time.perf_counter()
    interrupted = False
    try:
        for item in iter_inputs(source, max_frames, every):
            box_source.picture = item
            if tracker is not None:
                found, track_ids = tracker.boxes(item.image)
            else:
                found, track_ids = box_source.boxes(item.image), None
            preds = predictor.predict(item.image, found, iterations=iterations)
            if tracker is not None:
                tracker.update(preds)
            # a frame's records land together, so an interrupt never leaves half a frame
            results.extend(_result_records(item, preds, track_ids))
            frames += 1
            people += len(preds)
            small += sum(too_small(p.box, input_size) for p in preds)
            if on_frame is not None:
                on_frame(item, preds)
    except KeyboardInterrupt:  # Ctrl+C on a long video: the frames finished so far are kept
        interrupted = True
    elapsed = time.perf_counter() - start
    summary = {"frames": frames, "people": people, "too_small": small,
               "whole_image_fallbacks": box_source.whole_image_fallbacks, "weak_fallbacks": box_source.weak_fallbacks,
               "seconds": round(elapsed, 2),
               "ms_per_frame": round(1000 * elapsed / max(frames, 1), 1), "interrupted": interrupted}
    if box_source.file is not None:  # pictures the box file names that the run never saw: their boxes went unused
        summary["box_file_unmatched"], summary["box_file_unmatched_examples"] = box_source.file.unmatched()
    return results, summary


def _result_records(item: FrameInput, preds: list[PersonPrediction], track_ids: list[int] | None) -> list[dict]:
    records = []
    for n, p in enumerate(preds):
        record = {
            "image_id": item.image_id, "category_id": 1, "keypoints": [round(float(v), 2) for v in p.keypoints.reshape(-1)],
            "score": round(p.score, 4), "bbox": [round(v, 2) for v in p.box], "file_name": item.name,
            "joint_scores": [round(float(s), 4) for s in p.scores],
        }
        if item.video is not None:  # named as the COCO export names a video frame, its video beside
            record.update(video=item.video, frame=item.frame)
        if track_ids is not None:
            record["track_id"] = track_ids[n]
        records.append(record)
    return records
