"""The Tracks menu: the video annotator's tools for walkers' ids (swap, merge, split, delete a
track, interpolate between corrections, carry a correction to the neighbouring frames) and the
track timeline under the seek bar. Each tool builds one store edit (store/track_edits.py,
store/interpolation.py, engine/track_carry.py) and makes it as any edit is made, one undo step;
a tool that cannot do what was asked says why in the status bar and changes nothing."""

from __future__ import annotations

import sqlite3
from typing import Callable

from PySide6 import QtCore, QtGui, QtWidgets

from poseapp.core.accepting import extent
from poseapp.core.errors import PoseAppError
from poseapp.store.interpolation import interpolate_track
from poseapp.store.track_edits import delete_track, merge_tracks, people_text, split_track, swap_tracks
from poseapp.store.tracks import TrackRefused, track_marks, track_of, tracked_people

CARRY_FRAMES = 5  # frames after and before a correction that Carry re-runs, until the user picks another number
MESSAGE_MS = 15000  # a refusal stays long enough to read the frames it names


class TracksMixin:
    """Of ``MainWindow`` (which provides project, seek_bar, undo_stack, _edit, _selected_instance)."""

    carry_frames = CARRY_FRAMES
    last_track_message: str | None = None  # the last refusal or note, for tests and the curious

    def _build_track_actions(self, act: Callable) -> None:
        menu = self.menuBar().addMenu("&Tracks")
        act("swap_tracks", "S&wap this person's track id with another from this frame on...", "X", self.swap_tracks, menu)
        act("merge_tracks", "&Merge another track into this person's...", "M", self.merge_tracks, menu)
        act("split_track", "&Split this person's track here (a new id from this frame on)", "S", self.split_track, menu)
        act("delete_track", "&Delete this person's whole track (every frame)", "Shift+Del", self.delete_track, menu)
        menu.addSeparator()
        act("interpolate_track", "&Interpolate this track between the corrected frames around here", "I",
            self.interpolate_track, menu)
        act("carry_correction", "&Carry this person's placed joints to the neighbouring frames (model hints)", "Shift+E",
            self.carry_correction, menu)
        act("carry_frames", "Frames a correction is carried to...", None, self.ask_carry_frames, menu)
        # the timeline is read again at most every 80 ms, not once per person: a track deletion
        # changes hundreds at once, and a model run over the video adds people all the time
        self._timeline_timer = QtCore.QTimer(self, singleShot=True, interval=80)
        self._timeline_timer.timeout.connect(self._refresh_track_timeline)
        self.project_signals.instances_edited.connect(
            lambda _event: self._timeline_timer.isActive() or self._timeline_timer.start())
        self.seek_bar.timeline.go.connect(self._go_to_track)

    # ------------------------------------------------------------------ the timeline
    def _refresh_track_timeline(self) -> None:
        source = getattr(self, "_seek_source", None)
        if self.project is None or source is None or self.seek_bar.isHidden():
            return
        self.seek_bar.timeline.set_tracks(self.project.frame_count(source), track_marks(self.project, source))
        self._show_selected_track()

    def _show_selected_track(self) -> None:
        try:
            inst = self._selected_instance() if self.project is not None and self.selected is not None else None
        except PoseAppError:  # the selected person went with an edit whose redraw is still queued
            inst = None
        self.seek_bar.timeline.set_selected_track(track_of(inst) if inst is not None else None)

    def select_joint(self, instance_id: int, joint: int, nudge: bool = True) -> None:
        super().select_joint(instance_id, joint, nudge)  # EditingMixin's; the timeline then shows whose track it is
        self._show_selected_track()

    def deselect(self) -> None:
        super().deselect()  # EditingMixin's (Esc); the timeline then stops outlining the walker's track
        self._show_selected_track()

    def _go_to_track(self, index: int, track: int) -> None:
        """A click on a segment: that frame, with that walker selected (ready for a track tool)."""
        frame = self.project.frame_by_index(self._seek_source, index) if self.project is not None else None
        if frame is None:
            return
        self._seek_video(index)
        person = next((i for i in self.project.instances(frame.id) if track_of(i) == track), None)
        if person is not None:
            labelled = [j for j in range(len(person.keypoints)) if person.keypoints[j, 2] > 0]
            # selected for the track tools only: the arrow keys keep stepping frames, not nudging a joint
            self.select_joint(person.id, labelled[0] if labelled else 0, nudge=False)
            box = extent(person.keypoints, person.bbox)
            if box is not None:  # zoomed in elsewhere: the walker is brought on screen
                self.canvas.bring_into_view(box)
            self.statusBar().showMessage(f"Frame {index}: #{track} selected (Tracks menu: swap X, merge M, split S, "
                                         "delete Shift+Del, interpolate I, carry Shift+E; click a joint to edit it).", 8000)

    # ------------------------------------------------------------------ the tools
    def _say(self, message: str) -> None:
        self.last_track_message = message
        self.statusBar().showMessage(message, MESSAGE_MS)

    def _selected_walker(self, what: str):
        """(person, frame, track) of the selected person in a video, or None after saying why not."""
        if self.project is None or self.current_frame_id is None:
            return None
        person = self._selected_instance()
        if person is None:
            self._say(f"First click a joint of the walker {what}.")
            return None
        frame = self.project.frame(person.frame_id)
        if self.project.source(frame.source_id).kind != "video":
            self._say("Tracks follow people through a video; this frame is an image.")
            return None
        track = track_of(person)
        if track is None:
            self._say("This person has no track id (a model run over the video, or an import with tracks, gives "
                      "people one).")
            return None
        return person, frame, track

    def _make(self, build: Callable[[], object]) -> bool:
        """Build a track edit and make it (one undo step); a refusal is said, nothing changes."""
        try:
            edit = build()
        except TrackRefused as exc:
            self._say(str(exc))
            return False
        except (PoseAppError, sqlite3.Error, OSError) as exc:
            self._say(f"The track was not changed: {exc}")
            return False
        if not self._edit(edit):
            return False
        notes = "; ".join(getattr(edit, "notes", []))
        if notes:  # interpolation's gaps it could not fill, and why
            self._say(f"{self.statusBar().currentMessage()} Left alone: {notes}.")
        self._refresh_track_timeline()
        return True

    def _pick_track(self, title: str, prompt: str, source: int, exclude: int, merging: bool = False,
                    at: int | None = None) -> int | None:
        """The id the user picks from those present in the video (each with its frames). For a
        merge, the ids that can join ``exclude`` (no frame in common) come first, the nearest in
        time first; those that cannot say so (a merge of them is refused)."""
        tracks = tracked_people(self.project, source)
        own = {index for index, _ in tracks.get(exclude, [])}
        choices = []
        for track, people in tracks.items():
            if track != exclude:
                first, last = people[0][0], people[-1][0]
                where = f"frame {first}" if first == last else f"frames {first}-{last}"
                shared = len(own & {index for index, _ in people})
                clash = f"; shares {shared} {'frame' if shared == 1 else 'frames'}: cannot merge" if merging and shared else ""
                gap = max(0, first - max(own), min(own) - last) if merging and own else 0  # frames apart
                choices.append(((bool(clash), gap), f"#{track}  ({where}, {people_text(len(people))}{clash})", track))
        if not choices:
            self._say(f"#{exclude} is the only track id in this video.")
            return None
        if merging:
            choices.sort(key=lambda choice: choice[0])
        elif at is not None:  # a swap is mostly between two walkers on this frame: those first, then the nearest in time
            near = {track: min(abs(index - at) for index, _ in people) for track, people in tracks.items()}
            choices.sort(key=lambda choice: near[choice[2]])
        choices = [(label, track) for _, label, track in choices]
        labels = [label for label, _ in choices]
        label, ok = QtWidgets.QInputDialog.getItem(self, title, prompt, labels, 0, False)
        return dict(choices).get(label) if ok else None

    def swap_tracks(self) -> bool:
        return self._with_another_track(
            "whose id to swap", "Swap track ids", lambda track, frame: f"Swap #{track} with which id, from frame {frame.index} on?",
            lambda frame, track, other: swap_tracks(self.project, frame.source_id, track, other, frame.index, frame.id))

    def merge_tracks(self) -> bool:
        return self._with_another_track(
            "to merge another track into", "Merge tracks",
            lambda track, frame: f"Which track is #{track} too? (It becomes #{track} everywhere.)",
            lambda frame, track, other: merge_tracks(self.project, frame.source_id, track, other, frame.id), merging=True)

    def _with_another_track(self, need: str, title: str, prompt, make_edit, merging: bool = False) -> bool:
        """The selected walker's track and one the user picks from the video's others, then the edit."""
        walker = self._selected_walker(need)
        if walker is None:
            return False
        _person, frame, track = walker
        other = self._pick_track(title, prompt(track, frame), frame.source_id, track, merging, at=frame.index)
        if other is None:
            return False
        return self._make(lambda: make_edit(frame, track, other))

    def split_track(self) -> bool:
        walker = self._selected_walker("whose track to split")
        if walker is None:
            return False
        person, frame, track = walker
        return self._make(lambda: split_track(self.project, frame.source_id, track, frame.index, frame.id))

    def delete_track(self) -> bool:
        walker = self._selected_walker("whose track to delete")
        if walker is None:
            return False
        person, frame, track = walker
        self.selected = None
        return self._make(lambda: delete_track(self.project, frame.source_id, track, frame.id))

    def interpolate_track(self) -> bool:
        walker = self._selected_walker("to interpolate")
        if walker is None:
            return False
        person = walker[0]
        return self._make(lambda: interpolate_track(self.project, person.id))

    def ask_carry_frames(self) -> None:
        value, ok = QtWidgets.QInputDialog.getInt(self, "Carry a correction", "Frames after and before a correction that "
                                                  "Carry (Shift+E) re-runs the model on:", self.carry_frames, 1, 100)
        if ok:
            self.carry_frames = int(value)
            self.statusBar().showMessage(f"A correction is carried to {self.carry_frames} frames each way.", 5000)

    def carry_correction(self) -> bool:
        """Re-run the selected model on the walker's person in the neighbouring frames, the joints
        placed here as hints; only a model that takes hints can."""
        walker = self._selected_walker("whose correction to carry")
        if walker is None:
            return False
        person = walker[0]
        if self.model_panel.model_path() is None or not self.model_panel.takes_hints:
            name = self.model_panel.model_box.currentText() or "No model"
            self._say(f"{name} takes no hints, so it cannot carry a correction: choose a recurrent or part_regression "
                      "model in the Model tab. Nothing was changed.")
            return False
        predictor, why = self._refining_predictor(person)
        if predictor is None:
            self._say(f"{why} Nothing was changed.")
            return False
        from poseapp.engine.track_carry import carry_correction  # torch: loaded by now (the predictor is)

        made = []

        def build():
            QtWidgets.QApplication.setOverrideCursor(QtGui.QCursor(QtCore.Qt.CursorShape.WaitCursor))
            try:
                made.append(carry_correction(self.project, predictor, self.loader.read, person.id, self.carry_frames,
                                             self._refine_iterations()))
                return made[0]
            except (RuntimeError, ValueError) as exc:
                raise TrackRefused(f"The correction was not carried: {exc}") from None
            finally:
                QtWidgets.QApplication.restoreOverrideCursor()

        done = self._make(build)
        for old, _ in made[0].changed if done else ():
            self.results.pop(old.frame_id, None)  # its heatmaps are those of the run before the carry
        return done
