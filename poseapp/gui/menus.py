"""The window's menus: every action with its key (window-wide, so keys work wherever the focus
is), and Help > Keyboard shortcuts, which lists them with the mouse actions."""

from __future__ import annotations

from typing import Callable

from PySide6 import QtGui, QtWidgets


class MenusMixin:
    """Of ``MainWindow`` (which provides every slot the actions name)."""

    def _build_actions(self) -> None:
        self.actions_by_name: dict[str, QtGui.QAction] = {}

        def act(name: str, text: str, shortcut: str | QtGui.QKeySequence.StandardKey | None, slot: Callable, menu: QtWidgets.QMenu) -> None:
            action = QtGui.QAction(text, self)
            action.setProperty("plain_text", text)  # Undo/Redo's text changes with the stack; F1 lists this one
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
        act("close", "C&lose project", "Ctrl+W", self.close_project, file_menu)
        self._build_session_menu(file_menu, self.actions_by_name["save_copy"])
        file_menu.addSeparator()
        act("import", "&Import dataset or media...", "Ctrl+I", self._ask_import, file_menu)
        act("import_folder", "Import image &folder...", "Ctrl+Shift+I", self._ask_import_folder, file_menu)
        act("export", "&Export COCO keypoints...", "Ctrl+E", self._ask_export, file_menu)
        act("export_results", "Export COCO &results (predictions)...", None, lambda: self._ask_export_as("coco-results"), file_menu)
        act("export_yolo", "Export &YOLO-pose folder...", None, lambda: self._ask_export_as("yolo"), file_menu)
        act("export_cvat", "Export C&VAT for images XML...", None, lambda: self._ask_export_as("cvat"), file_menu)
        act("export_slp", "Export &SLEAP labels (.slp)...", None, lambda: self._ask_export_as("slp"), file_menu)
        act("export_dlc", "Export &DeepLabCut project folder...", None, lambda: self._ask_export_as("dlc"), file_menu)
        # what Export COCO writes, as `poseapp export --include-predictions / --keep-unlabelled` says it
        for name, text in (("export_predictions", "COCO export includes &predictions (pairs with the results export)"),
                           ("export_unlabelled", "COCO export &keeps frames nobody annotated or reviewed"),
                           ("export_frames", "COCO export &writes video frames as images beside it")):
            act(name, text, None, lambda: None, file_menu)
            self.actions_by_name[name].setCheckable(True)
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
        act("set_visible", "Set the joint visible (COCO flag 2)", "2", lambda: self.set_visibility(2), edit)
        act("set_occluded", "Set the joint occluded (COCO flag 1)", "1", lambda: self.set_visibility(1), edit)
        act("set_unlabelled", "Set the joint not labelled (COCO flag 0)", "0", lambda: self.set_visibility(0), edit)
        act("accept", "&Accept prediction as annotation", "A", self.accept_prediction, edit)
        act("delete", "&Delete instance", QtGui.QKeySequence.StandardKey.Delete, self.delete_instance, edit)
        act("clear_predictions", "&Clear this frame's unedited predictions", "Ctrl+Del", self.clear_predictions, edit)
        act("add", "Add a &new person: draw its box, get the model's pose in it", "N", self.add_person, edit)
        act("add_by_joints", "Add a new person joint by joint (Esc: not labelled)", "Shift+N", self.add_person_by_joints, edit)
        act("rebox", "Re-&box the selected person (drag the corner handles; B, Enter or Esc ends)", "B", self.toggle_box_editing, edit)
        act("rebox_done", "End re-box", "Return", self.end_box_editing, edit)
        self.actions_by_name["rebox_done"].setEnabled(False)  # only while re-boxing
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
        act("next_person", "Select the next &person on the frame (same joint)", "P", lambda: self.select_next_person(1), go)
        act("prev_person", "Select the previous person on the frame", "Shift+P", lambda: self.select_next_person(-1), go)
        act("uncertain", "Select the least &certain joint not placed yet (again: the next)", "U", self.select_uncertain_joint, go)
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
        act("cancel", "Clear the joint selection, or &cancel the background job", "Esc", self.escape, model_menu)
        act("retrain", "&Fine-tune the model on this project...", "Ctrl+T", self.start_retrain, model_menu)
        act("compare", "Co&mpare models on this frame", "Ctrl+M", self.compare_models, model_menu)
        self._build_refine_actions(act, model_menu)
        model_menu.addSeparator()
        act("heatmaps", "Show/hide &heatmaps", "H", self.heatmap_panel.show_box.toggle, model_menu)
        act("stage_prev", "Previous &iteration", "[", lambda: self._step_heatmaps(-1), model_menu)
        act("stage_next", "Next i&teration", "]", lambda: self._step_heatmaps(1), model_menu)

        self._build_track_actions(act)  # the Tracks menu (gui/tracks.py)

        help_menu = self.menuBar().addMenu("&Help")
        act("shortcuts", "&Keyboard shortcuts", "F1", self.show_shortcuts, help_menu)
        act("messages", "Recent &messages (what the status bar said, whole)", "Ctrl+Shift+M", self.show_messages, help_menu)

    def _step_heatmaps(self, delta: int) -> None:
        """[ and ]: step through the iterations, with the Heatmaps tab (its slider and peaks) in view."""
        self.side_tabs.setCurrentWidget(self.side_tabs.widget(1))
        self.heatmap_panel.step(delta)

    def _build_refine_actions(self, act: Callable, menu: QtWidgets.QMenu) -> None:
        """The refine toggle (the model panel's checkbox, in the menu too) and the re-run key."""
        menu.addSeparator()
        self._checkbox_action(act, "flip_toggle", "&Flip test (the mirrored image too)", self.model_panel.flip_box, menu)
        self._checkbox_action(act, "refine_toggle", "Refine other joints after a &correction", self.model_panel.refine_box, menu)
        self.model_panel.refine_available.connect(self.actions_by_name["refine_toggle"].setEnabled)
        act("refine", "R&efine the selected person again (placed joints as hints)", "E", self.refine_selected, menu)

    def _checkbox_action(self, act: Callable, name: str, text: str, box: QtWidgets.QCheckBox, menu: QtWidgets.QMenu) -> None:
        """A checkable menu action that mirrors a model-panel checkbox both ways."""
        act(name, text, None, lambda: None, menu)
        toggle = self.actions_by_name[name]
        toggle.setCheckable(True)
        toggle.setChecked(box.isChecked())
        toggle.setEnabled(box.isEnabled())
        toggle.toggled.connect(box.setChecked)
        box.toggled.connect(toggle.setChecked)
        self.model_panel.model_box.currentIndexChanged.connect(lambda _i: toggle.setEnabled(box.isEnabled()))

    def shortcut_table(self) -> list[tuple[str, str]]:
        """(action, its keys) for every action with a key; every key of it (Redo: Ctrl+Shift+Z, Ctrl+Y)."""
        native = QtGui.QKeySequence.SequenceFormat.NativeText
        return [
            ((a.property("plain_text") or a.text()).replace("&", "").rstrip("."), ", ".join(k.toString(native) for k in a.shortcuts()))
            for a in self.actions_by_name.values()
            if not a.shortcut().isEmpty()
        ]

    MOUSE_ACTIONS = [
        ("Click a joint: select it (click again: the next joint on the same spot)", "Left click"),
        ("Drag a joint: move it (on a pile: the joint chosen in the joint table); the model refines the joints you have not placed", "Left drag"),
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
