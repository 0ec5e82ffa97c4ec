"""Adding a person the ways annotators expect: draw a box and get the selected model's pose in
it (N; the skeleton's mean pose scaled into it where no model can say), or click the joints one by one in the skeleton's order with the next joint's
name shown (Shift+N; Esc leaves a joint not labelled). Either is one undoable edit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtWidgets

from poseapp.core.errors import PoseAppError
from poseapp.core.mean_pose import mean_pose, project_mean_pose
from poseapp.store.edits import PLACED, AddInstance

MEAN_POSE_SAMPLE = 500  # annotations averaged for a project's mean pose
# The person being placed joint by joint, written to the project at every click: the joints on
# screen survive a crash or a kill, and the next opening adds them as the person they were.
PLACING_META = "placing_joints"


class PromptWidthFollower(QtCore.QObject):
    """Keeps the prompt floating over the canvas as wide as the canvas when the window or the
    splitter resizes it."""

    def __init__(self, prompt, parent=None) -> None:
        super().__init__(parent)
        self._prompt = prompt

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QtCore.QEvent.Type.Resize:
            at_bottom = self._prompt.y() != 0
            self._prompt.setFixedWidth(watched.width())
            self._prompt.adjustSize()
            if at_bottom:
                self._prompt.move(0, watched.height() - self._prompt.height())
        return False


class AddingMixin:
    """Of ``MainWindow`` (which provides project, canvas, prompt, statusBar, _edit)."""

    _placing: dict | None = None

    def _new_person_skeleton(self) -> str:
        """The frame's people's skeleton, else _empty_frame_skeleton's choice."""
        existing = self.project.instances(self.current_frame_id)
        skeleton = existing[0].skeleton if existing else self._empty_frame_skeleton()
        self.project.ensure_skeleton(self.project.skeleton(skeleton))
        return skeleton

    def _empty_frame_skeleton(self) -> str:
        """A frame with nobody on it: its source's skeleton when the source has one only (a dataset
        labels one), else the one the project was made to label, else the project's first, else COCO-17."""
        source = self.project.frame(self.current_frame_id).source_id
        in_source = self.project.skeletons_in_source(source)
        if len(in_source) == 1:
            return in_source[0]
        from poseapp.store.project import LABEL_SKELETON

        return self.project.get_meta(LABEL_SKELETON) or (self.project.skeleton_names() or ["coco17"])[0]

    def add_person(self) -> None:
        """N: the next left drag on the image draws the new person's box."""
        if self.project is None or self.current_frame_id is None:
            return
        self.stop_adding()
        self.end_box_editing()  # one tool at a time
        self.canvas.view.set_mode("box")
        self._show_prompt("Drag a box around the new person (Esc cancels; Shift+N places the joints one by one instead).")

    def add_person_by_joints(self) -> None:
        """Shift+N: each left click places the next joint of the skeleton."""
        if self.project is None or self.current_frame_id is None:
            return
        self.stop_adding()
        self.end_box_editing()
        skeleton = self._new_person_skeleton()
        k = self.project.skeleton(skeleton).num_joints
        self._placing = {"skeleton": skeleton, "keypoints": np.zeros((k, 3)), "next": 0, "frame_id": self.current_frame_id}
        self.canvas.view.set_mode("place")
        self._undo_means_unplace(True)
        self._prompt_next_joint()

    def _undo_means_unplace(self, placing: bool) -> None:
        """While joints are placed one by one, Ctrl+Z takes back the last of them (its menu item says
        so, and works with nothing on the undo stack); after, it is the stack's undo again."""
        undo = self.actions_by_name.get("undo") if hasattr(self, "actions_by_name") else None
        if undo is None:
            return
        text = self.undo_stack.undoText()
        undo.setText("&Undo the last placed joint" if placing else f"&Undo {text}".strip())
        undo.setEnabled(placing or self.undo_stack.canUndo())

    def stop_adding(self, keep_saved: bool = False) -> None:
        """Out of adding; the joints saved while placing go too unless ``keep_saved`` (they are
        about to become a person: a crash in between keeps them)."""
        if self._placing is not None:
            self._undo_means_unplace(False)
            self._placing = None
            if not keep_saved:
                self._save_placing()
        self.canvas.show_placed(None)
        self.canvas.view.set_mode(None)
        self.prompt.setVisible(False)

    def adding(self) -> bool:
        return self.canvas.view.mode is not None

    def leave_adding(self) -> None:
        """Leaving the frame while placing joints one by one: the joints placed so far are the
        user's work, so they are added as a person (the rest not labelled), as one undoable edit,
        instead of being dropped without a word."""
        placing = self._placing
        if placing is None or not (placing["keypoints"][:, 2] > 0).any():
            self.stop_adding()
            return
        placed = int((placing["keypoints"][:, 2] > 0).sum())
        if self._add_placed(placing):
            self.statusBar().showMessage(
                f"Added the person you were placing with {placed} of {len(placing['keypoints'])} joints "
                "(the rest not labelled) on the frame you left; Ctrl+Z removes it.", 10000)

    def unplace_last_joint(self) -> bool:
        """Ctrl+Z while placing joints one by one: take back the last joint (placed or skipped)
        rather than undo an earlier edit the user is not looking at."""
        placing = self._placing
        if placing is None:
            return False
        if placing["next"] == 0:
            self.stop_adding()
            self.statusBar().showMessage("Adding a person cancelled.", 5000)
            return True
        placing["next"] -= 1
        taken, placing["keypoints"][placing["next"]] = placing["keypoints"][placing["next"]].copy(), 0.0
        if not self._save_placing():
            placing["keypoints"][placing["next"]] = taken  # not saved: the joint stays, as on disk
            placing["next"] += 1
            return True
        self.canvas.show_placed(placing["keypoints"], self.project.skeleton(placing["skeleton"]))
        self._prompt_next_joint()
        return True

    def escape_adding(self) -> None:
        """Esc while adding: skip the joint being placed (not labelled), or give up drawing the box."""
        if self._placing is None:
            self.stop_adding()
            self.statusBar().showMessage("Adding a person cancelled.", 5000)
            return
        self._place(None)

    def _box_drawn(self, bbox) -> None:
        """N's box is drawn: the selected model's pose in it at once (one undo step), its joints
        free for refinement; the mean pose where no model can say (none chosen, PyTorch still
        loading, a skeleton too different)."""
        skeleton = self._new_person_skeleton()
        target = self.project.skeleton(skeleton)
        self.stop_adding()
        template = mean_pose(target.joints, self._project_mean(skeleton), target.edges)
        # the first N of a session loads the model (about a second on a CPU): said, with a busy cursor
        path = self.model_panel.model_path()
        if path is not None and not any(key[0] == path for key in self._predictors):
            self.statusBar().showMessage(f"Loading {Path(path).name} to pose the new person...")
            self.statusBar().repaint()
        QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
        try:
            pose, why = self._model_pose(tuple(bbox), skeleton, template)
        finally:
            QtWidgets.QApplication.restoreOverrideCursor()
        edit = AddInstance(self.project, self.current_frame_id, skeleton, tuple(bbox), template, model_pose=pose)
        if self._edit(edit):
            # selected for the next tool (M, B, Del) as a click would, the arrow keys still stepping frames
            self.select_joint(edit.instance.id, 0, nudge=False)
            if pose is not None:
                self.statusBar().showMessage(f"Added a person as {pose[2]} sees them: drag a joint, the others follow.", 8000)
            else:
                self.statusBar().showMessage(f"Added a person in the mean pose ({why}): drag the joints into place.", 8000)

    def _model_pose(self, bbox, skeleton: str, template) -> tuple[tuple | None, str]:
        """((keypoints, scores, model id) the selected model predicts in ``bbox`` in ``skeleton``,
        by joint name; the joints it lacks from the mean pose), or (None, why not)."""
        import sys

        path = self.model_panel.model_path()
        if path is None:
            return None, "no model chosen"
        if "poseapp.models" not in sys.modules:
            return None, "the model is still loading"
        from poseapp.core.accepting import MIN_SHARED_JOINTS, shared_joints

        try:
            predictor = self._predictor(path, self.model_panel.device())
            model_skeleton = predictor.skeleton()
            target = self.project.skeleton(skeleton)
            pairs = shared_joints(model_skeleton.joints, target.joints)
            if len(pairs) < MIN_SHARED_JOINTS:
                return None, f"the model predicts {model_skeleton.name}, not {skeleton}"
            image = self.loader.read(self.project.frame(self.current_frame_id))
            pred = predictor.predict(image, [bbox])[0]
        except (PoseAppError, OSError, RuntimeError, ValueError) as exc:
            return None, f"the model failed: {exc}"
        x, y, w, h = bbox
        kps = np.column_stack([x + template[:, 0] * w, y + template[:, 1] * h, np.full(target.num_joints, 2.0)])
        scores = np.zeros(target.num_joints)
        for i, j in pairs:
            kps[j] = (pred.keypoints[i, 0], pred.keypoints[i, 1], 2.0)
            scores[j] = pred.scores[i]
        return (kps, scores, predictor.model_id), ""

    def _point_placed(self, x: float, y: float) -> None:
        if self._placing is not None:
            self._place((x, y))

    def _place(self, point: tuple[float, float] | None) -> None:
        placing = self._placing
        if point is not None:
            placing["keypoints"][placing["next"]] = (point[0], point[1], 2.0)
            if not self._save_placing():  # not on disk, so not shown: the click is refused
                placing["keypoints"][placing["next"]] = 0.0
                return
            self.canvas.show_placed(placing["keypoints"], self.project.skeleton(placing["skeleton"]))  # bones too
        placing["next"] += 1
        if placing["next"] < len(placing["keypoints"]):
            self._prompt_next_joint()
            return
        if not (placing["keypoints"][:, 2] > 0).any():
            self.stop_adding()
            self.statusBar().showMessage("No joint placed: no person added.", 5000)
            return
        self._add_placed(placing)

    def _add_placed(self, placing: dict) -> bool:
        """The placed joints (at least one) as a new person on the frame they were placed on."""
        kps = placing["keypoints"].copy()
        self.stop_adding(keep_saved=True)
        labelled = kps[:, 2] > 0
        (x0, y0), (x1, y1) = kps[labelled, :2].min(axis=0), kps[labelled, :2].max(axis=0)
        pad = 0.1 * max(x1 - x0, y1 - y0, 10.0)
        bbox = (x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad)
        added = self._edit(AddInstance(self.project, placing["frame_id"], placing["skeleton"], bbox, keypoints=kps))
        if added:
            self._save_placing()  # nothing being placed any more
        return added

    def _save_placing(self) -> bool:
        """Write the joints placed so far (or that none are) into the project; False (and the user
        told) when that failed."""
        if self.project is None or self.project.read_only:
            return True
        placing = self._placing
        value: dict = {}  # nothing being placed (the store keeps no NULL values)
        if placing is not None and (placing["keypoints"][:, 2] > 0).any():
            value = {"frame_id": placing["frame_id"], "skeleton": placing["skeleton"],
                     "keypoints": placing["keypoints"].tolist()}
        if not value and not self.project.get_meta(PLACING_META):
            return True
        try:
            self.project.set_meta(PLACING_META, value)
        except (PoseAppError, sqlite3.Error) as exc:
            self.report_error(f"The joint was not saved, so it was not placed: {exc}\n"
                              f"Another program may be writing {self.project.path}, or the disk is full. Try again.")
            return False
        return True

    def recover_placing(self) -> None:
        """On opening: joints placed one by one when poseapp last stopped without finishing them
        (a crash, a kill) become the person they were, as leaving the frame would have made them."""
        if self.project is None or self.project.read_only:
            return
        saved = self.project.get_meta(PLACING_META)
        if not isinstance(saved, dict) or not saved:
            return
        try:
            kps = np.asarray(saved["keypoints"], dtype=np.float64)
            frame_id, skeleton = int(saved["frame_id"]), str(saved["skeleton"])
            done = not self.project.frame_exists(frame_id) or any(
                np.array_equal(i.keypoints, kps) for i in self.project.instances(frame_id))
        except (KeyError, TypeError, ValueError):
            done = True  # unreadable: nothing to recover
        if done:  # added already (the clearing was what did not happen), or its frame is gone
            self._placing = None
            self._save_placing()
            return
        placed = int((kps[:, 2] > 0).sum())
        if self._add_placed({"skeleton": skeleton, "keypoints": kps, "next": len(kps), "frame_id": frame_id}):
            name = self.project.frame_name(self.project.frame(frame_id))
            self.statusBar().showMessage(
                f"Recovered the person you were placing when poseapp stopped: {placed} joints on {name}; "
                "Ctrl+Z removes it.", 15000)

    def _prompt_next_joint(self) -> None:
        placing = self._placing
        names = self.project.skeleton(placing["skeleton"]).joints
        n = placing["next"]
        self._show_prompt(f"Click the {names[n].replace('_', ' ')} ({n + 1} of {len(names)}); Esc: not labelled.")

    def _show_prompt(self, text: str) -> None:
        at_bottom = self.prompt.isVisible() and self.prompt.y() != 0  # moved out of the cursor's way: stays
        self.prompt.setText(text)
        self.prompt.setFixedWidth(self.canvas.width())
        self.prompt.adjustSize()
        self.prompt.move(0, self.canvas.height() - self.prompt.height() if at_bottom else 0)
        self.prompt.setVisible(True)
        self.prompt.raise_()
        self.statusBar().showMessage(text, 10000)

    def _prompt_out_of_the_way(self, scene_pos) -> None:
        """The prompt lies over the image; when the cursor comes near it (a joint to click under
        it, zoomed in), it moves to the other edge of the canvas."""
        if not self.prompt.isVisible():
            return
        y = self.canvas.mapFromScene(scene_pos).y()
        height, bottom = self.prompt.height(), self.canvas.height() - self.prompt.height()
        margin = 24
        if self.prompt.y() == 0 and y < height + margin:
            self.prompt.move(0, bottom)
        elif self.prompt.y() != 0 and y > bottom - margin:
            self.prompt.move(0, 0)

    def _project_mean(self, skeleton: str) -> np.ndarray | None:
        kps, boxes = [], []
        for inst in self.project.iter_instances(origin="manual"):
            # a person nobody placed a joint of (an N left in the mean pose, an unchecked accepted
            # prediction) is no evidence of how people here stand: it would feed the mean back on itself
            if inst.extra.get(PLACED) == []:
                continue
            if inst.skeleton == skeleton and inst.bbox is not None:
                kps.append(inst.keypoints)
                boxes.append(inst.bbox)
                if len(kps) >= MEAN_POSE_SAMPLE:
                    break
        return project_mean_pose(kps, boxes)
