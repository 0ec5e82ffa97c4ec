"""One correction fixes the rest, in the window (issue #13, item 4): dragging a joint of a person
re-runs the shipped recurrent-lite model with the placed joints as hints, and the joints the user
has not placed move, in the same undo step as the drag. Real mouse drags, keys and menu actions."""

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore  # noqa: E402

from conftest import open_demo_window  # noqa: E402
from poseapp.demo import ensure_demo_project  # noqa: E402

MODEL = Path(__file__).resolve().parents[1] / "models" / "recurrent-lite"
LEFT = QtCore.Qt.MouseButton.LeftButton
R_WRIST, L_ANKLE = 6, 5  # lsp14 joints


@pytest.fixture
def window(qtbot, tmp_path):
    if not (MODEL / "card.json").exists():
        pytest.skip("the shipped recurrent-lite model is not here")
    win = open_demo_window(qtbot, tmp_path)
    win.model_panel.add_model(MODEL)
    yield win
    win.close_project()


def _to_viewport(window, x, y):
    return window.canvas.mapFromScene(window.canvas.view.mapViewToScene(QtCore.QPointF(x, y)))


def _drawn_as_stored(window, qtbot):
    """Wait for the queued redraw after an edit: the user's next drag starts from what is drawn."""
    def same():
        return all(i.id in window.canvas._drawn and np.array_equal(window.canvas._drawn[i.id]["keypoints"], i.keypoints)
                   for i in window.project.instances(window.current_frame_id))
    qtbot.waitUntil(same, timeout=5000)


def _mouse_drag(window, qtbot, start, end, steps=8):
    viewport = window.canvas.viewport()
    qtbot.mousePress(viewport, LEFT, pos=_to_viewport(window, *start))
    for i in range(1, steps + 1):
        f = i / steps
        qtbot.mouseMove(viewport, pos=_to_viewport(window, start[0] + f * (end[0] - start[0]), start[1] + f * (end[1] - start[1])))
    qtbot.mouseRelease(viewport, LEFT, pos=_to_viewport(window, *end))


def _drag(window, qtbot, start, end):
    """A real mouse drag of a joint; returns where the window says the joint was dropped."""
    _drawn_as_stored(window, qtbot)
    with qtbot.waitSignal(window.canvas.joint_dropped, timeout=5000) as dropped:
        _mouse_drag(window, qtbot, start, end)
    _drawn_as_stored(window, qtbot)
    return dropped.args[2], dropped.args[3]


@pytest.fixture
def predicted(window, qtbot):
    """The one person on the first frame as the model sees it: the demo's annotation deleted (Del),
    then the model run on the frame (Ctrl+R)."""
    window.select_joint(window.project.instances(window.current_frame_id)[0].id, 0)
    window.actions_by_name["delete"].trigger()
    assert window.project.instances(window.current_frame_id) == []
    window.actions_by_name["run"].trigger()
    assert window.job is not None, window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: window.job is None, timeout=120_000)
    assert window.undo_stack.undoText().startswith("model run on")  # the run is an undo step of its own
    window.undo_stack.clear()  # the test's undo steps start here
    people = window.project.instances(window.current_frame_id)
    assert window.last_error is None and [p.origin for p in people] == ["predicted"]
    window.canvas.view.setRange(xRange=(0, 147), yRange=(0, 201), padding=0)
    return people[0]


def _run_on_frame(window, qtbot):
    """Model > Run model on frame (Ctrl+R), and the background run to its end."""
    window.actions_by_name["run"].trigger()
    assert window.job is not None, window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: window.job is None, timeout=120_000)
    assert window.last_error is None


def _keypoints(window, instance_id):
    return window.project.instance(instance_id).keypoints


def _moved(before, after, skip=()):
    d = np.hypot(*(after[:, :2] - before[:, :2]).T)
    d[list(skip)] = 0
    return d


def test_a_drag_moves_the_other_joints_and_one_undo_takes_both_back(window, qtbot, predicted):
    before = _keypoints(window, predicted.id)
    x0, y0 = before[R_WRIST, :2]
    x, y = _drag(window, qtbot, (x0, y0), (x0 + 14.0, y0 - 9.0))
    after = _keypoints(window, predicted.id)
    assert tuple(after[R_WRIST, :2]) == (x, y)  # the dragged joint stays exactly where it was dropped
    assert _moved(before, after, skip=[R_WRIST]).max() > 0.5  # context moved at least one other joint
    assert window.undo_stack.count() == 1 and "refined" in window.undo_stack.undoText()
    assert window.project.instance(predicted.id).extra["placed"] == [R_WRIST]
    assert window.canvas.flash is not None and len(window.canvas.flash.data) >= 1  # the moved joints ringed
    qtbot.waitUntil(lambda: window.joint_table.item(R_WRIST, 6).text() == "yes", timeout=5000)  # after the queued redraw
    assert window.joint_table.item(0, 6).text() == ""
    # the model's score was for where it had put the wrist: a placed joint shows none
    assert window.joint_table.item(R_WRIST, 4).text() == "" and window.joint_table.item(0, 4).text() != ""
    assert window.canvas.joints_item(predicted.id).opts["symbol"] is not None
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(_keypoints(window, predicted.id), before)
    assert "placed" not in window.project.instance(predicted.id).extra


def test_with_the_toggle_off_only_the_dragged_joint_moves(window, qtbot, predicted):
    toggle = window.actions_by_name["refine_toggle"]
    assert toggle.isEnabled() and toggle.isChecked()  # on by default for a model that takes hints
    assert "Trained with hints" in window.model_panel.refine_note.text()  # the shipped recurrent-lite is (from its card)
    toggle.trigger()
    assert not window.model_panel.refine_box.isChecked()
    before = _keypoints(window, predicted.id)
    x0, y0 = before[R_WRIST, :2]
    x, y = _drag(window, qtbot, (x0, y0), (x0 + 14.0, y0 - 9.0))
    after = _keypoints(window, predicted.id)
    assert tuple(after[R_WRIST, :2]) == (x, y)
    assert _moved(before, after, skip=[R_WRIST]).max() == 0.0
    # E re-runs refinement by hand: now the others move, as one more undo step
    qtbot.keyClick(window, QtCore.Qt.Key.Key_E)
    refined = _keypoints(window, predicted.id)
    assert tuple(refined[R_WRIST, :2]) == (x, y)
    assert _moved(after, refined).max() > 0.5
    assert window.undo_stack.count() == 2 and window.undo_stack.undoText().startswith("refine person")
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(_keypoints(window, predicted.id), after)
    qtbot.mouseClick(window.model_panel.refine_box, LEFT)  # back on from the model panel: the menu follows
    assert window.model_panel.refine_box.isChecked() and toggle.isChecked()
    assert ("Refine the selected person again (placed joints as hints)", "E") in window.shortcut_table()  # in Help too


def test_a_model_without_hints_offers_no_refinement(window, qtbot, predicted):
    window.model_panel.add_model(MODEL.parent / "deeppose-lite")
    assert not window.model_panel.refine_box.isEnabled() and not window.actions_by_name["refine_toggle"].isEnabled()
    assert "take no hints" in window.model_panel.refine_note.text()
    before = _keypoints(window, predicted.id)
    x, y = _drag(window, qtbot, tuple(before[R_WRIST, :2]), tuple(before[R_WRIST, :2] + (14.0, -9.0)))
    assert _moved(before, _keypoints(window, predicted.id), skip=[R_WRIST]).max() == 0.0
    qtbot.keyClick(window, QtCore.Qt.Key.Key_E)
    assert "takes no hints" in window.statusBar().currentMessage() and window.undo_stack.count() == 1


def test_placed_joints_never_move_and_not_labelled_leaves_the_hints(window, qtbot, predicted):
    before = _keypoints(window, predicted.id)
    wrist = _drag(window, qtbot, tuple(before[R_WRIST, :2]), tuple(before[R_WRIST, :2] + (14.0, -9.0)))
    mid = _keypoints(window, predicted.id)
    ankle = _drag(window, qtbot, tuple(mid[L_ANKLE, :2]), tuple(mid[L_ANKLE, :2] + (-10.0, 6.0)))
    after = _keypoints(window, predicted.id)
    assert tuple(after[R_WRIST, :2]) == wrist and tuple(after[L_ANKLE, :2]) == ankle  # the earlier one stayed put
    assert window.project.instance(predicted.id).extra["placed"] == [L_ANKLE, R_WRIST]
    window.actions_by_name["refine"].trigger()  # a later re-run (Model menu): still both where the user put them
    again = _keypoints(window, predicted.id)
    assert tuple(again[R_WRIST, :2]) == wrist and tuple(again[L_ANKLE, :2]) == ankle
    # the wrist set to not labelled (V twice: occluded, not labelled) is no hint any more: the rest follow the ankle alone
    window.select_joint(predicted.id, R_WRIST)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_V)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_V)
    dropped = _keypoints(window, predicted.id)
    assert dropped[R_WRIST, 2] == 0 and window.project.instance(predicted.id).extra["placed"] == [L_ANKLE]
    assert tuple(dropped[L_ANKLE, :2]) == ankle
    assert _moved(again, dropped, skip=[R_WRIST, L_ANKLE]).max() > 0.5


def test_a_corrected_prediction_is_an_annotation_that_keeps_its_marks_and_refines_after_reopening(window, qtbot, predicted):
    before = _keypoints(window, predicted.id)
    wrist = _drag(window, qtbot, tuple(before[R_WRIST, :2]), tuple(before[R_WRIST, :2] + (14.0, -9.0)))
    accepted = window.project.instance(predicted.id)  # the correction made it the user's annotation
    assert accepted.origin == "manual" and accepted.extra["placed"] == [R_WRIST]
    path = window.project.path
    window.close_project()  # no cached features survive: the window computes them from the image
    assert window.open_project(path)
    window.model_panel.add_model(MODEL)
    window.canvas.view.setRange(xRange=(0, 147), yRange=(0, 201), padding=0)
    mid = _keypoints(window, predicted.id)
    _drag(window, qtbot, tuple(mid[L_ANKLE, :2]), tuple(mid[L_ANKLE, :2] + (-10.0, 6.0)))
    after = _keypoints(window, predicted.id)
    assert tuple(after[R_WRIST, :2]) == wrist
    assert _moved(mid, after, skip=[L_ANKLE, R_WRIST]).max() > 0.5


def test_screenshot_right_after_a_refinement(window, qtbot, predicted, tmp_path):
    before = _keypoints(window, predicted.id)
    _drag(window, qtbot, tuple(before[R_WRIST, :2]), tuple(before[R_WRIST, :2] + (14.0, -9.0)))
    qtbot.waitUntil(lambda: window.canvas._drawn.get(predicted.id) is not None, timeout=5000)
    qtbot.wait(50)  # the queued redraw after the edit
    assert window.canvas.flash is not None
    path = tmp_path / "refine_after_drag.png"
    assert window.grab().save(str(path))
    assert path.stat().st_size > 50_000


def test_a_person_added_in_the_mean_pose_follows_its_first_corrections(window, qtbot):
    """N: a box and the mean pose, nothing placed yet; drag the wrist and the rest follow (the
    features are computed from the image on the spot), an arrow-key nudge places a joint too."""
    fid = window.current_frame_id
    window.select_joint(window.project.instances(fid)[0].id, 0)
    window.actions_by_name["delete"].trigger()
    window.canvas.view.setRange(xRange=(0, 147), yRange=(0, 201), padding=0)
    window.actions_by_name["add"].trigger()
    _mouse_drag(window, qtbot, (20, 12), (126, 190))
    person = window.project.instances(fid)[0]
    assert person.extra["placed"] == []
    before = person.keypoints
    x, y = _drag(window, qtbot, tuple(before[R_WRIST, :2]), tuple(before[R_WRIST, :2] + (20.0, 8.0)))
    after = _keypoints(window, person.id)
    assert tuple(after[R_WRIST, :2]) == (x, y) and _moved(before, after, skip=[R_WRIST]).max() > 0.5
    window.select_joint(person.id, L_ANKLE)
    window.actions_by_name["next"].trigger()  # Right: nudges the selected joint one pixel
    assert window.project.instance(person.id).extra["placed"] == [L_ANKLE, R_WRIST]
    assert _keypoints(window, person.id)[L_ANKLE, 0] == after[L_ANKLE, 0] + 1.0


def test_placement_marks_from_the_store_edits(tmp_path):
    """Joints clicked one by one are placed; a mean-pose person has none; accepting keeps the marks;
    undo restores the record's marks too (Qt-free edits, as the window makes them)."""
    from poseapp.store import Project

    with Project.open(ensure_demo_project(tmp_path)) as project:
        _placement_marks(project, project.frame_ids()[8], "lsp14")  # a video frame: nobody on it yet


def _placement_marks(project, fid, skeleton):
    from poseapp.store import Instance
    from poseapp.store.edits import AcceptPrediction, AddInstance, MoveKeypoint, placed_joints

    k = project.skeleton(skeleton).num_joints
    kps = np.zeros((k, 3))
    kps[[0, 2], :] = [[5, 6, 2], [7, 8, 2]]
    by_joints = AddInstance(project, fid, skeleton, (0, 0, 20, 20), keypoints=kps)
    by_joints.apply()
    assert by_joints.instance.extra["placed"] == [0, 2]
    mean = AddInstance(project, fid, skeleton, (0, 0, 20, 20))
    mean.apply()
    assert placed_joints(project.instance(mean.instance.id)) == set()
    pred = project.add_instance(Instance(fid, skeleton, np.column_stack([np.ones((k, 2)), np.full(k, 2.0)]), origin="predicted",
                                         vis_scores=np.ones(k)))
    move = MoveKeypoint(project, pred.id, 1, 3.0, 4.0)
    move.apply()
    accept = AcceptPrediction(project, pred.id)
    accept.apply()
    assert project.instance(pred.id).origin == "manual" and project.instance(pred.id).extra["placed"] == [1]
    accept.revert()
    move.revert()
    assert "placed" not in project.instance(pred.id).extra


def _drawn_heat(window):
    return [np.array(item.image, copy=True) for item in window.canvas._heat_images]


def test_undo_and_redo_of_a_refinement_bring_back_the_heatmaps_that_made_the_joints(window, qtbot, predicted):
    if not window.heatmap_panel.show_box.isChecked():
        window.actions_by_name["heatmaps"].trigger()  # H
    qtbot.waitUntil(lambda: len(window.canvas._heat_images) > 0, timeout=5000)
    first = _drawn_heat(window)
    x0, y0 = _keypoints(window, predicted.id)[R_WRIST, :2]
    _drag(window, qtbot, (x0, y0), (x0 + 14.0, y0 - 9.0))
    refined = _drawn_heat(window)
    assert any(not np.array_equal(a, b) for a, b in zip(first, refined))  # the view shows the refined run
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: all(np.array_equal(a, b) for a, b in zip(first, _drawn_heat(window))), timeout=5000)
    window.actions_by_name["redo"].trigger()
    qtbot.waitUntil(lambda: all(np.array_equal(a, b) for a, b in zip(refined, _drawn_heat(window))), timeout=5000)


def test_u_walks_the_least_certain_joints_and_skips_the_ones_the_user_placed(window, qtbot, predicted):
    scores = window.project.instance(predicted.id).joint_scores
    order = [int(j) for j in np.argsort(scores, kind="stable")]
    qtbot.keyClick(window, QtCore.Qt.Key.Key_U)  # nothing selected: the frame's one predicted person
    assert window.selected == (predicted.id, order[0])
    assert f"score {scores[order[0]]:.2f}" in window.statusBar().currentMessage()
    window.actions_by_name["uncertain"].trigger()  # again (Go menu): the next least certain
    assert window.selected == (predicted.id, order[1])
    # the user corrects the least certain joint: it is placed, and U passes over it from now on
    x0, y0 = _keypoints(window, predicted.id)[order[0], :2]
    _drag(window, qtbot, (x0, y0), (x0 + 6.0, y0 + 4.0))
    assert order[0] in window.project.instance(predicted.id).extra["placed"]
    window.actions_by_name["cancel"].trigger()  # Esc: no selection
    qtbot.keyClick(window, QtCore.Qt.Key.Key_U)
    now = window.project.instance(predicted.id)
    free = [int(j) for j in np.argsort(now.joint_scores, kind="stable") if j != order[0]]
    assert window.selected == (predicted.id, free[0])
    # a joint selected another way (here the surest, as a click or P might leave it) is no place in
    # U's order: U starts again at the least sure, not after the selected joint
    window.select_joint(predicted.id, free[-1])
    qtbot.keyClick(window, QtCore.Qt.Key.Key_U)
    assert window.selected == (predicted.id, free[0])
    assert ("Select the least certain joint not placed yet (again: the next)", "U") in window.shortcut_table()
    # with two predicted people and nobody selected, U starts on the one with the least sure joint
    from poseapp.store import Instance

    unsure = now.joint_scores.copy()
    unsure[3] = float(unsure.min()) / 2
    other = window.project.add_instance(Instance(now.frame_id, now.skeleton, now.keypoints + [40.0, 0.0, 0.0],
                                                 origin="predicted", model_id="m", score=0.5, joint_scores=unsure))
    window.actions_by_name["cancel"].trigger()
    qtbot.keyClick(window, QtCore.Qt.Key.Key_U)
    assert window.selected == (other.id, 3)


def test_running_the_model_again_keeps_a_corrected_prediction_and_undo_still_reaches_it(window, qtbot, predicted):
    before = _keypoints(window, predicted.id)
    wrist = _drag(window, qtbot, tuple(before[R_WRIST, :2]), tuple(before[R_WRIST, :2] + (14.0, -9.0)))
    corrected = _keypoints(window, predicted.id)
    _run_on_frame(window, qtbot)  # the model run on the frame again
    people = window.project.instances(window.current_frame_id)
    kept = window.project.instance(predicted.id)
    np.testing.assert_array_equal(kept.keypoints, corrected)
    assert tuple(kept.keypoints[R_WRIST, :2]) == wrist and kept.origin == "manual"
    # the corrected person is followed by their annotation, not predicted a second time
    assert [p.id for p in people] == [predicted.id]
    assert window.undo_stack.undoText().startswith("model run"), window.undo_stack.undoText()
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)  # the run
    assert [p.id for p in window.project.instances(window.current_frame_id)] == [predicted.id]
    np.testing.assert_array_equal(_keypoints(window, predicted.id), corrected)  # the correction stays
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(_keypoints(window, predicted.id), before)  # undo reaches the same record


def test_on_an_annotated_frame_a_corrected_prediction_stays_beside_the_annotation_through_a_rerun(qtbot, tmp_path):
    if not (MODEL / "card.json").exists():
        pytest.skip("the shipped recurrent-lite model is not here")
    window = open_demo_window(qtbot, tmp_path)
    try:
        window.model_panel.add_model(MODEL)
        annotation = window.project.instances(window.current_frame_id)[0]
        _run_on_frame(window, qtbot)
        pred = next(p for p in window.project.instances(window.current_frame_id) if p.origin == "predicted")
        window.canvas.view.setRange(xRange=(0, 147), yRange=(0, 201), padding=0)
        x0, y0 = pred.keypoints[R_WRIST, :2]
        window.canvas.joints_item(annotation.id).setVisible(False)  # grab the prediction's joint, not the annotation's
        _drag(window, qtbot, (x0, y0), (x0 + 10.0, y0 + 6.0))
        edited = window.project.instance(pred.id)
        assert edited.origin == "predicted" and edited.extra.get("edited") is True
        _run_on_frame(window, qtbot)
        people = window.project.instances(window.current_frame_id)
        assert [p.id for p in people] == [annotation.id, pred.id]  # kept, and no second prediction over it
        np.testing.assert_array_equal(window.project.instance(pred.id).keypoints, edited.keypoints)
    finally:
        window.close_project()


def test_flip_test_is_on_by_default_and_its_checkbox_decides_what_ctrl_r_predicts(window, qtbot, predicted):
    """The model panel's flip test checkbox (on by default, mirrored in the Model menu) decides
    whether Ctrl+R averages the mirrored crop in; a drag then refines the same way (no jump)."""
    from poseapp.engine.predictor import Predictor

    box = window.model_panel.flip_box
    assert box.isChecked() and window.actions_by_name["flip_toggle"].isChecked()
    assert "with flip test" in window.model_panel.info.text()  # the card's figure for it
    frame = window.project.frame(window.current_frame_id)
    image = window.loader.read(frame)
    plain = Predictor.from_path(MODEL, device="cpu")
    mirrored = Predictor(plain.model, plain.card, plain.device, flip_test=True)
    person = [tuple(predicted.bbox)]
    np.testing.assert_allclose(predicted.keypoints[:, :2], mirrored.predict(image, person)[0].keypoints[:, :2], atol=1e-3)

    qtbot.mouseClick(box, LEFT, pos=QtCore.QPoint(8, box.height() // 2))  # off, with the mouse
    assert not box.isChecked() and not window.actions_by_name["flip_toggle"].isChecked()
    _run_on_frame(window, qtbot)
    (again,) = window.project.instances(window.current_frame_id)
    np.testing.assert_allclose(again.keypoints[:, :2], plain.predict(image, [tuple(again.bbox)])[0].keypoints[:, :2], atol=1e-3)

    window.actions_by_name["flip_toggle"].trigger()  # on again, from the Model menu
    assert box.isChecked()
    _run_on_frame(window, qtbot)
    (person,) = window.project.instances(window.current_frame_id)
    before = _keypoints(window, person.id)
    window.canvas.view.setRange(xRange=(0, 147), yRange=(0, 201), padding=0)
    x0, y0 = before[R_WRIST, :2]
    x, y = _drag(window, qtbot, (x0, y0), (x0 + 14.0, y0 - 9.0))
    assert tuple(_keypoints(window, person.id)[R_WRIST, :2]) == (x, y)
    cache = window.results.get(window.current_frame_id).predictions[0].cache
    assert cache is not None and cache.flipped is not None  # the refinement ran on both views


def test_refinement_never_puts_a_joint_outside_the_image_or_far_outside_the_person(window, qtbot, predicted, monkeypatch):
    """Issue #25 item 10: a refinement that would put a joint below the image (y=483.8 in a
    480-px image) or onto a neighbour leaves that joint where it was; the others move."""
    from poseapp.engine.predictor import Predictor

    frame = window.project.frame(window.current_frame_id)
    real_refine = Predictor.refine

    def refine_that_strays(self, cache, hints, **kwargs):
        pred = real_refine(self, cache, hints, **kwargs)
        pred.keypoints[L_ANKLE, :2] = (20.0, frame.height + 3.8)  # below the image
        pred.keypoints[0, :2] = (frame.width - 2.0, 5.0)  # inside the image, far off the person
        return pred

    monkeypatch.setattr(Predictor, "refine", refine_that_strays)
    before = _keypoints(window, predicted.id)
    _drag(window, qtbot, tuple(before[R_WRIST, :2]), tuple(before[R_WRIST, :2] + (6.0, -4.0)))
    after = _keypoints(window, predicted.id)
    np.testing.assert_array_equal(after[L_ANKLE, :2], before[L_ANKLE, :2])
    np.testing.assert_array_equal(after[0, :2], before[0, :2])
    assert (after[:, 1] <= frame.height - 1).all() and (after[:, 0] >= 0).all()
