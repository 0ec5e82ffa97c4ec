"""Carrying a correction to the neighbouring frames of a track: the model runs again on that
walker's person in each of the next (and previous) frames with the joints the user placed as
hints, moved along with the walker, so one fixed elbow fixes it on the frames around it too.

A hint on a frame the user did not look at can only be a guess of where the corrected joint is
there: it is the corrected place shifted by how the walker's stored pose moved from frame to
frame (the median shift of its joints, which a few badly predicted joints do not sway). The carried people stay
predictions (marked ``CARRIED``), for the user to check; carrying stops at a gap in the track and
at a frame where the user corrected that walker, whose word is better than any carried guess.
One ``TrackEdit``; no Qt."""

from __future__ import annotations

from typing import Callable

import numpy as np

from poseapp.engine.predictor import Predictor
from poseapp.store import Frame, Project
from poseapp.store.edits import placed_joints
from poseapp.store.interpolation import INTERPOLATED
from poseapp.store.records import Instance
from poseapp.store.track_edits import TrackEdit, people_text
from poseapp.store.tracks import TrackRefused, is_hand_made, track_of, tracked_people

CARRIED = "carried"  # instance.extra key: {"from": frame index of the correction, "joints": the hinted joints}


def takes_hints(predictor: Predictor) -> bool:
    return bool(getattr(predictor.model, "supports_hints", False))


def walker_shift(reference: np.ndarray, there: np.ndarray, hinted: set[int]) -> np.ndarray:
    """How far the walker moved from ``reference`` (K x 3) to ``there``: the median shift of the
    joints labelled in both that carry no hint (the corrected ones differ by the correction, not
    by the walk); of every joint labelled in both when those are all hinted; else none."""
    both = (reference[:, 2] > 0) & (there[:, 2] > 0)
    free = both & ~np.isin(np.arange(len(reference)), sorted(hinted))
    use = free if free.any() else both
    if not use.any():
        return np.zeros(2)
    return np.median(there[use, :2] - reference[use, :2], axis=0)


def carry_correction(project: Project, predictor: Predictor, read_image: Callable[[Frame], np.ndarray],
                     instance_id: int, frames: int, iterations: int | None = None) -> TrackEdit:
    """Re-run ``predictor`` on the person of the same track in up to ``frames`` frames after and
    before the person ``instance_id``, with the joints placed on it as hints. Raises TrackRefused,
    saying why, when the model takes no hints or there is nothing to carry or nowhere to carry it."""
    if not takes_hints(predictor):
        raise TrackRefused(f"{predictor.model_id} takes no hints, so it cannot carry a correction "
                           "(choose a recurrent or part_regression model).")
    person = project.instance(instance_id)
    skeleton = predictor.skeleton()
    if skeleton is None or skeleton.name != person.skeleton:
        raise TrackRefused(f"{predictor.model_id} predicts {skeleton.name if skeleton else 'another'} skeletons, "
                           f"not {person.skeleton}: it cannot carry this person's joints.")
    track = track_of(person)
    if track is None:
        raise TrackRefused("This person has no track id: a correction is carried along one walker of a video.")
    hinted = {j for j in placed_joints(person) if person.keypoints[j, 2] > 0}
    if not hinted:
        raise TrackRefused(f"No joint of #{track} here was placed by you: drag the joints to carry first.")
    frame = project.frame(person.frame_id)
    by_index: dict[int, Instance] = {}
    for index, p in tracked_people(project, frame.source_id)[track]:
        if index != frame.index:
            by_index.setdefault(index, p)
    changed, reached = [], []
    for direction in (1, -1):
        # the walk is measured between the stored poses (the tracker's), not the re-run ones: a
        # re-run's free joints answer the hints and would make the next frame's guess drift
        reference = person.keypoints
        at = {j: person.keypoints[j, :2].astype(float) for j in hinted}
        for step in range(1, frames + 1):
            index = frame.index + direction * step
            other = by_index.get(index)
            # a gap in the track, or the user's own person of it: carrying stops there
            if other is None or is_hand_made(other) or other.skeleton != person.skeleton:
                break
            box = other.box_or_keypoint_extent()
            if box is None:
                break
            shift = walker_shift(reference, other.keypoints, hinted)
            at = {j: xy + shift for j, xy in at.items()}
            hints = {j: (float(xy[0]), float(xy[1])) for j, xy in at.items()}
            image = read_image(project.frame(other.frame_id))
            cache = predictor.predict(image, [box], iterations=iterations, keep_cache=True)[0].cache
            pred = predictor.refine(cache, hints, iterations=iterations)
            changed.append((other, other.copy(
                keypoints=pred.keypoints, score=pred.score, joint_scores=pred.scores, vis_scores=pred.visibility,
                model_id=predictor.model_id,
                extra={**{k: v for k, v in other.extra.items() if k != INTERPOLATED},  # the model's now, not a line's
                       CARRIED: {"from": frame.index, "joints": sorted(hinted)}})))
            reached.append(index)
            reference = other.keypoints
    if not changed:
        raise TrackRefused(f"Nowhere to carry #{track}'s correction: frames {frame.index - 1} and {frame.index + 1} have no "
                           "person of that id that a model predicted (a gap, or a person you corrected yourself).")
    text = f"carry the correction of #{track} to frames {min(reached)}-{max(reached)} ({people_text(len(changed))})"
    return TrackEdit(project, text, changed, at_frame=person.frame_id)
