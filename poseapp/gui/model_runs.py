"""Running models from the main window: prediction on frames, selections and whole sources, the
side-by-side comparison, fine-tuning, all as background jobs with progress and cancel; and the
heatmap overlay of the current frame's result."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from poseapp.core.accepting import MIN_SHARED_JOINTS, shared_joints
from poseapp.core.errors import PoseAppError
from poseapp.core.skeleton import skeleton_title
from poseapp.core.progress_text import rate_text
from poseapp.gui.jobs import Job


class ModelRunsMixin:
    """Model jobs of ``MainWindow`` (which provides project, loader, model_panel, heatmap_panel, canvas)."""

    def _predictor(self, path: str, device: str, flip_test: bool | None = None):
        """The loaded model, shared by every job; flip test as the model panel says unless given."""
        self.runtime_loader.wait()
        from poseapp.engine.predictor import Predictor

        if flip_test is None:
            flip_test = self.model_panel.flip_box.isChecked()
        key = (path, device, flip_test)
        if key not in self._predictors:
            same = next((p for (kp, kd, _), p in self._predictors.items() if (kp, kd) == (path, device)), None)
            # the other flip setting of a loaded model shares its weights instead of loading them again
            self._predictors[key] = (Predictor(same.model, same.card, same.device, flip_test=flip_test) if same
                                     else Predictor.from_path(path, device=device, flip_test=flip_test))
        return self._predictors[key]

    def run_model_on_frame(self) -> Job | None:
        """Ctrl+R / Run on frame: this frame, or every selected frame when several are selected
        (what the button then says: the user selected them to run them)."""
        if self.current_frame_id is None:
            return None
        if len(self.selected_frame_ids()) > 1:
            return self.run_model_on_selection()
        frame = self.project.frame(self.current_frame_id)
        return self._start_prediction([self.current_frame_id], self.project.frame_name(frame))

    def _name_run_button(self) -> None:
        n = len(self.selected_frame_ids())
        self.model_panel.run_button.setText(f"Run on {n} frames" if n > 1 else "Run on frame")

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
        current = self.project.frame(self.current_frame_id)
        ids = self.project.frame_ids(source_id=current.source_id)
        if self.model_panel.from_current.isChecked():  # go on from where the user is, not from frame 0
            ids = ids[ids.index(current.id):]
        return self._start_prediction(ids, Path(self.project.source(current.source_id).path).name)

    def _start_prediction(self, frame_ids: list[int], what: str) -> Job | None:
        if self.project is None:
            return None
        if self.job is not None:
            self.statusBar().showMessage("A background job is running; cancel it first (Esc).", 5000)
            return None
        if self.project.read_only:  # a run stores its predictions in the project
            self.report_error(f"{self.project.path.name} is {self.project.read_only_reason}, so a model run could not "
                              "store its predictions. Compare models on this frame (Ctrl+M) shows them without storing.")
            return None
        path = self.model_panel.model_path()
        if path is None:
            self.report_error("No model to run: train one with `poseapp train` or choose a model folder.")
            return None
        self.runtime_loader.wait()
        from poseapp.engine.frame_runner import predict_frames
        from poseapp.media.frames import FrameLoader

        device = self.model_panel.device()
        iterations = self.model_panel.iterations.value() if self.model_panel.iterations.isEnabled() else None
        project = self.project
        keep = len(frame_ids) <= 64  # heatmaps for a whole video would not fit in memory
        # features for refinement (~0.4 MB a person, recurrent-lite) only for a few frames; any other
        # person gets them from one feed-forward pass when first corrected (gui/refining.py)
        cache = len(frame_ids) <= 8
        flip = self.model_panel.flip_box.isChecked()  # read here: work() runs on another thread
        people = self.model_panel.people_options()
        self._run_boxes = people["boxes"]  # a box file's name, for the note on the frames it does not name

        def work(progress, cancelled):
            predictor = self._predictor(path, device, flip)
            loader = FrameLoader(project)
            try:
                return predict_frames(project, frame_ids, predictor, loader, iterations=iterations,
                                      keep_heatmaps=keep, keep_cache=cache, progress=progress, cancelled=cancelled,
                                      **people)
            finally:
                loader.close()

        job = Job(work, self)
        job.progressed.connect(self._job_progress)
        # results of a run cut short by closing its project belong to no frame shown any more
        job.succeeded.connect(lambda results: self._prediction_done(results, what) if self.project is project else None)
        job.failed.connect(lambda message: self._job_failed(message) if self.project is project else None)
        job.finished.connect(self._job_finished)
        self.job = job
        self._job_started, self._job_unit = time.monotonic(), "frames"
        self.model_panel.set_busy(True)
        self.model_panel.reset_progress(rate_text(0, len(frame_ids), 0.0))
        self.model_panel.progress.setRange(0, len(frame_ids))
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
        self.runtime_loader.wait()
        from poseapp.engine.comparison import compare_models, stored_runs
        from poseapp.engine.frame_runner import FrameBoxes, person_boxes

        frame = self.project.frame(self.current_frame_id)
        try:
            image = self.loader.read(frame)
        except PoseAppError as exc:
            self.report_error(str(exc))
            return None
        project, device, where = self.project, self.model_panel.device(), self.project.frame_name(frame)
        flip = self.model_panel.flip_box.isChecked()
        people = self.model_panel.people_options()  # the People row's boxes, as a model run takes them

        def work(progress, cancelled):
            boxes = person_boxes(project, frame, image, FrameBoxes(people["boxes"], project, people["min_score"],
                                                                   people["min_height"]))
            loaders = [(lambda p=p: self._predictor(p, device, flip)) for p in paths]
            runs = compare_models(image, boxes, loaders, progress=progress, cancelled=cancelled)
            return boxes, runs + stored_runs(project, frame.id, {r.name for r in runs})

        job = Job(work, self)
        job.progressed.connect(self._job_progress)
        job.succeeded.connect(lambda result: self._show_comparison(image, *result, where))
        job.failed.connect(lambda message: self.report_error(f"Comparing models failed: {message}"))
        job.finished.connect(self._job_finished)
        self.job = job
        self._job_started, self._job_unit = time.monotonic(), "models"
        self.model_panel.set_busy(True)
        self.model_panel.reset_progress(rate_text(0, len(paths), 0.0, "models"))
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

    def start_retrain(self) -> bool:
        """Fine-tune the selected model on this project, after saying what it will train on (or why it cannot)."""
        if self.project is None or self.model_panel.model_path() is None:
            self.report_error("Open a project and choose a model to fine-tune.")
            return False
        if self.retrain_panel.process is not None:
            self.statusBar().showMessage("A fine-tuning run is going on; cancel it first.", 5000)
            return False
        try:
            plan = self._finetune_plan()
        except PoseAppError as exc:
            self.report_error(f"Cannot fine-tune: {exc}")
            return False
        self.retrain_dock.raise_()
        self.retrain_panel.status.setText(plan.summary())
        if plan.problem:
            self.report_error(plan.summary())
            return False
        return self.retrain_panel.start(self.model_panel.model_path(), str(self.project.path), plan.summary())

    def _finetune_plan(self):
        """The plan of fine-tuning the selected model on this project, with its time per epoch when
        the Retrain tab's timer has measured this model (plan_finetune itself does not wait for that)."""
        from poseapp.engine.finetune_plan import plan_finetune

        model = self.model_panel.model_path()
        plan = plan_finetune(self.project.path, model)
        plan.timing, plan.timing_problem = self.retrain_panel.timer.known(model, plan.skeleton)
        return plan

    def preview_retrain(self) -> None:
        """The Retrain tab, opened: what fine-tuning the selected model here would use, before it
        starts: the offer when the project labels another skeleton, and the time per epoch, measured
        in the background the first time (the tab shows the plan at once and the time when known)."""
        panel = self.retrain_panel
        if panel.process is not None or panel.events or self.project is None or self.model_panel.model_path() is None:
            return  # a run is going on or has reported: its figures stay
        try:
            plan = self._finetune_plan()
        except PoseAppError as exc:
            panel.status.setText(f"Cannot fine-tune: {exc}")
            return
        model = self.model_panel.model_path()
        text = f"Fine-tuning {Path(model).name} here (Ctrl+T or the button):\n" + plan.summary()
        if not plan.problem and plan.timing is None and plan.timing_problem is None:
            panel.timer.measure(model, plan.skeleton, str(self.project.path))
            text += "\nTime per epoch: measuring a few training steps on this machine (in the background) ..."
        panel.status.setText(text)

    def _retrained(self, folder: str, selected: bool) -> None:
        # a finished run's model that beat its start is selected, ready to compare with the old one
        # on the same frames; a stopped one, or one that did not help, is only listed: the model
        # the user works with stays
        self.model_panel.add_model(folder, select=selected)
        self.statusBar().showMessage(f"New model {Path(folder).name} is in the model list"
                                     + (" and selected." if selected else " (not selected: see the Retrain tab)."), 8000)

    def escape(self) -> None:
        """Esc: skip a joint (or stop) while adding a person, else drop the joint selection, else
        cancel the background job. The selection goes first: clearing it is everyday work (the arrow
        keys change frames again), and a long run must not end by a key pressed for that."""
        if self.adding():
            self.escape_adding()
        elif self.end_box_editing():
            pass
        elif self.selected is not None:
            self.deselect()
        elif self.job is not None:
            self.cancel_job()

    def cancel_job(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.statusBar().showMessage("Cancelling after the current frame...", 5000)

    def _job_progress(self, done: int, total: int) -> None:
        elapsed = time.monotonic() - getattr(self, "_job_started", time.monotonic())
        text = rate_text(done, total, elapsed, getattr(self, "_job_unit", "frames"))
        # the Model tab's bar, and the status bar's, seen whichever tab is in front
        for bar in (self.model_panel.progress, self.status_progress):
            bar.setVisible(True)
            bar.setRange(0, total)
            bar.setFormat(text)
            bar.setValue(done)

    def _prediction_done(self, results: list, what: str) -> None:
        self._push_model_run(results, what)
        for result in results:
            if result.predictions:
                self.results[result.frame_id] = result
                self.results.move_to_end(result.frame_id)
        while len(self.results) > 64:
            self.results.popitem(last=False)
        people = sum(len(r.predictions) for r in results)
        cancelled = self.job is not None and self.job.was_cancelled
        where = what if len(results) == 1 else f"{len(results)} frames of {what}"
        small = self._too_small(results)
        other = self._other_skeleton_note(results)
        # in the panel too: at 1366 px the status bar cuts these off, and it clears after 15 s
        self.model_panel.show_warning("\n".join(note for note in (small, other) if note))
        said = f"{'Cancelled: ' if cancelled else ''}predicted {people} {'person' if people == 1 else 'people'} in {where}."
        corrected = sum(r.corrections for r in results)
        if corrected and not people:  # "0 people" on a frame of corrections is no failure: they are kept as they are
            said = said[:-1] + (f"; {corrected} corrected {'person' if corrected == 1 else 'people'} kept as "
                                f"{'is' if corrected == 1 else 'they are'} (a run never predicts over a correction).")
        guessed = sum(r.whole_image for r in results if r.predictions)
        if guessed:  # nobody found: the pose is a guess in the whole picture, which is no person's box
            said = said[:-1] + (f"; on {guessed} of the frames nobody was found and the whole image was used "
                                "(N draws a person's box).")
        weak = sum(r.weak_person for r in results if r.predictions)
        if weak:  # nobody passed the threshold, and the detector's likeliest person stands in: worth a look
            said = said[:-1] + (f"; on {weak} of the frames nobody passed the People threshold and the likeliest "
                                "person was taken (check them: Del removes a wrong one).")
        resume = self._where_to_resume(results) if cancelled else None
        unnamed = self._not_in_box_file_note(results)
        kept = sum(r.kept for r in results)
        if kept:  # a run removes only the people it predicts again: the others are said, with the way to clear them
            unnamed = " ".join(n for n in (unnamed, f"{kept} earlier {'prediction' if kept == 1 else 'predictions'} "
                               "not found again stayed (Ctrl+Del clears a frame's unedited predictions).") if n)
        self.statusBar().showMessage(" ".join(note for note in (said, unnamed, resume, small, other) if note),
                                     30000 if resume or unnamed else 15000)
        if self.current_frame_id is not None:
            self.show_frame(self.current_frame_id)
        if self.occlusion_view.isVisible():  # its PR curve and queue read the predictions just made
            self.occlusion_view.refresh(self.project)

    def _not_in_box_file_note(self, results: list) -> str | None:
        """Boxes from a file: the frames of the run it does not name got no boxes from it (only the
        people annotated there were predicted), named so the user can give it those frames too."""
        missing = [r.frame_id for r in results if r.not_in_box_file]
        if not missing:
            return None
        box_file = Path(getattr(self, "_run_boxes", None) or "the box file").name
        first = self.project.frame_name(self.project.frame(missing[0]))
        return (f"{box_file} does not name {len(missing)} of the {len(results)} frames (e.g. {first}): nobody was boxed "
                "there but the people annotated on them.")

    def _say_box_file_coverage(self, boxes) -> None:
        """A box file just taken (the People row's BoxFile, read once): how many detections on how
        many pictures, how many frames of the project it names, and the pictures it names that are
        not here (their boxes go unused)."""
        from poseapp.engine.frame_runner import box_file_coverage

        said = f"Boxes from {boxes.path.name}: {boxes.detections} detections on {boxes.pictures} pictures"
        if self.project is not None:
            named, left, examples = box_file_coverage(self.project, boxes)
            said += f"; it names {named} of this project's {self.project.frame_count()} frames"
            if left:
                said += (f"; {left} of its pictures are not in the project ({', '.join(examples)}"
                         f"{', ...' if left > len(examples) else ''}): a picture is named by its file name or COCO image id")
        threshold = self.model_panel.min_score.value()
        self.statusBar().showMessage(f"{said}. Model runs box people where it says (score at least {threshold:.2f}).", 30000)

    def _where_to_resume(self, results: list) -> str | None:
        """A cancelled run over a source: the frame it stopped before, and the keys that go on from it."""
        if not results or self.project is None:
            return None
        last = max(results, key=lambda r: (self.project.frame(r.frame_id).source_id, self.project.frame(r.frame_id).index))
        following = self.project.step_frame(last.frame_id, 1)
        if following is None or following.source_id != self.project.frame(last.frame_id).source_id:
            return None
        name = self.project.frame_name(following)
        return (f"It stopped before {name}: Ctrl+G there, then Ctrl+Shift+R (with \"Run on source from the current "
                "frame on\" ticked) goes on.")

    def _other_skeleton_note(self, results: list) -> str | None:
        """Said when the model's skeleton is not the one the frames' people are annotated in (an
        LSP-14 model on a COCO-17 dataset): its predictions sit beside the annotations, and
        accepting one writes the joints the skeletons share by name into the annotation."""
        predicted = {i.skeleton for r in results for i in r.instances}
        annotated = {i.skeleton for r in results for i in self.project.instances(r.frame_id)
                     if i.origin == "manual"} - predicted
        if not predicted or not annotated:
            return None
        model, people = ", ".join(map(skeleton_title, sorted(predicted))), ", ".join(map(skeleton_title, sorted(annotated)))
        shared = max(len(shared_joints(self.project.skeleton(p).joints, self.project.skeleton(a).joints))
                     for p in predicted for a in annotated)
        if shared < MIN_SHARED_JOINTS:  # AcceptPrediction refuses them: say so before anyone tries
            return (f"Model {model}, people here {people}: the skeletons share {shared} joint{'s' if shared != 1 else ''} by name, "
                    f"too few to accept these predictions (A) into the {people} annotations. Retrain makes a {people} model from them.")
        return f"Model {model}, people here {people}: A (accept) writes the joints they share into the {people} annotation."

    def _push_model_run(self, results: list, what: str) -> None:
        """The run goes on the undo stack as one step (it replaced earlier predictions of models run here,
        which Ctrl+Z brings back); like any new edit it ends the redo history, whose steps may name
        predictions the run replaced."""
        from poseapp.gui.commands import StoreCommand, push_done
        from poseapp.store.edits import ModelRun

        if not results:
            return
        frames = [(r.frame_id, r.old_state, r.replaced, r.instances) for r in results]
        edit = ModelRun(self.project, f"model run on {what}", frames)
        ids = [r.frame_id for r in results]
        push_done(self.undo_stack, StoreCommand(edit, after=lambda: self._forget_results(ids)))

    def _forget_results(self, frame_ids: list[int]) -> None:
        """An undone (or redone) run's heatmaps no longer belong to the people shown."""
        for frame_id in frame_ids:
            self.results.pop(frame_id, None)
        if self.current_frame_id is not None:
            self.show_frame(self.current_frame_id)

    def _too_small(self, results: list) -> str | None:
        """A warning when people were far smaller than the model's input: the model then draws a
        confident skeleton on an upscaled blur."""
        size = self.model_panel.input_size()
        if not size:
            return None
        self.runtime_loader.wait()
        from poseapp.engine.inference import too_small

        small = [(r.frame_id, max(i.bbox[2], i.bbox[3])) for r in results for i in r.instances
                 if i.bbox is not None and too_small(i.bbox, size)]
        if not small:
            return None
        frame_id, side = min(small, key=lambda s: s[1])
        name = self.project.frame_name(self.project.frame(frame_id))
        return (f"{len(small)} {'person is' if len(small) == 1 else 'people are'} too small for the model "
                f"(e.g. {side:.0f} px in {name}; it looks at {size} px): treat {'that pose' if len(small) == 1 else 'those poses'} as a guess.")

    def _job_failed(self, message: str) -> None:
        self.report_error(f"The model run failed: {message}")

    def _job_finished(self) -> None:
        job, self.job = self.job, None
        self.model_panel.set_busy(False)
        self.status_progress.setVisible(False)
        if job is not None and job.was_cancelled:
            self.model_panel.reset_progress("cancelled")

    def _no_heatmaps_note(self) -> str | None:
        """Why no heatmaps show although a prediction may be drawn: it came from a run whose
        heatmaps were not kept (a whole source), or from an earlier session."""
        if self.project is None or self.current_frame_id is None:
            return None
        models = sorted({i.model_id or "a model" for i in self.project.instances(self.current_frame_id) if i.origin == "predicted"})
        if not models:
            return None
        return (f"prediction by {', '.join(models)} shown; its heatmaps were not kept "
                "(runs over more than 64 frames, or earlier sessions): Ctrl+R shows them")

    def _recompute_heatmaps(self):
        """The frame's heatmaps when its run did not keep them (a run over more than 64 frames, an
        earlier session): the selected model again on its stored predictions' boxes (15-30 ms a
        person), so every frame shows maps alike. None when there is nothing to recompute."""
        if not (self.heatmap_panel.isVisible() and self.heatmap_panel.show_box.isChecked()) or self.job is not None:
            return None
        path = self.model_panel.model_path()
        if self.project is None or path is None or "poseapp.models" not in sys.modules:
            return None  # nothing selected, or PyTorch still loading: the note says how to see them
        from poseapp.engine.frame_runner import FrameResult

        try:
            predictor = self._predictor(path, self.model_panel.device())
            if predictor.model.output_kind != "heatmaps":  # a regression model has none to recompute, ever
                return None
            mine = [i for i in self.project.instances(self.current_frame_id)
                    if i.origin == "predicted" and i.model_id == predictor.model_id and i.bbox is not None]
            if not mine:
                return None
            image = self.loader.read(self.project.frame(self.current_frame_id))
            preds = predictor.predict(image, [i.bbox for i in mine], keep_heatmaps=True)
        except (PoseAppError, OSError, RuntimeError, ValueError) as exc:
            self.statusBar().showMessage(f"The heatmaps could not be recomputed: {exc}", 8000)
            return None
        result = FrameResult(self.current_frame_id, preds, mine)
        self.results[self.current_frame_id] = result
        while len(self.results) > 64:
            self.results.popitem(last=False)
        return result

    def _update_heatmaps(self) -> None:
        result = self.results.get(self.current_frame_id) if self.current_frame_id is not None else None
        if result is None or not result.predictions or all(p.heatmaps is None for p in result.predictions):
            result = self._recompute_heatmaps() or result
        preds = result.predictions if result is not None else []
        if not preds:
            self.canvas.clear_heatmaps()
            self.heatmap_panel.show_peaks(None, [], self._no_heatmaps_note())
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
        # H hides every model overlay (heatmaps and decoded crosses), leaving the editable joints
        # the decoded steps of the selected person only (every person's crosses hid every joint)
        chosen = self._chosen_prediction(result)
        self.canvas.show_stage_points([preds[chosen].stages] if self.heatmap_panel.show_box.isChecked() else [], t, joint)
        self._update_peaks()

    def _chosen_prediction(self, result) -> int:
        """The index in ``result`` of the selected person's prediction (the first without a selection)."""
        ids = [i.id for i in result.instances]
        selected = self.selected[0] if self.selected is not None else None
        return ids.index(selected) if selected in ids else 0

    def _update_peaks(self) -> None:
        """The peak-per-step plot of the selected person's prediction (the frame's first without a
        selection): the readout names whom it describes."""
        result = self.results.get(self.current_frame_id) if self.current_frame_id is not None else None
        if result is None or not result.predictions:
            return
        preds = result.predictions
        n = self._chosen_prediction(result)
        joint = self.heatmap_panel.joint()
        scores = preds[n].stage_scores
        peaks = scores[:, joint] if joint is not None else scores.mean(axis=1)
        track = result.instances[n].extra.get("track_id") if n < len(result.instances) else None
        if isinstance(track, int) and not isinstance(track, bool):
            who = f"#{track}"  # as the canvas names the walker
        else:
            who = f"person {n + 1} of {len(preds)}" if len(preds) > 1 else ""
        self.heatmap_panel.show_peaks(np.asarray(peaks), preds[n].stage_names, who=who)
