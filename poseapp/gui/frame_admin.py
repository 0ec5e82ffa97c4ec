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

    def _remove(self, ids: list[int], text: str) -> bool:
        row = self.model.row_of(self.current_frame_id) if self.model is not None and self.current_frame_id is not None else 0
        gone = set(ids)
        self.selected = None

        def after() -> None:  # the list is rebuilt; the view stays near where it was
            if self.current_frame_id in gone:
                self.current_frame_id = None
            self._refilter()
            if self.current_frame_id is None and self.model is not None and self.model.rowCount():
                self._go_row(min(row or 0, self.model.rowCount() - 1))

        if self._edit(RemoveFrames(self.project, ids, text), after):
            self.statusBar().showMessage(f"{text[0].upper()}{text[1:]}: Ctrl+Z brings it back.", 8000)
            return True
        return False
