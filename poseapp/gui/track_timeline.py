"""The track timeline under the video seek bar: where each tracked walker (``#id``) has a person,
as coloured segments in the id's colour, on the seek bar's own frame scale. Ids that never share
a frame share a lane (a Gantt chart's packing), so a video with dozens of short-lived ids still
fits in a few lanes at 1366x768. Ticks mark the frames where the user corrected that walker; a
line marks the frame shown. A click on a segment goes to that frame and selects that walker."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6 import QtCore, QtGui, QtWidgets

from poseapp.store.tracks import TrackMark, segments

# distinct, fairly dark colours (white text reads on most of them; the light ones get black text)
TRACK_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
                 "#bcbd22", "#393b79", "#637939", "#ad494a"]
MAX_HEIGHT = 92  # px: the canvas keeps its room at 1366x768 however many lanes there are
ROW_HEIGHT = 13  # px per lane while they fit; fewer px when there are many lanes
MIN_ROW_HEIGHT = 4
# the height grows by this many lanes at a time: each new walker added with Shift+N took a lane, and
# the canvas above shrank and the picture moved ~7 px under the cursor between two people
LANES_AT_A_TIME = 3
LANE_GAP = 3  # frames between two ids sharing a lane, so their segments never touch


def track_colour(track: int) -> QtGui.QColor:
    """The colour of ``#track`` here and on the canvas, so a segment names its walker."""
    return QtGui.QColor(TRACK_COLOURS[track % len(TRACK_COLOURS)])


def text_colour(background: QtGui.QColor) -> QtGui.QColor:
    light = 0.299 * background.red() + 0.587 * background.green() + 0.114 * background.blue() > 150
    return QtGui.QColor("black" if light else "white")


@dataclass
class TrackRow:
    track: int
    segments: list[tuple[int, int]]
    corrected: list[int] = field(default_factory=list)
    lane: int = 0
    people: int = 0

    @property
    def first(self) -> int:
        return self.segments[0][0]

    @property
    def last(self) -> int:
        return self.segments[-1][1]

    def describe(self) -> str:
        spans = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in self.segments[:6])
        more = f" and {len(self.segments) - 6} more stretches" if len(self.segments) > 6 else ""
        fixed = f", {len(self.corrected)} corrected" if self.corrected else ""
        return f"#{self.track}: frames {spans}{more} ({self.people} people{fixed})"


def pack_lanes(rows: list[TrackRow]) -> int:
    """Give each row a lane, ids that never overlap in time sharing one; returns the lane count."""
    ends: list[int] = []  # the last frame taken in each lane
    for row in sorted(rows, key=lambda r: (r.first, r.track)):
        lane = next((n for n, end in enumerate(ends) if end + LANE_GAP < row.first), None)
        if lane is None:
            ends.append(row.last)
            lane = len(ends) - 1
        ends[lane] = row.last
        row.lane = lane
    return len(ends)


class TrackTimeline(QtWidgets.QWidget):
    go = QtCore.Signal(int, int)  # frame index, track id

    def __init__(self, slider: QtWidgets.QSlider, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.slider = slider  # the seek bar's slider: the timeline draws frames where it does
        self.rows: list[TrackRow] = []
        self.lanes = 0
        self.count = 0
        self.index = 0
        self.selected_track: int | None = None
        self.setMouseTracking(True)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed)
        self.setVisible(False)

    # ------------------------------------------------------------------ data
    def set_tracks(self, count: int, marks: list[TrackMark]) -> None:
        by_track: dict[int, list[TrackMark]] = {}
        for mark in marks:
            by_track.setdefault(mark.track, []).append(mark)
        self.rows = [TrackRow(track, segments([m.index for m in ms]), sorted({m.index for m in ms if m.hand_made}),
                              people=len(ms)) for track, ms in sorted(by_track.items())]
        self.lanes = pack_lanes(self.rows)
        self.count = count
        room = min(-(-self.lanes // LANES_AT_A_TIME) * LANES_AT_A_TIME * ROW_HEIGHT, MAX_HEIGHT - 2)
        self.setFixedHeight(max(room, self.lanes * self.row_height()) + 2 if self.rows else 0)
        self.setVisible(bool(self.rows))
        self.update()

    def set_index(self, index: int) -> None:
        self.index = index
        self.update()

    def set_selected_track(self, track: int | None) -> None:
        if track != self.selected_track:
            self.selected_track = track
            self.update()

    def row_height(self) -> int:
        if self.lanes == 0:
            return ROW_HEIGHT
        return max(MIN_ROW_HEIGHT, min(ROW_HEIGHT, (MAX_HEIGHT - 2) // self.lanes))

    # ------------------------------------------------------------------ geometry
    def _groove(self) -> tuple[float, float]:
        """(left, width) of the slider's groove in this widget's coordinates."""
        option = QtWidgets.QStyleOptionSlider()
        self.slider.initStyleOption(option)
        groove = self.slider.style().subControlRect(QtWidgets.QStyle.ComplexControl.CC_Slider, option,
                                                    QtWidgets.QStyle.SubControl.SC_SliderGroove, self.slider)
        left = self.mapFromGlobal(self.slider.mapToGlobal(groove.topLeft())).x()
        return float(left), float(max(1, groove.width()))

    def frame_x(self, index: float) -> float:
        left, width = self._groove()
        return left + index / max(1, self.count - 1) * width

    def frame_at(self, x: float) -> int:
        left, width = self._groove()
        return int(round(min(max((x - left) / width, 0.0), 1.0) * max(0, self.count - 1)))

    def row_at(self, pos: QtCore.QPointF) -> TrackRow | None:
        """The track whose segment (or the stretch between its segments) is under ``pos``."""
        lane = int(pos.y() - 1) // self.row_height()
        index = self.frame_at(pos.x())
        slack = max(1, round(4 / max(1e-6, self.frame_x(1) - self.frame_x(0))))  # 4 px either side
        for row in self.rows:
            if row.lane == lane and row.first - slack <= index <= row.last + slack:
                return row
        return None

    @staticmethod
    def nearest_frame(row: TrackRow, index: int) -> int:
        """``index`` when the track has a person there, else the nearest frame where it has one."""
        best = None
        for a, b in row.segments:
            near = min(max(index, a), b)
            if best is None or abs(near - index) < abs(best - index):
                best = near
        return best if best is not None else index

    # ------------------------------------------------------------------ drawing and clicks
    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 (Qt name)
        if not self.rows:
            return
        painter = QtGui.QPainter(self)
        painter.fillRect(self.rect(), QtGui.QColor("#f1f3f4"))
        h = self.row_height()
        font = painter.font()
        font.setPixelSize(max(8, h - 3))
        painter.setFont(font)
        metrics = QtGui.QFontMetrics(font)
        step = self.frame_x(1) - self.frame_x(0)
        for row in self.rows:
            top = 1 + row.lane * h
            chosen = row.track == self.selected_track
            # with a walker selected, the other tracks fade a little so that theirs stands out
            colour = track_colour(row.track) if chosen or self.selected_track is None else track_colour(row.track).lighter(125)
            for a, b in row.segments:
                x0, x1 = self.frame_x(a) - step / 2, self.frame_x(b) + step / 2
                rect = QtCore.QRectF(x0, top + 1, max(2.0, x1 - x0), h - 2)
                painter.fillRect(rect, colour)
                if chosen:
                    painter.setPen(QtGui.QPen(QtGui.QColor("black"), 1.5))
                    painter.drawRect(rect)
            for index in row.corrected:  # the user's corrections of this walker
                x = self.frame_x(index)
                painter.fillRect(QtCore.QRectF(x - 1, top, 2.5, h), QtGui.QColor("black"))
            label = f"#{row.track}"
            a, b = max(row.segments, key=lambda s: s[1] - s[0])
            x0, x1 = self.frame_x(a) - step / 2, self.frame_x(b) + step / 2
            if h >= 9 and metrics.horizontalAdvance(label) + 4 <= x1 - x0:
                painter.setPen(text_colour(colour))
                painter.drawText(QtCore.QRectF(x0 + 2, top, x1 - x0 - 2, h), QtCore.Qt.AlignmentFlag.AlignVCenter, label)
        x = self.frame_x(self.index)
        painter.setPen(QtGui.QPen(QtGui.QColor("#202124"), 1.5))
        painter.drawLine(QtCore.QPointF(x, 0), QtCore.QPointF(x, self.height()))
        painter.end()

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt name)
        row = self.row_at(event.position())
        self.setToolTip(f"{row.describe()}\nClick: go to frame {self.nearest_frame(row, self.frame_at(event.position().x()))} "
                        f"and select #{row.track}" if row is not None else "")
        super().mouseMoveEvent(event)

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt name)
        row = self.row_at(event.position()) if event.button() == QtCore.Qt.MouseButton.LeftButton else None
        if row is None:
            super().mousePressEvent(event)
            return
        event.accept()
        self.go.emit(self.nearest_frame(row, self.frame_at(event.position().x())), row.track)
