"""The project browser: every frame with its state, fetched lazily so 100,000 frames list at once."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui

from poseapp.store import FRAME_STATES, Project

BROKEN_COLOUR = "#d93025"
STATE_COLOURS = {
    "unlabelled": "#5f6368", "labelled": "#1a73e8", "predicted": "#b06000", "edited": "#188038", "reviewed": "#8430ce",
}


class FrameListModel(QtCore.QAbstractListModel):
    FrameIdRole = QtCore.Qt.ItemDataRole.UserRole + 1

    def __init__(self, project: Project, state_filter: str | None = None, broken: dict[int, str] | None = None):
        super().__init__()
        self.project = project
        self.broken = broken if broken is not None else {}  # frame id -> why its image cannot be read
        self.state_filter = state_filter
        self._ids = project.frame_ids(state=state_filter)
        self._row_of = {fid: row for row, fid in enumerate(self._ids)}
        self._labels: dict[int, tuple[str, str]] = {}  # frame id -> (text, state), filled on demand
        self._source_names = {s.id: (s.kind, Path(s.path).name) for s in project.sources()}

    def rowCount(self, parent: QtCore.QModelIndex = QtCore.QModelIndex()) -> int:  # noqa: N802 (Qt name)
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index: QtCore.QModelIndex, role: int = QtCore.Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        fid = self._ids[index.row()]
        if role == self.FrameIdRole:
            return fid
        if role == QtCore.Qt.ItemDataRole.SizeHintRole:
            # a row asks for no width: the list then lays each row as wide as itself and the view's
            # middle elision keeps "[state]" in sight; sized by its text, a long video name made
            # every row wider than the list and scrolled the state out of view
            return QtCore.QSize(1, self._row_height())
        if role in (QtCore.Qt.ItemDataRole.DisplayRole, QtCore.Qt.ItemDataRole.ForegroundRole, QtCore.Qt.ItemDataRole.ToolTipRole):
            text, state = self._label(fid)
            why = self.broken.get(fid)
            if role == QtCore.Qt.ItemDataRole.ForegroundRole:
                return QtGui.QBrush(QtGui.QColor(BROKEN_COLOUR if why else STATE_COLOURS[state]))
            if role == QtCore.Qt.ItemDataRole.ToolTipRole:
                return f"{text}\nstate: {state}" + (f"\nbroken: {why}" if why else "")
            return f"{text}   [{state}]" + ("  [broken image]" if why else "")
        return None

    def _row_height(self) -> int:
        if getattr(self, "_height", None) is None:
            self._height = QtGui.QFontMetrics(QtGui.QGuiApplication.font()).height() + 2
        return self._height

    def _label(self, fid: int) -> tuple[str, str]:
        if fid not in self._labels:
            frame = self.project.frame(fid)
            kind, name = self._source_names.get(frame.source_id, ("", "?"))
            text = f"{name} #{frame.index}" if kind == "video" else (frame.file_name or name)
            self._labels[fid] = (text, frame.state)
        return self._labels[fid]

    def row_of(self, frame_id: int) -> int | None:
        return self._row_of.get(frame_id)

    def frame_id(self, row: int) -> int:
        return self._ids[row]

    def mark_broken(self, frame_id: int, why: str) -> None:
        self.broken[frame_id] = why
        self.frame_state_changed(frame_id, "")

    def forget_states(self) -> None:
        """Another program changed the project: every row reads its state again when shown."""
        self._labels.clear()
        if self._ids:
            self.dataChanged.emit(self.index(0), self.index(len(self._ids) - 1))

    def frame_state_changed(self, frame_id: int, state: str) -> None:
        self._labels.pop(frame_id, None)
        row = self._row_of.get(frame_id)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index)


__all__ = ["FrameListModel", "FRAME_STATES"]
