"""One correction fixes the rest (issue #13): after the user drags a joint (or sets one not
labelled), the selected model re-runs its recurrent iterations (or its cascade's regression) from
the person's cached features with every joint the user placed as a hint, and the joints the user
has not placed move where context puts them, in the same undo step as the correction."""

from __future__ import annotations

import sqlite3
import time

import numpy as np

from poseapp.core.errors import PoseAppError
from poseapp.store.edits import Refinement, placed_joints

MOVED_PX = 0.5  # a joint that refinement moved less than this is not highlighted
MAX_HEATMAP_VERSIONS = 32  # refinements per person whose heatmaps undo and redo can show again


class RefiningMixin:
    """Of ``MainWindow`` (which provides project, loader, results, model_panel, canvas, _predictor, _edit)."""

    _refine_cache: tuple | None = None  # (key, PersonCache) of the last person computed on demand
    last_refine_ms: float | None = None  # the model re-run of the last refinement (bench/gui_refine.py)
    # instance id -> [(keypoints before, prediction before, keypoints after, refined prediction)]
    _heatmap_versions: dict[int, list[tuple]]

    def refine_on(self) -> bool:
        box = self.model_panel.refine_box
        return box.isEnabled() and box.isChecked()

    def _edit_refined(self, edit) -> bool:
        """Make ``edit`` (a drag, or a joint set not labelled) with the refinement of the person's
        other joints folded into it, so one undo takes back both."""
        moved, pred = self._fold_refinement(edit) if self.refine_on() else ({}, None)
        before = self.project.instance(edit.instance_id).keypoints
        if not self._edit(edit):
            return False
        self._show_moved(edit.instance_id, moved, pred, before)
        if moved:
            self.statusBar().showMessage(f"{edit.text.capitalize()}: the model moved {len(moved)} joint(s) you have not "
                                         f"placed ({self.last_refine_ms:.0f} ms); Ctrl+Z undoes both."
                                         + self._still_a_prediction(edit), 8000)
        return True

    def refine_selected(self) -> bool:
        """The re-run key: refine the selected person (or the only one) with its placed joints as hints."""
        inst = self._selected_instance() if self.project is not None else None
        if inst is None:
            self.statusBar().showMessage("Click a joint of the person to refine first.", 5000)
            return False
        edit = Refinement(self.project, inst.id)
        moved, pred = self._fold_refinement(edit, say_why=True)
        before = inst.keypoints
        if "keypoints" not in edit.changes:
            return False
        if not moved:  # nothing to undo: no step on the stack
            self.statusBar().showMessage("Refined: no joint moved (every labelled joint is placed, or already where the model puts it).", 5000)
            return False
        if not self._edit(edit):
            return False
        self._show_moved(inst.id, moved, pred, before)
        self.statusBar().showMessage(f"Refined: {len(moved)} joint(s) moved ({self.last_refine_ms:.0f} ms).", 5000)
        return True

    def _fold_refinement(self, edit, say_why: bool = False) -> tuple[dict[int, tuple[float, float]], object]:
        """Amend ``edit`` with the refined free joints; returns ({joint: new place} of those that
        moved, the model's PersonPrediction), or ({}, None) when there was no refinement."""
        inst = self.project.instance(edit.instance_id).copy(**edit.changes)  # the record as the edit leaves it
        if not self._free_joints(inst):  # an annotation whose every labelled joint was placed: nothing to move
            if say_why:
                self.statusBar().showMessage("Every labelled joint of this person was placed by you: refinement moves none.", 8000)
            return {}, None
        predictor, why = self._refining_predictor(inst)
        if predictor is None:
            if say_why:
                self.statusBar().showMessage(why, 8000)
            return {}, None
        try:
            keypoints, scores, visibility, pred = self._refine(predictor, inst)
        except (PoseAppError, sqlite3.Error, OSError, RuntimeError, ValueError) as exc:
            self.statusBar().showMessage(f"The other joints were not refined: {exc}", 8000)
            return {}, None
        old = inst.keypoints
        moved = {int(j): (float(keypoints[j, 0]), float(keypoints[j, 1])) for j in range(len(old))
                 if np.hypot(*(keypoints[j, :2] - old[j, :2])) > MOVED_PX}
        changes = {"keypoints": keypoints}
        if inst.joint_scores is not None:
            changes["joint_scores"] = scores
        if inst.vis_scores is not None:
            changes["vis_scores"] = visibility
        edit.amend(f"{edit.text} (+{len(moved)} refined)" if moved else edit.text, **changes)
        return moved, pred

    def _refining_predictor(self, inst):
        """The selected model, if it can refine this person; else (None, why not)."""
        path = self.model_panel.model_path()
        if path is None or not self.model_panel.takes_hints:
            return None, "The selected model takes no hints, so it cannot refine (choose a recurrent or part_regression model)."
        try:
            predictor = self._predictor(path, self.model_panel.device())
        except (PoseAppError, OSError, RuntimeError, ValueError) as exc:
            return None, f"The model cannot be loaded: {exc}"
        skeleton = predictor.skeleton()
        if skeleton is None or skeleton.name != inst.skeleton or skeleton.num_joints != len(inst.keypoints):
            return None, f"The selected model predicts {skeleton.name if skeleton else 'another'} skeletons, not {inst.skeleton}."
        return predictor, ""

    def _refine(self, predictor, inst) -> tuple[np.ndarray, np.ndarray, np.ndarray, object]:
        """(keypoints, joint scores, visibility scores, the model's prediction): the placed joints
        as they are, the free labelled joints where the model puts them given the placed ones."""
        placed = placed_joints(inst)
        kps = inst.keypoints
        cache = self._person_cache(predictor, inst)
        # the far end of a hinted limb is the joint as shown (undo and earlier edits may have moved it)
        cache.estimate = cache.crop.to_crop(kps[:, :2])
        hints = {j: (float(kps[j, 0]), float(kps[j, 1])) for j in placed if kps[j, 2] > 0}
        start = time.perf_counter()
        pred = predictor.refine(cache, hints, iterations=self._refine_iterations(), keep_heatmaps=True)
        self.last_refine_ms = 1000 * (time.perf_counter() - start)
        free = np.array([j for j in self._free_joints(inst) if self._may_go(inst, pred.keypoints[j, :2])], dtype=int)
        out = kps.copy()
        out[free, :2] = pred.keypoints[free, :2]
        scores = inst.joint_scores.copy() if inst.joint_scores is not None else pred.scores.copy()
        scores[free] = pred.scores[free]
        if pred.visibility is None:  # the model predicts no occlusion: nothing to update
            return out, scores, inst.vis_scores, pred
        visibility = inst.vis_scores.copy() if inst.vis_scores is not None else pred.visibility.copy()
        visibility[free] = pred.visibility[free]
        return out, scores, visibility, pred

    # a refined joint stays within this share of the person's box around it (a knee pulled onto the
    # neighbour's is refused, a wrist reaching past a tight box is not)
    REFINE_BOX_MARGIN = 0.15

    def _may_go(self, inst, xy: np.ndarray) -> bool:
        """Whether refinement may put a joint of ``inst`` at ``xy``: inside the image and inside a
        margin around the person's box. Elsewhere the joint stays where it was."""
        frame = self.project.frame(inst.frame_id)
        x, y = float(xy[0]), float(xy[1])
        if not (0.0 <= x <= frame.width - 1 and 0.0 <= y <= frame.height - 1):
            return False
        box = inst.person_box()
        if box is None:
            return True
        bx, by, bw, bh = box
        mx, my = self.REFINE_BOX_MARGIN * bw, self.REFINE_BOX_MARGIN * bh
        return bx - mx <= x <= bx + bw + mx and by - my <= y <= by + bh + my

    @staticmethod
    def _free_joints(inst) -> list[int]:
        """The labelled joints the user has not placed: the ones refinement may move."""
        placed = placed_joints(inst)
        return [j for j in range(len(inst.keypoints)) if j not in placed and inst.keypoints[j, 2] > 0]

    def _refine_iterations(self) -> int | None:
        spin = self.model_panel.iterations
        return spin.value() if spin.isEnabled() else None

    def _person_cache(self, predictor, inst):
        """The person's cached features: from the window's last run on this frame when it still
        fits (same model, same box), else one feed-forward pass on the frame image now."""
        box = inst.box_or_keypoint_extent()
        if box is None:
            raise ValueError("the person has no box and no labelled joints to crop around")
        box = tuple(float(v) for v in box)
        result = self.results.get(inst.frame_id)
        for stored, pred in zip(result.instances, result.predictions) if result is not None else ():
            cache = pred.cache
            if (stored.id == inst.id and cache is not None and stored.model_id == predictor.model_id
                    and tuple(cache.box) == box and cache.features[0].device == predictor.device
                    and (cache.flipped is not None) == predictor.flip_test):
                return cache
        key = (id(predictor), inst.id, box)
        if self._refine_cache is not None and self._refine_cache[0] == key:
            return self._refine_cache[1]
        image = self.loader.read(self.project.frame(inst.frame_id))
        cache = predictor.predict(image, [box], iterations=self._refine_iterations(), keep_cache=True)[0].cache
        self._refine_cache = (key, cache)
        return cache

    def _show_moved(self, instance_id: int, moved: dict[int, tuple[float, float]], pred, before: np.ndarray) -> None:
        """Ring the joints that moved; the heatmap view shows the refined iterations of the person,
        and remembers the maps they replaced, for undo (``_match_heatmaps``)."""
        if moved:
            self.canvas.flash_joints(np.array(list(moved.values()), dtype=np.float64))
        result = self.results.get(self.current_frame_id) if pred is not None else None
        for n, stored in enumerate(result.instances if result is not None else ()):
            if stored.id == instance_id and result.predictions[n].cache is pred.cache:  # the same model's run
                after = self.project.instance(instance_id).keypoints
                versions = self._heatmap_versions.setdefault(instance_id, [])
                versions.append((before, result.predictions[n], after, pred))
                del versions[:-MAX_HEATMAP_VERSIONS]
                result.predictions[n] = pred
                self._update_heatmaps()

    def _match_heatmaps(self, record) -> None:
        """After an undo or redo, show the heatmaps that produced the person's keypoints as they
        are now: the run before a refinement once it is undone, the refined one once redone."""
        result = self.results.get(record.frame_id)
        if result is None:
            return
        for before, before_pred, after, after_pred in reversed(self._heatmap_versions.get(record.id, [])):
            shown = (after_pred if np.array_equal(record.keypoints, after)
                     else before_pred if np.array_equal(record.keypoints, before) else None)
            if shown is not None:
                for n, stored in enumerate(result.instances):
                    if stored.id == record.id:
                        result.predictions[n] = shown
                return
