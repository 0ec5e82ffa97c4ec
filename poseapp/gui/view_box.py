"""The canvas's view box: wheel zooms and a background drag pans, except while a new person is
being added, when a left drag draws the person's box and a left click places the next joint."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore


class DrawingViewBox(pg.ViewBox):
    box_drawn = QtCore.Signal(object)  # (x, y, w, h) in image coordinates
    point_placed = QtCore.Signal(float, float)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.mode: str | None = None  # None (pan), "box" or "place"
        self._rubber = pg.RectROI((0, 0), (1, 1), pen=pg.mkPen("#00bcd4", width=2, style=QtCore.Qt.PenStyle.DashLine),
                                  movable=False, resizable=False, rotatable=False, removable=False)
        for handle in list(self._rubber.getHandles()):
            self._rubber.removeHandle(handle)
        self._rubber.setAcceptedMouseButtons(QtCore.Qt.MouseButton.NoButton)
        self._rubber.setZValue(50)
        self._rubber.setVisible(False)
        self.addItem(self._rubber, ignoreBounds=True)

    def set_mode(self, mode: str | None) -> None:
        self.mode = mode
        self._rubber.setVisible(False)

    def mouseDragEvent(self, ev, axis=None) -> None:  # noqa: N802 (pyqtgraph name)
        if self.mode != "box" or ev.button() != QtCore.Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        a = self.mapSceneToView(ev.buttonDownScenePos())
        b = self.mapSceneToView(ev.scenePos())
        x, y = min(a.x(), b.x()), min(a.y(), b.y())
        w, h = abs(b.x() - a.x()), abs(b.y() - a.y())
        self._rubber.setPos((x, y), update=False)
        self._rubber.setSize((max(w, 1e-3), max(h, 1e-3)))
        self._rubber.setVisible(not ev.isFinish())
        if ev.isFinish() and w > 2 and h > 2:
            self.box_drawn.emit((x, y, w, h))

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 (pyqtgraph name)
        if self.mode == "place" and ev.button() == QtCore.Qt.MouseButton.LeftButton:
            ev.accept()
            p = self.mapSceneToView(ev.scenePos())
            self.point_placed.emit(p.x(), p.y())
            return
        super().mouseClickEvent(ev)
