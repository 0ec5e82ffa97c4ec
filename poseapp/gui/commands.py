"""Every edit is a QUndoCommand over the store: ``apply`` makes it (one committed transaction),
undo puts back exactly what was there, the frame's state included.

``push_applied`` applies a command *before* it goes on the undo stack: when the commit fails (the
file is locked by another process, the disk is full) nothing is pushed, the caller tells the user
and redraws from the store, so screen, stack and file agree."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QUndoCommand, QUndoStack

from poseapp.core.accepting import DEFAULT_OCCLUDED_BELOW, flags_from_visibility, same_person
from poseapp.store import Instance, Project
from poseapp.store.removal import remove_frames, restore

VISIBILITY_CYCLE = {2: 1, 1: 0, 0: 2}  # visible -> occluded -> not labelled -> visible
VISIBILITY_NAMES = {0: "not labelled", 1: "occluded", 2: "visible"}


class StoreCommand(QUndoCommand):
    """An undoable store edit; subclasses define ``apply`` and ``revert``. The stack's redo and
    undo skip a step the window has already made (and committed) itself."""

    _done_before_stack = False

    def apply(self) -> None:
        raise NotImplementedError

    def revert(self) -> None:
        raise NotImplementedError

    def redo(self) -> None:
        if not self._skip():
            self.apply()

    def undo(self) -> None:
        if not self._skip():
            self.revert()

    def _skip(self) -> bool:
        skip, self._done_before_stack = self._done_before_stack, False
        return skip


def push_applied(stack: QUndoStack, command: StoreCommand) -> None:
    """Apply ``command`` and push it only if its commit succeeded (raises what the store raised)."""
    command.apply()
    command._done_before_stack = True
    stack.push(command)


def undo_applied(stack: QUndoStack) -> None:
    """Undo the last edit in the store first; the stack moves only if that commit succeeded."""
    if stack.canUndo():
        command = stack.command(stack.index() - 1)
        command.revert()
        command._done_before_stack = True
        stack.undo()


def redo_applied(stack: QUndoStack) -> None:
    if stack.canRedo():
        command = stack.command(stack.index())
        command.apply()
        command._done_before_stack = True
        stack.redo()


class _InstanceEdit(StoreCommand):
    """Replace one instance's fields; undo restores the old record and the frame state."""

    def __init__(self, project: Project, instance_id: int, text: str, **changes):
        super().__init__(text)
        self.project = project
        self.instance_id = instance_id
        self.old = project.instance(instance_id)
        self.old_state = project.frame(self.old.frame_id).state
        self.changes = changes

    def apply(self) -> None:
        self.project.update_instance(self.instance_id, **self.changes)

    def revert(self) -> None:
        with self.project.transaction():
            o = self.old
            self.project.update_instance(
                self.instance_id, frame_state=None, keypoints=o.keypoints, bbox=o.bbox, origin=o.origin,
                model_id=o.model_id, score=o.score, joint_scores=o.joint_scores, vis_scores=o.vis_scores,
            )
            self.project.set_frame_state(o.frame_id, self.old_state)


class MoveKeypoint(_InstanceEdit):
    """A whole drag: pushed once, on mouse release."""

    def __init__(self, project: Project, instance_id: int, joint: int, x: float, y: float, joint_name: str = ""):
        kps = project.instance(instance_id).keypoints.copy()
        kps[joint, :2] = (x, y)
        if kps[joint, 2] == 0:
            kps[joint, 2] = 2  # placing a joint labels it
        super().__init__(project, instance_id, f"move {joint_name or joint}", keypoints=kps)


class NudgeKeypoint(MoveKeypoint):
    """An arrow-key step; consecutive steps of one joint merge into one undo step."""

    def __init__(self, project: Project, instance_id: int, joint: int, dx: float, dy: float, joint_name: str = ""):
        x, y = project.instance(instance_id).keypoints[joint, :2]
        super().__init__(project, instance_id, joint, x + dx, y + dy, joint_name)
        self.setText(f"nudge {joint_name or joint}")
        self.joint = joint

    def id(self) -> int:  # noqa: A003 (Qt name)
        return 1001

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt name)
        if not isinstance(other, NudgeKeypoint) or (other.instance_id, other.joint) != (self.instance_id, self.joint):
            return False
        self.changes = other.changes  # undo still restores the record from before the first step
        return True


class SetVisibility(_InstanceEdit):
    def __init__(self, project: Project, instance_id: int, joint: int, v: int, joint_name: str = ""):
        kps = project.instance(instance_id).keypoints.copy()
        kps[joint, 2] = v
        super().__init__(project, instance_id, f"{joint_name or joint}: {VISIBILITY_NAMES[v]}", keypoints=kps)


class SetBox(_InstanceEdit):
    def __init__(self, project: Project, instance_id: int, bbox: tuple[float, float, float, float]):
        super().__init__(project, instance_id, "re-box instance", bbox=tuple(float(v) for v in bbox))


class AcceptPrediction(StoreCommand):
    """A predicted instance becomes an annotation, in one step: it replaces the annotation of the
    same person (instead of adding a copy), and each joint's flag comes from the model's
    visibility score (occluded below ``occluded_below``). The scores stay for the occlusion view."""

    def __init__(self, project: Project, instance_id: int, occluded_below: float = DEFAULT_OCCLUDED_BELOW):
        self.project = project
        self.old = project.instance(instance_id)
        self.old_state = project.frame(self.old.frame_id).state
        self.replaced = same_person(self.old, project.instances(self.old.frame_id))
        self.keypoints = flags_from_visibility(self.old.keypoints, self.old.vis_scores, occluded_below)
        super().__init__("accept prediction" + (" (replacing the annotation)" if self.replaced else ""))

    def apply(self) -> None:
        with self.project.transaction():
            for inst in self.replaced:
                self.project.delete_instance(inst.id, frame_state=None)
            self.project.update_instance(self.old.id, origin="manual", keypoints=self.keypoints)

    def revert(self) -> None:
        with self.project.transaction():
            o = self.old
            self.project.update_instance(
                o.id, frame_state=None, keypoints=o.keypoints, bbox=o.bbox, origin=o.origin,
                model_id=o.model_id, score=o.score, joint_scores=o.joint_scores, vis_scores=o.vis_scores,
            )
            for inst in self.replaced:
                self.project.add_instance(inst, frame_state=None)  # same id as before
            self.project.set_frame_state(o.frame_id, self.old_state)


class DeleteInstance(StoreCommand):
    def __init__(self, project: Project, instance_id: int):
        super().__init__("delete instance")
        self.project = project
        self.instance = project.instance(instance_id)
        self.old_state = project.frame(self.instance.frame_id).state

    def apply(self) -> None:
        self.project.delete_instance(self.instance.id)

    def revert(self) -> None:
        with self.project.transaction():
            self.project.add_instance(self.instance, frame_state=None)  # same id as before
            self.project.set_frame_state(self.instance.frame_id, self.old_state)


class AddInstance(StoreCommand):
    """A new person: a box, with its joints laid out as the skeleton's mean pose inside it (to drag into place)."""

    def __init__(self, project: Project, frame_id: int, skeleton: str, bbox: tuple[float, float, float, float],
                 template: np.ndarray | None = None, keypoints: np.ndarray | None = None):
        """``template``: (K, 2) box fractions (see core.mean_pose); or the placed ``keypoints`` (K, 3)."""
        super().__init__("add instance")
        self.project = project
        k = project.skeleton(skeleton).num_joints
        x, y, w, h = bbox
        if keypoints is not None:
            kps = np.asarray(keypoints, dtype=np.float64)
        else:
            if template is None:  # a column of joints down the box's middle, all visible
                template = np.column_stack([np.full(k, 0.5), (np.arange(k) + 0.5) / k])
            kps = np.column_stack([x + template[:, 0] * w, y + template[:, 1] * h, np.full(k, 2.0)])
        self.instance = Instance(frame_id, skeleton, kps, bbox=bbox, origin="manual")
        self.old_state = project.frame(frame_id).state

    def apply(self) -> None:
        self.instance = self.project.add_instance(self.instance)

    def revert(self) -> None:
        with self.project.transaction():
            self.project.delete_instance(self.instance.id, frame_state=None)
            self.project.set_frame_state(self.instance.frame_id, self.old_state)


class SetFrameState(StoreCommand):
    def __init__(self, project: Project, frame_id: int, state: str):
        super().__init__(f"mark frame {state}")
        self.project, self.frame_id, self.state = project, frame_id, state
        self.old_state = project.frame(frame_id).state

    def apply(self) -> None:
        self.project.set_frame_state(self.frame_id, self.state)

    def revert(self) -> None:
        self.project.set_frame_state(self.frame_id, self.old_state)


class RemoveFrames(StoreCommand):
    """Frames (or a whole source) out of the project with their people; undo puts back the very
    rows. ``after`` runs after each step (the window rebuilds its frame list)."""

    def __init__(self, project: Project, frame_ids: list[int], text: str, after=None):
        super().__init__(text)
        self.project, self.frame_ids, self.after = project, list(frame_ids), after
        self.removed = None

    def apply(self) -> None:
        self.removed = remove_frames(self.project, self.frame_ids)
        if self.after is not None:
            self.after()

    def revert(self) -> None:
        restore(self.project, self.removed)
        if self.after is not None:
            self.after()


def next_visibility(v: int) -> int:
    return VISIBILITY_CYCLE[int(v)]
