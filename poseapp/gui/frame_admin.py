"""Looking after the project's frames: imported images are decoded once in the background and
broken ones are marked in the list (one message, never a dialog per visit); selected frames or a
whole source can be removed, undoably."""

from __future__ import annotations

from pathlib import Path

from poseapp.core.errors import PoseAppError
from poseapp.gui.commands import RemoveFrames
from poseapp.gui.jobs import Job


class FrameAdminMixin:
    """Of ``MainWindow`` (project, model, frame_list, broken, job, _edit, _refilter ...)."""

    def remove_selected_frames(self) -> bool:
        ids = self.selected_frame_ids() or ([self.current_frame_id] if self.current_frame_id is not None else [])
        if not ids or self.project is None:
            return False
        text = f"remove {len(ids)} frame{'s' if len(ids) != 1 else ''}"
        return self._remove(ids, text)

    def remove_current_source(self) -> bool:
        if self.project is None or self.current_frame_id is None:
            return False
        source = self.project.source(self.project.frame(self.current_frame_id).source_id)
        return self._remove(self.project.frame_ids(source_id=source.id), f"remove source {Path(source.path).name}")

    def _remove(self, ids: list[int], text: str) -> bool:
        row = self.model.row_of(self.current_frame_id) if self.model is not None and self.current_frame_id is not None else 0
        gone = set(ids)
        self.selected = None

        def after() -> None:  # the list is rebuilt; the view stays near where it was
            if self.current_frame_id in gone:
                self.current_frame_id = None
            self._refilter()
            if self.current_frame_id is None and self.model is not None and self.model.rowCount():
                self._go_row(min(row or 0, self.model.rowCount() - 1))

        if self._edit(RemoveFrames(self.project, ids, text, after)):
            self.statusBar().showMessage(f"{text[0].upper()}{text[1:]}: Ctrl+Z brings it back.", 8000)
            return True
        return False

    def check_images(self, frame_ids: list[int]) -> Job | None:
        """Decode the images of these frames in the background; broken ones are marked and named once."""
        if self.project is None or not frame_ids:
            return None
        self.stop_checking()
        project = self.project
        video = {s.id for s in project.sources() if s.kind == "video"}
        frames = [f for f in (project.frame(fid) for fid in frame_ids) if f.source_id not in video]  # video frames decode on demand
        if not frames:
            return None
        paths = [(f.id, project.frame_path(f), project.frame_name(f)) for f in frames]

        def work(progress, cancelled):
            from poseapp.media.images import read_image

            broken = []
            for n, (fid, path, name) in enumerate(paths):
                if cancelled():
                    break
                try:
                    read_image(path)
                except PoseAppError as exc:
                    broken.append((fid, name, str(exc)))
                progress(n + 1, len(paths))
            return broken

        # its own job, beside model runs: the user can go on working while it checks
        job = Job(work, self)
        job.progressed.connect(lambda done, total: self.statusBar().showMessage(f"Checking imported images: {done}/{total}"))
        job.succeeded.connect(lambda broken: self._images_checked(broken) if self.project is project else None)
        job.failed.connect(lambda message: self.report_error(f"Checking the imported images failed: {message}"))
        job.finished.connect(lambda: setattr(self, "check_job", None) if self.check_job is job else None)
        self.check_job = job
        job.start()
        return job

    def stop_checking(self) -> None:
        job, self.check_job = getattr(self, "check_job", None), None
        if job is not None:
            job.cancel()
            job.wait()

    def _images_checked(self, broken: list) -> None:
        for fid, _name, why in broken:
            self.broken[fid] = why
            if self.model is not None:
                self.model.mark_broken(fid, why)
        if not broken:
            self.statusBar().showMessage("Every imported image decodes.", 5000)
            return
        names = "\n".join(f"  {name}: {why.split(': ', 1)[-1]}" for _fid, name, why in broken[:10])
        more = f"\n  ... and {len(broken) - 10} more" if len(broken) > 10 else ""
        self.report_error(
            f"{len(broken)} imported image{'s' if len(broken) != 1 else ''} cannot be decoded and "
            f"{'are' if len(broken) != 1 else 'is'} marked [broken image] in the frame list:\n{names}{more}\n"
            "Select them and use Edit > Remove selected frames, or replace the files."
        )
