"""The tracker keeps one id per walker: through frames where the detector misses them, and through
a few frames where their pose turns unsure (a walker entering at the image's edge, a crossing),
after which the next detection near where they were lost takes their id back."""

from dataclasses import dataclass

import numpy as np

from poseapp.engine.tracking import LOST_FRAMES, PoseTracker


@dataclass
class Pose:
    keypoints: np.ndarray
    scores: np.ndarray
    score: float


def pose_in(box, score=0.8):
    """A 14-joint pose spread over the middle of ``box``."""
    x, y, w, h = box
    kps = np.column_stack([np.linspace(x + 0.3 * w, x + 0.7 * w, 14), np.linspace(y + 0.1 * h, y + 0.9 * h, 14),
                           np.full(14, 2.0)])
    return Pose(kps, np.full(14, score), score)


class Scene:
    """A detector that sees the walkers listed for each frame."""

    def __init__(self):
        self.people: list = []

    def __call__(self, image):
        return [(box, 1.0) for box in self.people]


def walk(tracker, scene, frames, unsure=()):
    """Each frame: the walker's box moves 2 px; the pose is unsure on the frames in ``unsure``."""
    ids = []
    for n in range(frames):
        box = (100.0 + 2 * n, 50.0, 40.0, 100.0)
        scene.people = [box]
        boxes, frame_ids = tracker.boxes(np.zeros((8, 8, 3), np.uint8))
        tracker.update([pose_in(box, 0.1 if n in unsure else 0.8) for _ in boxes])
        ids.extend(frame_ids)
    return ids


def test_a_walker_whose_pose_turns_unsure_for_a_moment_keeps_their_id():
    scene = Scene()
    tracker = PoseTracker(scene, detect_every=4)
    ids = walk(tracker, scene, 16, unsure={5})  # lost at frame 5, detected again at frame 6
    assert set(ids) == {1}


def test_a_newcomer_far_from_a_lost_track_gets_a_new_id_and_lost_ids_expire():
    scene = Scene()
    tracker = PoseTracker(scene, detect_every=1)
    scene.people = [(100.0, 50.0, 40.0, 100.0)]
    boxes, ids = tracker.boxes(None)
    tracker.update([Pose(np.zeros((14, 3)), np.zeros(14), 0.05)])  # unsure at once: lost
    assert ids == [1] and [t.track_id for t, _ in tracker.lost] == [1]
    scene.people = [(600.0, 50.0, 40.0, 100.0)]  # somebody else, far away
    boxes, ids = tracker.boxes(None)
    assert ids == [2]
    tracker.update([pose_in(boxes[0])])
    scene.people = [(600.0 + 2 * n, 50.0, 40.0, 100.0) for n in (1,)]
    for _ in range(LOST_FRAMES):
        boxes, ids = tracker.boxes(None)
        tracker.update([pose_in(b) for b in boxes])
    assert tracker.lost == []  # walker 1 was lost too long ago to lend their id
    scene.people = [(100.0, 50.0, 40.0, 100.0), (602.0, 50.0, 40.0, 100.0)]
    boxes, ids = tracker.boxes(None)
    assert ids == [3, 2]


def test_a_couple_walking_side_by_side_stays_two_people_and_a_second_window_on_one_walker_does_not():
    """Centres a quarter height apart are a couple as often as one walker seen twice; the boxes'
    overlap tells them apart (a couple's windows overlap about 0.3)."""
    scene = Scene()
    tracker = PoseTracker(scene, detect_every=2)
    for n in range(8):
        left, right = (100.0 + 2 * n, 50.0, 40.0, 100.0), (122.0 + 2 * n, 50.0, 40.0, 100.0)  # 0.22 heights apart
        scene.people = [left, right, (right[0] + 4, 52.0, 40.0, 100.0)]  # and a second window on the right walker
        boxes, ids = tracker.boxes(None)
        tracker.update([pose_in(b) for b in boxes])
        assert sorted(ids) == [1, 2]


def test_a_pose_that_jumps_onto_something_much_bigger_ends_its_track():
    """A walker's pose that drifts onto a lamp post above them (box 52 x 77 -> 149 x 298 in the
    pedestrian video) is not followed there: the track ends, and the walker, detected again,
    takes the id back."""
    scene = Scene()
    tracker = PoseTracker(scene, detect_every=4)
    walker = (100.0, 150.0, 40.0, 100.0)
    scene.people = [walker]
    boxes, ids = tracker.boxes(None)
    tracker.update([pose_in(walker)])
    assert ids == [1]
    boxes, ids = tracker.boxes(None)  # a tracked frame: the pose lands on a lamp post four times the size
    post = (60.0, 0.0, 120.0, 300.0)
    tracker.update([pose_in(post)])
    assert tracker.tracks == [] and [t.track_id for t, _ in tracker.lost] == [1]
    boxes, ids = tracker.boxes(None)  # nobody followed: the detector runs, finds the walker, id 1 again
    assert boxes == [walker] and ids == [1]


def test_a_walker_whose_detection_score_dips_below_the_threshold_goes_on_under_their_id():
    """ByteTrack's second association: a walker the detector scores under the people threshold
    on a detection frame (and whose pose is too unsure to live on by itself) continues their
    track from the weak detection near them; a weak detection near no track starts nobody."""
    scene = Scene()
    weak: list = []
    tracker = PoseTracker(scene, detect_every=1, weak=lambda: weak)
    box = (100.0, 50.0, 40.0, 100.0)
    scene.people = [box]
    boxes, ids = tracker.boxes(None)
    tracker.update([pose_in(b) for b in boxes])
    assert ids == [1]
    moved = (104.0, 50.0, 40.0, 100.0)
    scene.people, weak[:] = [], [(moved, 0.2), ((400.0, 50.0, 40.0, 100.0), 0.2)]
    tracker.tracks[0].score = 0.3  # unsure: without the weak detection the track would end
    boxes, ids = tracker.boxes(None)
    assert boxes == [moved] and ids == [1]
    without = PoseTracker(scene, detect_every=1)  # the same scene with no weak detections given
    scene.people = [box]
    b, _ = without.boxes(None)
    without.update([pose_in(x) for x in b])
    without.tracks[0].score = 0.3
    scene.people = []
    assert without.boxes(None) == ([], [])


def test_a_detection_under_the_new_track_score_starts_no_walker_but_continues_one():
    scored = []
    tracker = PoseTracker(lambda image: list(scored), detect_every=1, new_track_score=0.35)
    first = (100.0, 50.0, 40.0, 100.0)
    scored[:] = [(first, 0.5), ((400.0, 50.0, 40.0, 100.0), 0.32)]
    boxes, ids = tracker.boxes(None)
    assert boxes == [first] and ids == [1]  # the 0.32 stranger starts nothing
    tracker.update([pose_in(b) for b in boxes])
    scored[:] = [((103.0, 50.0, 40.0, 100.0), 0.32)]
    boxes, ids = tracker.boxes(None)
    assert ids == [1]  # the same walker at 0.32 goes on
