"""The main window: project browser on the left, the frame canvas in the middle, menus and keys."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable

import numpy as np

from PySide6 import QtCore, QtGui, QtWidgets

from poseapp.core.errors import PoseAppError
from poseapp.formats import EXPORTERS, export_project, import_source
from poseapp.gui.canvas import FrameCanvas
from poseapp.gui.frame_list import FrameListModel
from poseapp.gui.heatmap_panel import HeatmapPanel
from poseapp.gui.inspector import JointTable, OcclusionView
from poseapp.gui.jobs import Job
from poseapp.gui.model_panel import ModelPanel
from poseapp.gui.retrain_panel import RetrainPanel
from poseapp.gui.seek_bar import SeekBar
from poseapp.media.frames import FrameLoader
from poseapp.media.relocate import follow_moved_project, missing_sources, relocate_source
from poseapp.store import FRAME_STATES, Project
from poseapp.store.project import PROJECT_SUFFIX


class _EventBridge(QtCore.QObject):
    """Re-emits store events as a Qt signal so views update on the GUI thread whoever edited."""

    event = QtCore.Signal(str, object)


class MainWindow(QtWidgets.QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.project: Project | None = None
        self.loader: FrameLoader | None = None
        self.model: FrameListModel | None = None
        self.current_frame_id: int | None = None
        self.last_error: str | None = None
        self._bridge = _EventBridge()
        # Queued: a redraw must never delete a canvas item from inside that item's mouse handler.
        self._bridge.event.connect(self._on_project_event, QtCore.Qt.ConnectionType.QueuedConnection)
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
        dock.setWidget(side)
        dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.resizeDocks([dock], [380], QtCore.Qt.Orientation.Horizontal)
        self.joint_table = JointTable()
        self.occlusion_view = OcclusionView()
        joints_dock = QtWidgets.QDockWidget("Joints", self)
        joints_dock.setObjectName("joints_dock")
        joints_dock.setWidget(self.joint_table)
        occlusion_dock = QtWidgets.QDockWidget("Occlusion", self)
        occlusion_dock.setObjectName("occlusion_dock")
        occlusion_dock.setWidget(self.occlusion_view)
        self.retrain_panel = RetrainPanel()
        retrain_dock = QtWidgets.QDockWidget("Retrain", self)
        retrain_dock.setObjectName("retrain_dock")
        retrain_dock.setWidget(self.retrain_panel)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, joints_dock)
        self.tabifyDockWidget(joints_dock, occlusion_dock)
        self.tabifyDockWidget(occlusion_dock, retrain_dock)
        self.retrain_dock = retrain_dock
        self.retrain_panel.start_button.clicked.connect(self.start_retrain)
        self.retrain_panel.model_ready.connect(self._retrained)
        self.retrain_panel.failed.connect(lambda message: self.report_error(f"Fine-tuning failed: {message}"))
        joints_dock.raise_()
        self.occlusion_dock = occlusion_dock
        occlusion_dock.visibilityChanged.connect(lambda shown: shown and self.project is not None and self.occlusion_view.refresh(self.project))
        self.joint_table.joint_chosen.connect(self.select_joint)
        self.occlusion_view.goto.connect(self.goto_joint)
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
            action.triggered.connect(slot)
            menu.addAction(action)
            self.addAction(action)  # shortcuts work wherever the focus is
            self.actions_by_name[name] = action

        file_menu = self.menuBar().addMenu("&File")
        act("new", "&New project...", QtGui.QKeySequence.StandardKey.New, self._ask_new, file_menu)
        act("open", "&Open project...", QtGui.QKeySequence.StandardKey.Open, self._ask_open, file_menu)
        act("save_copy", "Save a &copy as...", "Ctrl+Shift+S", self._ask_save_copy, file_menu)
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
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QtGui.QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QtGui.QKeySequence("Ctrl+Shift+Z"), QtGui.QKeySequence("Ctrl+Y")])
        for name, action in (("undo", undo), ("redo", redo)):
            edit.addAction(action)
            self.addAction(action)
            self.actions_by_name[name] = action
        edit.addSeparator()
        act("visibility", "Cycle joint &visibility (visible, occluded, not labelled)", "V", self.cycle_visibility, edit)
        act("accept", "&Accept prediction as annotation", "A", self.accept_prediction, edit)
        act("delete", "&Delete instance", QtGui.QKeySequence.StandardKey.Delete, self.delete_instance, edit)
        act("add", "Add a &new person (drag the joints into place)", "N", self.add_person, edit)
        act("rebox", "Re-&box the selected person (drag the handles)", "B", self.toggle_box_editing, edit)
        act("reviewed", "Mark frame &reviewed", "R", self.mark_reviewed, edit)
        act("disagreement", "Next &disagreement (flag vs visibility score)", "D", self.next_disagreement, edit)

        go = self.menuBar().addMenu("&Go")
        act("next", "&Next frame", "Right", lambda: self.step(1), go)
        act("prev", "&Previous frame", "Left", lambda: self.step(-1), go)
        act("next10", "Forward 10 frames", "PgDown", lambda: self.step(10), go)
        act("prev10", "Back 10 frames", "PgUp", lambda: self.step(-10), go)
        act("first", "&First frame", "Home", lambda: self._go_row(0), go)
        act("last", "&Last frame", "End", lambda: self._go_row(-1), go)
        act("fit", "&Fit image to window", "F", lambda: self.canvas.view.autoRange(padding=0.02), go)
        act("play", "&Play / pause video", "Space", self.seek_bar.play_button.toggle, go)
        act("jump", "&Jump to frame...", "Ctrl+G", self.ask_jump, go)

        model_menu = self.menuBar().addMenu("&Model")
        act("run", "&Run model on frame", "Ctrl+R", self.run_model_on_frame, model_menu)
        act("run_selection", "Run model on selected &frames", "Ctrl+Alt+R", self.run_model_on_selection, model_menu)
        act("run_source", "Run model on &source", "Ctrl+Shift+R", self.run_model_on_source, model_menu)
        act("cancel", "&Cancel background job", "Esc", self.cancel_job, model_menu)
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

    def show_shortcuts(self) -> QtWidgets.QDialog:
        dialog = QtWidgets.QDialog(self)
        dialog.setWindowTitle("Keyboard shortcuts")
        table = QtWidgets.QTableWidget(0, 2, dialog)
        table.setHorizontalHeaderLabels(["Action", "Key"])
        for text, key in self.shortcut_table():
            row = table.rowCount()
            table.insertRow(row)
            table.setItem(row, 0, QtWidgets.QTableWidgetItem(text))
            table.setItem(row, 1, QtWidgets.QTableWidgetItem(key))
        table.resizeColumnsToContents()
        QtWidgets.QVBoxLayout(dialog).addWidget(table)
        dialog.resize(420, 420)
        dialog.show()
        return dialog

    # ------------------------------------------------------------------ project
    def open_project(self, path: str | Path, create: bool = False) -> bool:
        try:
            project = Project.open(path, create=create)
        except PoseAppError as exc:
            self.report_error(str(exc))
            return False
        self.close_project()
        self.project = project
        self.loader = FrameLoader(project)
        for name in ("instance_added", "instance_changed", "instance_removed", "frame_state_changed", "sources_changed"):
            signal = getattr(project.events, name)
            callback = (lambda n: lambda *args: self._bridge.event.emit(n, args))(name)
            signal.connect(callback)
            self._listeners.append((signal, callback))
        fixed = follow_moved_project(project)
        self._refilter()
        self._update_title()
        note = f"; found {len(fixed)} moved source(s) at the same place beside the project" if fixed else ""
        self.statusBar().showMessage(f"Opened {path}: {project.frame_count()} frames{note}", 5000)
        missing = missing_sources(project)
        if missing:
            self.report_error(
                f"{len(missing)} source(s) of {path} are not where the project recorded them:\n"
                + "\n".join(f"  {s.path}" for s in missing[:10])
                + "\nTheir frames stay in the project with all annotations. Use File > Locate missing sources... "
                "to point at where they are now."
            )
        return True

    def locate_source(self, source_id: int, path: str | Path) -> bool:
        """Point a source whose files moved at their new place (after checking that every frame is there)."""
        assert self.project is not None and self.loader is not None
        try:
            moved = relocate_source(self.project, source_id, path)
        except PoseAppError as exc:
            self.report_error(str(exc))
            return False
        self.loader.close()  # drops decoded images and video readers of the old place
        if self.current_frame_id is not None:
            self.show_frame(self.current_frame_id)
        self.statusBar().showMessage(f"Source {moved.id} is now read from {moved.path}", 5000)
        return True

    def _ask_locate_missing(self) -> None:
        if self.project is None:
            return
        missing = missing_sources(self.project)
        if not missing:
            self.statusBar().showMessage("Every source of the project is where it was recorded", 5000)
        for source in missing:
            name = Path(source.path).name
            if source.kind == "folder":
                path = QtWidgets.QFileDialog.getExistingDirectory(self, f"Where is the image folder '{name}' now?")
            else:
                path = QtWidgets.QFileDialog.getOpenFileName(self, f"Where is '{name}' now?", "", f"{name} (*{Path(name).suffix});;All files (*)")[0]
            if not path:
                break
            self.locate_source(source.id, path)

    def close_project(self) -> None:
        for signal, callback in self._listeners:
            signal.disconnect(callback)
        self._listeners.clear()
        if self.loader is not None:
            self.loader.close()
        self.frame_list.setModel(None)  # the view would otherwise repaint from the closed project
        if self.project is not None:
            self.project.close()
        self.project = self.loader = self.model = None
        self.current_frame_id = None
        self.results.clear()
        self.undo_stack.clear()  # its commands hold the closed project
        self.selected = None
        self.canvas.clear_frame()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 (Qt name)
        if self.retrain_panel.process is not None:
            self.retrain_panel.cancel()
            self.retrain_panel.process.waitForFinished(15000)
        if self.job is not None:
            self.job.cancel()
            self.job.wait(10000)
        self.close_project()  # every edit is already on disk; this only tidies the WAL file
        super().closeEvent(event)

    def import_path(self, source: str | Path, fmt: str | None = None) -> bool:
        if self.project is None:
            self.report_error("Open or create a project before importing.")
            return False
        try:
            summary = import_source(self.project, source, fmt=fmt)
        except PoseAppError as exc:
            self.report_error(str(exc))
            return False
        self._refilter()
        self.statusBar().showMessage(str(summary).splitlines()[0], 8000)
        return True

    def export_to(self, out: str | Path, fmt: str = "coco") -> bool:
        if self.project is None:
            self.report_error("No project is open.")
            return False
        try:
            counts = export_project(self.project, fmt, out)
        except (PoseAppError, OSError) as exc:
            self.report_error(f"Export to {out} failed: {exc}")
            return False
        self.statusBar().showMessage(f"Wrote {out}: " + ", ".join(f"{n} {k}" for k, n in counts.items()), 8000)
        return True

    def report_error(self, message: str) -> None:
        self.last_error = message
        self.statusBar().showMessage(message.splitlines()[0], 10000)
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Warning, "poseapp", message, parent=self)
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # not exec(): the window keeps running

    def _ask_new(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "New project", "", f"poseapp project (*{PROJECT_SUFFIX})")
        if path:
            if not path.endswith(PROJECT_SUFFIX):
                path += PROJECT_SUFFIX
            self.open_project(path, create=True)

    def _ask_open(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open project", "", f"poseapp project (*{PROJECT_SUFFIX})")
        if path:
            self.open_project(path)

    def _ask_save_copy(self) -> None:
        if self.project is None:
            return
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save a copy", "", f"poseapp project (*{PROJECT_SUFFIX})")
        if path:
            try:
                self.project.save_copy(path)
            except (PoseAppError, OSError) as exc:
                self.report_error(f"Could not save a copy to {path}: {exc}")
            else:
                self.statusBar().showMessage(f"Saved a copy to {path}", 5000)

    def _ask_import(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Import", "", "Datasets and media (*.json *.mat *.yaml *.jpg *.jpeg *.png *.avi *.mp4 *.mov *.mkv);;All files (*)"
        )
        if path:
            self.import_path(path)

    def _ask_import_folder(self) -> None:
        path = QtWidgets.QFileDialog.getExistingDirectory(self, "Import folder (images, LSP or YOLO-pose)")
        if path:
            self.import_path(path)

    def _ask_export_as(self, fmt: str) -> None:
        if fmt == "yolo":
            path = QtWidgets.QFileDialog.getSaveFileName(self, "Export YOLO-pose folder", "yolo_pose", "Folder (*)")[0]
        else:
            path = QtWidgets.QFileDialog.getSaveFileName(self, "Export COCO results", "results.json", "COCO JSON (*.json)")[0]
        if path:
            self.export_to(path, fmt)

    def _ask_export(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export COCO keypoints", "annotations.json", "COCO JSON (*.json)")
        if path:
            self.export_to(path, "coco")

    # ------------------------------------------------------------------ navigation and drawing
    def _refilter(self) -> None:
        if self.project is None:
            return
        state = self.state_filter.currentText()
        self.model = FrameListModel(self.project, None if state == "all frames" else state)
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
            else:
                self.report_error(str(exc))
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
        name = self.project.frame_name(frame)
        self.frame_info.setText(f"{name}  {frame.width}x{frame.height}  {len(instances)} instance(s)  [{frame.state}]")

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

    def _on_project_event(self, name: str, args: tuple) -> None:
        if name == "frame_state_changed" and self.model is not None:
            self.model.frame_state_changed(*args)
            if self.seek_bar.isVisible() and self.project is not None:
                self.seek_bar.set_marks(self.project.frame_states(self._seek_source))
        elif name == "sources_changed":
            return  # imports refresh the list themselves once they are complete
        if self.current_frame_id is not None and name.startswith("instance"):
            touched = {getattr(a, "frame_id", None) for a in args}
            if self.current_frame_id in touched:
                self.show_frame(self.current_frame_id)

    # ------------------------------------------------------------------ editing (every edit is undoable)
    def select_joint(self, instance_id: int, joint: int) -> None:
        self.selected = (instance_id, joint)
        self.canvas.select(instance_id, joint)
        if getattr(self, "_box_editing", False):
            self.canvas.edit_box(instance_id)
        self._refresh_joint_table()
        if self.project is not None:
            inst = self.project.instance(instance_id)
            name = self.project.skeleton(inst.skeleton).joints[joint]
            from poseapp.gui.commands import VISIBILITY_NAMES

            score = f", score {inst.joint_scores[joint]:.2f}" if inst.joint_scores is not None else ""
            self.statusBar().showMessage(
                f"{inst.origin} instance {instance_id}: {name} at ({inst.keypoints[joint, 0]:.1f}, {inst.keypoints[joint, 1]:.1f}), "
                f"{VISIBILITY_NAMES[int(inst.keypoints[joint, 2])]}{score}", 10000)

    def _refresh_joint_table(self) -> None:
        inst = None
        if self.selected is not None and self.project is not None:
            try:
                inst = self.project.instance(self.selected[0])
            except PoseAppError:
                inst = None
        names = list(self.project.skeleton(inst.skeleton).joints) if inst is not None else []
        self.joint_table.show_instance(inst, names, self.selected[1] if inst is not None else None)

    def goto_joint(self, frame_id: int, instance_id: int, joint: int) -> None:
        if self.model is not None and self.model.row_of(frame_id) is None:
            self.state_filter.setCurrentText("all frames")
        row = self.model.row_of(frame_id) if self.model is not None else None
        if row is not None:
            self._go_row(row)
        self.select_joint(instance_id, joint)

    def next_disagreement(self) -> None:
        if self.project is None:
            return
        if not self.occlusion_view.items:
            self.occlusion_view.refresh(self.project)
        self.occlusion_dock.raise_()
        self.occlusion_view.next_disagreement()

    def _joint_name(self, instance_id: int, joint: int) -> str:
        return self.project.skeleton(self.project.instance(instance_id).skeleton).joints[joint]

    def move_joint(self, instance_id: int, joint: int, x: float, y: float) -> None:
        from poseapp.gui.commands import MoveKeypoint

        self.undo_stack.push(MoveKeypoint(self.project, instance_id, joint, x, y, self._joint_name(instance_id, joint)))

    def cycle_visibility(self) -> None:
        from poseapp.gui.commands import SetVisibility, next_visibility

        if self.selected is None or self.project is None:
            self.statusBar().showMessage("Click a joint first, then V cycles visible, occluded, not labelled.", 5000)
            return
        instance_id, joint = self.selected
        v = next_visibility(self.project.instance(instance_id).keypoints[joint, 2])
        self.undo_stack.push(SetVisibility(self.project, instance_id, joint, v, self._joint_name(instance_id, joint)))

    def _selected_instance(self):
        if self.selected is not None and self.project is not None:
            return self.project.instance(self.selected[0])
        if self.current_frame_id is not None and self.project is not None:  # the only person, if one
            insts = self.project.instances(self.current_frame_id)
            if len(insts) == 1:
                return insts[0]
        return None

    def accept_prediction(self) -> None:
        from poseapp.gui.commands import AcceptPrediction

        inst = self._selected_instance()
        if inst is None or inst.origin != "predicted":
            predicted = [i for i in self.project.instances(self.current_frame_id) if i.origin == "predicted"] if self.project and self.current_frame_id else []
            if len(predicted) != 1:
                self.statusBar().showMessage("Click a joint of the prediction to accept (A).", 5000)
                return
            inst = predicted[0]
        self.undo_stack.push(AcceptPrediction(self.project, inst.id))

    def delete_instance(self) -> None:
        from poseapp.gui.commands import DeleteInstance

        inst = self._selected_instance()
        if inst is None:
            self.statusBar().showMessage("Click a joint of the person to delete.", 5000)
            return
        self.selected = None
        self.undo_stack.push(DeleteInstance(self.project, inst.id))

    def add_person(self) -> None:
        from poseapp.gui.commands import AddInstance

        if self.project is None or self.current_frame_id is None:
            return
        frame = self.project.frame(self.current_frame_id)
        names = self.project.skeleton_names() or ["lsp14"]
        existing = self.project.instances(frame.id)
        skeleton = existing[0].skeleton if existing else names[0]
        self.project.ensure_skeleton(self.project.skeleton(skeleton))
        w, h = frame.width * 0.3, frame.height * 0.6
        self.undo_stack.push(AddInstance(self.project, frame.id, skeleton, ((frame.width - w) / 2, (frame.height - h) / 2, w, h)))

    def toggle_box_editing(self) -> None:
        self._box_editing = not getattr(self, "_box_editing", False)
        self.canvas.edit_box(self.selected[0] if self._box_editing and self.selected else None)
        if self._box_editing and not self.selected:
            self.statusBar().showMessage("Click a joint of the person to re-box, then B.", 5000)

    def set_box(self, instance_id: int, bbox) -> None:
        from poseapp.gui.commands import SetBox

        x, y, w, h = bbox
        if w > 1 and h > 1:
            self.undo_stack.push(SetBox(self.project, instance_id, (x, y, w, h)))

    def mark_reviewed(self) -> None:
        from poseapp.gui.commands import SetFrameState

        if self.project is not None and self.current_frame_id is not None:
            self.undo_stack.push(SetFrameState(self.project, self.current_frame_id, "reviewed"))

    # ------------------------------------------------------------------ running models
    def _predictor(self, path: str, device: str):
        from poseapp.engine.predictor import Predictor

        key = (path, device)
        if key not in self._predictors:
            self._predictors[key] = Predictor.from_path(path, device=device)
        return self._predictors[key]

    def run_model_on_frame(self) -> Job | None:
        if self.current_frame_id is None:
            return None
        frame = self.project.frame(self.current_frame_id)
        return self._start_prediction([self.current_frame_id], self.project.frame_name(frame))

    def selected_frame_ids(self) -> list[int]:
        if self.model is None:
            return []
        rows = sorted(index.row() for index in self.frame_list.selectionModel().selectedRows())
        return [self.model.frame_id(r) for r in rows]

    def run_model_on_selection(self) -> Job | None:
        ids = self.selected_frame_ids()
        return self._start_prediction(ids, f"{len(ids)} selected frames") if ids else None

    def run_model_on_source(self) -> Job | None:
        if self.current_frame_id is None or self.project is None:
            return None
        source_id = self.project.frame(self.current_frame_id).source_id
        return self._start_prediction(self.project.frame_ids(source_id=source_id), Path(self.project.source(source_id).path).name)

    def _start_prediction(self, frame_ids: list[int], what: str) -> Job | None:
        if self.project is None:
            return None
        if self.job is not None:
            self.statusBar().showMessage("A background job is running; cancel it first (Esc).", 5000)
            return None
        path = self.model_panel.model_path()
        if path is None:
            self.report_error("No model to run: train one with `poseapp train` or choose a model folder.")
            return None
        from poseapp.engine.frame_runner import predict_frames
        from poseapp.media.frames import FrameLoader

        device = self.model_panel.device()
        iterations = self.model_panel.iterations.value() if self.model_panel.iterations.isEnabled() else None
        project = self.project
        keep = len(frame_ids) <= 64  # heatmaps for a whole video would not fit in memory

        def work(progress, cancelled):
            predictor = self._predictor(path, device)
            loader = FrameLoader(project)
            try:
                return predict_frames(project, frame_ids, predictor, loader, iterations=iterations,
                                      keep_heatmaps=keep, progress=progress, cancelled=cancelled)
            finally:
                loader.close()

        job = Job(work, self)
        job.progressed.connect(self._job_progress)
        job.succeeded.connect(lambda results: self._prediction_done(results, what))
        job.failed.connect(self._job_failed)
        job.finished.connect(self._job_finished)
        self.job = job
        self.model_panel.set_busy(True)
        self.model_panel.progress.setRange(0, len(frame_ids))
        self.model_panel.progress.setValue(0)
        self.statusBar().showMessage(f"Running {Path(path).name} on {what}...")
        job.start()
        return job

    def compare_models(self, paths: list[str] | None = None) -> Job | None:
        """Every model in the model list (or ``paths``) on this frame's people, side by side."""
        if self.project is None or self.current_frame_id is None or self.loader is None:
            return None
        if self.job is not None:
            self.statusBar().showMessage("A background job is running; cancel it first (Esc).", 5000)
            return None
        paths = paths or self.model_panel.model_paths()
        if not paths:
            self.report_error("No models to compare: train one with `poseapp train` or add a model folder.")
            return None
        from poseapp.engine.comparison import compare_models
        from poseapp.engine.frame_runner import FrameBoxes, person_boxes

        frame = self.project.frame(self.current_frame_id)
        try:
            image = self.loader.read(frame)
        except PoseAppError as exc:
            self.report_error(str(exc))
            return None
        project, device, where = self.project, self.model_panel.device(), self.project.frame_name(frame)

        def work(progress, cancelled):
            boxes = person_boxes(project, frame, image, FrameBoxes("hog"))
            loaders = [(lambda p=p: self._predictor(p, device)) for p in paths]
            return boxes, compare_models(image, boxes, loaders, progress=progress, cancelled=cancelled)

        job = Job(work, self)
        job.progressed.connect(self._job_progress)
        job.succeeded.connect(lambda result: self._show_comparison(image, *result, where))
        job.failed.connect(lambda message: self.report_error(f"Comparing models failed: {message}"))
        job.finished.connect(self._job_finished)
        self.job = job
        self.model_panel.set_busy(True)
        self.statusBar().showMessage(f"Running {len(paths)} models on {where}...")
        job.start()
        return job

    def _show_comparison(self, image, boxes, runs, where: str) -> None:
        from poseapp.gui.compare_view import ModelComparison

        if self.comparison is None:
            self.comparison = ModelComparison(self)
        self.comparison.show_runs(image, boxes, runs, where)
        self.comparison.show()
        self.comparison.raise_()
        self.statusBar().showMessage(f"Compared {len(runs)} models on {where}", 5000)

    def start_retrain(self, max_minutes: float | None = None) -> bool:
        if self.project is None or self.model_panel.model_path() is None:
            self.report_error("Open a project and choose a model to fine-tune.")
            return False
        if self.project.instance_count("manual") == 0:
            self.report_error("The project has no annotations to train on.")
            return False
        self.retrain_dock.raise_()
        return self.retrain_panel.start(self.model_panel.model_path(), str(self.project.path),
                                        max_minutes if isinstance(max_minutes, (int, float)) else None)

    def _retrained(self, folder: str) -> None:
        self.model_panel.add_model(folder)  # selected, ready to compare with the old one on the same frames
        self.statusBar().showMessage(f"New model {Path(folder).name} is in the model list.", 8000)

    def cancel_job(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.statusBar().showMessage("Cancelling after the current frame...", 5000)

    def _job_progress(self, done: int, total: int) -> None:
        self.model_panel.progress.setRange(0, total)
        self.model_panel.progress.setValue(done)

    def _prediction_done(self, results: list, what: str) -> None:
        for result in results:
            if result.predictions:
                self.results[result.frame_id] = result
                self.results.move_to_end(result.frame_id)
        while len(self.results) > 64:
            self.results.popitem(last=False)
        people = sum(len(r.predictions) for r in results)
        cancelled = self.job is not None and self.job.was_cancelled
        where = what if len(results) == 1 else f"{len(results)} frames of {what}"
        self.statusBar().showMessage(f"{'Cancelled: ' if cancelled else ''}predicted {people} people in {where}", 8000)
        if self.current_frame_id is not None:
            self.show_frame(self.current_frame_id)

    def _job_failed(self, message: str) -> None:
        self.report_error(f"The model run failed: {message}")

    def _job_finished(self) -> None:
        self.job = None
        self.model_panel.set_busy(False)

    def _update_heatmaps(self) -> None:
        result = self.results.get(self.current_frame_id) if self.current_frame_id is not None else None
        preds = result.predictions if result is not None else []
        if not preds:
            self.canvas.clear_heatmaps()
            self.heatmap_panel.show_peaks(None, [])
            return
        predictor_names = preds[0].stage_names
        skeleton = self.project.skeleton(result.instances[0].skeleton) if result.instances else None
        if skeleton is not None:
            self.heatmap_panel.set_joints(list(skeleton.joints))
        self.heatmap_panel.set_stages(predictor_names)
        t = min(self.heatmap_panel.stage.value(), len(predictor_names) - 1)
        joint = self.heatmap_panel.joint()
        layers = []
        for p in preds:
            if p.heatmaps is not None and self.heatmap_panel.show_box.isChecked():
                maps = p.heatmaps[t]
                layers.append((maps[joint] if joint is not None else maps.max(axis=0), p.heatmap_to_image))
        top = max((float(p.heatmaps.max()) for p in preds if p.heatmaps is not None), default=1.0)
        self.canvas.show_heatmaps(layers, (0.0, max(top, 1e-3)), self.heatmap_panel.opacity.value() / 100.0)
        self.canvas.show_stage_points([p.stages for p in preds], t, joint)
        first = preds[0]
        peaks = first.stage_scores[:, joint] if joint is not None else first.stage_scores.mean(axis=1)
        self.heatmap_panel.show_peaks(np.asarray(peaks), predictor_names)

    def _update_title(self) -> None:
        self.setWindowTitle(f"poseapp - {self.project.path.name}" if self.project else "poseapp")
