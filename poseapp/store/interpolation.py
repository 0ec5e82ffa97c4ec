"""Interpolating a track between two frames the user corrected: on every frame strictly between
them, that track's person gets the joints labelled at both ends, placed linearly in between
(created when the frame has no person of that id). One ``TrackEdit``, so one undo step.

An interpolated person is a prediction made by no model: origin ``predicted``, model id
``INTERPOLATION``, and ``extra[INTERPOLATED]`` saying between which frames and for which joints.
It is never a correction, so a later interpolation or carry treats it as any prediction, and
Accept (A) makes it an annotation when the user agrees with it."""

from __future__ import annotations

import numpy as np

from poseapp.store.project import Project
from poseapp.store.records import CROP_BOX, Instance
from poseapp.store.track_edits import TrackEdit, people_text
from poseapp.store.tracks import TRACK_ID, TrackRefused, is_hand_made, track_of, tracked_people

INTERPOLATION = "interpolation"  # model_id of an interpolated person: no model made it
INTERPOLATED = "interpolated"  # instance.extra key: {"between": [first, last frame index], "joints": [...]}


def _ends_around(corrected: list[int], index: int) -> list[tuple[int, int]]:
    """The gaps between corrected frames that the frame ``index`` touches: the one it lies in, or,
    on a corrected frame, the gaps on both of its sides."""
    before = [i for i in corrected if i < index]
    after = [i for i in corrected if i > index]
    if index in corrected:
        return ([(before[-1], index)] if before else []) + ([(index, after[0])] if after else [])
    return [(before[-1], after[0])] if before and after else []


def _lerp_box(a: tuple | None, b: tuple | None, t: float) -> tuple | None:
    if a is None or b is None:
        return a or b
    return tuple(float((1 - t) * u + t * v) for u, v in zip(a, b))


def interpolate_track(project: Project, instance_id: int) -> TrackEdit:
    """Interpolate the track of the person ``instance_id`` between the frames around its frame
    where that track was corrected by hand (``is_hand_made``). Raises TrackRefused, saying why,
    when there is no such pair of frames or nothing lies between them."""
    person = project.instance(instance_id)
    track = track_of(person)
    if track is None:
        raise TrackRefused("This person has no track id: interpolation follows one walker through a video.")
    frame = project.frame(person.frame_id)
    people = tracked_people(project, frame.source_id)[track]
    ends = {}
    for index, p in people:
        if is_hand_made(p):
            ends.setdefault(index, p)
    gaps = _ends_around(sorted(ends), frame.index)
    if not gaps:
        where = ", ".join(str(i) for i in sorted(ends)) or "none"
        raise TrackRefused(f"Track #{track} needs a frame corrected by hand before frame {frame.index} and one after it "
                           f"to interpolate between (its corrected frames: {where}). Correct a joint there first.")
    by_index: dict[int, Instance] = {}
    for index, p in people:
        if not is_hand_made(p):
            by_index.setdefault(index, p)
    changed, added, states, notes = [], [], {}, []
    for first, last in gaps:
        a, b = ends[first], ends[last]
        if a.skeleton != b.skeleton:
            notes.append(f"frames {first} and {last} are labelled in different skeletons")
            continue
        joints = np.flatnonzero((a.keypoints[:, 2] > 0) & (b.keypoints[:, 2] > 0))
        if len(joints) == 0:
            notes.append(f"frames {first} and {last} share no labelled joint")
            continue
        # a joint seen at both ends is visible in between; hidden at either end, it stays occluded
        flags = np.where((a.keypoints[joints, 2] == 2) & (b.keypoints[joints, 2] == 2), 2.0, 1.0)
        a_box, b_box = a.box_or_keypoint_extent(), b.box_or_keypoint_extent()
        mark = {"between": [first, last], "joints": [int(j) for j in joints]}
        for index in range(first + 1, last):
            target = project.frame_by_index(frame.source_id, index)
            if target is None:  # a frame left out of the project
                continue
            t = (index - first) / (last - first)
            xy = (1 - t) * a.keypoints[joints, :2] + t * b.keypoints[joints, :2]
            old = by_index.get(index)
            if old is not None and old.skeleton != a.skeleton:  # a second person of one id would be worse
                notes.append(f"frame {index}'s #{track} is in the {old.skeleton} skeleton, left as it is")
                continue
            if old is not None:
                kps = old.keypoints.copy()
                kps[joints, :2], kps[joints, 2] = xy, flags
                # the model's scores belong to its joints, not to a line between two corrections
                changed.append((old, old.copy(keypoints=kps, model_id=INTERPOLATION, score=None, joint_scores=None,
                                              vis_scores=None, bbox=_lerp_box(a_box, b_box, t),
                                              extra={**old.extra, CROP_BOX: True, INTERPOLATED: mark})))
                continue
            kps = np.zeros((len(a.keypoints), 3))
            kps[joints, :2], kps[joints, 2] = xy, flags
            added.append(Instance(target.id, a.skeleton, kps, bbox=_lerp_box(a_box, b_box, t), origin="predicted",
                                  model_id=INTERPOLATION, category_id=a.category_id,
                                  extra={TRACK_ID: track, CROP_BOX: True, INTERPOLATED: mark}))
            if target.state == "unlabelled":
                states[target.id] = "predicted"
    if not changed and not added:
        why = "; ".join(notes) or "the corrected frames are next to each other"
        raise TrackRefused(f"Nothing to interpolate on track #{track}: {why}.")
    spans = ", ".join(f"{first + 1}-{last - 1}" for first, last in gaps if last - first > 1)
    edit = TrackEdit(project, f"interpolate track #{track} on frames {spans} ({people_text(len(changed) + len(added))})",
                     changed, added=added, states=states, at_frame=person.frame_id)
    edit.notes = notes  # gaps left alone, and why (the window says so)
    return edit
