"""Editing in the main window: every edit is a QUndoCommand on the window's undo stack (a drag is
one command, pushed on release), so undo and redo cover all of them."""

from __future__ import annotations

import sqlite3
from typing import Callable

import numpy as np
from PySide6 import QtWidgets

from poseapp.core.errors import PoseAppError
from poseapp.gui.commands import StoreCommand, push_applied, redo_applied, undo_applied
from poseapp.store.edits import (
    STILL_A_PREDICTION, VISIBILITY_NAMES, AcceptPrediction, ClearPredictions, ConfirmJoint, DeleteInstance, Edit, MoveKeypoint,
    NudgeKeypoint, SetBox, SetFrameState, SetVisibility, is_edited_prediction, next_visibility, placed_joints,
)


class EditingMixin:
    """Selection and the edit commands of ``MainWindow`` (which provides project, canvas, undo_stack)."""

    def _edit(self, edit: Edit, after: Callable[[], None] | None = None) -> bool:
        """Make an edit: saved first, then on the undo stack; if the save fails, neither."""
        command = StoreCommand(edit, after)
        text = command.text()  # read now: a command merged into the one before it is deleted by the stack
        frame_id = self.current_frame_id
        was_reviewed = frame_id is not None and self.project is not None and self.project.frame(frame_id).state == "reviewed"
        if not self._committed(text, lambda: push_applied(self.undo_stack, command)):
            return False
        # what was done, in place of whatever the status bar said before it (a selection, a prompt)
        # a sentence starts with a capital, a joint's name stays as the skeleton spells it ("left_knee: occluded")
        first = text.split(":")[0].split(" ")[0]
        message = f"{text if '_' in first else text[:1].upper() + text[1:]}; Ctrl+Z undoes it."
        message += self._still_a_prediction(edit)
        if was_reviewed and self.project.frame_exists(frame_id) and self.project.frame(frame_id).state != "reviewed":
            message += f" The frame is no longer marked reviewed ({self.project.frame(frame_id).state} now; R marks it again)."
        self.statusBar().showMessage(message, 8000)
        return True

    def _still_a_prediction(self, edit: Edit) -> str:
        """" " + what to do, when ``edit`` changed a prediction that stays one (it lies on a person
        annotated already): the correction reaches export and fine-tuning only through Accept."""
        instance_id = getattr(edit, "instance_id", None)
        if instance_id is None or self.project is None or not self.project.instance_exists(instance_id):
            return ""
        return " " + STILL_A_PREDICTION if is_edited_prediction(self.project.instance(instance_id)) else ""

    def undo_edit(self) -> bool:
        if self.unplace_last_joint():  # while placing joints one by one: the last joint goes back
            return True
        stack = self.undo_stack
        if not stack.canUndo():
            return False
        command, text = stack.command(stack.index() - 1), stack.undoText()
        if not self._committed(f"Undo {text}", lambda: undo_applied(stack)):
            return False
        self._show_where_undone("Undid", text, command)
        return True

    def redo_edit(self) -> bool:
        stack = self.undo_stack
        if not stack.canRedo():
            return False
        command, text = stack.command(stack.index()), stack.redoText()
        if not self._committed(f"Redo {text}", lambda: redo_applied(stack)):
            return False
        self._show_where_undone("Redid", text, command)
        return True

    def _show_where_undone(self, verb: str, text: str, command) -> None:
        """An undo or redo of an edit on another frame goes to that frame (the user sees what
        changed), and the status bar says what was undone where."""
        frame_id = command.edit.frame_id() if command is not None else None
        where = ""
        if frame_id is not None and self.project is not None and self.project.frame_exists(frame_id):
            if frame_id != self.current_frame_id:
                self._go_frame(frame_id)
            name = self.project.frame_name(self.project.frame(frame_id))
            where = "" if name in text else f" on {name}"  # "model run on NAME" names it already
        self.statusBar().showMessage(f"{verb} {text}{where}.", 6000)

    def _committed(self, what: str, step: Callable[[], None]) -> bool:
        if self.project is not None and self.project.read_only:  # said plainly: trying again cannot help
            self.report_error(f"'{what}' was not made: this window cannot save to {self.project.path.name}, which is "
                              f"{self.project.read_only_reason}."
                              + (" Close it there and reopen it here (File > Recent projects) to edit." if self._held_elsewhere() else ""))
            if self.current_frame_id is not None:
                self.show_frame(self.current_frame_id)  # a dragged joint goes back to where the file has it
            return False
        try:
            step()
        except (PoseAppError, sqlite3.Error) as exc:
            where = self.project.path if self.project is not None else "the project"
            if isinstance(exc, PoseAppError) and ("no instance with id" in str(exc) or "no frame with id" in str(exc)):
                # not the disk: what the step changes left the project by a way the undo stack does not know
                self.report_error(f"'{what}' could not be made: the person or frame it changes is no longer in "
                                  f"{where} ({exc}). Nothing was changed.")
            else:
                self.report_error(f"'{what}' was not saved, so it was not made: {exc}\n"
                                  f"Another program may be writing {where}, or the disk is full. Try again.")
            if self.current_frame_id is not None and self.project is not None:
                self.show_frame(self.current_frame_id)  # a dragged joint goes back to where the file has it
            return False
        return True

    def select_joint(self, instance_id: int, joint: int, nudge: bool = True) -> None:
        """``nudge`` False selects the person for a tool (a track timeline click) without handing the
        joint to the arrow keys: they go on stepping frames, and nothing is moved by accident."""
        self.selected = (instance_id, joint)
        self.nudge_armed = nudge
        self.canvas.select(instance_id, joint)
        if getattr(self, "_box_editing", False):
            self.canvas.edit_box(instance_id)
        self._refresh_joint_table()
        self._update_heatmaps()  # the steps drawn and the peak readout follow the selected person
        if self.project is not None:
            inst = self.project.instance(instance_id)
            name = self.project.skeleton(inst.skeleton).joints[joint]
            score = f", score {inst.joint_scores[joint]:.2f}" if inst.joint_scores is not None else ""
            track = f" (track #{inst.extra['track_id']})" if "track_id" in inst.extra else ""
            # which model made it: several models' predictions can lie on one person, drawn alike
            by = f" by {inst.model_id}" if inst.origin == "predicted" and inst.model_id else ""
            self.statusBar().showMessage(
                f"{inst.origin} instance {instance_id}{by}{track}: {name} at ({inst.keypoints[joint, 0]:.1f}, {inst.keypoints[joint, 1]:.1f}), "
                f"{VISIBILITY_NAMES[int(inst.keypoints[joint, 2])]}{score}", 10000)

    def _refresh_joint_table(self) -> None:
        inst = None
        if self.selected is not None and self.project is not None:
            try:
                inst = self.project.instance(self.selected[0])
            except PoseAppError:
                inst = None
        names = list(self.project.skeleton(inst.skeleton).joints) if inst is not None else []
        self.joint_table.show_instance(inst, names, self.selected[1] if inst is not None else None)

    def goto_joint(self, frame_id: int, instance_id: int, joint: int) -> None:
        self._go_frame(frame_id)
        self.select_joint(instance_id, joint)

    def _go_frame(self, frame_id: int) -> None:
        """Show a frame in the list, widening the state filter when it hides that frame."""
        if self.model is not None and self.model.row_of(frame_id) is None:
            self.state_filter.setCurrentText("all frames")
        row = self.model.row_of(frame_id) if self.model is not None else None
        if row is not None:
            self._go_row(row)

    def next_disagreement(self) -> None:
        if self.project is None:
            return
        if not self.occlusion_view.items:
            self.occlusion_view.refresh(self.project)
        self.occlusion_dock.raise_()
        self.occlusion_view.next_disagreement()

    def _joint_name(self, instance_id: int, joint: int) -> str:
        return self.project.skeleton(self.project.instance(instance_id).skeleton).joints[joint]

    def move_joint(self, instance_id: int, joint: int, x: float, y: float) -> None:
        self._edit_refined(MoveKeypoint(self.project, instance_id, joint, x, y, self._joint_name(instance_id, joint)))

    NUDGE_STEP = 1.0  # image pixels per arrow key; Shift: NUDGE_FAR
    NUDGE_FAR = 10.0

    def arrow(self, dx: int, dy: int, far: bool = False) -> None:
        """Arrow keys: with a joint selected they nudge it (Shift: farther); with none they step
        frames (Left/Up back, Right/Down on; Shift: 10 frames)."""
        if self.selected is None or self.project is None or not self.nudge_armed:
            self.step((dx + dy) * (10 if far else 1))
            return
        instance_id, joint = self.selected
        inst = self.project.instance(instance_id)
        if inst.keypoints[joint, 2] == 0:
            self.statusBar().showMessage("This joint is not placed: drag it onto the image first.", 5000)
            return
        step = self.NUDGE_FAR if far else self.NUDGE_STEP
        self._edit(NudgeKeypoint(self.project, instance_id, joint, dx * step, dy * step, self._joint_name(instance_id, joint)))

    def select_next_joint(self, delta: int) -> None:
        """Tab / Shift+Tab: the next / previous joint of the selected person (the first one if none).
        In a field (the People threshold, a fine-tuning setting) Tab goes to the next field, as
        everywhere else: the window's Tab shortcut must not take it to the canvas."""
        focus = QtWidgets.QApplication.focusWidget()
        if isinstance(focus, (QtWidgets.QAbstractSpinBox, QtWidgets.QLineEdit)):
            self.focusNextPrevChild(delta > 0)
            return
        if self.project is None or self.current_frame_id is None:
            return
        if self.selected is None:
            people = self.project.instances(self.current_frame_id)
            if people:
                self.select_joint(people[0].id, 0 if delta > 0 else people[0].keypoints.shape[0] - 1)
            return
        instance_id, joint = self.selected
        k = self.project.instance(instance_id).keypoints.shape[0]
        self.select_joint(instance_id, (joint + delta) % k)

    def select_uncertain_joint(self) -> None:
        """U: the joint the model is least sure of, among the labelled joints of the selected person
        (with nobody selected: of the frame's person with the least sure joint) that the user has not placed; pressed
        again, the next least sure. The model's wrong joints are mostly its unsure ones, so this is
        where a review starts (bench/RESULTS.md: the score ranks wrong joints at AUC 0.72)."""
        inst = self._selected_instance()
        if inst is None and self.project is not None and self.current_frame_id is not None:
            # nobody selected: the frame's person with the least sure joint of all, where review starts
            people = self.project.instances(self.current_frame_id)
            unsure = [(min(i.joint_scores[j] for j in free), n) for n, i in enumerate(people)
                      if i.joint_scores is not None and (free := self._free_joints(i))]
            inst = people[min(unsure)[1]] if unsure else None
        if inst is None or inst.joint_scores is None:
            self.statusBar().showMessage("Click a joint of a person the model predicted, then U selects its least certain joint.", 5000)
            return
        free = set(self._free_joints(inst))
        order = [int(j) for j in np.argsort(inst.joint_scores, kind="stable") if int(j) in free]
        if not order:
            self.statusBar().showMessage("Every labelled joint of this person was placed by you.", 5000)
            return
        # pressed again: the next least sure after the one U chose last; a joint selected any other
        # way (a click, P, Tab) is no place in that order, so U starts at the least sure
        last = getattr(self, "_uncertain_pick", None)
        current = self.selected[1] if self.selected is not None and self.selected == last else None
        joint = order[(order.index(current) + 1) % len(order)] if current in order else order[0]
        self.select_joint(inst.id, joint)
        self._uncertain_pick = (inst.id, joint)

    def deselect(self) -> None:
        self.selected = None
        self.canvas.select(None, None)
        self._refresh_joint_table()
        self._update_heatmaps()

    def cycle_visibility(self) -> None:
        if self.selected is None or self.project is None:
            self.statusBar().showMessage("Click a joint first, then V cycles visible, occluded, not labelled "
                                         "(or 2, 1, 0 set one).", 5000)
            return
        self.set_visibility(next_visibility(self.project.instance(self.selected[0]).keypoints[self.selected[1], 2]))

    def set_visibility(self, v: int) -> None:
        """2 / 1 / 0 (COCO's flags): the selected joint visible, occluded or not labelled, in one key
        (cycling with V from occluded to visible passes "not labelled", which refines the others)."""
        if self.selected is None or self.project is None:
            self.statusBar().showMessage(f"Click a joint first, then {v} makes it {VISIBILITY_NAMES[v]}.", 5000)
            return
        instance_id, joint = self.selected
        name = self._joint_name(instance_id, joint)
        inst = self.project.instance(instance_id)
        if int(inst.keypoints[joint, 2]) == v:
            if v == 0 or joint in placed_joints(inst):
                self.statusBar().showMessage(f"{name} is {VISIBILITY_NAMES[v]} already.", 5000)
            else:  # the same flag again: "this one is right", so no refinement moves it
                self._edit(ConfirmJoint(self.project, instance_id, joint, name))
            return
        edit = SetVisibility(self.project, instance_id, joint, v, name)
        if v == 0:  # the joint leaves the hints: the rest follow the joints still placed
            self._edit_refined(edit)
        elif self._edit(edit) and joint not in placed_joints(self.project.instance(instance_id)):
            # a new flag says nothing of the place: the next drag's refinement may still move the
            # joint, unless the user confirms it (the same key again), which a walk-through missed
            self.statusBar().showMessage(f"{self.statusBar().currentMessage()} Press {v} again to keep it where it is "
                                         "(refinement then never moves it).", 8000)

    def select_next_person(self, delta: int) -> None:
        """P / Shift+P: the same joint of the frame's next / previous person (the keyboard's way to a
        second person: Tab stays within one)."""
        if self.project is None or self.current_frame_id is None:
            return
        people = self.project.instances(self.current_frame_id)
        if not people:
            self.statusBar().showMessage("Nobody on this frame.", 5000)
            return
        ids = [p.id for p in people]
        if self.selected is None or self.selected[0] not in ids:
            nxt, joint = people[0 if delta > 0 else -1], 0
        else:
            nxt, joint = people[(ids.index(self.selected[0]) + delta) % len(people)], self.selected[1]
        self.select_joint(nxt.id, joint if joint < nxt.keypoints.shape[0] else 0)

    def _selected_instance(self):
        if self.selected is not None and self.project is not None:
            return self.project.instance(self.selected[0])
        if self.current_frame_id is not None and self.project is not None:  # the only person, if one
            insts = self.project.instances(self.current_frame_id)
            if len(insts) == 1:
                return insts[0]
        return None

    def accept_prediction(self) -> None:
        inst = self._selected_instance()
        if inst is not None and inst.origin != "predicted" and self.selected is not None:
            # the user pointed at an annotation: never accept some other prediction over it
            self.statusBar().showMessage("The selected person is an annotation already (a correction of a prediction makes it one). "
                                         "Click a joint of a prediction to accept it (A).", 8000)
            return
        if inst is None or inst.origin != "predicted":
            predicted = [i for i in self.project.instances(self.current_frame_id) if i.origin == "predicted"] if self.project and self.current_frame_id else []
            if len(predicted) != 1:
                self.statusBar().showMessage("Click a joint of the prediction to accept (A).", 5000)
                return
            inst = predicted[0]
        edit = AcceptPrediction(self.project, inst.id, self.model_panel.occluded_below.value())
        if edit.refusal is not None:
            self.statusBar().showMessage(edit.refusal, 15000)
            return
        self._edit(edit)

    def delete_instance(self) -> None:
        inst = self._selected_instance()
        if inst is None:
            self.statusBar().showMessage("Click a joint of the person to delete.", 5000)
            return
        self.selected = None
        self._edit(DeleteInstance(self.project, inst.id))

    def clear_predictions(self) -> None:
        """Ctrl+Del: every prediction on the frame nobody edited, in one undo step (a re-run at a
        higher threshold keeps the people it no longer finds: this takes them away)."""
        if self.project is None or self.current_frame_id is None:
            return
        edit = ClearPredictions(self.project, self.current_frame_id)
        if not edit.instances:
            self.statusBar().showMessage("No unedited predictions on this frame.", 5000)
            return
        self.selected = None
        self._edit(edit)

    def toggle_box_editing(self) -> None:
        """B: re-box is a mode, shown on the canvas, until B again, Enter, Esc or another tool ends it."""
        if getattr(self, "_box_editing", False):
            self.end_box_editing()
            return
        if not self.selected:
            self.statusBar().showMessage("Click a joint of the person to re-box, then B.", 5000)
            return
        self.stop_adding()  # one tool at a time
        self._box_editing = True
        self.actions_by_name["rebox_done"].setEnabled(True)  # Enter ends it (Enter is free otherwise)
        self.canvas.edit_box(self.selected[0])
        self.statusBar().showMessage(self.canvas.REBOX_NOTE, 8000)

    def end_box_editing(self) -> bool:
        """Leave re-box mode; False when it was not on."""
        if not getattr(self, "_box_editing", False):
            return False
        self._box_editing = False
        self.actions_by_name["rebox_done"].setEnabled(False)
        self.canvas.edit_box(None)
        self.statusBar().showMessage("Re-box done.", 3000)
        return True

    def set_box(self, instance_id: int, bbox) -> None:
        x, y, w, h = bbox
        if w > 1 and h > 1:
            self._edit(SetBox(self.project, instance_id, (x, y, w, h)))

    def mark_reviewed(self) -> None:
        if self.project is not None and self.current_frame_id is not None:
            if not self._edit(SetFrameState(self.project, self.current_frame_id, "reviewed")):
                return
            # done with this frame: the arrow keys go to the next one again, not nudge the last joint
            self.deselect()
            people = self.project.instances(self.current_frame_id)
            waiting = sum(i.origin == "predicted" for i in people)
            if waiting and not any(i.origin == "manual" for i in people):
                # a reviewed frame with no annotation means "nobody here" to a dataset
                self.statusBar().showMessage(
                    f"Marked reviewed, but its {waiting} {'person is a prediction' if waiting == 1 else 'people are predictions'} "
                    "nobody accepted: exports leave this frame out until you accept them (A) or delete them. "
                    "Ctrl+Z undoes the mark.", 15000)
