"""Correcting poses the way a user does: clicks and drags on the canvas, keys, and what a failed
save does. Each test sets the view range it clicks in, so no test depends on the window's layout."""

import sqlite3

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore, QtWidgets  # noqa: E402


LEFT = QtCore.Qt.MouseButton.LeftButton


def viewport_pos(window, x, y):
    return window.canvas.mapFromScene(window.canvas.view.mapViewToScene(QtCore.QPointF(x, y)))


def click(window, qtbot, x, y):
    pos = viewport_pos(window, x, y)
    qtbot.mousePress(window.canvas.viewport(), LEFT, pos=pos)
    qtbot.mouseRelease(window.canvas.viewport(), LEFT, pos=pos)


def frame_view(window):
    frame = window.project.frame(window.current_frame_id)
    window.canvas.view.setRange(xRange=(0, frame.width), yRange=(0, frame.height), padding=0)


def run_on_frame(window, qtbot):
    window.actions_by_name["run"].trigger()
    qtbot.waitUntil(lambda: window.job is None, timeout=120_000)


def test_every_visible_joint_of_two_predictions_takes_the_click_under_the_overlays(window, qtbot, tiny_model):
    window.model_panel.add_model(tiny_model)
    window._go_row(7)  # the COCO image with two people
    run_on_frame(window, qtbot)
    preds = [i for i in window.project.instances(window.current_frame_id) if i.origin == "predicted"]
    assert len(preds) >= 2 and window.canvas._heat  # heatmaps and decoded crosses lie over the joints
    frame_view(window)
    for inst in preds:
        for j in np.flatnonzero(inst.keypoints[:, 2] > 0):
            x, y = inst.keypoints[j, :2]
            if not (0 <= x < window.project.frame(inst.frame_id).width and 0 <= y < window.project.frame(inst.frame_id).height):
                continue
            window.selected = None
            click(window, qtbot, x, y)
            assert window.selected is not None, (inst.id, j)
            seen = set()
            for _ in range(6):  # clicking on: cycles through every joint on this spot, this one included
                seen.add(window.selected)
                click(window, qtbot, x, y)
            assert (inst.id, int(j)) in seen
    qtbot.keyClick(window, QtCore.Qt.Key.Key_H)  # H hides every overlay: heatmaps and crosses
    assert window.canvas._heat == []


def test_a_long_model_name_does_not_squeeze_the_canvas(window, tmp_path, tiny_model):
    import shutil

    before = window.canvas.width()
    long_name = tmp_path / ("recurrent-lite-ft-20261123-004500-" + "x" * 60)
    shutil.copytree(tiny_model, long_name)
    window.model_panel.add_model(long_name)
    QtWidgets.QApplication.processEvents()
    assert window.canvas.width() == before
    box = window.model_panel.model_box
    assert box.itemData(box.currentIndex(), QtCore.Qt.ItemDataRole.ToolTipRole) == str(long_name)


def test_repeated_clicks_cycle_through_joints_on_one_spot(window, qtbot):
    inst = window.project.instances(window.current_frame_id)[0]
    kps = inst.keypoints.copy()
    kps[1, :2] = kps[4, :2]  # both knees on one spot, as predictions often have them
    window.project.update_instance(inst.id, keypoints=kps)
    qtbot.waitUntil(lambda: np.allclose(window.canvas._drawn[inst.id]["keypoints"][1, :2], kps[4, :2]))
    frame_view(window)
    picked = []
    for _ in range(3):
        click(window, qtbot, *kps[4, :2])
        picked.append(window.selected[1])
    assert set(picked[:2]) == {1, 4} and picked[2] == picked[0]


def _drag(window, qtbot, start, end, steps=6):
    viewport = window.canvas.viewport()
    qtbot.mousePress(viewport, LEFT, pos=viewport_pos(window, *start))
    for i in range(1, steps + 1):
        f = i / steps
        qtbot.mouseMove(viewport, pos=viewport_pos(window, start[0] + f * (end[0] - start[0]), start[1] + f * (end[1] - start[1])))
    qtbot.mouseRelease(viewport, LEFT, pos=viewport_pos(window, *end))


def dismiss_message(window, qtbot):
    """The user reads the message and presses Enter."""
    boxes = [b for b in window.findChildren(QtWidgets.QMessageBox) if b.isVisible()]
    assert boxes, "no message was shown"
    for box in boxes:
        qtbot.keyClick(box, QtCore.Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not any(b.isVisible() for b in window.findChildren(QtWidgets.QMessageBox)))


@pytest.fixture
def locked(window):
    """Another process holds the project's write lock; this window waits only briefly for it."""
    window.project._db.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(window.project.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    yield other
    other.execute("ROLLBACK")
    other.close()


def test_a_failed_save_leaves_screen_and_undo_stack_unchanged_and_says_so(window, qtbot, locked):
    inst = window.project.instances(window.current_frame_id)[0]
    frame_view(window)
    x0, y0 = inst.keypoints[0, :2]
    _drag(window, qtbot, (x0, y0), (x0 + 15, y0 - 10))
    assert window.undo_stack.count() == 0
    assert "was not saved" in window.last_error and str(window.project.path) in window.last_error
    dismiss_message(window, qtbot)
    qtbot.waitUntil(lambda: np.allclose(window.canvas.joints_item(inst.id).getData()[0][0], x0))  # back where the file has it
    locked.execute("ROLLBACK")
    _drag(window, qtbot, (x0, y0), (x0 + 15, y0 - 10))
    assert window.undo_stack.count() == 1
    locked.execute("BEGIN EXCLUSIVE")
    window.last_error = None
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert window.undo_stack.index() == 1 and "not saved" in window.last_error  # the undo did not happen either
    dismiss_message(window, qtbot)
    assert window.project.instance(inst.id).keypoints[0, 0] == pytest.approx(x0 + 15, abs=1)
    locked.execute("ROLLBACK")
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert window.undo_stack.index() == 0 and window.project.instance(inst.id).keypoints[0, 0] == pytest.approx(x0)
    locked.execute("BEGIN EXCLUSIVE")  # the fixture's rollback


def test_accepting_replaces_the_annotation_in_one_undo_step_with_flags_from_visibility(window, qtbot):
    from poseapp.store import Instance

    fid = window.current_frame_id
    manual = window.project.instances(fid)[0]
    vis = np.linspace(0.05, 0.95, 14)  # the first joints look occluded to the model
    kps = manual.keypoints.copy()
    kps[:, :2] += 2.0
    kps[:, 2] = 2
    pred = window.project.add_instance(Instance(fid, "lsp14", kps, bbox=manual.bbox, origin="predicted", model_id="m",
                                                joint_scores=np.full(14, 0.8), vis_scores=vis))
    window.model_panel.occluded_below.setValue(0.3)  # the user's threshold
    qtbot.waitUntil(lambda: window.canvas.joints_item(pred.id) is not None)
    frame_view(window)
    click(window, qtbot, *kps[13, :2])  # a joint of the prediction (head top, far from the annotation's)
    while window.selected[0] != pred.id:
        click(window, qtbot, *kps[13, :2])
    qtbot.keyClick(window, QtCore.Qt.Key.Key_A)
    after = window.project.instances(fid)
    assert [i.id for i in after] == [pred.id] and after[0].origin == "manual"  # replaced, not a second copy
    np.testing.assert_array_equal(after[0].keypoints[:, 2], np.where(vis < 0.3, 1, 2))
    assert window.undo_stack.count() == 1 and "replacing" in window.undo_stack.undoText()
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    back = {i.id: i for i in window.project.instances(fid)}
    assert set(back) == {manual.id, pred.id} and back[pred.id].origin == "predicted"
    np.testing.assert_array_equal(back[manual.id].keypoints, manual.keypoints)


def test_each_run_replaces_the_unedited_predictions_of_the_models_run_before(window, qtbot, tiny_model, tmp_path):
    """Model A, model B, model A again: one prediction a person, the last model's (a model's guess
    is replaced by the next run's, whichever model made it; test_gui_actions checks that edited
    and imported predictions stay)."""
    from conftest import make_model_folder

    other = make_model_folder(tmp_path / "other-recurrent", seed=2)
    window._go_row(6)
    for model in (tiny_model, other, tiny_model):
        window.model_panel.add_model(model)
        run_on_frame(window, qtbot)
        models = [i.model_id for i in window.project.instances(window.current_frame_id) if i.origin == "predicted"]
        assert models == [window.model_panel.model_path().rsplit("/", 1)[-1]] * len(models) and len(models) >= 1


def test_hovering_a_joint_names_it_and_the_table_is_the_colour_legend(window, qtbot):
    inst = window.project.instances(window.current_frame_id)[0]
    frame_view(window)
    qtbot.mouseMove(window.canvas.viewport(), pos=viewport_pos(window, *inst.keypoints[9, :2]))
    qtbot.waitUntil(lambda: window.canvas.hover_label.isVisible())
    assert window.canvas.hover_label.toPlainText() == "left_shoulder"
    click(window, qtbot, *inst.keypoints[9, :2])
    assert window.canvas.selection_label.toPlainText() == "left_shoulder"
    table = window.joint_table
    icons = {table.item(r, 0).icon().pixmap(4, 4).toImage().pixelColor(1, 1).name() for r in range(table.rowCount())}
    assert len(icons) == 14  # a colour per joint
    brushes = window.canvas.joints_item(inst.id).data["brush"]
    assert brushes[9].color().name() == table.item(9, 0).icon().pixmap(4, 4).toImage().pixelColor(1, 1).name()


def test_dragging_a_pile_moves_the_joint_chosen_in_the_table(window, qtbot):
    inst = window.project.instances(window.current_frame_id)[0]
    kps = inst.keypoints.copy()
    kps[1, :2] = kps[4, :2]  # both knees on one spot
    window.project.update_instance(inst.id, keypoints=kps)
    qtbot.waitUntil(lambda: np.allclose(window.canvas._drawn[inst.id]["keypoints"][1, :2], kps[4, :2]))
    frame_view(window)
    for joint in (4, 1):  # 4 first: the pile is there, and the nearest-first pick alone would take 1
        row = window.joint_table.visualItemRect(window.joint_table.item(joint, 0)).center() if window.joint_table.rowCount() else None
        if row is None:
            window.select_joint(inst.id, 0)  # the table lists the person's joints once one is selected
            row = window.joint_table.visualItemRect(window.joint_table.item(joint, 0)).center()
        qtbot.mouseClick(window.joint_table.viewport(), LEFT, pos=row)
        assert window.selected == (inst.id, joint)
        x, y = window.project.instance(inst.id).keypoints[joint, :2]
        _drag(window, qtbot, (x, y), (x + 20, y + 5 * joint))
        moved = window.project.instance(inst.id).keypoints
        assert moved[joint, 0] == pytest.approx(x + 20, abs=1.5), joint
    assert not np.allclose(moved[1, :2], moved[4, :2])


def test_on_a_pile_the_hover_names_the_joint_a_drag_there_moves(window, qtbot):
    inst = window.project.instances(window.current_frame_id)[0]
    kps = inst.keypoints.copy()
    kps[0, :2] = kps[5, :2] + (0.8, 0.0)  # both ankles on one spot
    window.project.update_instance(inst.id, keypoints=kps)
    qtbot.waitUntil(lambda: np.allclose(window.canvas._drawn[inst.id]["keypoints"][0, :2], kps[0, :2]))
    frame_view(window)
    names = window.project.skeleton(inst.skeleton).joints
    for aim in (0, 5):  # from either ankle's exact spot
        spot = kps[aim, :2]
        qtbot.mouseMove(window.canvas.viewport(), pos=viewport_pos(window, *spot))
        qtbot.waitUntil(lambda: window.canvas.hover_label.isVisible())
        named = window.canvas.hover_label.toPlainText()
        _drag(window, qtbot, tuple(spot), (spot[0] + 25, spot[1] - 10))
        moved = window.project.instance(inst.id).keypoints
        dragged = [names[j] for j in (0, 5) if abs(moved[j, 0] - kps[j, 0]) > 10]
        assert dragged == [named], aim  # what the name says is what the drag moves
        window.undo_stack.undo()
        window.deselect()


def test_pressing_a_joints_own_flag_again_confirms_it_and_r_frees_the_arrow_keys(window, qtbot):
    from poseapp.store.edits import placed_joints
    from poseapp.store import Instance

    fid = window.current_frame_id
    person = window.project.instances(fid)[0]
    window.project.delete_instance(person.id)
    pred = window.project.add_instance(Instance(frame_id=fid, skeleton=person.skeleton, keypoints=person.keypoints,
                                                bbox=person.bbox, origin="predicted", model_id="recurrent-lite"))
    window.show_frame(fid)
    joint = int(np.flatnonzero(pred.keypoints[:, 2] == 2)[0])
    window.select_joint(pred.id, joint)
    assert "predicted instance" in window.statusBar().currentMessage() and "by recurrent-lite" in window.statusBar().currentMessage()
    qtbot.keyClick(window, QtCore.Qt.Key.Key_2)  # visible already: "this one is right"
    now = window.project.instance(pred.id)
    assert joint in placed_joints(now) and now.keypoints[joint, 2] == 2 and np.array_equal(now.keypoints, pred.keypoints)
    assert "confirmed where it is" in window.statusBar().currentMessage()
    window.undo_stack.undo()
    assert joint not in placed_joints(window.project.instance(pred.id))
    qtbot.keyClick(window, QtCore.Qt.Key.Key_1)  # a new flag: said that it leaves the place free, and how to keep it
    assert window.project.instance(pred.id).keypoints[joint, 2] == 1 and joint not in placed_joints(window.project.instance(pred.id))
    assert "Press 1 again to keep it where it is" in window.statusBar().currentMessage()
    qtbot.keyClick(window, QtCore.Qt.Key.Key_1)
    assert joint in placed_joints(window.project.instance(pred.id))
    window.undo_stack.undo()
    window.undo_stack.undo()
    window.select_joint(pred.id, joint)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_R)  # reviewed: the selection goes, so Right is the next frame
    assert window.selected is None
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Right)
    assert window.current_frame_id != fid and window.project.frame(fid).state == "reviewed"


def test_an_imported_annotation_shows_its_joints_as_placed_before_and_after_a_flag(window, qtbot):
    """Refinement treats an imported annotation's labelled joints as the user's (never moved); the
    canvas drew them as circles until one flag was set, when all turned to squares at once (a
    walk-through took it for a defect). Squares and the table's "placed" column from the start."""
    inst = window.project.instances(window.current_frame_id)[0]
    assert inst.origin == "manual" and "placed" not in inst.extra
    labelled = np.flatnonzero(inst.keypoints[:, 2] > 0)
    assert set(window.canvas.joints_item(inst.id).data["symbol"]) == {"s"}
    window.select_joint(inst.id, int(labelled[0]))
    placed_column = window.joint_table.HEADERS.index("placed")
    assert all(window.joint_table.item(int(j), placed_column).text() == "yes" for j in labelled)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_1)
    assert set(window.canvas.joints_item(inst.id).data["symbol"]) == {"s"}
    assert sum(window.joint_table.item(int(j), placed_column).text() == "yes" for j in labelled) == len(labelled)


def test_the_joint_table_shows_every_column_at_1366x768_with_a_joint_not_labelled(window, qtbot):
    """A walk-through at 1366x768: once a flag read "not labelled" the "placed" column went out
    of the dock (a sideways scroll). The joint's name gives way instead (cut, whole in its tooltip)."""
    window.resize(1366, 768)
    window._go_row(6)  # COCO-17 people: "right_shoulder", 17 rows
    inst = window.project.instances(window.current_frame_id)[0]
    window.select_joint(inst.id, int(np.flatnonzero(inst.keypoints[:, 2] > 0)[0]))
    qtbot.keyClick(window, QtCore.Qt.Key.Key_0)
    table = window.joint_table
    qtbot.waitUntil(lambda: table.isVisible())
    qtbot.wait(20)
    assert "unlabelled" in [table.item(r, 3).text() for r in range(table.rowCount())]
    assert table.horizontalHeader().length() <= table.viewport().width() and table.horizontalScrollBar().maximum() == 0
    assert table.item(6, 0).toolTip() == window.project.skeleton(inst.skeleton).joints[6]


def test_a_fine_tune_of_a_fine_tuned_model_is_named_after_the_first_model_not_the_chain():
    from poseapp.gui.retrain_panel import finetuned_name

    first = finetuned_name("recurrent-coco17-large", "20261206-132133")
    second = finetuned_name(first, "20261206-132937")
    assert (first, second) == ("recurrent-coco17-large-ft-20261206-132133", "recurrent-coco17-large-ft-20261206-132937")
    assert finetuned_name("my-ft-model", "20261206-140000") == "my-ft-model-ft-20261206-140000"
