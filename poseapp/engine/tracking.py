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

from poseapp.core.accepting import box_iou
from poseapp.engine.detector import Box, box_from_pose

DETECT_EVERY = 4  # frames between detector runs on a video: bench/predict.py found 99% of the every-frame people at 4, 94% at 8
MATCH_DISTANCE = 0.5  # a detection continues a track when their centres are closer than this x the box height
MIN_MEAN_SCORE = 0.25  # a pose this unsure loses its track (it drifted off the person)
KEEP_UNCONFIRMED_SCORE = 0.45  # a track the detector misses lives on while its pose is this sure
SAME_PERSON_DISTANCE = 0.25  # two tracks whose centres come this close (x height) ...
SAME_PERSON_IOU = 0.4  # ... and whose boxes overlap this much follow one person. A couple walking side
# by side has centres 0.2-0.35 heights apart too (bench/RESULTS.md, session 7), but boxes overlapping ~0.3
# A track that ends (its pose turned unsure, or the detector missed it while it was unsure) lends
# its id to a detection near where it was lost for this many frames: a walker whose pose is poor
# for a moment keeps one id instead of a new one at every detector run.
LOST_FRAMES = 3 * DETECT_EVERY
# ByteTrack's two thresholds, for a detector that scores 0-1 (PoseTracker): detections below the
# people threshold (down to the detector's fallback, 0.1) continue the tracks near them. On vtest's
# first 300 frames with the shipped detector: 20 ids, 65.0 frames per id, 1 restart, 4.34 people a
# frame, against 20, 63.5, 2 and 4.24 without (bench/RESULTS.md, session 13).
WEAK_CONTINUES = True
# ... and a detection would start a new walker only at this score (None: at the people threshold,
# which the user sets). Measured, not adopted: 0.35 gave 15 ids but 4.16 people a frame, and it
# would overrule the People row's threshold for new walkers.
NEW_TRACK_SCORE: float | None = None
# A pose whose box is this many times the height of the box it was looked for in has jumped onto
# something else (a lamp post above a walker, 77 -> 298 px). The width is no guide (a side-on
# walker's arms swing out, 10 -> 69 px), and on the first 300 frames of the video the largest
# height change is 1.7x, a collapsed 24 px pose recovering, which stays followed.
MAX_HEIGHT_GROWTH = 2.5


@dataclass
class Track:
    track_id: int
    box: Box
    score: float = 1.0  # the mean joint score of the pose that placed the box


class PoseTracker:
    """``boxes(image)`` -> (boxes to estimate poses in, their track ids); then ``update(predictions)``
    with the poses found in those boxes, in the same order."""

    def __init__(self, detect, detect_every: int = DETECT_EVERY, keep_unconfirmed: bool = True,
                 weak=None, new_track_score: float | None = None):
        if detect_every < 1:
            raise ValueError("detect_every must be 1 or more")
        self._detect = detect  # image -> [(box, score)]
        # ByteTrack's two thresholds: ``weak()`` gives the last detection's boxes below the people
        # threshold, which only continue a track near them (a walker whose score dips keeps their
        # id); a detection under ``new_track_score`` only continues a track or takes back a lost id,
        # it starts none (a blip of a few frames is no new walker)
        self._weak = weak
        self.new_track_score = new_track_score
        # a sure pose the detector missed lives on (HOG misses people now and then); False when the
        # boxes are the user's own (a box file), which say who is there on every frame
        self.keep_unconfirmed = keep_unconfirmed
        self.detect_every = detect_every
        self.tracks: list[Track] = []
        self._frames_since_detection = detect_every  # the first frame is a detection frame
        self._next_id = 1
        self._pending: list[int] = []
        self._pending_boxes: list[Box] = []
        self.lost: list[tuple[Track, int]] = []  # (track as last seen, frames since): ids a detection may take back

    def boxes(self, image: np.ndarray, annotated: list[Box] = ()) -> tuple[list[Box], list[int]]:
        """(boxes to estimate poses in, their track ids) for the next frame. ``annotated``: the
        boxes of people annotated on this frame. They come first, in their order, and stand in for
        the detection or followed box of the same person (taking that person's id), so a corrected
        walker is neither lost nor found twice; everybody else on the frame is detected or
        followed as on any other frame (a correction on one walker never hides the others)."""
        self.lost = [(t, age + 1) for t, age in self.lost if age + 1 <= LOST_FRAMES]
        following = bool(self.tracks) and self._frames_since_detection < self.detect_every
        if following and not annotated:
            self._frames_since_detection += 1
            self._pending = [t.track_id for t in self.tracks]
            self._pending_boxes = [t.box for t in self.tracks]
            return [t.box for t in self.tracks], list(self._pending)
        if following:
            self._frames_since_detection += 1
            found = [(t.box, float("inf")) for t in self.tracks]
            weak = []
        else:
            self._frames_since_detection = 1
            found = _one_detection_per_person(self._detect(image))
            weak = list(self._weak()) if self._weak is not None else []
        people = [(a, float("inf")) for a in annotated] + [(b, s) for b, s in found if not any(covers(a, b) for a in annotated)]
        boxes, ids = self._match(people, weak)
        self._pending, self._pending_boxes = ids, list(boxes)
        return boxes, list(ids)

    def _match(self, scored: list[tuple[Box, float]], weak: list[tuple[Box, float]] = ()) -> tuple[list[Box], list[int]]:
        """Each detection takes the id of the nearest track (greedy, closest pairs first), by centre
        distance: a followed box is the pose's extent and a detection HOG's 1:2 window, so two boxes
        on one person often overlap too little for IoU. A detection near no track starts one (if
        sure enough: ``new_track_score``). A track no detection confirms takes a ``weak`` detection
        near it, or lives on only while its pose is sure (HOG misses people in some frames); an
        unsure one ends, so a box that slid onto empty ground does not live on."""
        detections = [b for b, _ in scored]
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
        self._take_back_lost_ids(detections, ids)
        keep = [self.new_track_score is None or ids[di] is not None or scored[di][1] >= self.new_track_score
                for di in range(len(ids))]
        detections = [d for d, k in zip(detections, keep) if k]
        ids = [i for i, k in zip(ids, keep) if k]
        for di in range(len(ids)):
            if ids[di] is None:
                ids[di] = self._next_id
                self._next_id += 1
        # tracks no detection confirmed: a weak detection near one continues it, closest pairs first
        open_tracks = [ti for ti in range(len(self.tracks)) if ti not in used]
        weak_pairs = sorted((_centre_distance(b, self.tracks[ti].box), wi, ti) for wi, (b, _) in enumerate(weak)
                            for ti in open_tracks)
        taken_weak: set[int] = set()
        for distance, wi, ti in weak_pairs:
            if distance >= MATCH_DISTANCE:
                break
            if wi not in taken_weak and ti not in used and not any(_same_person(weak[wi][0], d) for d in detections):
                detections.append(weak[wi][0])
                ids.append(self.tracks[ti].track_id)
                used.add(ti)
                taken_weak.add(wi)
        kept, ended = [], []
        for ti, t in enumerate(self.tracks):
            if ti in used:
                continue
            alone = all(_centre_distance(t.box, d) >= MATCH_DISTANCE for d in detections)
            (kept if alone and self.keep_unconfirmed and t.score >= KEEP_UNCONFIRMED_SCORE else ended).append(t)
        self.lost += [(t, 0) for t in ended if t.track_id not in ids]
        return list(detections) + [t.box for t in kept], [int(i) for i in ids] + [t.track_id for t in kept]  # type: ignore[arg-type]

    def _take_back_lost_ids(self, detections: list[Box], ids: list[int | None]) -> None:
        """A detection no live track claimed takes the id of a recently lost track near it (closest
        pairs first), so a person whose pose was unsure for a few frames keeps their id."""
        pairs = sorted(
            (_centre_distance(d, t.box), di, li) for di, d in enumerate(detections) if ids[di] is None
            for li, (t, _) in enumerate(self.lost)
        )
        taken: set[int] = set()
        for distance, di, li in pairs:
            if distance >= MATCH_DISTANCE:
                break
            if ids[di] is None and li not in taken:
                ids[di] = self.lost[li][0].track_id
                taken.add(li)
        self.lost = [entry for li, entry in enumerate(self.lost) if li not in taken]

    def update(self, predictions) -> None:
        """Follow each person to where their pose says they are; unsure poses end their track."""
        tracks = []
        for track_id, used_box, pred in zip(self._pending, self._pending_boxes, predictions):
            box = box_from_pose(pred.keypoints, pred.scores) if pred.score >= MIN_MEAN_SCORE else None
            if box is not None and box[3] > MAX_HEIGHT_GROWTH * used_box[3]:
                box = None  # drifted off the person: followed no further
            if box is None:  # lost here: its id waits near the box it was last looked for in
                self.lost.append((Track(track_id, used_box, pred.score), 0))
            else:
                tracks.append(Track(track_id, box, pred.score))
        self.tracks = _one_track_per_person(tracks)
        if not self.tracks:
            self._frames_since_detection = self.detect_every  # nobody left to follow: detect next frame

    def rename(self, ids: dict[int, int]) -> dict[int, int]:
        """Follow people on under other ids (a re-run giving each walker the id an earlier run gave
        them); an id some other followed person has is not taken. Returns the renames made."""
        taken = {t.track_id for t in self.tracks} | {t.track_id for t, _ in self.lost}
        made = {}
        for new, old in ids.items():
            if old in taken or new == old:
                continue
            for track in self.tracks + [t for t, _ in self.lost]:
                if track.track_id == new:
                    track.track_id = old
            taken = (taken - {new}) | {old}
            made[new] = old
        return made

    def continue_from(self, tracks: list[Track], next_id: int) -> None:
        """Go on from people already followed (a run that starts where an earlier one stopped):
        the next frame runs the detector, whose people take these tracks' ids when they match,
        and a new person's id is at least ``next_id``."""
        self.reset()
        self.tracks = _one_track_per_person(list(tracks))
        self._next_id = max([next_id, self._next_id, *(t.track_id + 1 for t in tracks)])

    def reset(self) -> None:
        self.tracks = []
        self.lost = []
        self._pending = []
        self._pending_boxes = []
        self._frames_since_detection = self.detect_every


def _centre_distance(a: Box, b: Box) -> float:
    """Distance of the boxes' centres in units of the taller box's height."""
    dx = (a[0] + a[2] / 2) - (b[0] + b[2] / 2)
    dy = (a[1] + a[3] / 2) - (b[1] + b[3] / 2)
    return float(np.hypot(dx, dy)) / max(a[3], b[3], 1.0)


def _same_person(a: Box, b: Box) -> bool:
    return _centre_distance(a, b) < SAME_PERSON_DISTANCE and box_iou(a, b) >= SAME_PERSON_IOU


# An annotated person's box (the padded extent of their joints, or the box the user drew) and a
# detector window on the same person differ in shape (HOG's window is 1:2 and padded), so IoU
# alone misses them; most of the smaller box inside the other, with close centres, finds them,
# while a couple walking side by side (boxes overlapping by a third of one) stays two people.
COVERED_FRACTION = 0.6


def covers(annotated: Box, box: Box) -> bool:
    """``box`` (a detection or followed box) shows the person annotated in ``annotated``."""
    iw = max(0.0, min(annotated[0] + annotated[2], box[0] + box[2]) - max(annotated[0], box[0]))
    ih = max(0.0, min(annotated[1] + annotated[3], box[1] + box[3]) - max(annotated[1], box[1]))
    smaller = min(annotated[2] * annotated[3], box[2] * box[3])
    return smaller > 0 and iw * ih / smaller >= COVERED_FRACTION and _centre_distance(annotated, box) < SAME_PERSON_DISTANCE


def _one_detection_per_person(detections: list[tuple[Box, float]]) -> list[tuple[Box, float]]:
    """HOG's grouping leaves two windows on one walker now and then: the stronger window stands
    for the person, so no second skeleton and no new id appears on them."""
    kept: list[tuple[Box, float]] = []
    for box, score in sorted(detections, key=lambda d: -d[1]):
        if not any(_same_person(box, k) for k, _ in kept):
            kept.append((box, score))
    return kept


def _one_track_per_person(tracks: list[Track]) -> list[Track]:
    """Two followed boxes can slide onto the same person (a detection that did not match the
    person's track, neighbours crossing): the surer pose keeps the person, so nobody is predicted
    twice, and the person keeps the older of the two ids (ids only grow), so a walker is not
    renamed each time the detector finds them a little off their track."""
    kept: list[Track] = []
    for track in sorted(tracks, key=lambda t: -t.score):
        same = next((n for n, k in enumerate(kept) if _same_person(track.box, k.box)), None)
        if same is None:
            kept.append(track)
        elif track.track_id < kept[same].track_id:
            kept[same] = Track(track.track_id, kept[same].box, kept[same].score)
    return kept
