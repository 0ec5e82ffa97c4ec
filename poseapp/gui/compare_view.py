"""Model > Compare models: the same people seen by every model, one panel each, with what each
model's card claims and how long it took. Zoom and pan move all panels together."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from poseapp.engine.comparison import ModelRun
from poseapp.gui.canvas import SIDE_COLOURS, limb_side

LOW_SCORE = 0.2  # joints the model is unsure of are drawn hollow


class ModelComparison(QtWidgets.QWidget):
    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent, QtCore.Qt.WindowType.Window)
        self.setWindowTitle("Compare models")
        # 1000 x 760, or less on a smaller screen: its Close button must not fall off a 768-px screen
        screen = (parent.screen() if parent is not None else QtWidgets.QApplication.primaryScreen()).availableGeometry()
        self.resize(min(1000, int(0.95 * screen.width())), min(760, int(0.9 * screen.height())))
        self.caption = QtWidgets.QLabel()
        self.caption.setWordWrap(True)
        self.plots = pg.GraphicsLayoutWidget()
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addWidget(self.plots, 1)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        self.close_button = buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Close)
        self.close_button.setToolTip("Close the comparison (Esc)")
        layout.addWidget(buttons)
        self.views: list[pg.ViewBox] = []
        self.titles: list[str] = []
        self._following = False


    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:  # noqa: N802 (Qt name)
        if event.key() == QtCore.Qt.Key.Key_Escape:  # closes like a dialog
            self.close()
        else:
            super().keyPressEvent(event)

    def show_runs(self, image: np.ndarray, boxes: list, runs: list[ModelRun], where: str) -> None:
        self.plots.ci.clear()  # not self.plots.clear(): pyqtgraph binds that to the layout's own clear
        self.views, self.titles = [], []
        self.boxes, self.image_shape = list(boxes), image.shape
        image = np.ascontiguousarray(image)
        columns = 1 if len(runs) == 1 else 2 if len(runs) <= 4 else 3
        for n, run in enumerate(runs):
            row, col = divmod(n, columns)
            timing = "not run here" if run.ms_per_person is None else f"{run.ms_per_person:.0f} ms per person"
            title = f"<b>{_elided(run.name)}</b> ({run.architecture})<br>{run.measured}<br>{timing}"
            self.plots.addLabel(title, row=2 * row, col=col)
            view = self.plots.addViewBox(row=2 * row + 1, col=col, lockAspect=True, invertY=True, enableMenu=False)
            item = pg.ImageItem(axisOrder="row-major")
            item.setImage(image, autoLevels=False, levels=(0, 255))
            item.setPos(-0.5, -0.5)  # pixel centres on integer coordinates, as on the main canvas
            view.addItem(item)
            for pred in run.predictions:
                self._draw(view, pred.keypoints, pred.scores, run.skeleton)
            view.setRange(**_people_range(boxes, image.shape), padding=0)
            # not setXLink/setYLink: linked axes fight the aspect locks and shrink every panel; and
            # only the user's zoom and pan are followed: the aspect locks' own adjustments while the
            # layout sizes the panels, passed on, zoomed every other panel far out
            view.sigRangeChangedManually.connect(lambda _mask, v=view: self._follow(v))
            self.views.append(view)
            self.titles.append(title)
        people = _people_range(boxes, image.shape)
        # once the layout has given the panels their sizes, each shows the people again
        QtCore.QTimer.singleShot(0, lambda: [v.setRange(**people, padding=0) for v in self.views])
        self.caption.setText(
            f"{where}: {len(boxes)} person box(es), the same for every model. Hollow joints: score under {LOW_SCORE}. "
            "Accuracy is each model's card (LSP validation split); time is this machine's, after a warm-up."
        )

    def _follow(self, source: pg.ViewBox) -> None:
        """Zoom or pan in one panel: the others show the same centre and scale."""
        if self._following:
            return
        self._following = True
        ranges = source.viewRange()
        try:
            for view in self.views:
                if view is not source:
                    view.setRange(xRange=ranges[0], yRange=ranges[1], padding=0)
        finally:
            self._following = False

    @staticmethod
    def _draw(view: pg.ViewBox, kps: np.ndarray, scores: np.ndarray, skeleton) -> None:
        for side, colour in SIDE_COLOURS.items():
            pts = [(kps[a, :2], kps[b, :2]) for a, b in skeleton.edges if limb_side(skeleton, a, b) == side]
            if pts:
                xy = np.array(pts, dtype=np.float64).reshape(-1, 2)
                view.addItem(pg.PlotCurveItem(xy[:, 0], xy[:, 1], connect="pairs", pen=pg.mkPen(colour, width=3)))
        brushes = [
            pg.mkBrush(0, 0, 0, 0) if s < LOW_SCORE else pg.mkBrush(*SIDE_COLOURS[skeleton.side(j)])
            for j, s in enumerate(scores)
        ]
        pens = [pg.mkPen(SIDE_COLOURS[skeleton.side(j)], width=2) for j in range(len(scores))]
        joints = pg.ScatterPlotItem(x=kps[:, 0], y=kps[:, 1], size=9, brush=brushes, pen=pens, pxMode=True)
        joints.setZValue(10)
        view.addItem(joints)


def _elided(name: str, limit: int = 28) -> str:
    """A fine-tuned model's long folder name would widen its column past the window."""
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _people_range(boxes: list, shape: tuple[int, ...]) -> dict:
    """The view range that shows every person with a margin (the whole image when there are none)."""
    if not boxes:
        return {"xRange": (0, shape[1]), "yRange": (0, shape[0])}
    b = np.array(boxes, dtype=np.float64)
    x0, y0 = b[:, 0].min(), b[:, 1].min()
    x1, y1 = (b[:, 0] + b[:, 2]).max(), (b[:, 1] + b[:, 3]).max()
    mx, my = 0.15 * (x1 - x0), 0.1 * (y1 - y0)
    return {"xRange": (max(0, x0 - mx), min(shape[1], x1 + mx)), "yRange": (max(0, y0 - my), min(shape[0], y1 + my))}
