"""The image canvas: a frame with each instance's box, limbs and joints drawn over it."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from poseapp.core.skeleton import Skeleton
from poseapp.store import Instance

SIDE_COLOURS = {"left": (66, 133, 244), "right": (244, 120, 46), "centre": (52, 199, 89)}
PREDICTED_BOX = (255, 214, 10)
MANUAL_BOX = (0, 188, 212)


def limb_side(skeleton: Skeleton, a: int, b: int) -> str:
    sides = {skeleton.side(a), skeleton.side(b)}
    return sides.pop() if len(sides) == 1 else "centre"


class FrameCanvas(pg.GraphicsLayoutWidget):
    """Zoom with the wheel, pan by dragging; ``show_frame`` replaces what is drawn."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.view = self.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.image_item)
        self._overlay: list[QtWidgets.QGraphicsItem] = []
        self._shape: tuple[int, int] | None = None

    def show_frame(self, image: np.ndarray, instances: list[Instance], skeletons: dict[str, Skeleton]) -> None:
        image = np.ascontiguousarray(image)
        self.image_item.setImage(image, autoLevels=False, levels=(0, 255))
        self.image_item.setVisible(True)
        if self._shape != image.shape[:2]:
            self._shape = image.shape[:2]
            self.view.autoRange(padding=0.02)
        self._clear_overlay()
        for inst in instances:
            self._draw_instance(inst, skeletons[inst.skeleton])

    def clear_frame(self) -> None:
        # Not named clear(): GraphicsLayoutWidget binds self.clear to its layout's clear(), which
        # would remove the view box itself.
        self.image_item.setVisible(False)
        self._clear_overlay()
        self._shape = None

    def _clear_overlay(self) -> None:
        for item in self._overlay:
            self.view.removeItem(item)
        self._overlay.clear()

    def _add(self, item: QtWidgets.QGraphicsItem) -> None:
        self.view.addItem(item)
        self._overlay.append(item)

    def _draw_instance(self, inst: Instance, skeleton: Skeleton) -> None:
        dashed = inst.origin == "predicted"
        if inst.bbox is not None:
            x, y, w, h = inst.bbox
            box = QtWidgets.QGraphicsRectItem(x, y, w, h)
            pen = pg.mkPen(PREDICTED_BOX if dashed else MANUAL_BOX, width=1.5, style=QtCore.Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            box.setPen(pen)
            self._add(box)
        kps = inst.keypoints
        for side, colour in SIDE_COLOURS.items():
            segments = [
                (kps[a, :2], kps[b, :2])
                for a, b in skeleton.edges
                if kps[a, 2] > 0 and kps[b, 2] > 0 and limb_side(skeleton, a, b) == side
            ]
            if not segments:
                continue
            pts = np.array(segments).reshape(-1, 2)
            style = QtCore.Qt.PenStyle.DashLine if dashed else QtCore.Qt.PenStyle.SolidLine
            self._add(pg.PlotCurveItem(pts[:, 0], pts[:, 1], connect="pairs", pen=pg.mkPen(colour, width=3, style=style)))
        shown = np.flatnonzero(kps[:, 2] > 0)  # v = 0: not labelled, so nothing to draw
        if len(shown):
            brushes, pens = [], []
            for j in shown:
                colour = SIDE_COLOURS[skeleton.side(int(j))]
                occluded = kps[j, 2] == 1
                brushes.append(pg.mkBrush(0, 0, 0, 0) if occluded else pg.mkBrush(*colour))  # occluded: hollow
                pens.append(pg.mkPen(colour, width=2) if occluded else pg.mkPen("w", width=1))
            scatter = pg.ScatterPlotItem(
                x=kps[shown, 0], y=kps[shown, 1], size=9, brush=brushes, pen=pens, pxMode=True,
                data=[int(j) for j in shown],
            )
            tips = [f"{skeleton.joints[j]} ({'occluded' if kps[j, 2] == 1 else 'visible'})" for j in shown]
            scatter.setToolTip("\n".join(tips[:3]) + ("\n..." if len(tips) > 3 else ""))
            self._add(scatter)
