"""The heatmap panel: which joint's heatmap (or all), its opacity, and a slider over the
feed-forward output and every recurrent iteration (or cascade stage), with the peak per step."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets


# the combo's first entry: the overlay shows every joint's map (their maximum per pixel) and the
# plot the joints' mean peak; the label and the plot's axis say the same
ALL_JOINTS = "all joints (maps: max, peak: mean)"


class HeatmapPanel(QtWidgets.QGroupBox):
    changed = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__("Heatmaps and iterations", parent)
        self.show_box = QtWidgets.QCheckBox("Show heatmaps (H)")
        self.show_box.setChecked(True)
        self.joint_box = QtWidgets.QComboBox()
        self.opacity = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(60)
        self.stage = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.stage.setRange(0, 0)
        self.stage.setPageStep(1)
        self.stage.setTickPosition(QtWidgets.QSlider.TickPosition.TicksBelow)
        self.stage_label = QtWidgets.QLabel("no prediction on this frame")
        # "person 1 of 2 · iteration ..." may be longer than the dock is wide: it is cut (whole in the
        # tooltip) instead of widening the dock past a 1366-px screen (a wrapped label grew the panel)
        self.stage_label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(110)  # the whole panel fits its tab at 1366x768
        # the axis is ~110 px tall at 1366x768: a short label, the long one in the tooltip
        self.plot.setLabel("left", "peak")
        self.plot.setLabel("bottom", "step")
        self.plot.setToolTip("The heatmap's peak at each step: the selected joint's score, or the mean over joints")
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.plot.setRange(xRange=(-0.3, 2.3), yRange=(0, 1), padding=0)  # an empty plot keeps the usual frame
        self.plot.setMouseEnabled(x=False, y=False)
        self._curve = self.plot.plot([], [], pen=pg.mkPen("#fdd663", width=2), symbol="o", symbolSize=7)
        self._marker = pg.InfiniteLine(angle=90, pen=pg.mkPen("#8ab4f8", style=QtCore.Qt.PenStyle.DashLine))
        self.plot.addItem(self._marker)
        form = QtWidgets.QFormLayout(self)
        form.addRow(self.show_box)
        form.addRow("Joint", self.joint_box)
        form.addRow("Opacity", self.opacity)
        form.addRow("Step", self.stage)
        form.addRow(self.stage_label)
        form.addRow(self.plot)
        for signal in (self.show_box.toggled, self.joint_box.currentIndexChanged, self.opacity.valueChanged, self.stage.valueChanged):
            signal.connect(lambda *_: self.changed.emit())
        self._names: list[str] = []
        self._shown: tuple | None = None  # (peaks bytes, names) last drawn, to redraw only the marker

    def reset(self) -> None:
        """Back to the empty state (no prediction, no joints, first step)."""
        self._names = []
        self.joint_box.blockSignals(True)
        self.joint_box.clear()
        self.joint_box.blockSignals(False)
        self.stage.blockSignals(True)
        self.stage.setRange(0, 0)
        self.stage.blockSignals(False)
        self.show_peaks(None, [])

    def set_joints(self, names: list[str]) -> None:
        if names == self._names:
            return
        self._names = list(names)
        current = self.joint_box.currentIndex()
        self.joint_box.blockSignals(True)
        self.joint_box.clear()
        self.joint_box.addItem(ALL_JOINTS)
        self.joint_box.addItems(names)
        self.joint_box.setCurrentIndex(max(0, min(current, len(names))))
        self.joint_box.blockSignals(False)

    def set_stages(self, names: list[str]) -> None:
        last = max(0, len(names) - 1)
        follow = self.stage.value() == self.stage.maximum()  # stay on the final step when it was shown
        self.stage.blockSignals(True)
        self.stage.setRange(0, last)
        if follow or self.stage.value() > last:
            self.stage.setValue(last)
        self.stage.blockSignals(False)
        self._stage_names = names

    def joint(self) -> int | None:
        """The selected joint, or None for all joints."""
        index = self.joint_box.currentIndex()
        return None if index <= 0 else index - 1

    def step(self, delta: int) -> None:
        self.stage.setValue(max(0, min(self.stage.maximum(), self.stage.value() + delta)))

    def show_peaks(self, peaks: np.ndarray | None, names: list[str], note: str | None = None, who: str = "") -> None:
        """The peak per step of one person's prediction (``who`` names them when the frame has
        several); ``note`` says why there is none."""
        t = self.stage.value()
        if peaks is None or len(peaks) == 0:
            self._curve.setData([], [])
            self._shown = None
            self.plot.getAxis("bottom").setTicks(None)
            self.plot.setRange(xRange=(-0.3, 2.3), yRange=(0, 1), padding=0)
            self.stage_label.setText(note or "no prediction on this frame: run the model (Ctrl+R)")
            return
        key = (np.asarray(peaks).tobytes(), tuple(names))
        if key != self._shown:  # new curve: axes and ticks change; a step change only moves the marker
            self._shown = key
            self._curve.setData(np.arange(len(peaks)), peaks)
            short = [n.replace("feed-forward", "FF").replace("iteration ", "it ") for n in names]
            self.plot.getAxis("bottom").setTicks([list(enumerate(short))])
            self.plot.setXRange(-0.3, len(peaks) - 0.7, padding=0)
            # a heatmap peak can pass 1 (a sharp Gaussian fitted by regression): the axis follows it
            self.plot.setYRange(0, max(1.0, float(np.max(peaks)) * 1.05), padding=0)
        self._marker.setValue(t)
        which = "all joints: mean peak" if self.joint() is None else f"{self._names[self.joint()]}: peak"
        self.stage_label.setText(f"{names[t]} ({t + 1} of {len(names)}) · {who + ' · ' if who else ''}{which} {peaks[t]:.2f}")
        self.stage_label.setToolTip(self.stage_label.text())
        self.plot.setLabel("left", "mean peak" if self.joint() is None else "joint peak")
