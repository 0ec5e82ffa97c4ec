"""The canvas's graphics items: a person's joints (click to select, drag to move, hover for the
joint's name) and the overlays that only inform (they never take a click)."""

from __future__ import annotations

import colorsys
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

if TYPE_CHECKING:
    from poseapp.gui.canvas import FrameCanvas


def joint_colour(joint: int, count: int) -> tuple[int, int, int]:
    """A distinct colour per joint (hues around the wheel, alternating brightness so neighbours
    differ); the joint table shows the same colours as the legend."""
    hue = (joint * 0.61803398875) % 1.0  # golden-ratio steps spread any number of joints
    r, g, b = colorsys.hsv_to_rgb(hue, 0.75, 1.0 if joint % 2 == 0 else 0.8)
    return int(r * 255), int(g * 255), int(b * 255)


class OverlayPoints(pg.ScatterPlotItem):
    """Points drawn for information only (decoded keypoints of each iteration): they take no
    clicks and no drags, so the joints under them stay clickable."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setAcceptedMouseButtons(QtCore.Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 (Qt name)
        ev.ignore()

    def mouseDragEvent(self, ev) -> None:  # noqa: N802 (Qt name)
        ev.ignore()


def take_no_clicks(item: QtWidgets.QGraphicsItem) -> QtWidgets.QGraphicsItem:
    item.setAcceptedMouseButtons(QtCore.Qt.MouseButton.NoButton)
    item.setAcceptHoverEvents(False)
    return item


class JointsItem(pg.ScatterPlotItem):
    """One person's joints: click selects a joint, dragging moves it (only this item redraws
    while the mouse moves; the canvas reports the drop once, on release)."""

    def __init__(self, canvas: "FrameCanvas", instance_id: int, joints: np.ndarray, positions: np.ndarray, brushes, pens,
                 names: tuple[str, ...] = (), symbols: list[str] | None = None):
        self.canvas = canvas
        self.instance_id = instance_id
        self.names = names
        self._joints = [int(j) for j in joints]
        self._pos = np.asarray(positions, dtype=np.float64).copy()
        self._look = dict(brush=brushes, pen=pens, size=10, pxMode=True, symbol=symbols or "o")
        self._dragging: int | None = None
        super().__init__(pos=self._pos, data=self._joints, **self._look)

    def _index_at(self, pos: QtCore.QPointF) -> int | None:
        points = self.pointsAt(pos)
        return int(points[0].index()) if len(points) else None

    def _drag_index(self, pos: QtCore.QPointF) -> int | None:
        """The joint a drag starting at ``pos`` moves: the selected one when it is among the joints
        there (chosen in the joint table, or by clicking through a pile), else the nearest."""
        under = self.canvas.joints_under(self.mapToScene(pos))
        selected = self.canvas.selected
        if selected in under and selected[0] == self.instance_id:
            return self._joints.index(selected[1])
        mine = [j for i, j in under if i == self.instance_id]
        return self._joints.index(mine[0]) if mine else self._index_at(pos)

    def hoverEvent(self, ev) -> None:  # noqa: N802 (pyqtgraph name)
        index = None if ev.isExit() else self._drag_index(ev.pos())  # the name of the joint a drag here moves
        selected = self.canvas.selected
        if index is None or selected == (self.instance_id, self._joints[index]):
            self.canvas.show_hover(None)  # the selected joint's name is on show beside it already
        else:
            joint = self._joints[index]
            name = self.names[joint] if joint < len(self.names) else str(joint)
            self.canvas.show_hover(name, *self._pos[index])

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 (Qt name)
        index = self._index_at(ev.pos())
        if index is None or ev.button() != QtCore.Qt.MouseButton.LeftButton or self.canvas.view.mode is not None:
            ev.ignore()
            return
        ev.accept()
        self.canvas.click_joint_at(self.mapToScene(ev.pos()))

    def mouseDragEvent(self, ev) -> None:  # noqa: N802 (Qt name)
        if ev.button() != QtCore.Qt.MouseButton.LeftButton or self.canvas.view.mode is not None:
            ev.ignore()  # adding a person: the drag draws its box
            return
        if ev.isStart():
            self._dragging = self._drag_index(ev.buttonDownPos())
            if self._dragging is not None:
                self.canvas.joint_clicked.emit(self.instance_id, self._joints[self._dragging])
        if self._dragging is None:
            ev.ignore()  # not on a joint: the view pans
            return
        ev.accept()
        self.move_joint(self._dragging, ev.pos().x(), ev.pos().y())
        if ev.isFinish():
            joint, self._dragging = self._joints[self._dragging], None
            x, y = self._pos[self._joints.index(joint)]
            self.canvas.joint_dropped.emit(self.instance_id, joint, float(x), float(y))

    def move_joint(self, index: int, x: float, y: float) -> None:
        self._pos[index] = (x, y)
        self.setData(pos=self._pos, data=self._joints, **self._look)
        self.canvas._limbs_follow(self.instance_id, self._joints[index], x, y)


