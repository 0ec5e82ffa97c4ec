"""The video seek bar: a slider over the source's frames with labelled and predicted frames
marked, a play button, and the frame number; under the slider, on its frame scale, the track
timeline (gui/track_timeline.py) of the video's walkers."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from poseapp.gui.track_timeline import TrackTimeline

MARK_COLOURS = {"labelled": "#1a73e8", "edited": "#188038", "reviewed": "#8430ce", "predicted": "#e8a100"}


class _MarkedSlider(QtWidgets.QSlider):
    def __init__(self) -> None:
        super().__init__(QtCore.Qt.Orientation.Horizontal)
        self.marks: list[tuple[int, str]] = []

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt name)
        """A click on the groove goes to the clicked frame (a video player's seek bar), not a page
        of frames towards it; a press on the handle drags it as usual."""
        if event.button() == QtCore.Qt.MouseButton.LeftButton:
            option = QtWidgets.QStyleOptionSlider()
            self.initStyleOption(option)
            style, control = self.style(), QtWidgets.QStyle.ComplexControl.CC_Slider
            handle = style.subControlRect(control, option, QtWidgets.QStyle.SubControl.SC_SliderHandle, self)
            if not handle.contains(event.position().toPoint()):
                groove = style.subControlRect(control, option, QtWidgets.QStyle.SubControl.SC_SliderGroove, self)
                span = max(1, groove.width() - handle.width())
                at = int(event.position().x() - groove.x() - handle.width() / 2)
                self.setValue(QtWidgets.QStyle.sliderValueFromPosition(self.minimum(), self.maximum(), at, span))
                event.accept()
                return
        super().mousePressEvent(event)

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt name)
        super().paintEvent(event)
        if not self.marks or self.maximum() <= self.minimum():
            return
        painter = QtGui.QPainter(self)
        option = QtWidgets.QStyleOptionSlider()
        self.initStyleOption(option)
        groove = self.style().subControlRect(QtWidgets.QStyle.ComplexControl.CC_Slider, option,
                                             QtWidgets.QStyle.SubControl.SC_SliderGroove, self)
        span = self.maximum() - self.minimum()
        for index, state in self.marks:
            x = groove.left() + (index - self.minimum()) / span * groove.width()
            painter.setPen(QtGui.QPen(QtGui.QColor(MARK_COLOURS.get(state, "#5f6368")), 2))
            painter.drawLine(QtCore.QPointF(x, groove.bottom() + 1), QtCore.QPointF(x, self.height() - 1))
        painter.end()


class SeekBar(QtWidgets.QWidget):
    seek = QtCore.Signal(int)  # frame index in the source
    play_toggled = QtCore.Signal(bool)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.play_button = QtWidgets.QToolButton()
        self.play_button.setCheckable(True)
        self.play_button.setText("Play")
        self.play_button.setToolTip("Play / pause (Space)")
        # as wide as its wider word: "Play" -> "Pause" moved the seek bar and timeline sideways
        self.play_button.setFixedWidth(max(self.play_button.fontMetrics().horizontalAdvance(w) for w in ("Play", "Pause")) + 16)
        self.slider = _MarkedSlider()
        self.slider.setMinimumHeight(26)
        self.label = QtWidgets.QLabel()
        self.label.setMinimumWidth(110)
        self.timeline = TrackTimeline(self.slider)
        # a grid, so that the timeline has the slider's column and the same frame lies above itself
        layout = QtWidgets.QGridLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setVerticalSpacing(1)
        layout.addWidget(self.play_button, 0, 0)
        layout.addWidget(self.slider, 0, 1)
        layout.addWidget(self.label, 0, 2)
        layout.addWidget(self.timeline, 1, 1)
        layout.setColumnStretch(1, 1)
        self.slider.valueChanged.connect(self._moved)
        self.play_button.toggled.connect(self._toggled)
        self._quiet = False

    def set_source(self, count: int, marks: list[tuple[int, str]]) -> None:
        self._quiet = True
        self.slider.setRange(0, max(0, count - 1))
        self.slider.marks = marks
        self._quiet = False
        self.slider.update()

    def set_marks(self, marks: list[tuple[int, str]]) -> None:
        self.slider.marks = marks
        self.slider.update()

    def set_index(self, index: int) -> None:
        self._quiet = True
        self.slider.setValue(index)
        self._quiet = False
        self.label.setText(f"frame {index} / {self.slider.maximum()}")
        self.timeline.set_index(index)

    def _moved(self, value: int) -> None:
        self.label.setText(f"frame {value} / {self.slider.maximum()}")
        self.timeline.set_index(value)
        if not self._quiet:
            self.seek.emit(value)

    def _toggled(self, playing: bool) -> None:
        self.play_button.setText("Pause" if playing else "Play")
        self.play_toggled.emit(playing)
