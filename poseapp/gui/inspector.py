"""The joint table (coordinates, flag, model score, visibility score of the selected person) and
the occlusion view (PR curve of visibility scores against the flags, and a disagreement queue)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from poseapp.engine.occlusion import VisibilityPairs, visibility_pairs
from poseapp.store.edits import VISIBILITY_NAMES, placed_joints
from poseapp.gui.joints_item import joint_colour
from poseapp.store import Instance, Project


def _swatch(colour: tuple[int, int, int]) -> QtGui.QIcon:
    pixmap = QtGui.QPixmap(12, 12)
    pixmap.fill(QtGui.QColor(*colour))
    return QtGui.QIcon(pixmap)


class JointTable(QtWidgets.QTableWidget):
    """Rows are joints of the selected person; clicking a row selects that joint."""

    joint_chosen = QtCore.Signal(int, int)  # instance id, joint

    # short headers, so the table fits the 384 px dock of a 1366 x 768 screen; tooltips say more
    HEADERS = ["joint", "x", "y", "flag", "score", "vis.", "placed"]
    # the flag as the table says it: "not labelled" pushed the last column out of the 384 px dock
    FLAG_TEXT = {0: "unlabelled", 1: "occluded", 2: "visible"}
    TIPS = ["joint name, in the skeleton's colour", "x in image pixels", "y in image pixels",
            "COCO visibility flag: visible, occluded or not labelled (V cycles it; 2, 1, 0 set it)",
            "the model's confidence in the joint's place (heatmap peak), not whether the joint is hidden; "
            "none for a joint you placed",
            "the model's own visibility prediction, from a model taught occlusion: below the occlusion threshold "
            "it predicts occluded (shown only for such models)",
            "placed by you: refinement never moves it"]
    VISIBLE_COLUMN = 5

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(0, len(self.HEADERS), parent)
        self.setHorizontalHeaderLabels(self.HEADERS)
        for column, tip in enumerate(self.TIPS):
            self.horizontalHeaderItem(column).setToolTip(tip)
        self.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.verticalHeader().setVisible(False)
        # rows as tall as the text: a COCO-17 person's 17 joints fit the dock at 1366x768 (10 did)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height())
        self.verticalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Fixed)
        # columns as wide as what they hold: seven fixed 100-px columns scrolled sideways in the dock
        self.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        # the joint's name takes the room the figures leave (cut with "..." in a narrow dock, whole in
        # its tooltip): the last column was pushed out of the 384 px dock by "not labelled" or a
        # 1920-px video's x
        self.horizontalHeader().setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.setTextElideMode(QtCore.Qt.TextElideMode.ElideMiddle)
        self.instance_id: int | None = None
        self.cellClicked.connect(lambda row, _col: self.instance_id is not None and self.joint_chosen.emit(self.instance_id, row))

    # said in the empty table, so a new user learns how to fill it
    EMPTY_HINT = "No person selected.\nClick a joint on the image, or press P,\nto list that person's joints here."

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        if self.rowCount() == 0:
            painter = QtGui.QPainter(self.viewport())
            painter.setPen(self.palette().color(QtGui.QPalette.ColorGroup.Disabled, QtGui.QPalette.ColorRole.Text))
            painter.drawText(self.viewport().rect(), QtCore.Qt.AlignmentFlag.AlignCenter, self.EMPTY_HINT)
            painter.end()

    def show_instance(self, instance: Instance | None, joint_names: list[str], selected: int | None = None) -> None:
        self.instance_id = instance.id if instance is not None else None
        self.setRowCount(0 if instance is None else len(joint_names))
        if instance is None:
            return
        placed = placed_joints(instance)  # as refinement sees them (an imported annotation: all its labelled joints)
        for j, name in enumerate(joint_names):
            x, y, v = instance.keypoints[j]
            cells = [
                name, f"{x:.1f}", f"{y:.1f}", self.FLAG_TEXT.get(int(v), VISIBILITY_NAMES.get(int(v), str(int(v)))),
                # a joint the user placed is no longer where the model scored it: its old score would mislead
                # a heatmap's peak can pass 1 a little (the flip test's average): shown as the confidence it is
                "" if instance.joint_scores is None or j in placed else f"{min(max(instance.joint_scores[j], 0.0), 1.0):.2f}",
                "" if instance.vis_scores is None else f"{instance.vis_scores[j]:.2f}",
                "yes" if j in placed else "",  # refinement never moves these
            ]
            for c, text in enumerate(cells):
                self.setItem(j, c, QtWidgets.QTableWidgetItem(text))
            self.item(j, 0).setIcon(_swatch(joint_colour(j, len(joint_names))))  # the canvas's colour: the legend
            self.item(j, 0).setToolTip(name)  # whole, when the column cuts it
        # a model that predicts no occlusion has one number per joint, its score: no second column
        self.setColumnHidden(self.VISIBLE_COLUMN, instance.vis_scores is None or (
            instance.joint_scores is not None and np.array_equal(instance.vis_scores, instance.joint_scores)))
        self.resizeColumnsToContents()
        if selected is not None:
            self.selectRow(selected)


class OcclusionView(QtWidgets.QWidget):
    """PR curve and the disagreement queue; ``goto`` asks the window to show a joint."""

    goto = QtCore.Signal(int, int, int)  # frame id, instance id, joint

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", "recall (visible joints)")
        self.plot.setLabel("left", "precision")
        self.plot.setXRange(0, 1)
        self.plot.setYRange(0, 1.02)
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.plot.setMinimumHeight(120)  # small screens: the summary and the queue stay in view
        self.curve = self.plot.plot([], [], pen=pg.mkPen("#8ab4f8", width=2))
        # the PR curve's baseline: the precision of calling every joint visible
        self.baseline = pg.InfiniteLine(angle=0, pen=pg.mkPen("#f28b82", width=1.5, style=QtCore.Qt.PenStyle.DashLine),
                                        label="chance", labelOpts={"position": 0.2, "color": "#f28b82", "anchors": [(0, 1), (0, 1)]})
        self.baseline.setVisible(False)
        self.plot.addItem(self.baseline)
        self.occluded_below = 0.5  # the window keeps it equal to the model panel's threshold
        self.summary = QtWidgets.QLabel("Run a model and annotate visibility to compare them.")
        self.summary.setWordWrap(True)
        self.queue = QtWidgets.QListWidget()
        self.queue.setWordWrap(True)  # each entry in full: frame, joint, the model's call and the flag
        self.queue.setTextElideMode(QtCore.Qt.TextElideMode.ElideNone)
        self.refresh_button = QtWidgets.QPushButton("Refresh")
        self.next_button = QtWidgets.QPushButton("Next disagreement")
        self.next_button.setToolTip("Jump to the next joint whose flag and visibility score disagree (D)")
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.next_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.summary)  # the figures first: on a small screen the plot may scroll away
        layout.addLayout(buttons)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.queue, 1)
        self.queue.currentRowChanged.connect(self._row_chosen)
        self.next_button.clicked.connect(lambda _checked=False: self.next_disagreement())
        self.pairs: VisibilityPairs | None = None
        self.items: list = []
        self._project: Project | None = None
        self.refresh_button.clicked.connect(lambda: self._project is not None and self.refresh(self._project))

    def refresh(self, project: Project) -> None:
        self._project = project
        self.pairs = visibility_pairs(project)
        self.queue.blockSignals(True)
        self.queue.clear()
        if len(self.pairs) == 0 or self.pairs.visible.all() or not self.pairs.visible.any():
            self.curve.setData([], [])
            self.baseline.setVisible(False)
            self.summary.setText(
                f"{len(self.pairs)} labelled joints with visibility scores: a PR curve needs both visible and occluded flags."
            )
            self.items = []
            self.queue.blockSignals(False)
            return
        ap, precision, recall = self.pairs.pr_curve()
        chance = self.pairs.chance()
        occ_ap, occ_chance = self.pairs.occluded_ap()
        self.curve.setData(np.concatenate([[0.0], recall]), np.concatenate([[1.0], precision]))
        self.baseline.setValue(chance / 100.0)
        self.baseline.label.setFormat(f"chance {chance:.1f}")
        self.baseline.setVisible(True)
        self.plot.setYRange(min(0.9 * chance / 100.0, float(precision.min()) - 0.02), 1.02)
        self.items = self.pairs.disagreements(self.occluded_below)
        names = {}
        for ref, why, _strength in self.items:
            skel = names.setdefault(ref.instance_id, project.skeleton(project.instance(ref.instance_id).skeleton))
            where = project.frame_name(project.frame(ref.frame_id))
            self.queue.addItem(f"{where}: {skel.joints[ref.joint]}: {why}")
        verdict = "below chance: the scores rank worse than calling every joint visible" if ap < chance else "above chance"
        self.summary.setText(
            f"Visibility AP {ap:.1f}, chance {chance:.1f} ({verdict}); finding occluded joints: AP {occ_ap:.1f}, "
            f"chance {occ_chance:.1f}. {len(self.pairs)} joints ({int(self.pairs.visible.sum())} visible, "
            f"{int((~self.pairs.visible).sum())} occluded); {len(self.items)} disagree at the occluded-below "
            f"threshold {self.occluded_below:.2f}, most confident first."
        )
        self.queue.blockSignals(False)

    def next_disagreement(self) -> None:
        if not self.items:
            return
        self.queue.setCurrentRow((self.queue.currentRow() + 1) % len(self.items))

    def _row_chosen(self, row: int) -> None:
        if 0 <= row < len(self.items):
            ref = self.items[row][0]
            self.goto.emit(ref.frame_id, ref.instance_id, ref.joint)
