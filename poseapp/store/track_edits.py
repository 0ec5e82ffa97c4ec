"""The video annotator's track tools as undoable edits (what SLEAP and CVAT users expect): swap two
ids from a frame on, merge two ids, split an id at a frame, delete a whole track. Each is one
``TrackEdit``: every person it changes, removes or adds, kept whole, so that one undo puts back
exactly the records there were (ids, corrections and all) and redo makes the same change again.
No Qt; the window's Tracks menu (gui/tracks.py) builds these and pushes them like any edit."""

from __future__ import annotations

from typing import Iterable

from poseapp.store.edits import Edit
from poseapp.store.project import Project
from poseapp.store.records import Instance
from poseapp.store.tracks import TRACK_ID, TrackRefused, describe_frames, is_hand_made, track_of, tracked_people


class TrackEdit(Edit):
    """People of a video changed, removed and added in one step (one commit).

    ``changed``: (record before, record after) pairs of the same id; ``removed``: whole records,
    put back with their ids by an undo; ``added``: new records, which keep the id the first apply
    gave them, so an edit made after a redo still finds them. ``states``: the frames' states after
    the edit, where it changes them (each touched frame's state before is kept for undo)."""

    def __init__(self, project: Project, text: str, changed: Iterable[tuple[Instance, Instance]] = (),
                 removed: Iterable[Instance] = (), added: Iterable[Instance] = (), states: dict[int, str] | None = None,
                 at_frame: int | None = None):
        self.project, self.text = project, text
        self.changed = [(old.copy(), new.copy()) for old, new in changed]
        self.removed = [r.copy() for r in removed]
        self.added = [a.copy() for a in added]
        self.new_states = dict(states or {})
        touched = {r.frame_id for r in self.removed} | {a.frame_id for a in self.added} | set(self.new_states)
        touched |= {old.frame_id for old, _ in self.changed}
        self.old_states = {fid: project.frame(fid).state for fid in touched}
        self.at_frame = at_frame

    @property
    def people(self) -> int:
        return len(self.changed) + len(self.removed) + len(self.added)

    def apply(self) -> None:
        with self.project.transaction():
            for _, new in self.changed:
                self.project.restore_instance(new)
            for record in self.removed:
                self.project.delete_instance(record.id, frame_state=None)
            self.added = [self.project.add_instance(record, frame_state=None) for record in self.added]
            for fid, state in self.new_states.items():
                self.project.set_frame_state(fid, state)

    def revert(self) -> None:
        with self.project.transaction():
            for record in self.added:
                self.project.delete_instance(record.id, frame_state=None)
            for record in self.removed:
                self.project.add_instance(record, frame_state=None)  # same id as before
            for old, _ in self.changed:
                self.project.restore_instance(old)
            for fid, state in self.old_states.items():
                self.project.set_frame_state(fid, state)

    def frame_id(self) -> int | None:
        """Where the user was when they made it: an undo goes back there."""
        return self.at_frame


def people_text(count: int) -> str:
    """'1 person', '14 people': how a track tool's message counts the people it changed."""
    return f"{count} person" if count == 1 else f"{count} people"


def _relabelled(person: Instance, track: int) -> tuple[Instance, Instance]:
    return person, person.copy(extra={**person.extra, TRACK_ID: int(track)})


def _people_of(tracks: dict[int, list[tuple[int, Instance]]], track: int) -> list[tuple[int, Instance]]:
    if track not in tracks:
        raise TrackRefused(f"This video has no person with track id #{track}.")
    return tracks[track]


def swap_tracks(project: Project, source_id: int, first: int, second: int, from_index: int,
                at_frame: int | None = None) -> TrackEdit:
    """From frame ``from_index`` on, the people of ``first`` become ``second`` and the other way
    round: the fix for a tracker that swapped two walkers where they crossed."""
    if first == second:
        raise TrackRefused(f"Pick two different ids to swap (both are #{first}).")
    tracks = tracked_people(project, source_id)
    a = [(i, p) for i, p in _people_of(tracks, first) if i >= from_index]
    b = [(i, p) for i, p in _people_of(tracks, second) if i >= from_index]
    if not a and not b:
        raise TrackRefused(f"Neither #{first} nor #{second} has a person from frame {from_index} on: nothing to swap.")
    changed = [_relabelled(p, second) for _, p in a] + [_relabelled(p, first) for _, p in b]
    return TrackEdit(project, f"swap tracks #{first} and #{second} from frame {from_index} onward", changed, at_frame=at_frame)


def merge_tracks(project: Project, source_id: int, keep: int, absorb: int, at_frame: int | None = None) -> TrackEdit:
    """Every person of ``absorb`` becomes ``keep`` (a walker the tracker lost and found again
    under a new id). Refused where both ids have a person on one frame: one id would then name
    two people."""
    if keep == absorb:
        raise TrackRefused(f"Pick another id to merge into #{keep}.")
    tracks = tracked_people(project, source_id)
    kept, absorbed = _people_of(tracks, keep), _people_of(tracks, absorb)
    both = sorted({i for i, _ in kept} & {i for i, _ in absorbed})
    if both:
        raise TrackRefused(f"Cannot merge #{absorb} into #{keep}: both have a person on {describe_frames(both)}, and one "
                           f"id would then name two people. Split or delete one of them there first.")
    changed = [_relabelled(p, keep) for _, p in absorbed]
    return TrackEdit(project, f"merge track #{absorb} into #{keep} ({people_text(len(changed))})", changed, at_frame=at_frame)


def unused_track_id(project: Project, source_id: int) -> int:
    """An id no person of the video carries (one past the largest)."""
    return max([project.max_track_id(source_id), *tracked_people(project, source_id)]) + 1


def split_track(project: Project, source_id: int, track: int, at_index: int, at_frame: int | None = None) -> TrackEdit:
    """From frame ``at_index`` on, the people of ``track`` get a new, unused id (a tracker that
    carried one id over from one walker to another)."""
    people = _people_of(tracked_people(project, source_id), track)
    later = [p for i, p in people if i >= at_index]
    if not later:
        raise TrackRefused(f"Track #{track} has no person from frame {at_index} on: nothing to split off.")
    if len(later) == len(people):
        raise TrackRefused(f"Track #{track} starts at frame {people[0][0]}: splitting it there would only rename it "
                           "(split at a later frame of it).")
    new = unused_track_id(project, source_id)
    changed = [_relabelled(p, new) for p in later]
    return TrackEdit(project, f"split track #{track} at frame {at_index} (from there on #{new})", changed, at_frame=at_frame)


def delete_track(project: Project, source_id: int, track: int, at_frame: int | None = None) -> TrackEdit:
    """Every person of ``track`` in every frame, the user's corrections included: all of them
    come back with one undo. A frame left with nobody is unlabelled again, any other is edited
    (as deleting one person does)."""
    people = [p for _, p in _people_of(tracked_people(project, source_id), track)]
    gone = {p.id for p in people}
    states = {}
    for fid in {p.frame_id for p in people}:
        left = [p for p in project.instances(fid) if p.id not in gone]
        states[fid] = "edited" if left else "unlabelled"
    corrected = sum(is_hand_made(p) for p in people)
    note = f", {corrected} of them yours" if corrected else ""
    return TrackEdit(project, f"delete track #{track} ({people_text(len(people))} on {len(states)} "
                     f"frame{'s' if len(states) != 1 else ''}{note})",
                     removed=people, states=states, at_frame=at_frame)


__all__ = ["TrackEdit", "TrackRefused", "delete_track", "merge_tracks", "people_text", "split_track", "swap_tracks",
           "track_of", "unused_track_id"]
