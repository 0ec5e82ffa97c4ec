"""Files and projects as people expect: drop images, folders, videos or dataset files on the
window to import them; File > Recent projects and Close project; the window remembers its
layout, the last project and the frame it showed (in the settings file of gui/settings.py)."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from poseapp.core.skeleton import skeleton_title
from poseapp.gui.settings import recent_projects, remember_project, user_settings


class SessionMixin:
    """Of ``MainWindow`` (which provides project, open_project, import_path, close_project)."""

    def _build_session_menu(self, file_menu: QtWidgets.QMenu, before: QtGui.QAction) -> None:
        self.recent_menu = QtWidgets.QMenu("Recent &projects", self)
        file_menu.insertMenu(before, self.recent_menu)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._fill_recent_menu()
        self.setAcceptDrops(True)
        panel = self.retrain_panel  # the fine-tuning settings are kept as they change, not at quit only
        for key, box in (("epochs", panel.epochs), ("lr", panel.lr), ("minutes", panel.time_limit)):
            box.valueChanged.connect(lambda value, key=key: self._keep_setting(f"retrain/{key}", value))
        # where people come from (a detector, the whole image, or your box file) stays chosen too
        self.model_panel.people_changed.connect(self._keep_people_source)

    def _keep_people_source(self) -> None:
        """The People row's choice for the next session; a box file is also the open project's own
        (it names that project's pictures), so another project does not run on it by accident."""
        source = self.model_panel.people_source()
        self._keep_setting("model/people", source)
        if self.project is not None:
            key = f"people/{self.project.path.resolve()}"
            if self.model_panel.box_file() is not None:
                self._keep_setting(key, source)
            else:
                settings = user_settings()
                settings.remove(key)
                settings.sync()

    def _people_source_for_project(self, path: Path) -> str:
        """On opening a project: the box file chosen for it comes back; a box file chosen for
        another project gives way to the default detector. Returns what changed, to say."""
        from poseapp.engine.detector import DEFAULT_DETECTOR

        panel = self.model_panel
        own = user_settings().value(f"people/{Path(path).resolve()}")
        if own and own != panel.box_file() and panel.set_people_source(str(own)):
            return f"people come from {Path(str(own)).name}, the box file chosen for this project"
        if panel.box_file() is not None and panel.box_file() != own:
            other = Path(panel.box_file()).name
            panel.set_people_source(DEFAULT_DETECTOR)
            return (f"people come from the {panel.boxes_box.currentText()}: the box file {other} was chosen for "
                    "another project (People row: from file... to use it here)")
        return ""

    @staticmethod
    def _keep_setting(key: str, value) -> None:
        settings = user_settings()
        settings.setValue(key, value)
        settings.sync()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        paths = [p for p in recent_projects() if Path(p).exists()]
        for path in paths:
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.setData(path)
            action.triggered.connect(lambda _checked=False, p=path: self.open_project(p))
        self.recent_menu.setEnabled(bool(paths))

    def _opened(self, path: Path) -> str:
        """Recent projects, the project's model and frame; returns what changed in the People row."""
        remember_project(path)
        people = self._people_source_for_project(path)
        self._fill_recent_menu()
        settings = user_settings()
        # on disk now, not at a clean quit: after a crash or kill -9 the next start reopens it too
        settings.setValue("last_project", str(Path(path).resolve()))
        settings.sync()
        model = settings.value(f"model/{Path(path).resolve()}")
        if model and Path(str(model), "card.json").is_file():  # the model last chosen for this project
            self.model_panel.add_model(str(model))
        else:  # a project of COCO-17 people starts with the COCO-17 model, an LSP-14 one with LSP-14's,
            # a fly project with the user's newest fly model
            from poseapp.engine.zoo import model_for_skeleton

            labels = self.project.annotated_skeleton() if self.project is not None else None
            folder = model_for_skeleton(labels)
            if folder is not None:
                self.model_panel.add_model(str(folder))
            elif labels is not None and self.model_panel.model_path() is not None:
                people = "; ".join(n for n in (people, self._no_model_note(labels)) if n)
        last = settings.value(f"last_frame/{Path(path).resolve()}")
        if last is not None and self.model is not None:
            row = self.model.row_of(int(last))
            if row is not None:
                self._go_row(row)
        return people

    def _no_model_note(self, labels: str) -> str:
        """A project of a skeleton no model predicts yet: the model kept from before is named with
        the skeleton it predicts, so its runs are not mistaken for this skeleton's."""
        from poseapp.core.accepting import MIN_SHARED_JOINTS, shared_joints
        from poseapp.core.errors import PoseAppError
        from poseapp.engine.model_folder import read_card

        try:
            skeleton = read_card(self.model_panel.model_path()).get("skeleton") or {}
        except (PoseAppError, OSError):
            return ""
        predicts, name = skeleton.get("joints") or [], skeleton.get("name", "?")
        if len(shared_joints(list(predicts), list(self.project.skeleton(labels).joints))) >= MIN_SHARED_JOINTS:
            return ""
        return (f"no model predicts {skeleton_title(labels)} yet: {Path(self.model_panel.model_path()).name} predicts "
                f"{skeleton_title(name)} (annotate some people, then Model > Fine-tune makes one)")

    def remember_frame(self) -> None:
        """The project's frame and model, for its next opening."""
        if self.project is not None and self.current_frame_id is not None:
            user_settings().setValue(f"last_frame/{self.project.path.resolve()}", int(self.current_frame_id))
        if self.project is not None and self.model_panel.model_path():
            user_settings().setValue(f"model/{self.project.path.resolve()}", self.model_panel.model_path())

    def save_session(self) -> None:
        settings = user_settings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        settings.setValue("last_project", str(self.project.path.resolve()) if self.project is not None else "")
        panel = self.retrain_panel  # the fine-tuning settings a user chose stay chosen
        settings.setValue("retrain/epochs", panel.epochs.value())
        settings.setValue("retrain/lr", panel.lr.value())
        settings.setValue("retrain/minutes", panel.time_limit.value())
        settings.setValue("model/people", self.model_panel.people_source())
        self.remember_frame()
        settings.sync()

    def restore_session(self, open_last: bool = True) -> bool:
        """The window's last layout, and (``open_last``) its last project at its last frame."""
        settings = user_settings()
        geometry, state = settings.value("window/geometry"), settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        panel = self.retrain_panel
        for key, box, kind in (("epochs", panel.epochs, int), ("lr", panel.lr, float), ("minutes", panel.time_limit, float)):
            value = settings.value(f"retrain/{key}")
            try:
                if value is not None:
                    box.setValue(kind(value))  # the box clamps it to its range
            except (TypeError, ValueError):
                pass  # a hand-edited settings file: the default stays
        people = settings.value("model/people")
        if people and not self.model_panel.set_people_source(str(people)) and str(people).lower().endswith(".json"):
            # a box file since moved or changed: the row keeps its default, and says so once
            self.statusBar().showMessage(f"The box file chosen last time ({people}) is gone or no longer readable: "
                                         f"people come from {self.model_panel.boxes_box.currentText()}.", 10000)
        last = settings.value("last_project") or ""
        return bool(open_last and last and Path(last).exists() and self.open_project(last))

    # ------------------------------------------------------------------ drag and drop
    def dragEnterEvent(self, event: QtGui.QDragEnterEvent) -> None:  # noqa: N802 (Qt name)
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QtGui.QDropEvent) -> None:  # noqa: N802 (Qt name)
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        event.acceptProposedAction()
        # after the drop returns: a message box opened inside a drop handler would block the source
        QtCore.QTimer.singleShot(0, lambda: self.import_dropped(paths))

    def import_dropped(self, paths: list[Path]) -> int:
        """Import each dropped path; a dropped project file is opened instead. Returns how many worked."""
        from poseapp.store.project_file import PROJECT_SUFFIX

        done = 0
        for path in paths:
            if path.suffix == PROJECT_SUFFIX:
                done += self.open_project(path)
            else:
                done += self.import_path(path)
        return done
