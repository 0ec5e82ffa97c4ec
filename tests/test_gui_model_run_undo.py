"""A model run is one undo step: Ctrl+Z brings back the predictions it replaced, and a run ends
the redo history (whose steps may name the predictions it replaced) instead of leaving a redo
that fails. An undo that goes to another frame selects that frame alone."""

import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore  # noqa: E402

from test_gui_actions import predicted, trigger, wait_job  # noqa: E402

CTRL = QtCore.Qt.KeyboardModifier.ControlModifier


def test_a_model_run_is_undone_in_one_step_and_ends_the_redo_history(window, qtbot, tiny_model):
    window.model_panel.add_model(tiny_model)
    trigger(window, "last")  # a frame of the demo's video, nobody annotated on it
    fid = window.current_frame_id
    state_before = window.project.frame(fid).state
    assert state_before == "unlabelled"
    trigger(window, "run")
    wait_job(window, qtbot)
    first = predicted(window)
    assert len(first) >= 1 and window.project.frame(fid).state == "predicted"

    # an edit of the prediction, undone: the prediction is the model's again, and redo could bring the edit back
    window.select_joint(first[0].id, 3)
    trigger(window, "visibility")
    trigger(window, "undo")
    assert window.undo_stack.canRedo()

    trigger(window, "run")  # replaces the (unedited) prediction the redo step names
    wait_job(window, qtbot)
    second = predicted(window)
    assert [i.id for i in second] != [i.id for i in first]
    assert not window.undo_stack.canRedo() and not window.actions_by_name["redo"].isEnabled()
    assert window.actions_by_name["undo"].text().startswith("&Undo model run on")

    trigger(window, "undo")  # the second run: the first run's prediction is back, the very record
    said = window.statusBar().currentMessage()
    name = window.project.frame_name(window.project.frame(fid))
    assert said == f"Undid model run on {name}."  # the frame named once, not "on NAME on NAME"
    back = predicted(window)
    assert [i.id for i in back] == [i.id for i in first] and all(b.same_as(f) for b, f in zip(back, first))
    trigger(window, "undo")  # the visibility edit was undone already; next is the first run
    assert predicted(window) == [] and window.project.frame(fid).state == state_before
    assert window.last_error is None or "not saved" not in window.last_error
    trigger(window, "redo")
    trigger(window, "redo")
    again = predicted(window)
    assert [i.id for i in again] == [i.id for i in second] and all(a.same_as(s) for a, s in zip(again, second))


def test_ctrl_z_that_goes_to_another_frame_selects_that_frame_alone(window, qtbot):
    project = window.project
    here = window.current_frame_id
    inst = project.instances(here)[0]
    window.select_joint(inst.id, 2)
    trigger(window, "visibility")
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Escape)  # the joint let go: arrows step frames again
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Right)  # the next frame
    assert window.current_frame_id != here
    window.activateWindow()
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Z, CTRL)  # the undo goes back to the edited frame
    assert window.current_frame_id == here
    rows = window.frame_list.selectionModel().selectedRows()
    assert [window.model.frame_id(r.row()) for r in rows] == [here]
    assert window.selected_frame_ids() == [here]  # so "run on selected frames" runs on this frame only
