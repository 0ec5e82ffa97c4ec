"""Who is who through a video: the people of a source by their ``track_id`` (PoseTrack's field,
kept in ``Instance.extra``), read in one query per source so that a long video's tracks cost one
round trip, not one per frame. Plain data, no Qt; the undoable track edits are in track_edits.py."""

from __future__ import annotations

from dataclasses import dataclass

from poseapp.core.errors import PoseAppError
from poseapp.store.edits import is_edited_prediction
from poseapp.store.project import _INSTANCE_COLUMNS, Project, _instance
from poseapp.store.records import Instance

TRACK_ID = "track_id"  # instance.extra key
# a person with a track id, found by SQLite's JSON functions (an id is a whole number, nothing else)
_HAS_TRACK = "json_type(i.extra, '$.track_id') = 'integer'"


class TrackRefused(PoseAppError):
    """A track edit that cannot be made as asked; the message says why (and where) in words."""


def track_of(instance: Instance) -> int | None:
    """The track id a record carries (a whole number in ``extra``; anything else is no id)."""
    track = instance.extra.get(TRACK_ID)
    return track if isinstance(track, int) and not isinstance(track, bool) else None


def is_hand_made(instance: Instance) -> bool:
    """A person the user made or corrected: an annotation, or a prediction they edited. Track
    tools treat these as the user's word: interpolation runs between them, carrying stops at them."""
    return instance.origin == "manual" or is_edited_prediction(instance)


def tracked_people(project: Project, source_id: int) -> dict[int, list[tuple[int, Instance]]]:
    """track id -> [(frame index, person)] in frame order, for every person with a track id in the
    source's frames."""
    cols = ", ".join(f"i.{c.strip()}" for c in _INSTANCE_COLUMNS.split(","))
    rows = project._query(
        f"SELECT f.idx, {cols} FROM instances i JOIN frames f ON f.id = i.frame_id "
        f"WHERE f.source_id = ? AND {_HAS_TRACK} ORDER BY f.idx, i.id", (source_id,))
    tracks: dict[int, list[tuple[int, Instance]]] = {}
    for row in rows:
        person = _instance(row[1:])
        tracks.setdefault(track_of(person), []).append((int(row[0]), person))
    return dict(sorted(tracks.items()))


@dataclass(frozen=True)
class TrackMark:
    """One person of a track on one frame, as the track timeline draws it."""

    track: int
    index: int  # the frame's index in the video
    hand_made: bool  # an annotation or an edited prediction (drawn as a tick)


def track_marks(project: Project, source_id: int) -> list[TrackMark]:
    """Every person with a track id in the source, light: no keypoints are decoded, so the
    timeline of a long video redraws quickly after each edit. ``hand_made`` follows
    ``is_hand_made`` (an annotation, or a prediction marked edited or with joints placed)."""
    rows = project._query(
        "SELECT json_extract(i.extra, '$.track_id'), f.idx, i.origin = 'manual' "
        "OR COALESCE(json_extract(i.extra, '$.edited'), 0) "
        "OR COALESCE(json_array_length(i.extra, '$.placed'), 0) > 0 "
        f"FROM instances i JOIN frames f ON f.id = i.frame_id WHERE f.source_id = ? AND {_HAS_TRACK} "
        "ORDER BY f.idx", (source_id,))
    return [TrackMark(int(t), int(i), bool(h)) for t, i, h in rows]


def segments(indices: list[int]) -> list[tuple[int, int]]:
    """Runs of consecutive frame indices as (first, last): where a track is on screen without a gap."""
    runs: list[tuple[int, int]] = []
    for index in sorted(set(indices)):
        if runs and index == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    return runs


def describe_frames(indices: list[int], limit: int = 8) -> str:
    """'frames 3, 4, 9 and 12 more': a refusal names where, without a wall of numbers."""
    indices = sorted(set(indices))
    shown = ", ".join(str(i) for i in indices[:limit])
    more = f" and {len(indices) - limit} more" if len(indices) > limit else ""
    return f"frame{'s' if len(indices) > 1 else ''} {shown}{more}"
