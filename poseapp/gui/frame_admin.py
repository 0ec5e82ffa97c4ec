"""Removing selected frames or a whole source from the project, undoably. (Imports decode what
they import and refuse broken images; an image that breaks later is marked in the frame list when
it is shown, see MainWindow.show_frame.)"""

from __future__ import annotations

from pathlib import Path

from poseapp.store.edits import RemoveFrames


class FrameAdminMixin:
    """Of ``MainWindow`` (project, model, frame_list, broken, job, _edit, _refilter ...)."""

    def remove_selected_frames(self) -> bool:
        ids = self.selected_frame_ids() or ([self.current_frame_id] if self.current_frame_id is not None else [])
        if not ids or self.project is None:
            return False
        text = f"remove {len(ids)} frame{'s' if len(ids) != 1 else ''}"
        return self._remove(ids, text)

    def remove_current_source(self) -> bool:
        if self.project is None or self.current_frame_id is None:
            return False
        source = self.project.source(self.project.frame(self.current_frame_id).source_id)
        return self._remove(self.project.frame_ids(source_id=source.id), f"remove source {Path(source.path).name}")

    def _neighbour_left(self, gone: set[int]) -> int | None:
        """The frame to show after ``gone`` leaves: the current one if it stays, else the next one
        in the list that stays (else the one before), not the list's first frame."""
        if self.model is None or self.current_frame_id is None:
            return None
        if self.current_frame_id not in gone:
            return self.current_frame_id
        row = self.model.row_of(self.current_frame_id) or 0
        ordered = [self.model.frame_id(r) for r in range(self.model.rowCount())]
        after = [f for f in ordered[row:] if f not in gone] + [f for f in reversed(ordered[:row]) if f not in gone]
        return after[0] if after else None

    def _remove(self, ids: list[int], text: str) -> bool:
        gone = set(ids)
        self.selected = None
        target = self._neighbour_left(gone)

        def after() -> None:  # the list is rebuilt; the view stays where it was, or on the next frame left
            if self.current_frame_id in gone:
                self.current_frame_id = None
            self._refilter()
            if target is not None and self.project.frame_exists(target) and self.current_frame_id != target:
                self._go_frame(target)

        if self._edit(RemoveFrames(self.project, ids, text), after):
            self.statusBar().showMessage(f"{text[0].upper()}{text[1:]}: Ctrl+Z brings it back.", 8000)
            return True
        return False
