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

from poseapp.engine.detector import Box, box_from_pose

DETECT_EVERY = 4  # frames between detector runs on a video: bench/predict.py found 99% of the every-frame people at 4, 94% at 8
MATCH_DISTANCE = 0.5  # a detection continues a track when their centres are closer than this x the box height
MIN_MEAN_SCORE = 0.25  # a pose this unsure loses its track (it drifted off the person)
KEEP_UNCONFIRMED_SCORE = 0.45  # a track the detector misses lives on while its pose is this sure
SAME_PERSON_DISTANCE = 0.25  # two tracks whose centres come this close (x height) follow one person


@dataclass
class Track:
    track_id: int
    box: Box
    score: float = 1.0  # the mean joint score of the pose that placed the box


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
        boxes, ids = self._match([box for box, _ in self._detect(image)])
        self._pending = ids
        return boxes, list(ids)

    def _match(self, detections: list[Box]) -> tuple[list[Box], list[int]]:
        """Each detection takes the id of the nearest track (greedy, closest pairs first), by centre
        distance: a followed box is the pose's extent and a detection HOG's 1:2 window, so two boxes
        on one person often overlap too little for IoU. A detection near no track starts one. A
        track no detection confirms lives on only while its pose is sure (HOG misses people in some
        frames); an unsure one ends, so a box that slid onto empty ground does not live on."""
        pairs = sorted(
            (_centre_distance(d, t.box), di, ti) for di, d in enumerate(detections) for ti, t in enumerate(self.tracks)
        )
        ids: list[int | None] = [None] * len(detections)
        used: set[int] = set()
        for distance, di, ti in pairs:
            if distance >= MATCH_DISTANCE:
                break
            if ids[di] is None and ti not in used:
                ids[di] = self.tracks[ti].track_id
                used.add(ti)
        for di in range(len(ids)):
            if ids[di] is None:
                ids[di] = self._next_id
                self._next_id += 1
        kept = [
            t for ti, t in enumerate(self.tracks)
            if ti not in used and t.score >= KEEP_UNCONFIRMED_SCORE
            and all(_centre_distance(t.box, d) >= MATCH_DISTANCE for d in detections)
        ]
        return list(detections) + [t.box for t in kept], [int(i) for i in ids] + [t.track_id for t in kept]  # type: ignore[arg-type]

    def update(self, predictions) -> None:
        """Follow each person to where their pose says they are; unsure poses end their track."""
        tracks = []
        for track_id, pred in zip(self._pending, predictions):
            if pred.score < MIN_MEAN_SCORE:
                continue
            box = box_from_pose(pred.keypoints, pred.scores)
            if box is not None:
                tracks.append(Track(track_id, box, pred.score))
        self.tracks = _one_track_per_person(tracks)
        if not self.tracks:
            self._frames_since_detection = self.detect_every  # nobody left to follow: detect next frame

    def continue_from(self, tracks: list[Track], next_id: int) -> None:
        """Go on from people already followed (a run that starts where an earlier one stopped):
        the next frame runs the detector, whose people take these tracks' ids when they match,
        and a new person's id is at least ``next_id``."""
        self.reset()
        self.tracks = _one_track_per_person(list(tracks))
        self._next_id = max([next_id, self._next_id, *(t.track_id + 1 for t in tracks)])

    def reset(self) -> None:
        self.tracks = []
        self._pending = []
        self._frames_since_detection = self.detect_every


def _centre_distance(a: Box, b: Box) -> float:
    """Distance of the boxes' centres in units of the taller box's height."""
    dx = (a[0] + a[2] / 2) - (b[0] + b[2] / 2)
    dy = (a[1] + a[3] / 2) - (b[1] + b[3] / 2)
    return float(np.hypot(dx, dy)) / max(a[3], b[3], 1.0)


def _one_track_per_person(tracks: list[Track]) -> list[Track]:
    """Two followed boxes can slide onto the same person (neighbours crossing); the surer pose
    keeps the person and the other track ends, so nobody is predicted twice."""
    kept: list[Track] = []
    for track in sorted(tracks, key=lambda t: -t.score):
        if all(_centre_distance(track.box, k.box) >= SAME_PERSON_DISTANCE for k in kept):
            kept.append(track)
    return kept
