"""Every edit is a QUndoCommand over the store: ``apply`` makes it (one committed transaction),
undo puts back exactly what was there, the frame's state included.

``push_applied`` applies a command *before* it goes on the undo stack: when the commit fails (the
file is locked by another process, the disk is full) nothing is pushed, the caller tells the user
and redraws from the store, so screen, stack and file agree."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QUndoCommand, QUndoStack

from poseapp.store import Instance, Project

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


class SetVisibility(_InstanceEdit):
    def __init__(self, project: Project, instance_id: int, joint: int, v: int, joint_name: str = ""):
        kps = project.instance(instance_id).keypoints.copy()
        kps[joint, 2] = v
        super().__init__(project, instance_id, f"{joint_name or joint}: {VISIBILITY_NAMES[v]}", keypoints=kps)


class SetBox(_InstanceEdit):
    def __init__(self, project: Project, instance_id: int, bbox: tuple[float, float, float, float]):
        super().__init__(project, instance_id, "re-box instance", bbox=tuple(float(v) for v in bbox))


class AcceptPrediction(_InstanceEdit):
    """A predicted instance becomes an annotation (its scores are kept for the occlusion view)."""

    def __init__(self, project: Project, instance_id: int):
        super().__init__(project, instance_id, "accept prediction", origin="manual")


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
                 template: np.ndarray | None = None):
        super().__init__("add instance")
        self.project = project
        k = project.skeleton(skeleton).num_joints
        x, y, w, h = bbox
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


def next_visibility(v: int) -> int:
    return VISIBILITY_CYCLE[int(v)]
