"""Adding a person the ways annotators expect: draw a box and get the skeleton's mean pose
scaled into it (N), or click the joints one by one in the skeleton's order with the next joint's
name shown (Shift+N; Esc leaves a joint not labelled). Either is one undoable edit."""

from __future__ import annotations

import numpy as np

from poseapp.core.mean_pose import mean_pose, project_mean_pose
from poseapp.store.edits import AddInstance

MEAN_POSE_SAMPLE = 500  # annotations averaged for a project's mean pose


class AddingMixin:
    """Of ``MainWindow`` (which provides project, canvas, prompt, statusBar, _edit)."""

    _placing: dict | None = None

    def _new_person_skeleton(self) -> str:
        existing = self.project.instances(self.current_frame_id)
        names = self.project.skeleton_names() or ["lsp14"]
        skeleton = existing[0].skeleton if existing else names[0]
        self.project.ensure_skeleton(self.project.skeleton(skeleton))
        return skeleton

    def add_person(self) -> None:
        """N: the next left drag on the image draws the new person's box."""
        if self.project is None or self.current_frame_id is None:
            return
        self.stop_adding()
        self.canvas.view.set_mode("box")
        self._show_prompt("Drag a box around the new person (Esc cancels; Shift+N places the joints one by one instead).")

    def add_person_by_joints(self) -> None:
        """Shift+N: each left click places the next joint of the skeleton."""
        if self.project is None or self.current_frame_id is None:
            return
        self.stop_adding()
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

    def stop_adding(self) -> None:
        if self._placing is not None:
            self._undo_means_unplace(False)
        self._placing = None
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
        placing["keypoints"][placing["next"]] = 0.0
        self.canvas.show_placed(placing["keypoints"])
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
        skeleton = self._new_person_skeleton()
        joints = self.project.skeleton(skeleton).joints
        self.stop_adding()
        if self._edit(AddInstance(self.project, self.current_frame_id, skeleton, tuple(bbox), mean_pose(joints, self._project_mean(skeleton)))):
            self.statusBar().showMessage("Added a person in the mean pose: drag the joints into place.", 8000)

    def _point_placed(self, x: float, y: float) -> None:
        if self._placing is not None:
            self._place((x, y))

    def _place(self, point: tuple[float, float] | None) -> None:
        placing = self._placing
        if point is not None:
            placing["keypoints"][placing["next"]] = (point[0], point[1], 2.0)
            self.canvas.show_placed(placing["keypoints"])  # what is placed so far stays in view
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
        self.stop_adding()
        labelled = kps[:, 2] > 0
        (x0, y0), (x1, y1) = kps[labelled, :2].min(axis=0), kps[labelled, :2].max(axis=0)
        pad = 0.1 * max(x1 - x0, y1 - y0, 10.0)
        bbox = (x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad)
        return self._edit(AddInstance(self.project, placing["frame_id"], placing["skeleton"], bbox, keypoints=kps))

    def _prompt_next_joint(self) -> None:
        placing = self._placing
        names = self.project.skeleton(placing["skeleton"]).joints
        n = placing["next"]
        self._show_prompt(f"Click the {names[n].replace('_', ' ')} ({n + 1} of {len(names)}); Esc: not labelled.")

    def _show_prompt(self, text: str) -> None:
        self.prompt.setText(text)
        self.prompt.setVisible(True)
        self.statusBar().showMessage(text, 10000)

    def _project_mean(self, skeleton: str) -> np.ndarray | None:
        kps, boxes = [], []
        for inst in self.project.iter_instances(origin="manual"):
            if inst.skeleton == skeleton and inst.bbox is not None:
                kps.append(inst.keypoints)
                boxes.append(inst.bbox)
                if len(kps) >= MEAN_POSE_SAMPLE:
                    break
        return project_mean_pose(kps, boxes)
