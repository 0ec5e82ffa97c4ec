"""People followed through a video: the detector runs every few frames, and in between each person's
box is the padded extent of their last pose. Every person keeps a track id from the frame they are
first found until they are lost, as PoseTrack's ``track_id`` does; the ids go into ``poseapp
predict``'s results and the project's predicted instances (and from there into COCO exports).

Why not detect every frame: OpenCV's HOG detector at the 1.5x scale small walkers need costs
several times a person's pose estimate; poses move little between neighbouring frames, so a box
from the last pose finds the same person, and the detector's job shrinks to confirming the
tracks and finding people who enter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from poseapp.engine.detector import Box, box_from_pose, iou

DETECT_EVERY = 8  # frames between detector runs on a video (bench/predict.py measures the choice)
MATCH_IOU = 0.3  # a detection continues a track when it overlaps the track's box this much
MIN_MEAN_SCORE = 0.25  # a pose this unsure loses its track (it drifted off the person)


@dataclass
class Track:
    track_id: int
    box: Box


class PoseTracker:
    """``boxes(image)`` -> (boxes to estimate poses in, their track ids); then ``update(predictions)``
    with the poses found in those boxes, in the same order."""

    def __init__(self, detect, detect_every: int = DETECT_EVERY):
        if detect_every < 1:
            raise ValueError("detect_every must be 1 or more")
        self._detect = detect  # image -> [(box, score)]
        self.detect_every = detect_every
        self.tracks: list[Track] = []
        self._frames_since_detection = detect_every  # the first frame is a detection frame
        self._next_id = 1
        self._pending: list[int] = []

    def boxes(self, image: np.ndarray) -> tuple[list[Box], list[int]]:
        if self.tracks and self._frames_since_detection < self.detect_every:
            self._frames_since_detection += 1
            self._pending = [t.track_id for t in self.tracks]
            return [t.box for t in self.tracks], list(self._pending)
        self._frames_since_detection = 1
        detections = [box for box, _ in self._detect(image)]
        ids = self._match(detections)
        self._pending = ids
        return detections, list(ids)

    def _match(self, detections: list[Box]) -> list[int]:
        """Each detection takes the id of the track it overlaps most (greedy, best pairs first);
        a detection that overlaps none starts a track. Tracks no detection confirms end here, so a
        box that slid onto empty ground does not live on."""
        pairs = sorted(
            ((iou(d, t.box), di, ti) for di, d in enumerate(detections) for ti, t in enumerate(self.tracks)),
            reverse=True,
        )
        ids: list[int | None] = [None] * len(detections)
        used: set[int] = set()
        for overlap, di, ti in pairs:
            if overlap < MATCH_IOU:
                break
            if ids[di] is None and ti not in used:
                ids[di] = self.tracks[ti].track_id
                used.add(ti)
        for di in range(len(ids)):
            if ids[di] is None:
                ids[di] = self._next_id
                self._next_id += 1
        return [int(i) for i in ids]  # type: ignore[arg-type]

    def update(self, predictions) -> None:
        """Follow each person to where their pose says they are; unsure poses end their track."""
        tracks = []
        for track_id, pred in zip(self._pending, predictions):
            if pred.score < MIN_MEAN_SCORE:
                continue
            box = box_from_pose(pred.keypoints, pred.scores)
            if box is not None:
                tracks.append(Track(track_id, box))
        self.tracks = tracks
        if not self.tracks:
            self._frames_since_detection = self.detect_every  # nobody left to follow: detect next frame

    def reset(self) -> None:
        self.tracks = []
        self._pending = []
        self._frames_since_detection = self.detect_every
