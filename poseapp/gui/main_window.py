"""The main window: project browser on the left, the frame canvas in the middle, menus and keys."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

from PySide6 import QtCore, QtGui, QtWidgets

from poseapp.core.errors import PoseAppError
from poseapp.core.events import FrameStateChanged, InstanceAdded, InstanceChanged, InstanceRemoved
from poseapp.gui.adding import AddingMixin
from poseapp.gui.canvas import FrameCanvas
from poseapp.gui.editing import EditingMixin
from poseapp.gui.frame_admin import FrameAdminMixin
from poseapp.gui.frame_list import FrameListModel
from poseapp.gui.heatmap_panel import HeatmapPanel
from poseapp.gui.inspector import JointTable, OcclusionView
from poseapp.gui.jobs import Job
from poseapp.gui.model_panel import ModelPanel
from poseapp.gui.model_runs import ModelRunsMixin
from poseapp.gui.project_actions import ProjectActionsMixin
from poseapp.gui.retrain_panel import RetrainPanel
from poseapp.gui.seek_bar import SeekBar
from poseapp.gui.session import SessionMixin
from poseapp.media.frames import FrameLoader
from poseapp.media.relocate import missing_sources
from poseapp.store import FRAME_STATES, Project


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


class MainWindow(ProjectActionsMixin, SessionMixin, FrameAdminMixin, EditingMixin, AddingMixin, ModelRunsMixin, QtWidgets.QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.project: Project | None = None
        self.loader: FrameLoader | None = None
        self.model: FrameListModel | None = None
        self.current_frame_id: int | None = None
        self.broken: dict[int, str] = {}
        self.check_job: Job | None = None  # decoding freshly imported images  # frames whose image cannot be decoded, and why
        self.last_error: str | None = None
        self.project_signals = ProjectSignals()
        queued = QtCore.Qt.ConnectionType.QueuedConnection
        self.project_signals.instances_edited.connect(self._on_instances_edited, queued)
        self.project_signals.frame_state_changed.connect(self._on_frame_state_changed, queued)
        self.undo_stack = QtGui.QUndoStack(self)
        self.selected: tuple[int, int] | None = None  # (instance id, joint)
        self._listeners: list[tuple[Any, Callable]] = []

        self.canvas = FrameCanvas()
        self.canvas.joint_clicked.connect(self.select_joint)
        self.canvas.joint_dropped.connect(self.move_joint)
        self.canvas.box_changed.connect(self.set_box)
        self.frame_list = QtWidgets.QListView()
        self.frame_list.setUniformItemSizes(True)  # lets Qt skip measuring 100,000 rows
        self.frame_list.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection)
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
        self.prompt = QtWidgets.QLabel()  # what the canvas expects next while a person is added
        self.prompt.setStyleSheet("background: #00bcd4; color: black; padding: 3px; font-weight: bold")
        self.prompt.setVisible(False)
        self.canvas.view.box_drawn.connect(self._box_drawn)
        self.canvas.view.point_placed.connect(self._point_placed)
        centre_layout.addWidget(self.prompt)
        centre_layout.addWidget(self.canvas, 1)
        centre_layout.addWidget(self.seek_bar)
        splitter = QtWidgets.QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(centre)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 1000])
        self.setCentralWidget(splitter)
        self.frame_info = QtWidgets.QLabel()
        self.statusBar().addPermanentWidget(self.frame_info)
        self.model_panel = ModelPanel()
        self.heatmap_panel = HeatmapPanel()
        side = QtWidgets.QWidget()
        side_layout = QtWidgets.QVBoxLayout(side)
        side_layout.setContentsMargins(4, 4, 4, 4)
        side_layout.addWidget(self.model_panel)
        side_layout.addWidget(self.heatmap_panel)
        side_layout.addStretch(1)
        dock = QtWidgets.QDockWidget("Model and heatmaps", self)
        dock.setObjectName("model_dock")
        dock.setWidget(scrolling(side))
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
        retrain_dock = QtWidgets.QDockWidget("Retrain", self)
        retrain_dock.setObjectName("retrain_dock")
        retrain_dock.setWidget(scrolling(self.retrain_panel))
        self.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, joints_dock)
        self.tabifyDockWidget(joints_dock, occlusion_dock)
        self.tabifyDockWidget(occlusion_dock, retrain_dock)
        self.retrain_dock = retrain_dock
        self.retrain_panel.start_button.clicked.connect(lambda _checked=False: self.start_retrain())
        self.retrain_panel.model_ready.connect(self._retrained)
        self.retrain_panel.failed.connect(lambda message: self.report_error(f"Fine-tuning failed: {message}"))
        joints_dock.raise_()
        self.occlusion_dock = occlusion_dock
        occlusion_dock.visibilityChanged.connect(lambda shown: shown and self.project is not None and self.occlusion_view.refresh(self.project))
        self.joint_table.joint_chosen.connect(self.select_joint)
        self.occlusion_view.goto.connect(self.goto_joint)
        self.model_panel.occluded_below.valueChanged.connect(self._occlusion_threshold_changed)
        self.model_panel.run_frame.connect(self.run_model_on_frame)
        self.model_panel.run_source.connect(self.run_model_on_source)
        self.model_panel.cancel.connect(self.cancel_job)
        self.heatmap_panel.changed.connect(self._update_heatmaps)
        self.results: OrderedDict[int, Any] = OrderedDict()  # frame id -> FrameResult, with heatmaps
        self._predictors: dict[tuple[str, str], Any] = {}
        self.job: Job | None = None
        self.comparison = None  # the Compare models window, made on first use
        self._build_actions()
        self._update_title()
        self.statusBar().showMessage("Open a project (Ctrl+O) or create one (Ctrl+N), then import data (Ctrl+I).")

    # ------------------------------------------------------------------ actions and menus
    def _build_actions(self) -> None:
        self.actions_by_name: dict[str, QtGui.QAction] = {}

        def act(name: str, text: str, shortcut: str | QtGui.QKeySequence.StandardKey | None, slot: Callable, menu: QtWidgets.QMenu) -> None:
            action = QtGui.QAction(text, self)
            if shortcut is not None:
                action.setShortcut(QtGui.QKeySequence(shortcut))
            # Qt passes triggered's `checked` flag to any slot that takes an argument; no slot wants it
            action.triggered.connect(lambda _checked=False, slot=slot: slot())
            menu.addAction(action)
            self.addAction(action)  # shortcuts work wherever the focus is
            self.actions_by_name[name] = action

        file_menu = self.menuBar().addMenu("&File")
        act("new", "&New project...", QtGui.QKeySequence.StandardKey.New, self._ask_new, file_menu)
        act("open", "&Open project...", QtGui.QKeySequence.StandardKey.Open, self._ask_open, file_menu)
        act("save_copy", "Save a &copy as...", "Ctrl+Shift+S", self._ask_save_copy, file_menu)
        act("close", "C&lose project", QtGui.QKeySequence.StandardKey.Close, self.close_project, file_menu)
        self._build_session_menu(file_menu, self.actions_by_name["save_copy"])
        file_menu.addSeparator()
        act("import", "&Import dataset or media...", "Ctrl+I", self._ask_import, file_menu)
        act("import_folder", "Import image &folder...", "Ctrl+Shift+I", self._ask_import_folder, file_menu)
        act("export", "&Export COCO keypoints...", "Ctrl+E", self._ask_export, file_menu)
        act("export_results", "Export COCO &results (predictions)...", None, lambda: self._ask_export_as("coco-results"), file_menu)
        act("export_yolo", "Export &YOLO-pose folder...", None, lambda: self._ask_export_as("yolo"), file_menu)
        act("locate", "&Locate missing sources...", None, self._ask_locate_missing, file_menu)
        file_menu.addSeparator()
        act("quit", "&Quit", QtGui.QKeySequence.StandardKey.Quit, self.close, file_menu)

        edit = self.menuBar().addMenu("&Edit")
        act("undo", "&Undo", QtGui.QKeySequence.StandardKey.Undo, self.undo_edit, edit)
        act("redo", "&Redo", "Ctrl+Shift+Z", self.redo_edit, edit)
        self.actions_by_name["redo"].setShortcuts([QtGui.QKeySequence("Ctrl+Shift+Z"), QtGui.QKeySequence("Ctrl+Y")])
        # the actions say what they would undo, and are disabled when there is nothing to undo
        self.undo_stack.canUndoChanged.connect(self.actions_by_name["undo"].setEnabled)
        self.undo_stack.canRedoChanged.connect(self.actions_by_name["redo"].setEnabled)
        self.undo_stack.undoTextChanged.connect(lambda text: self.actions_by_name["undo"].setText(f"&Undo {text}".strip()))
        self.undo_stack.redoTextChanged.connect(lambda text: self.actions_by_name["redo"].setText(f"&Redo {text}".strip()))
        self.actions_by_name["undo"].setEnabled(False)
        self.actions_by_name["redo"].setEnabled(False)
        edit.addSeparator()
        act("visibility", "Cycle joint &visibility (visible, occluded, not labelled)", "V", self.cycle_visibility, edit)
        act("accept", "&Accept prediction as annotation", "A", self.accept_prediction, edit)
        act("delete", "&Delete instance", QtGui.QKeySequence.StandardKey.Delete, self.delete_instance, edit)
        act("add", "Add a &new person: draw its box, get the mean pose", "N", self.add_person, edit)
        act("add_by_joints", "Add a new person joint by joint (Esc: not labelled)", "Shift+N", self.add_person_by_joints, edit)
        act("rebox", "Re-&box the selected person (drag the handles)", "B", self.toggle_box_editing, edit)
        act("reviewed", "Mark frame &reviewed", "R", self.mark_reviewed, edit)
        edit.addSeparator()
        act("remove_frames", "Remove selected &frames from the project", "Ctrl+Shift+Del", self.remove_selected_frames, edit)
        act("remove_source", "Remove this frame's &source from the project", None, self.remove_current_source, edit)
        act("disagreement", "Next &disagreement (flag vs visibility score)", "D", self.next_disagreement, edit)

        go = self.menuBar().addMenu("&Go")
        act("next", "&Next frame (or nudge the selected joint right)", "Right", lambda: self.arrow(1, 0), go)
        act("prev", "&Previous frame (or nudge the selected joint left)", "Left", lambda: self.arrow(-1, 0), go)
        act("up", "Previous frame (or nudge the selected joint up)", "Up", lambda: self.arrow(0, -1), go)
        act("down", "Next frame (or nudge the selected joint down)", "Down", lambda: self.arrow(0, 1), go)
        act("far_right", "Nudge the selected joint 10 px right (or forward 10 frames)", "Shift+Right", lambda: self.arrow(1, 0, far=True), go)
        act("far_left", "Nudge the selected joint 10 px left (or back 10 frames)", "Shift+Left", lambda: self.arrow(-1, 0, far=True), go)
        act("far_up", "Nudge the selected joint 10 px up", "Shift+Up", lambda: self.arrow(0, -1, far=True), go)
        act("far_down", "Nudge the selected joint 10 px down", "Shift+Down", lambda: self.arrow(0, 1, far=True), go)
        act("next_joint", "Select the next joint", "Tab", lambda: self.select_next_joint(1), go)
        act("prev_joint", "Select the previous joint", "Shift+Tab", lambda: self.select_next_joint(-1), go)
        act("next10", "Forward 10 frames", "PgDown", lambda: self.step(10), go)
        act("prev10", "Back 10 frames", "PgUp", lambda: self.step(-10), go)
        act("first", "&First frame", "Home", lambda: self._go_row(0), go)
        act("last", "&Last frame", "End", lambda: self._go_row(-1), go)
        act("fit", "&Fit image to window", "F", self.canvas.fit_image, go)
        act("play", "&Play / pause video", "Space", self.seek_bar.play_button.toggle, go)
        act("jump", "&Jump to frame...", "Ctrl+G", self.ask_jump, go)

        model_menu = self.menuBar().addMenu("&Model")
        act("run", "&Run model on frame", "Ctrl+R", self.run_model_on_frame, model_menu)
        act("run_selection", "Run model on selected &frames", "Ctrl+Alt+R", self.run_model_on_selection, model_menu)
        act("run_source", "Run model on &source", "Ctrl+Shift+R", self.run_model_on_source, model_menu)
        act("cancel", "&Cancel background job (or clear the joint selection)", "Esc", self.escape, model_menu)
        act("retrain", "&Fine-tune the model on this project...", "Ctrl+T", self.start_retrain, model_menu)
        act("compare", "Co&mpare models on this frame", "Ctrl+M", self.compare_models, model_menu)
        model_menu.addSeparator()
        act("heatmaps", "Show/hide &heatmaps", "H", self.heatmap_panel.show_box.toggle, model_menu)
        act("stage_prev", "Previous &iteration", "[", lambda: self.heatmap_panel.step(-1), model_menu)
        act("stage_next", "Next i&teration", "]", lambda: self.heatmap_panel.step(1), model_menu)

        help_menu = self.menuBar().addMenu("&Help")
        act("shortcuts", "&Keyboard shortcuts", "F1", self.show_shortcuts, help_menu)

    def shortcut_table(self) -> list[tuple[str, str]]:
        return [
            (a.text().replace("&", "").rstrip("."), a.shortcut().toString(QtGui.QKeySequence.SequenceFormat.NativeText))
            for a in self.actions_by_name.values()
            if not a.shortcut().isEmpty()
        ]

    MOUSE_ACTIONS = [
        ("Click a joint: select it (click again: the next joint on the same spot)", "Left click"),
        ("Drag a joint: move it (on a pile: the joint chosen in the joint table)", "Left drag"),
        ("Hover a joint: show its name", "Mouse over"),
        ("Pan the image", "Drag the background"),
        ("Zoom", "Wheel"),
        ("Draw the new person's box (after N)", "Left drag"),
        ("Place the next joint (after Shift+N)", "Left click"),
        ("Import images, folders, videos, datasets; open a project", "Drop files on the window"),
    ]

    def show_shortcuts(self) -> QtWidgets.QDialog:
        dialog = QtWidgets.QDialog(self)
        dialog.setObjectName("shortcuts")
        dialog.setWindowTitle("Keyboard shortcuts and mouse actions")
        rows = self.shortcut_table() + self.MOUSE_ACTIONS
        table = QtWidgets.QTableWidget(len(rows), 2, dialog)
        table.setHorizontalHeaderLabels(["Action", "Key or mouse"])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        for row, (text, key) in enumerate(rows):
            table.setItem(row, 0, QtWidgets.QTableWidgetItem(text))
            table.setItem(row, 1, QtWidgets.QTableWidgetItem(key))
        header = table.horizontalHeader()
        # the key column is never cut: it takes what it needs, the action column the rest
        header.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        layout = QtWidgets.QVBoxLayout(dialog)
        layout.addWidget(table)
        close = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(dialog.close)
        layout.addWidget(close)
        dialog.resize(min(760, max(560, self.width() // 2)), min(640, max(420, self.height() - 80)))
        dialog.show()
        return dialog

    # ------------------------------------------------------------------ navigation and drawing
    def _refilter(self) -> None:
        if self.project is None:
            return
        state = self.state_filter.currentText()
        self.model = FrameListModel(self.project, None if state == "all frames" else state, self.broken)
        self.frame_list.setModel(self.model)
        self.frame_list.selectionModel().currentChanged.connect(self._on_row_changed)
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
        self.frame_list.setCurrentIndex(index)
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
            if self.adding():
                self.stop_adding()  # a person half placed belongs to the frame it was started on
        self.current_frame_id = frame_id
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

    def _show_frame_info(self, frame, people: int) -> None:
        name = self.project.frame_name(frame)
        self.frame_info.setText(f"{name}  {frame.width}x{frame.height}  {people} instance(s)  [{frame.state}]")

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
        self.seek_bar.set_index(frame.index)

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
        text, ok = QtWidgets.QInputDialog.getText(self, "Jump to frame", "Row number or file name:")
        if ok and text.strip():
            self.jump_to(text.strip())

    def jump_to(self, text: str) -> bool:
        if self.model is None:
            return False
        if text.isdigit():
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
        if self.project is not None and self.current_frame_id is not None and event.frame_id == self.current_frame_id:
            self.show_frame(self.current_frame_id)

    def _occlusion_threshold_changed(self, value: float) -> None:
        self.occlusion_view.occluded_below = value
        if self.project is not None and self.occlusion_view.pairs is not None:
            self.occlusion_view.refresh(self.project)

    def _update_title(self) -> None:
        self.setWindowTitle(f"poseapp - {self.project.path.name}" if self.project else "poseapp")
