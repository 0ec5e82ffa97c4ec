"""The File menu of the main window: new, open, save a copy, import, export, locate moved sources,
and closing; errors are reported in a non-blocking message box and the status bar."""

from __future__ import annotations

from html import escape

import re
import sqlite3

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from poseapp.gui import file_dialogs

from poseapp.core.errors import PoseAppError, ProjectLockedError
from poseapp.core.skeleton import skeleton_title
from poseapp.formats import EXPORTERS, IMPORTERS, ExportOptions, export_project, import_source
from poseapp.formats.sleap import OCCLUDED_AS_VISIBLE
from poseapp.media.frames import FrameLoader
from poseapp.media.relocate import follow_moved_project, missing_sources, relocate_source
from poseapp.store import Project
from poseapp.store.edits import edited_prediction_count, mean_pose_note, mean_pose_people
from poseapp.store.interpolation import INTERPOLATION
from poseapp.store.project_file import PROJECT_SUFFIX

HELD_ELSEWHERE = "open for writing in"  # how read_only_reason starts when another process holds the project


class ProjectActionsMixin:
    """Project file actions of ``MainWindow``."""

    def open_project(self, path: str | Path, create: bool = False) -> bool:
        if self.project is not None and Path(path).resolve() == self.project.path.resolve():
            self.close_project()  # reopening (File > Recent): our own writer lock would refuse a second opening
        try:
            project = self._open_store(path, create)
        except PoseAppError as exc:
            self.report_error(str(exc))
            return False
        self.close_project()
        self.project = project
        self._show_read_only(project)
        self.loader = FrameLoader(project)
        self._listeners += self.project_signals.connect_project(project)
        try:
            fixed = follow_moved_project(project)
            self._refilter()
        except (PoseAppError, sqlite3.Error) as exc:  # a damaged page found while reading it: not half-open
            self.close_project()
            self.report_error(f"Could not open {path}: {exc}\nThe file was left as it is.")
            return False
        self._update_title()
        people = self._opened(project.path)
        note = f"; found {len(fixed)} moved source(s) at the same place beside the project" if fixed else ""
        note += f"; {people}" if people else ""
        self.statusBar().showMessage(f"Opened {path}: {project.frame_count()} frames{note}", 10000 if people else 5000)
        self.recover_placing()  # joints placed one by one before a crash or a kill
        missing = missing_sources(project)
        if missing:
            self.report_error(
                f"{len(missing)} source(s) of {path} are not where the project recorded them:\n"
                + "\n".join(f"  {s.path}" for s in missing[:10])
                + "\nTheir frames stay in the project with all annotations. Use File > Locate missing sources... "
                "to point at where they are now."
            )
        if self._retrain_tab_in_front():
            self.preview_retrain()  # its plan is this project's
        return True

    def _retrain_tab_in_front(self) -> bool:
        return self.retrain_dock.isVisible() and not self.retrain_dock.visibleRegion().isEmpty()

    @staticmethod
    def _open_store(path: str | Path, create: bool) -> Project:
        """This window becomes the project's one writer; when another process is, the project
        opens read-only and says who holds it (README, 'Data safety')."""
        try:
            return Project.open(path, create=create, program="poseapp window")
        except ProjectLockedError as exc:
            project = Project.open(path, read_only=True)
            project.read_only_reason = f"{HELD_ELSEWHERE} {exc.holder_text}"
            return project

    def _held_elsewhere(self) -> bool:
        """Read-only because another poseapp writes the project (not a read-only file)."""
        return self.project is not None and (self.project.read_only_reason or "").startswith(HELD_ELSEWHERE)

    def _show_read_only(self, project: Project | None) -> None:
        if project is None or not project.read_only:
            self.read_only_banner.setVisible(False)
            self._holder_watch.stop()
            return
        self.read_only_banner.setText(escape(
            f"Read-only: {project.path.name} is {project.read_only_reason}. You can look, compare models and export; "
            "edits and model runs are not saved. Close it there and reopen it here (File > Recent projects) to edit."))
        self.read_only_banner.setVisible(True)
        if (project.read_only_reason or "").startswith(HELD_ELSEWHERE):
            self._seen_version = project.data_version()  # what this window read at opening
            self._holder_watch.start()  # follow its commits, and say so when the other window lets go

    def _check_holder(self) -> None:
        """Read-only because another window writes the project: once it has let go, the banner
        offers to edit here (a click reopens the project for writing)."""
        from poseapp.store.writer_lock import holder_gone

        project = self.project
        if project is None or not project.read_only:
            self._holder_watch.stop()
            return
        self._follow_writer(project)
        if holder_gone(project.path):
            self._holder_watch.stop()
            self.read_only_banner.setText(
                f"Read-only: the program that was writing {escape(project.path.name)} has let go. "
                "<a href='reopen'>Edit here</a> (reopens the project for writing, on this frame).")

    def _follow_writer(self, project: Project) -> None:
        """Read-only beside a writer: what it commits shows here too (frame states in the list, the
        people on the frame shown), instead of the state of the moment this window opened."""
        version = project.data_version()
        if version == getattr(self, "_seen_version", None):
            return
        self._seen_version = version
        if self.model is None:
            return
        self.model.forget_states()
        if self.current_frame_id is not None and project.frame_exists(self.current_frame_id) and not self.adding():
            self.show_frame(self.current_frame_id)

    def _edit_here(self, _link: str = "") -> bool:
        """The banner's link: reopen the project this window shows read-only, for writing."""
        if self.project is None:
            return False
        frame = self.current_frame_id
        reopened = self.open_project(self.project.path)
        if reopened and frame is not None and self.model is not None and self.model.row_of(frame) is not None:
            self._go_frame(frame)
        return reopened and not self.project.read_only

    def locate_source(self, source_id: int, path: str | Path) -> bool:
        """Point a source whose files moved at their new place (after checking that every frame is there)."""
        assert self.project is not None and self.loader is not None
        source = self.project.source(source_id)
        inside = Path(path) / Path(source.path).name
        try:
            try:
                moved = relocate_source(self.project, source_id, path)
            except PoseAppError:
                # the folder picked holds the one asked for ('lsp_moved' holding 'images'): that one
                if source.kind != "folder" or not inside.is_dir():
                    raise
                moved = relocate_source(self.project, source_id, inside)
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
            for attempt in range(self.LOCATE_TRIES):  # a wrong pick is said, and the same source asked for again
                again = " (that place did not hold it: try again, or Cancel)" if attempt else ""
                if source.kind == "folder":
                    path = file_dialogs.get_existing_directory(self, f"Where is the image folder '{name}' now?{again}")
                else:
                    path = file_dialogs.get_open_file_name(self, f"Where is '{name}' now?{again}", "",
                                                           f"{name} (*{Path(name).suffix});;All files (*)")[0]
                if not path:
                    return  # Cancel: the rest stay missing until the next Locate
                if self.locate_source(source.id, path):
                    break

    LOCATE_TRIES = 3

    def close_project(self) -> None:
        if self.job is not None:  # a model run writes into this project: stop it before it closes
            self.job.cancel()
            self.job.wait(30000)
            self._job_finished()  # its own (queued) signals find another project and change nothing
        if self.project is not None and self.adding():
            self.leave_adding()  # joints placed one by one are kept, as on leaving the frame
        self.remember_frame()
        closed = self.project.path.name if self.project is not None else None
        for signal, callback in self._listeners:
            signal.disconnect(callback)
        self._listeners.clear()
        if self.loader is not None:
            self.loader.close()
        self.frame_list.setModel(None)  # the view would otherwise repaint from the closed project
        if self.project is not None:
            self.project.close()
        self.project = self.loader = self.model = None
        self._show_read_only(None)
        self.broken = {}
        self.current_frame_id = None
        self.results.clear()
        self._heatmap_versions.clear()
        self.undo_stack.clear()  # its commands hold the closed project
        self.selected = None
        self.canvas.clear_frame()
        # the seek bar and the track timeline belong to the closed project's video: a new project
        # must not show them, nor seek (Ctrl+G, a click) through a source id it does not have
        self.seek_bar.play_button.setChecked(False)
        self.seek_bar.setVisible(False)
        self.seek_bar.timeline.set_tracks(0, [])
        self._seek_source = None
        self.model_panel.show_warning(None)  # the last run's word on its people was about that project
        self.stop_adding()
        self.heatmap_panel.reset()  # a new project starts with none of the last one's state
        self.model_panel.reset_progress()
        self.retrain_panel.reset()
        self.joint_table.show_instance(None, [])
        self.frame_info.setText("")
        self._update_title()
        if closed is not None:  # "Opened ..." must not stay on show for a closed project
            self.statusBar().showMessage(f"Closed {closed}.", 5000)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 (Qt name)
        self.retrain_panel.timer.stop()
        if self.retrain_panel.process is not None:
            self.retrain_panel.cancel()
            self.retrain_panel.process.waitForFinished(15000)
        if self.job is not None:
            self.job.cancel()
            self.job.wait(10000)
        self.save_session()
        self.close_project()  # every edit is already on disk; this only tidies the WAL file
        super().closeEvent(event)

    def import_path(self, source: str | Path, fmt: str | None = None, allow_missing_images: bool = False,
                    image_root: str | Path | None = None) -> bool:
        if self.project is None:
            self.report_error("Open or create a project before importing.")
            return False
        labels, known = self.project.annotated_skeleton(), set(self.project.skeleton_names())
        try:
            summary = import_source(self.project, source, fmt=fmt, image_root=image_root, allow_missing_images=allow_missing_images)
        except PoseAppError as exc:
            if getattr(exc, "missing_images", None):
                self._offer_import_without_images(source, fmt, exc)
            else:
                self.report_error(str(exc))
            return False
        self._refilter()
        other = sorted(set(self.project.skeleton_names()) - known - {labels})
        if labels is not None and other:  # people of another skeleton beside the project's: said, not silent
            summary.notes.append(f"the imported people are labelled in {', '.join(skeleton_title(o) for o in other)}, "
                                 f"this project in {skeleton_title(labels)}: model runs and fine-tuning use the joints "
                                 "the skeletons share by name, and skip people of a skeleton that shares too few")
        self.statusBar().showMessage(str(summary).splitlines()[0], 8000)
        if summary.notes:  # what the import left out or read differently: the status bar only shows a line
            self.report_warning(str(summary))
        return True

    def export_to(self, out: str | Path, fmt: str = "coco") -> bool:
        if self.project is None:
            self.report_error("No project is open.")
            return False
        options = ExportOptions(include_predictions=self.actions_by_name["export_predictions"].isChecked(),
                                keep_unlabelled=self.actions_by_name["export_unlabelled"].isChecked(),
                                write_frames=self.actions_by_name["export_frames"].isChecked())
        try:
            counts = export_project(self.project, fmt, out, options)
        except (PoseAppError, OSError) as exc:
            self.report_error(f"Export to {out} failed: {exc}")
            return False
        # "computed area" and the like say which COCO fields were filled in: for the CLI's JSON, not a user
        said = {k: n for k, n in counts.items() if not k.startswith("computed ")}
        message = f"Wrote {out}: " + ", ".join(f"{n} {k}" if isinstance(n, int) else f"{k} {n}" for k, n in said.items())
        warnings: list[str] = []  # what the file lacks or holds as guesses: in a box, where it cannot fade
        left_out = 0 if options.include_predictions else self.project.instance_count(origin="predicted")
        if left_out and fmt == "coco":  # interpolated and carried people are predictions too: said, not silently missing
            edited = edited_prediction_count(self.project)
            mine = f", {edited} of them with your corrections" if edited else ""
            message += (f". {left_out} predictions (model runs, interpolated and carried people{mine}) were left out: accept "
                        "them (A) or tick File > 'COCO export includes predictions'")
            if edited:  # a correction the user made is missing from the file: never only in a status line that fades
                warnings.append(f"{edited} {'prediction' if edited == 1 else 'predictions'} you corrected "
                                f"{'is' if edited == 1 else 'are'} not in {out}: each lies on a person annotated already, "
                                "so it stays a prediction until you accept it (select it, A), which puts your "
                                "corrections into that person's annotation. Then export again.")
            between = self.project.instance_count(origin="predicted", model_id=INTERPOLATION)
            if between:  # the user asked for them (Tracks > Interpolate), yet they are estimates, not labels
                warnings.append(f"{between} interpolated {'person is' if between == 1 else 'people are'} not in {out}: "
                                "an interpolation is an estimate, kept as a prediction. Accept the ones that are right "
                                "(A), or tick File > 'COCO export includes predictions'.")
        self.statusBar().showMessage(message, 15000 if left_out else 8000)
        if said.get(OCCLUDED_AS_VISIBLE):  # a format that cannot hold the flag: the user's flags change in the file
            warnings.append(f"{out}: {said[OCCLUDED_AS_VISIBLE]} {OCCLUDED_AS_VISIBLE}. A re-import reads them visible.")
        templates = mean_pose_people(self.project)
        if templates:  # guesses written as labels
            warnings.append(f"{out}: {mean_pose_note(templates)}")
        if warnings:
            self.report_warning("\n\n".join(warnings))
        return True

    def _offer_import_without_images(self, source: str | Path, fmt: str | None, exc: PoseAppError) -> None:
        """The file's images are not (all) there: offer to import the annotations anyway."""
        missing = exc.missing_images  # type: ignore[attr-defined]
        self.last_error = str(exc)
        box = QtWidgets.QMessageBox(
            QtWidgets.QMessageBox.Icon.Question, "poseapp",
            f"{len(missing)} image file(s) of {Path(source).name} are not there:\n  " + "\n  ".join(missing[:10])
            + ("\n  ..." if len(missing) > 10 else "")
            + f"\n\nThey were looked for below {getattr(exc, 'image_root', None) or Path(source).parent}. Choose the folder "
            "the images are in, or import the annotations without them (File > Locate missing sources finds "
            "them later).",
            QtWidgets.QMessageBox.StandardButton.Cancel, self,
        )
        box.setDetailedText(str(exc))
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        choose = box.addButton("Choose image folder...", QtWidgets.QMessageBox.ButtonRole.ActionRole)
        anyway = box.addButton("Import without images", QtWidgets.QMessageBox.ButtonRole.AcceptRole)
        choose.clicked.connect(lambda: self._import_with_image_folder(source, fmt))
        anyway.clicked.connect(lambda: self.import_path(source, fmt, allow_missing_images=True))
        self.missing_images_box = box  # for tests
        box.open()

    def _import_with_image_folder(self, source: str | Path, fmt: str | None) -> bool:
        """The GUI's ``--images``: the user names the folder the file's image names are relative to."""
        folder = file_dialogs.get_existing_directory(self, f"The folder with the images of {Path(source).name}")
        return bool(folder) and self.import_path(source, fmt, image_root=folder)

    def report_warning(self, message: str) -> None:
        """Something worked, with a part the user must know about (a file left out, say)."""
        self.last_warning = message
        self.log_message("warning", message)
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Information, "poseapp", message, parent=self)
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def report_error(self, message: str) -> None:
        self.last_error = message
        self.statusBar().showMessage(message.splitlines()[0], 10000)
        self.log_message("error", message)  # whole: the status bar shows its first line
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Warning, "poseapp", message, parent=self)
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # not exec(): the window keeps running

    # File > New asks which skeleton the people will be labelled in; the first is what most label
    SKELETON_CHOICES = {
        "COCO-17: nose, eyes, ears and 12 limb joints": "coco17",
        "LSP-14: 12 limb joints, neck and head top": "lsp14",
        "MPII-16: limb joints, pelvis, thorax, neck and head top": "mpii16",
    }
    # ... or the skeleton of a dataset file (an animal's, a lab's own), read as an import reads it
    FROM_DATASET = "From a dataset... (COCO keypoints JSON, SLEAP .slp, DeepLabCut config.yaml, Label Studio JSON)"
    # ... or one the user types: joints, limbs, left/right pairs (gui/skeleton_dialog.py)
    DEFINE = "Define your own... (joint names, limbs, left/right pairs)"

    def _ask_new(self) -> None:
        path, _ = file_dialogs.get_save_file_name(self, "New project", "", f"poseapp project (*{PROJECT_SUFFIX})")
        if not path:
            return
        if not path.endswith(PROJECT_SUFFIX):
            path += PROJECT_SUFFIX
        choice, ok = QtWidgets.QInputDialog.getItem(
            self, "New project", "Which skeleton will you label? (An imported dataset brings its own.)",
            [*self.SKELETON_CHOICES, self.FROM_DATASET, self.DEFINE], 0, False)
        if not ok:
            return
        if choice == self.DEFINE:
            from poseapp.gui.skeleton_dialog import SkeletonDialog

            skeleton = SkeletonDialog.ask(self)
            if skeleton is not None and self.new_project(path, skeleton):
                self.statusBar().showMessage(
                    f"{Path(path).name} labels {skeleton_title(skeleton.name)}: {len(skeleton.edges)} limbs, "
                    f"{len(skeleton.flip_pairs)} left/right pairs. Import images or videos, then Shift+N places a "
                    "person joint by joint.", 12000)
            return
        if choice == self.FROM_DATASET:
            from poseapp.formats.dataset_skeleton import DIALOG_FILTER

            source, _ = file_dialogs.get_open_file_name(self, "The dataset whose skeleton the new project labels", "",
                                                        DIALOG_FILTER)
            if source:
                self.new_project_from_dataset(path, source)
            return
        from poseapp.core.skeleton import preset

        self.new_project(path, preset(self.SKELETON_CHOICES[choice]))

    def new_project(self, path: str | Path, skeleton) -> bool:
        """Create (or open) the project at ``path`` to label people in ``skeleton``, with the shipped
        model of that skeleton when there is one (the model list shows which predicts it)."""
        if not (self.open_project(path, create=True) and not self.project.read_only):
            return False
        from poseapp.engine.zoo import model_for_skeleton

        try:
            self.project.set_label_skeleton(skeleton)
        except PoseAppError as exc:  # an existing project with another skeleton of that name, a failed write
            self.report_error(f"{path} could not be set to label {skeleton.name}: {exc}")
            return False
        folder = model_for_skeleton(skeleton.name)
        if folder is not None:
            self.model_panel.add_model(str(folder))
        return True

    def new_project_from_dataset(self, path: str | Path, dataset: str | Path) -> bool:
        """A new project labelling the skeleton of a dataset file (its joints, limbs and flip pairs).
        The file is read first: a file that is no such dataset is reported and no project is made."""
        from poseapp.formats.dataset_skeleton import skeleton_from_dataset

        try:
            skeleton = skeleton_from_dataset(dataset)
        except PoseAppError as exc:
            self.report_error(f"No skeleton could be taken from {dataset}:\n{exc}\nNo project was created.")
            return False
        if not self.new_project(path, skeleton):
            return False
        no_model = self._no_model_note(skeleton.name) if self.model_panel.model_path() is not None else ""
        self.statusBar().showMessage(
            f"{Path(path).name} labels the skeleton of {Path(dataset).name}: {skeleton_title(skeleton.name)}, "
            f"{len(skeleton.edges)} limbs, {len(skeleton.flip_pairs)} left/right pairs. Import images or videos to label."
            + (f" Note: {no_model}." if no_model else ""), 15000 if no_model else 10000)
        return True

    def _ask_open(self) -> None:
        path, _ = file_dialogs.get_open_file_name(self, "Open project", "", f"poseapp project (*{PROJECT_SUFFIX})")
        if path:
            self.open_project(path)

    def _ask_save_copy(self) -> None:
        if self.project is None:
            return
        # offered beside the project under a new name (the project itself is never a copy's place)
        suggested = self.project.path.with_name(f"{self.project.path.stem}-copy{PROJECT_SUFFIX}")
        path, _ = file_dialogs.get_save_file_name(self, "Save a copy", str(suggested), f"poseapp project (*{PROJECT_SUFFIX})")
        if path:
            try:
                self.project.save_copy(path)
            except (PoseAppError, OSError, sqlite3.Error) as exc:
                self.report_error(f"Could not save a copy to {path}: {exc}")
            else:
                self.statusBar().showMessage(f"Saved a copy to {path}", 5000)

    def _project_for_import(self) -> bool:
        """Imports go into a project: without one, say so before any file dialog (not after the
        user has looked for the file)."""
        if self.project is None:
            self.report_error("Open or create a project before importing: File > New project... (Ctrl+N) or "
                              "File > Open project... (Ctrl+O).")
        return self.project is not None

    def _ask_import(self) -> None:
        if not self._project_for_import():
            return
        patterns = sorted({p for f in IMPORTERS.values() for p in f.patterns})
        filters = [f"Datasets and media ({' '.join(patterns)} *.jpg *.jpeg *.png *.avi *.mp4 *.mov *.mkv)"]
        filters += [f.dialog_filter for f in IMPORTERS.values()] + ["All files (*)"]
        path, _ = file_dialogs.get_open_file_name(self, "Import", "", ";;".join(filters))
        if path:
            self.import_path(path)

    def _ask_import_folder(self) -> None:
        if not self._project_for_import():
            return
        path = file_dialogs.get_existing_directory(self, "Import folder (images, LSP or YOLO-pose)")
        if path:
            self.import_path(path)

    def _beside_project(self, name: str) -> str | None:
        """Where an export is offered: beside the project file (not in the folder of the data last
        imported, where a hurried Return would write into someone's dataset); None: no project."""
        if self.project is None:
            self.report_error("No project is open: open or create one (Ctrl+O, Ctrl+N) to export its annotations.")
            return None
        return str(self.project.path.parent / name)

    def _ask_export_as(self, fmt: str) -> None:
        spec = EXPORTERS[fmt]
        stem = self.project.path.stem if self.project is not None else fmt
        extension = next(iter(re.findall(r"\*(\.[\w.]+)", spec.dialog_filter)), ".json")  # '*.slp' -> '.slp'
        suggested = self._beside_project(f"{stem}-{fmt}" if spec.target == "folder" else f"{stem}{extension}")
        if suggested is None:
            return
        if spec.target == "folder":
            path = file_dialogs.get_save_file_name(self, f"Export {spec.label} (a new folder)", suggested, "Folder (*)")[0]
        else:
            path = file_dialogs.get_save_file_name(self, f"Export {spec.label}", suggested, spec.dialog_filter)[0]
        if path:
            self.export_to(path, fmt)

    def _ask_export(self) -> None:
        suggested = self._beside_project("annotations.json")
        if suggested is None:
            return
        path, _ = file_dialogs.get_save_file_name(self, "Export COCO keypoints", suggested, "COCO JSON (*.json)")
        if path:
            self.export_to(path, "coco")
