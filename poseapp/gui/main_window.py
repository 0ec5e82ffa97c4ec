"""The main window: project browser on the left, the frame canvas in the middle, menus and keys."""

from __future__ import annotations

import re
from pathlib import Path
from collections import OrderedDict
from typing import Any, Callable

from PySide6 import QtCore, QtGui, QtWidgets

from poseapp.core.errors import PoseAppError
from poseapp.core.events import FrameStateChanged, InstanceAdded, InstanceChanged, InstanceRemoved
from poseapp.gui.adding import AddingMixin, PromptWidthFollower
from poseapp.gui.canvas import FrameCanvas
from poseapp.gui.editing import EditingMixin
from poseapp.gui.frame_admin import FrameAdminMixin
from poseapp.gui.frame_list import FrameListModel
from poseapp.gui.heatmap_panel import HeatmapPanel
from poseapp.gui.inspector import JointTable, OcclusionView
from poseapp.gui.jobs import Job
from poseapp.gui.menus import MenusMixin
from poseapp.gui.messages import MessageLog
from poseapp.gui.model_panel import ModelPanel
from poseapp.gui.model_runs import ModelRunsMixin
from poseapp.gui.project_actions import ProjectActionsMixin
from poseapp.gui.refining import RefiningMixin
from poseapp.gui.retrain_panel import RetrainPanel
from poseapp.gui.runtime_loader import RuntimeLoader
from poseapp.gui.seek_bar import SeekBar
from poseapp.gui.session import SessionMixin
from poseapp.gui.tracks import TracksMixin
from poseapp.media.frames import FrameLoader
from poseapp.media.relocate import missing_sources
from poseapp.store import FRAME_STATES, Project


class WheelScrollsPanel(QtCore.QObject):
    """Over a plot in a scrolling panel, the mouse wheel scrolls the panel (it zoomed the plot)."""

    def __init__(self, plot: QtWidgets.QAbstractScrollArea, parent: QtCore.QObject | None = None):
        super().__init__(parent or plot)
        self.plot = plot
        plot.viewport().installEventFilter(self)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QtCore.QEvent.Type.Wheel:
            area = self.plot.parent()
            while area is not None and not isinstance(area, QtWidgets.QScrollArea):
                area = area.parent()
            if area is not None:
                QtWidgets.QApplication.sendEvent(area.verticalScrollBar(), event)
            return True
        return False


class ListKeepsItsKeys(QtCore.QObject):
    """With the frame list in focus, Up/Down (Shift: extend the selection) and PgUp/PgDn act in
    the list as in any list: the window's frame-stepping shortcuts took them, so Shift+Down jumped
    10 frames instead of selecting the next row (a walk selected 20 frames so, and ran on 1)."""

    KEYS = {QtCore.Qt.Key.Key_Up, QtCore.Qt.Key.Key_Down, QtCore.Qt.Key.Key_PageUp, QtCore.Qt.Key.Key_PageDown,
            QtCore.Qt.Key.Key_Home, QtCore.Qt.Key.Key_End}

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QtCore.QEvent.Type.ShortcutOverride and event.key() in self.KEYS and not (
                event.modifiers() & ~(QtCore.Qt.KeyboardModifier.ShiftModifier | QtCore.Qt.KeyboardModifier.ControlModifier
                                      | QtCore.Qt.KeyboardModifier.KeypadModifier)):
            event.accept()  # the list takes the key; the shortcut stays for everywhere else
            return True
        return False


def scrolling(widget: QtWidgets.QWidget) -> QtWidgets.QScrollArea:
    """A dock's content in a scroll area: on a small screen (1280x720) the dock scrolls instead of
    forcing the window taller than the screen."""
    area = QtWidgets.QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    return area


class ProjectSignals(QtCore.QObject):
    """The store's typed events as Qt signals (payload: a core.events dataclass), delivered queued
    so views update on the GUI thread whoever edited, and never inside the handler of the item a
    redraw would delete."""

    instances_edited = QtCore.Signal(object)  # InstanceAdded, InstanceChanged or InstanceRemoved
    frame_state_changed = QtCore.Signal(object)  # FrameStateChanged

    STORE_EVENTS = {"instance_added": "instances_edited", "instance_changed": "instances_edited",
                    "instance_removed": "instances_edited", "frame_state_changed": "frame_state_changed"}

    def connect_project(self, project) -> list[tuple]:
        """Subscribe to ``project``; returns (store signal, callback) pairs to disconnect later."""
        pairs = []
        for store_name, qt_name in self.STORE_EVENTS.items():
            signal, callback = getattr(project.events, store_name), getattr(self, qt_name).emit
            signal.connect(callback)
            pairs.append((signal, callback))
        return pairs


class MainWindow(MenusMixin, MessageLog, TracksMixin, ProjectActionsMixin, SessionMixin, FrameAdminMixin, EditingMixin, AddingMixin, ModelRunsMixin, RefiningMixin,
                 QtWidgets.QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.project: Project | None = None
        self.loader: FrameLoader | None = None
        self.model: FrameListModel | None = None
        self.current_frame_id: int | None = None
        self.broken: dict[int, str] = {}  # frames whose image cannot be decoded, and why
        self.last_error: str | None = None
        self.last_warning: str | None = None  # the last import summary with notes, for tests and the curious
        self.project_signals = ProjectSignals()
        queued = QtCore.Qt.ConnectionType.QueuedConnection
        self.project_signals.instances_edited.connect(self._on_instances_edited, queued)
        self.project_signals.frame_state_changed.connect(self._on_frame_state_changed, queued)
        self.undo_stack = QtGui.QUndoStack(self)
        self.selected: tuple[int, int] | None = None  # (instance id, joint)
        self.nudge_armed = True  # the arrow keys nudge the selected joint (False: a timeline selection; they step frames)
        self._listeners: list[tuple[Any, Callable]] = []

        self.canvas = FrameCanvas()
        self.canvas.joint_clicked.connect(self.select_joint)
        self.canvas.joint_dropped.connect(self.move_joint)
        self.canvas.box_changed.connect(self.set_box)
        self.frame_list = QtWidgets.QListView()
        self.frame_list.setUniformItemSizes(True)  # lets Qt skip measuring 100,000 rows
        self.frame_list.setTextElideMode(QtCore.Qt.TextElideMode.ElideMiddle)  # a long name keeps its [state] in view
        self.frame_list.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection)
        self.frame_list.installEventFilter(ListKeepsItsKeys(self.frame_list))
        self.state_filter = QtWidgets.QComboBox()
        self.state_filter.addItems(["all frames", *FRAME_STATES])
        self.state_filter.currentIndexChanged.connect(self._refilter)
        left = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(left)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.state_filter)
        layout.addWidget(self.frame_list)
        self.seek_bar = SeekBar()
        self.seek_bar.setVisible(False)
        self.seek_bar.seek.connect(self._seek_video)
        self.seek_bar.play_toggled.connect(self._play)
        self._play_timer = QtCore.QTimer(self)
        self._play_timer.timeout.connect(self._play_tick)
        centre = QtWidgets.QWidget()
        centre_layout = QtWidgets.QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        # Says when this window may not save edits (another process holds the project, or the file is read-only).
        self.read_only_banner = QtWidgets.QLabel()
        self.read_only_banner.setObjectName("read_only_banner")
        self.read_only_banner.setWordWrap(True)
        self.read_only_banner.setStyleSheet("background: #ffd54f; color: black; padding: 4px; font-weight: bold")
        self.read_only_banner.setVisible(False)
        self.read_only_banner.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.read_only_banner.linkActivated.connect(self._edit_here)
        self._holder_watch = QtCore.QTimer(self, interval=2000)  # while read-only: has the writer let go?
        self._holder_watch.timeout.connect(self._check_holder)
        centre_layout.addWidget(self.read_only_banner)
        # What the canvas expects next while a person is added. It floats over the canvas's top edge:
        # in the layout it shrank the canvas as it appeared, so the image moved under the cursor
        # between the user aiming and clicking the first joint.
        self.prompt = QtWidgets.QLabel(self.canvas)
        self.prompt.setObjectName("add_prompt")
        self.prompt.setStyleSheet("background: rgba(0, 188, 212, 225); color: black; padding: 3px; font-weight: bold")
        self.prompt.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.prompt.setWordWrap(True)  # a narrow window wraps it instead of cutting it off
        self.prompt.setVisible(False)
        self.canvas.installEventFilter(PromptWidthFollower(self.prompt, self))
        self.canvas.scene().sigMouseMoved.connect(self._prompt_out_of_the_way)
        self.canvas.view.box_drawn.connect(self._box_drawn)
        self.canvas.view.point_placed.connect(self._point_placed)
        centre_layout.addWidget(self.canvas, 1)
        centre_layout.addWidget(self.seek_bar)
        splitter = QtWidgets.QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(centre)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 1000])
        self.setCentralWidget(splitter)
        self.frame_info = QtWidgets.QLabel()
        # a long message on the left is not cut by the frame text on the right: that one takes at most
        # 400 px of a 1366 px window (its full text is its tooltip)
        self.frame_info.setMaximumWidth(400)
        self.statusBar().addPermanentWidget(self.frame_info)
        self.statusBar().messageChanged.connect(self._make_room_for_message)
        self._start_message_log()  # Help > Recent messages: what the status bar said, whole
        # a background job's progress (frames/s, time left) shows whichever tab is in front
        self.status_progress = QtWidgets.QProgressBar()
        self.status_progress.setMaximumWidth(260)
        self.status_progress.setVisible(False)
        self.statusBar().addPermanentWidget(self.status_progress)
        self.model_panel = ModelPanel()
        self.heatmap_panel = HeatmapPanel()
        # The model and the heatmaps are two tabs of one dock: at 1366x768 the heatmap panel below
        # the model panel sat entirely below the fold of a 350 px dock. (A QTabWidget, not two
        # tabified docks: QMainWindow left a stray copy of their tab bar over the frame list.)
        self.side_tabs = QtWidgets.QTabWidget()
        self.side_tabs.setObjectName("side_tabs")
        for title, panel in (("Model", self.model_panel), ("Heatmaps", self.heatmap_panel)):
            side = QtWidgets.QWidget()
            side_layout = QtWidgets.QVBoxLayout(side)
            side_layout.setContentsMargins(4, 4, 4, 4)
            side_layout.addWidget(panel)
            side_layout.addStretch(1)
            self.side_tabs.addTab(scrolling(side), title)
        # the Heatmaps tab brought to the front shows this frame's maps (recomputed when not kept)
        self.side_tabs.currentChanged.connect(lambda _i: self.project is not None and self._update_heatmaps())
        dock = QtWidgets.QDockWidget("Model and heatmaps", self)
        dock.setObjectName("model_dock")
        dock.setWidget(self.side_tabs)
        dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.resizeDocks([dock], [400], QtCore.Qt.Orientation.Horizontal)
        self.joint_table = JointTable()
        self.occlusion_view = OcclusionView()
        joints_dock = QtWidgets.QDockWidget("Joints", self)
        joints_dock.setObjectName("joints_dock")
        joints_dock.setWidget(self.joint_table)
        occlusion_dock = QtWidgets.QDockWidget("Occlusion", self)
        occlusion_dock.setObjectName("occlusion_dock")
        occlusion_dock.setWidget(scrolling(self.occlusion_view))
        self.retrain_panel = RetrainPanel()
        for plot in (self.heatmap_panel.plot, self.retrain_panel.loss_plot, self.retrain_panel.pck_plot):
            WheelScrollsPanel(plot)
        retrain_dock = QtWidgets.QDockWidget("Retrain", self)
        retrain_dock.setObjectName("retrain_dock")
        retrain_dock.setWidget(scrolling(self.retrain_panel))
        self.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, joints_dock)
        self.tabifyDockWidget(joints_dock, occlusion_dock)
        self.tabifyDockWidget(occlusion_dock, retrain_dock)
        # the joint table gets the room for a COCO-17 person's 17 rows; the model tab scrolls its rest
        self.resizeDocks([dock, joints_dock], [345, 395], QtCore.Qt.Orientation.Vertical)
        self.model_panel.needs_room.connect(lambda px: self._grow_model_dock(dock, joints_dock, px))
        self.retrain_dock = retrain_dock
        self.retrain_panel.start_button.clicked.connect(lambda _checked=False: self.start_retrain())
        self.retrain_panel.model_ready.connect(self._retrained)
        self.retrain_panel.failed.connect(lambda message: self.report_error(f"Fine-tuning failed: {message}"))
        # the plan (what it trains and validates on, what it skips) is read before Ctrl+T, not after
        retrain_dock.visibilityChanged.connect(lambda shown: shown and self.preview_retrain())
        # the time per epoch, measured in the background, joins the plan on show
        self.retrain_panel.timer.measured.connect(lambda: self._retrain_tab_in_front() and self.preview_retrain())
        joints_dock.raise_()
        self.occlusion_dock = occlusion_dock
        occlusion_dock.visibilityChanged.connect(lambda shown: shown and self.project is not None and self.occlusion_view.refresh(self.project))
        self.joint_table.joint_chosen.connect(self.select_joint)
        self.occlusion_view.goto.connect(self.goto_joint)
        self.model_panel.occluded_below.valueChanged.connect(self._occlusion_threshold_changed)
        self.model_panel.run_frame.connect(self.run_model_on_frame)
        self.model_panel.run_source.connect(self.run_model_on_source)
        self.model_panel.cancel.connect(self.cancel_job)
        self.model_panel.problem.connect(self.report_error)
        self.model_panel.box_file_taken.connect(self._say_box_file_coverage)
        self.heatmap_panel.changed.connect(self._update_heatmaps)
        self.results: OrderedDict[int, Any] = OrderedDict()  # frame id -> FrameResult, with heatmaps
        self._heatmap_versions = {}
        self._predictors: dict[tuple[str, str, bool], Any] = {}  # (model folder, device, flip test)
        self.job: Job | None = None
        # the frame the user is on is written a moment after they stop on it (not at every frame of
        # playback), so a crash or a kill reopens where they were, not where they last quit cleanly
        self._remember_timer = QtCore.QTimer(self, singleShot=True, interval=1000)
        self._remember_timer.timeout.connect(self.remember_frame)
        self.comparison = None  # the Compare models window, made on first use
        self._build_actions()
        self._update_title()
        self.statusBar().showMessage("Open a project (Ctrl+O) or create one (Ctrl+N), then import data (Ctrl+I).")
        self.runtime_loader = RuntimeLoader(self)  # PyTorch, in a thread, after the window opens
        self.runtime_loader.loaded.connect(self.model_panel.runtime_loaded)
        self.runtime_loader.failed.connect(self.report_error)
        self.runtime_loader.start()

    # ------------------------------------------------------------------ navigation and drawing
    def _refilter(self) -> None:
        if self.project is None:
            return
        state = self.state_filter.currentText()
        self.model = FrameListModel(self.project, None if state == "all frames" else state, self.broken)
        self.frame_list.setModel(self.model)
        self.frame_list.selectionModel().currentChanged.connect(self._on_row_changed)
        self.frame_list.selectionModel().selectionChanged.connect(lambda *_: self._name_run_button())
        row = self.model.row_of(self.current_frame_id) if self.current_frame_id is not None else None
        self._go_row(row if row is not None else 0)

    def _on_row_changed(self, current: QtCore.QModelIndex, _previous: QtCore.QModelIndex) -> None:
        if current.isValid() and self.model is not None:
            self.show_frame(self.model.frame_id(current.row()))

    def _go_row(self, row: int) -> None:
        if self.model is None or self.model.rowCount() == 0:
            self.canvas.clear_frame()
            self.frame_info.setText("no frames")
            return
        row = row % self.model.rowCount() if row < 0 else min(row, self.model.rowCount() - 1)
        index = self.model.index(row)
        # explicitly one row: the view's own setCurrentIndex reads the keyboard's modifiers, so a
        # frame change made by Ctrl+Z (an undo on another frame) would add to the selection
        flags = QtCore.QItemSelectionModel.SelectionFlag
        self.frame_list.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)
        self.frame_list.scrollTo(index)
        if self.current_frame_id != self.model.frame_id(row):
            self.show_frame(self.model.frame_id(row))

    def step(self, n: int) -> None:
        if self.model is None or self.current_frame_id is None:
            return
        row = self.model.row_of(self.current_frame_id)
        if row is not None:
            self._go_row(max(0, min(self.model.rowCount() - 1, row + n)))

    def show_frame(self, frame_id: int) -> None:
        assert self.project is not None and self.loader is not None
        if frame_id != self.current_frame_id:
            self.selected = None
            self.canvas.clear_flash()  # the refinement rings belong to the frame they were shown on
            if self.adding():
                self.leave_adding()  # a person half placed is kept on the frame it was started on
        self.current_frame_id = frame_id
        self._remember_timer.start()
        frame = self.project.frame(frame_id)
        try:
            image = self.loader.read(frame)
        except PoseAppError as exc:
            self.canvas.clear_frame()
            if any(s.id == frame.source_id for s in missing_sources(self.project)):
                # told once on opening; stepping through a moved source must not pile up dialogs
                self.frame_info.setText(f"{self.project.frame_name(frame)}: source missing (File > Locate missing sources)")
                self.statusBar().showMessage(str(exc), 5000)
            else:  # a broken image: marked in the list and said here, never a dialog on every visit
                self.broken[frame_id] = str(exc)
                if self.model is not None:
                    self.model.mark_broken(frame_id, str(exc))
                self.frame_info.setText(f"{self.project.frame_name(frame)}: broken image (Edit > Remove selected frames)")
                self.statusBar().showMessage(str(exc), 8000)
            return
        instances = self.project.instances(frame_id)
        skeletons = {i.skeleton: self.project.skeleton(i.skeleton) for i in instances}
        self.canvas.show_frame(image, instances, skeletons)
        if self.selected is not None and all(i.id != self.selected[0] for i in instances):
            self.selected = None
        self.canvas.select(*(self.selected or (None, None)))
        if getattr(self, "_box_editing", False):
            self.canvas.edit_box(self.selected[0] if self.selected else None)
        self._refresh_joint_table()
        self._update_heatmaps()
        self._update_seek_bar(frame)
        self._show_frame_info(frame, len(instances))

    JOINTS_DOCK_KEEPS = 220  # px: the joint table still shows a dozen rows when the model dock grows

    def _grow_model_dock(self, dock: QtWidgets.QDockWidget, joints_dock: QtWidgets.QDockWidget, px: int) -> None:
        spare = max(0, joints_dock.height() - self.JOINTS_DOCK_KEEPS)
        grow = min(px + 4, spare)
        if grow > 0:
            self.resizeDocks([dock, joints_dock], [dock.height() + grow, joints_dock.height() - grow], QtCore.Qt.Orientation.Vertical)

    def _make_room_for_message(self, message: str) -> None:
        """A message too long for the room the frame text leaves hides that text while it shows."""
        room = self.statusBar().width() - self.frame_info.sizeHint().width() - 60
        self.frame_info.setVisible(not message or self.statusBar().fontMetrics().horizontalAdvance(message) <= room)

    def _show_frame_info(self, frame, people: int) -> None:
        name = self.project.frame_name(frame)
        text = f"{name}  {frame.width}x{frame.height}  {people} instance(s)  [{frame.state}]"
        self.frame_info.setToolTip(text)
        # the name gives way, the size, people and [state] stay readable
        tail = f"  {frame.width}x{frame.height}  {people} instance(s)  [{frame.state}]"
        room = self.frame_info.maximumWidth() - self.frame_info.fontMetrics().horizontalAdvance(tail) - 8
        short = self.frame_info.fontMetrics().elidedText(name, QtCore.Qt.TextElideMode.ElideMiddle, max(room, 40))
        self.frame_info.setText(short + tail)

    # ------------------------------------------------------------------ video
    def _update_seek_bar(self, frame) -> None:
        source = self.project.source(frame.source_id)
        if source.kind != "video":
            self.seek_bar.setVisible(False)
            self.seek_bar.play_button.setChecked(False)
            return
        if self.seek_bar.isHidden() or getattr(self, "_seek_source", None) != source.id:
            self._seek_source = source.id
            self.seek_bar.set_source(self.project.frame_count(source.id), self.project.frame_states(source.id))
            self.seek_bar.setVisible(True)
            self._refresh_track_timeline()
        self.seek_bar.set_index(frame.index)
        self._show_selected_track()

    def _seek_video(self, index: int) -> None:
        frame = self.project.frame_by_index(self._seek_source, index) if self.project is not None else None
        if frame is None:
            return
        row = self.model.row_of(frame.id)
        if row is None:  # filtered out of the list: show it anyway
            self.show_frame(frame.id)
        else:
            self._go_row(row)

    def _play(self, playing: bool) -> None:
        if not playing:
            self._play_timer.stop()
            return
        if self.project is None or self._seek_source is None or not self._in_video():
            self.seek_bar.play_button.setChecked(False)  # Space on a photo: nothing to play
            self.statusBar().showMessage("Space plays a video; this frame is a photo", 4000)
            return
        fps = float(self.project.source(self._seek_source).extra.get("fps") or 10.0) if self.project else 10.0
        self._play_timer.start(max(15, int(1000 / max(fps, 1.0))))

    def _play_tick(self) -> None:
        if self.seek_bar.slider.value() >= self.seek_bar.slider.maximum():
            self.seek_bar.play_button.setChecked(False)
            return
        self._seek_video(self.seek_bar.slider.value() + 1)

    def ask_jump(self) -> None:
        if self.model is None:
            return
        if self._in_video():
            prompt = f"Frame number in this video (0 to {self.seek_bar.slider.maximum()}), or a file name:"
        else:
            prompt = f"Row number in the frame list (0 to {self.model.rowCount() - 1}), or part of a file name:"
        text, ok = QtWidgets.QInputDialog.getText(self, "Jump to frame", prompt)
        if ok and text.strip():
            self.jump_to(text.strip())

    def _in_video(self) -> bool:
        return self.seek_bar.isVisible() and getattr(self, "_seek_source", None) is not None

    def jump_to(self, text: str) -> bool:
        """A number is a frame of the video shown (a video user counts frames), else a file of that
        name without its extension, else a row of the list; anything else the first frame whose name
        contains it."""
        if self.model is None:
            return False
        # "frame 54" and "#54" as the status bar and the list name a video frame
        text = re.sub(r"^(?:frame\s*|#\s*)(\d+)$", r"\1", text.strip(), flags=re.IGNORECASE)
        if text.isdigit() and self._in_video():
            frame = self.project.frame_by_index(self._seek_source, int(text))
            if frame is None:
                self.statusBar().showMessage(f"This video has no frame {text} (0 to {self.seek_bar.slider.maximum()}).", 5000)
                return False
            self._go_frame(frame.id)
            return True
        if text.isdigit():
            # a COCO-style name typed without its extension (000000000785) is that file, not row 785
            named = next((row for row in range(self.model.rowCount())
                          if Path(str(self.model.data(self.model.index(row))).split()[0]).stem == text), None)
            if named is not None:
                self._go_row(named)
                return True
            if int(text) >= self.model.rowCount():
                self.statusBar().showMessage(f"The frame list has no row {text} (0 to {self.model.rowCount() - 1}).", 5000)
                return False
            self._go_row(int(text))
            return True
        for row in range(self.model.rowCount()):
            if text in self.model.data(self.model.index(row)):
                self._go_row(row)
                return True
        self.statusBar().showMessage(f"No frame matches {text!r}", 5000)
        return False

    def _on_frame_state_changed(self, event: FrameStateChanged) -> None:
        if self.model is None or self.project is None:
            return
        self.model.frame_state_changed(event.frame_id, event.state)
        if self.seek_bar.isVisible():
            self.seek_bar.set_marks(self.project.frame_states(self._seek_source))
        if event.frame_id == self.current_frame_id:  # the status bar shows the new state
            frame = self.project.frame(event.frame_id)
            self._show_frame_info(frame, len(self.project.instances(frame.id)))

    def _on_instances_edited(self, event: InstanceAdded | InstanceChanged | InstanceRemoved) -> None:
        if isinstance(event, InstanceChanged):
            self._match_heatmaps(event.new)
        if self.project is not None and self.current_frame_id is not None and event.frame_id == self.current_frame_id:
            self.show_frame(self.current_frame_id)

    def _occlusion_threshold_changed(self, value: float) -> None:
        self.occlusion_view.occluded_below = value
        if self.project is not None and self.occlusion_view.pairs is not None:
            self.occlusion_view.refresh(self.project)

    def _update_title(self) -> None:
        self.setWindowTitle(f"poseapp - {self.project.path.name}" if self.project else "poseapp")
