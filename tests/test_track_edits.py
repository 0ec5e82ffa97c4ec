"""The track tools as store edits, without the window (issue #27 item 4): swap, merge, split and
delete tracks, interpolate between corrections, carry a correction with a model's hints. Each is
one undo step: undo puts back exactly the records there were, redo makes the change again."""

import json

import numpy as np
import pytest

from conftest import make_model_folder
from poseapp.core.skeleton import PRESETS
from poseapp.formats import import_source
from poseapp.store import Instance
from poseapp.store.edits import PLACED
from poseapp.store.interpolation import INTERPOLATED, INTERPOLATION, interpolate_track
from poseapp.store.track_edits import (
    TrackRefused, delete_track, merge_tracks, split_track, swap_tracks, track_of, unused_track_id,
)
from poseapp.store.tracks import segments, track_marks, tracked_people


@pytest.fixture
def video(project, video_path):
    """The pedestrian video's frames in a project (the pixels stay in the file)."""
    import_source(project, video_path)
    project.ensure_skeleton(PRESETS["lsp14"])
    return project.sources()[0].id


def frame_id(project, source, index):
    return project.frame_by_index(source, index).id


def walker(project, source, index, track, x=100.0, origin="predicted", placed=None, model_id="recurrent-lite"):
    """A 14-joint person standing at ``x`` on frame ``index``, with a track id."""
    kps = np.column_stack([np.full(14, x), np.linspace(100, 230, 14), np.full(14, 2.0)])
    extra = {"track_id": track}
    if placed is not None:
        extra[PLACED] = placed
    return project.add_instance(Instance(frame_id(project, source, index), "lsp14", kps, bbox=(x - 20, 90, 40, 150),
                                         origin=origin, model_id=model_id, score=0.7, joint_scores=np.full(14, 0.7),
                                         extra=extra))


def snapshot(project):
    """Every person and every frame state, whole: what an undo must give back exactly."""
    people = sorted(((i.id, i) for i in project.iter_instances()), key=lambda t: t[0])
    return people, {fid: project.frame(fid).state for fid in project.frame_ids()}


def same(a, b):
    (pa, sa), (pb, sb) = a, b
    return [i for i, _ in pa] == [i for i, _ in pb] and all(x.same_as(y) for (_, x), (_, y) in zip(pa, pb)) and sa == sb


def ids_on(project, source, index):
    return sorted(track_of(i) for i in project.instances(frame_id(project, source, index)))


def undo_redo(project, edit):
    """Apply, undo (exactly as before), redo (exactly as after the first apply)."""
    before = snapshot(project)
    edit.apply()
    after = snapshot(project)
    edit.revert()
    assert same(snapshot(project), before)
    edit.apply()
    assert same(snapshot(project), after)


@pytest.fixture
def two_walkers(project, video):
    for index in range(10):
        walker(project, video, index, 1, x=100 + 3 * index)
        walker(project, video, index, 2, x=300 - 3 * index)
    for index in range(12, 16):
        walker(project, video, index, 3, x=150)
    return video


def test_swap_from_a_frame_on_exchanges_the_two_ids_there_and_after(project, two_walkers):
    edit = swap_tracks(project, two_walkers, 1, 2, from_index=5)
    undo_redo(project, edit)
    for index in range(10):
        first = next(i for i in project.instances(frame_id(project, two_walkers, index)) if i.keypoints[0, 0] < 200)
        assert track_of(first) == (1 if index < 5 else 2)
    assert ids_on(project, two_walkers, 7) == [1, 2]
    with pytest.raises(TrackRefused, match="different"):
        swap_tracks(project, two_walkers, 1, 1, 0)
    with pytest.raises(TrackRefused, match="Neither"):
        swap_tracks(project, two_walkers, 1, 2, 11)


def test_merge_makes_the_second_id_the_first_and_refuses_where_both_share_a_frame(project, two_walkers):
    with pytest.raises(TrackRefused) as refused:
        merge_tracks(project, two_walkers, 1, 2)
    assert "frames 0, 1, 2, 3, 4, 5, 6, 7 and 2 more" in str(refused.value)
    edit = merge_tracks(project, two_walkers, 1, 3)
    undo_redo(project, edit)
    assert sorted(tracked_people(project, two_walkers)) == [1, 2]
    assert [i for i, _ in tracked_people(project, two_walkers)[1]] == [*range(10), *range(12, 16)]


def test_split_gives_the_rest_of_a_track_a_new_unused_id(project, two_walkers):
    assert unused_track_id(project, two_walkers) == 4
    edit = split_track(project, two_walkers, 1, at_index=6)
    undo_redo(project, edit)
    people = tracked_people(project, two_walkers)
    assert [i for i, _ in people[1]] == list(range(6)) and [i for i, _ in people[4]] == list(range(6, 10))
    with pytest.raises(TrackRefused, match="only rename"):
        split_track(project, two_walkers, 2, at_index=0)


def test_deleting_a_track_takes_corrected_people_too_and_one_undo_brings_all_back(project, two_walkers):
    corrected = walker(project, two_walkers, 11, 1, origin="manual", placed=[0])
    edit = delete_track(project, two_walkers, 1)
    assert "1 of them yours" in edit.text
    undo_redo(project, edit)
    assert 1 not in tracked_people(project, two_walkers)
    assert project.frame(corrected.frame_id).state == "unlabelled"  # nobody left there
    assert project.frame(frame_id(project, two_walkers, 3)).state == "edited"
    edit.revert()
    assert project.instance(corrected.id).same_as(corrected)


def test_track_marks_and_segments_say_where_each_id_is(project, two_walkers):
    walker(project, two_walkers, 14, 3, origin="manual")
    marks = track_marks(project, two_walkers)
    assert {m.track for m in marks} == {1, 2, 3}
    assert [m.index for m in marks if m.hand_made] == [14]
    assert segments([m.index for m in marks if m.track == 3]) == [(12, 15)]
    assert segments([1, 2, 3, 7, 9, 10]) == [(1, 3), (7, 7), (9, 10)]


def test_interpolation_fills_the_frames_between_two_corrections(project, video):
    a = walker(project, video, 20, 5, x=100, origin="manual", placed=list(range(14)))
    b = walker(project, video, 26, 5, x=160, origin="manual", placed=list(range(14)))
    kps = b.keypoints.copy()
    kps[3, 2] = 0  # not labelled at one end: left out of the interpolation
    project.update_instance(b.id, keypoints=kps)
    old = walker(project, video, 22, 5, x=400)  # the model's guess on a frame between them
    other = walker(project, video, 23, 6, x=500)  # somebody else: untouched
    edit = interpolate_track(project, old.id)
    undo_redo(project, edit)
    for index in range(21, 26):
        person, = [i for i in project.instances(frame_id(project, video, index)) if track_of(i) == 5]
        t = (index - 20) / 6
        assert person.keypoints[0, 0] == pytest.approx(100 + 60 * t)
        assert person.origin == "predicted" and person.model_id == INTERPOLATION  # never a correction
        assert person.extra[INTERPOLATED]["between"] == [20, 26] and 3 not in person.extra[INTERPOLATED]["joints"]
    assert project.instance(old.id).keypoints[3, 0] == 400  # the model's joint 3 stays: not labelled at one end
    assert project.frame(frame_id(project, video, 21)).state == "predicted"
    assert project.instance(other.id).same_as(other)
    edit.revert()
    assert [track_of(i) for i in project.instances(frame_id(project, video, 21))] == []
    # interpolating from a corrected frame fills the gaps on both of its sides
    c = walker(project, video, 30, 5, x=200, origin="manual", placed=[0])
    edit = interpolate_track(project, b.id)
    assert "21-25" in edit.text and "27-29" in edit.text
    with pytest.raises(TrackRefused, match="corrected frames: 20, 26, 30"):
        interpolate_track(project, walker(project, video, 40, 5).id)
    assert c.id


def test_a_model_run_replaces_the_interpolated_people_it_finds_again(project, video, tmp_path):
    from poseapp.engine.frame_runner import predict_frames
    from poseapp.engine.predictor import Predictor

    walker(project, video, 20, 5, x=100, origin="manual", placed=list(range(14)))
    b = walker(project, video, 24, 5, x=160, origin="manual", placed=list(range(14)))
    interpolate_track(project, b.id).apply()
    fid = frame_id(project, video, 22)
    assert [i.model_id for i in project.instances(fid)] == [INTERPOLATION]
    predictor = Predictor.from_path(make_model_folder(tmp_path / "m", seed=2), adapt_threads=False)
    # a detector's box on the walker (a box file, COCO detection results: a video frame's image id is its index + 1)
    boxes = tmp_path / "boxes.json"
    boxes.write_text(json.dumps([{"image_id": 23, "bbox": [108, 88, 44, 154], "score": 0.9, "category_id": 1}]))
    predict_frames(project, [fid], predictor, keep_heatmaps=False, boxes=str(boxes))
    # the model's answer takes the interpolated estimate's place instead of landing beside it
    assert [i.model_id for i in project.instances(fid)] == [predictor.model_id]


def test_carrying_a_correction_reruns_the_model_with_hints_on_the_neighbouring_frames(project, video, tmp_path):
    from poseapp.engine.predictor import Predictor
    from poseapp.engine.track_carry import carry_correction
    from poseapp.media.frames import FrameLoader

    predictor = Predictor.from_path(make_model_folder(tmp_path / "tiny", seed=1), device="cpu")
    for index in range(30, 37):
        walker(project, video, index, 1, x=100 + 4 * index - 120, model_id=predictor.model_id)
    fixed = next(i for i in project.instances(frame_id(project, video, 33)))
    kps = fixed.keypoints.copy()
    kps[0, :2] = (150.0, 90.0)
    project.update_instance(fixed.id, keypoints=kps, origin="manual", extra={**fixed.extra, PLACED: [0]})
    walker(project, video, 35, 1, origin="manual", placed=[2])  # a second person of #1 there: the user's, a stop
    project.delete_instance(next(i.id for i in project.instances(frame_id(project, video, 35)) if i.origin == "predicted"))
    loader = FrameLoader(project)
    edit = carry_correction(project, predictor, loader.read, fixed.id, frames=3)
    undo_redo(project, edit)
    carried = {index: next(i for i in project.instances(frame_id(project, video, index)) if track_of(i) == 1)
               for index in (30, 31, 32, 34)}
    assert "frames 30-34" in edit.text and len(edit.changed) == 4  # 35 is the user's: it stops there
    for index, person in carried.items():
        assert person.origin == "predicted" and person.extra["carried"] == {"from": 33, "joints": [0]}
    # the walker moves 4 px a frame: the corrected head top goes along with them
    assert carried[34].keypoints[0, :2] == pytest.approx((154.0, 90.0))
    assert carried[30].keypoints[0, :2] == pytest.approx((138.0, 90.0))
    assert project.instance(fixed.id).keypoints[0, 0] == 150.0


def test_carrying_refuses_a_model_without_hints(project, video, tmp_path):
    from poseapp.engine.predictor import Predictor
    from poseapp.engine.track_carry import carry_correction

    predictor = Predictor.from_path(make_model_folder(tmp_path / "dp", name="deeppose-lite"), device="cpu")
    person = walker(project, video, 3, 1, origin="manual", placed=[0])
    with pytest.raises(TrackRefused, match="takes no hints"):
        carry_correction(project, predictor, lambda f: None, person.id, frames=2)
