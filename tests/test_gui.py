"""The main window driven through its real widgets with pytest-qt (offscreen)."""

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402

from conftest import open_demo_window, synthetic_mouse  # noqa: E402
from poseapp.gui.app import configure_pyqtgraph  # noqa: E402
from poseapp.gui.main_window import MainWindow  # noqa: E402


@pytest.fixture
def window(qtbot, tmp_path):
    win = open_demo_window(qtbot, tmp_path, size=(1100, 700))
    yield win
    win.close_project()


def _rendered(widget) -> np.ndarray:
    image = widget.grab().toImage().convertToFormat(widget.grab().toImage().Format.Format_RGB888)
    ptr = image.constBits()
    arr = np.frombuffer(ptr, np.uint8, count=image.sizeInBytes()).reshape(image.height(), image.bytesPerLine())
    return arr[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def test_demo_opens_on_the_first_frame_with_its_skeleton(window):
    project = window.project
    assert window.model.rowCount() == project.frame_count() == 88
    assert window.current_frame_id == project.frame_ids()[0]
    frame = project.frame(window.current_frame_id)
    assert window.canvas.image_item.image.shape == (frame.height, frame.width, 3)
    scatters = [i for i in window.canvas._overlay if type(i).__name__ == "JointsItem"]
    assert len(scatters) == 1
    pixels = _rendered(window.canvas)
    assert pixels.std() > 20  # a photo, not an empty dark canvas


def test_keys_step_through_frames_and_into_the_video(window, qtbot):
    ids = window.project.frame_ids()
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Right)
    assert window.current_frame_id == ids[1]
    qtbot.keyClick(window, QtCore.Qt.Key.Key_End)
    assert window.current_frame_id == ids[-1]
    assert window.canvas.image_item.image.shape == (576, 768, 3)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_PageUp)
    assert window.current_frame_id == ids[-11]
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Home)
    assert window.current_frame_id == ids[0]
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Left)  # stays on the first frame
    assert window.current_frame_id == ids[0]


def test_clicking_a_row_shows_that_frame(window, qtbot):
    index = window.model.index(7)
    rect = window.frame_list.visualRect(index)
    qtbot.mouseClick(window.frame_list.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current_frame_id == window.model.frame_id(7)
    assert "coco_000000196141.jpg" in window.frame_info.text()


def test_state_filter_lists_only_matching_frames(window):
    window.state_filter.setCurrentText("labelled")
    assert window.model.rowCount() == 8
    window.state_filter.setCurrentText("unlabelled")
    assert window.model.rowCount() == 80
    window.state_filter.setCurrentText("all frames")
    assert window.model.rowCount() == 88


def test_edit_in_the_store_updates_canvas_and_list(window, qtbot):
    project = window.project
    inst = project.instances(window.current_frame_id)[0]
    project.set_keypoint(inst.id, 13, 5.0, 6.0, v=1)

    def moved():
        xs, ys = window.canvas.joints_item(inst.id).getData()
        return (5.0, 6.0) in set(zip(xs.tolist(), ys.tolist()))

    qtbot.waitUntil(moved, timeout=5000)  # views hear of store edits through a queued signal
    row = window.model.row_of(window.current_frame_id)
    assert "[edited]" in window.model.data(window.model.index(row))


def test_bad_import_reports_the_file_and_changes_nothing(window, tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{"images": [1, 2')
    before = window.project.stats()
    assert not window.import_path(bad)
    assert str(bad) in window.last_error and "truncated" in window.last_error
    assert window.project.stats() == before


def test_import_and_export_from_the_window(window, tmp_path, coco_json):
    assert window.import_path(coco_json)
    assert window.model.rowCount() == 92
    out = tmp_path / "export.json"
    assert window.export_to(out)
    doc = json.loads(out.read_text())
    assert len(doc["annotations"]) == 12 + 14
    from poseapp.store import Instance

    person = window.project.instances(window.current_frame_id)[0]  # as a model run (or an interpolation) leaves one
    window.project.add_instance(Instance(person.frame_id, person.skeleton, person.keypoints.copy(), bbox=person.bbox,
                                         origin="predicted", model_id="recurrent-lite", score=0.7))
    assert window.export_to(out)
    predicted = window.project.instance_count(origin="predicted")
    message = window.statusBar().currentMessage()
    # predictions stay out of a COCO export unless asked for, and the message says how many and how to include them
    assert (f"{predicted} predictions (model runs, interpolated and carried people) were left out" in message) == (predicted > 0)
    window.actions_by_name["export_predictions"].setChecked(True)
    assert window.export_to(tmp_path / "with.json", "coco")
    assert "left out" not in window.statusBar().currentMessage()
    assert len(json.loads((tmp_path / "with.json").read_text())["annotations"]) == 12 + 14 + predicted


def test_shortcuts_are_listed_in_help(window):
    table = dict(window.shortcut_table())
    for action in ("Next frame (or nudge the selected joint right)", "Previous frame (or nudge the selected joint left)", "Import dataset or media", "Export COCO keypoints", "Keyboard shortcuts"):
        assert table.get(action), action
    assert table["Redo"] == "Ctrl+Shift+Z, Ctrl+Y"  # every key of an action, not only its first
    dialog = window.show_shortcuts()
    assert dialog.isVisible()
    dialog.close()


def test_screenshot_of_the_main_window(window, tmp_path):
    window._go_row(6)
    path = tmp_path / "main_window.png"
    assert window.grab().save(str(path))
    assert path.stat().st_size > 50_000


def _run(window, qtbot, start):
    job = start()
    assert job is not None
    with qtbot.waitSignal(job.finished, timeout=120_000):
        pass
    qtbot.waitUntil(lambda: window.job is None, timeout=10_000)
    return job


def test_run_model_shows_heatmaps_and_steps_through_iterations(window, qtbot, tiny_model, tmp_path):
    window.model_panel.add_model(tiny_model)
    window._go_row(6)  # the COCO skier: one annotated person, so one box
    _run(window, qtbot, window.run_model_on_frame)
    assert window.last_error is None
    result = window.results[window.current_frame_id]
    assert len(result.predictions) == 1 and result.predictions[0].heatmaps.shape == (3, 14, 32, 32)
    predicted = [i for i in window.project.instances(window.current_frame_id) if i.origin == "predicted"]
    assert len(predicted) == 1 and predicted[0].model_id == "tiny-recurrent" and predicted[0].vis_scores is None  # a model that predicts no occlusion
    panel = window.heatmap_panel
    assert panel.stage.maximum() == 2 and panel.stage.value() == 2
    heat_items = [i for i in window.canvas._heat if type(i).__name__ == "ImageItem"]
    assert len(heat_items) == 1
    # the heatmap sits over the person's crop: its corners map inside the padded box
    rect = heat_items[0].mapRectToView(heat_items[0].boundingRect())
    x, y, w, h = predicted[0].bbox
    assert rect.center().x() == pytest.approx(x + w / 2, abs=3) and rect.center().y() == pytest.approx(y + h / 2, abs=3)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_BracketLeft)
    assert panel.stage.value() == 1 and "iteration 1" in panel.stage_label.text()
    crosses = [i for i in window.canvas._heat if type(i).__name__ == "OverlayPoints"][0]
    np.testing.assert_allclose(np.column_stack(crosses.getData()), result.predictions[0].stages[1], atol=1e-4)
    panel.joint_box.setCurrentIndex(10)  # one joint: its path over the iterations is drawn
    assert any(type(i).__name__ == "PlotCurveItem" for i in window.canvas._heat)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_H)
    assert not panel.show_box.isChecked()
    assert not any(type(i).__name__ == "ImageItem" for i in window.canvas._heat)
    # running again replaces this model's predictions instead of piling them up
    _run(window, qtbot, window.run_model_on_frame)
    assert sum(i.origin == "predicted" for i in window.project.instances(window.current_frame_id)) == 1
    window.grab().save(str(tmp_path / "heatmaps.png"))


def test_run_on_a_video_in_the_background_can_be_cancelled(window, qtbot, tiny_model):
    window.model_panel.add_model(tiny_model)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_End)  # a video frame
    window.seek_bar.slider.setValue(0)  # scrubbed back to the video's start
    job = window.run_model_on_source()
    assert window.model_panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: window.model_panel.progress.value() >= 1, timeout=120_000)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Home)  # an annotated image while the video runs
    person = window.project.instances(window.current_frame_id)[0]
    qtbot.mouseClick(window.canvas.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=_to_viewport(window, *person.keypoints[0, :2]))
    assert window.selected == (person.id, 0)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Escape)  # first Esc: the selection goes, the run goes on
    assert window.selected is None and window.job is job and not job.was_cancelled
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Escape)  # second Esc: the run stops
    with qtbot.waitSignal(job.finished, timeout=120_000):
        pass
    qtbot.waitUntil(lambda: window.job is None, timeout=10_000)
    assert job.was_cancelled
    video = window.project.frame(window.current_frame_id).source_id
    predicted = {i.frame_id for fid in window.project.frame_ids(source_id=video) for i in window.project.instances(fid)}
    assert 1 <= len(predicted) < 80  # stopped part-way
    said = window.statusBar().currentMessage()
    assert "Cancelled" in said
    # where to go on from: the first frame it did not reach
    assert "It stopped before pedestrians.mp4 frame " in said and "Ctrl+Shift+R" in said, said


def _to_viewport(window, x, y):
    scene = window.canvas.view.mapViewToScene(QtCore.QPointF(x, y))
    return window.canvas.mapFromScene(scene)


def _drag(window, qtbot, start, end, steps=8):
    viewport = window.canvas.viewport()
    a = _to_viewport(window, *start)
    qtbot.mousePress(viewport, QtCore.Qt.MouseButton.LeftButton, pos=a)
    for i in range(1, steps + 1):
        f = i / steps
        p = _to_viewport(window, start[0] + f * (end[0] - start[0]), start[1] + f * (end[1] - start[1]))
        qtbot.mouseMove(viewport, pos=p)
    qtbot.mouseRelease(viewport, QtCore.Qt.MouseButton.LeftButton, pos=_to_viewport(window, *end))


def _on_disk(window, instance_id):
    from poseapp.store import Project

    with Project.open(window.project.path, read_only=True) as other:  # a second connection sees only committed data
        return other.instance(instance_id).keypoints


def test_drag_a_joint_is_one_undoable_command_saved_at_once(window, qtbot):
    window.canvas.view.setRange(xRange=(0, 147), yRange=(0, 201), padding=0)
    inst = window.project.instances(window.current_frame_id)[0]
    x0, y0 = inst.keypoints[0, :2]
    target = (x0 + 12.0, y0 - 7.0)
    _drag(window, qtbot, (x0, y0), target)
    assert window.undo_stack.count() == 1 and window.undo_stack.undoText() == "move right_ankle"
    moved = _on_disk(window, inst.id)[0]
    assert moved[0] == pytest.approx(target[0], abs=1.0) and moved[1] == pytest.approx(target[1], abs=1.0)
    assert window.selected == (inst.id, 0)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_allclose(_on_disk(window, inst.id)[0, :2], (x0, y0))
    assert window.project.frame(window.current_frame_id).state == "labelled"
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier | QtCore.Qt.KeyboardModifier.ShiftModifier)
    assert _on_disk(window, inst.id)[0, 0] == pytest.approx(target[0], abs=1.0)
    assert window.project.frame(window.current_frame_id).state == "edited"


def test_dragging_the_background_pans_and_edits_nothing(window, qtbot):
    before = window.canvas.view.viewRange()
    _drag(window, qtbot, (2, 2), (30, 30))
    assert window.undo_stack.count() == 0
    assert window.canvas.view.viewRange() != before


def test_visibility_cycles_and_undoes(window, qtbot):
    inst = window.project.instances(window.current_frame_id)[0]
    window.select_joint(inst.id, 5)
    seen = []
    for _ in range(3):
        qtbot.keyClick(window, QtCore.Qt.Key.Key_V)
        seen.append(int(_on_disk(window, inst.id)[5, 2]))
    start = int(inst.keypoints[5, 2])
    cycle = {2: 1, 1: 0, 0: 2}
    assert seen == [cycle[start], cycle[cycle[start]], start]
    for _ in range(3):
        window.undo_stack.undo()
    assert int(_on_disk(window, inst.id)[5, 2]) == start


def test_delete_and_undo_keep_the_instance_and_its_id(window, qtbot):
    inst = window.project.instances(window.current_frame_id)[0]
    window.select_joint(inst.id, 0)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Delete)
    assert window.project.instances(window.current_frame_id) == []
    window.undo_stack.undo()
    back = window.project.instances(window.current_frame_id)
    assert [i.id for i in back] == [inst.id]
    np.testing.assert_array_equal(back[0].keypoints, inst.keypoints)


def test_accept_prediction_and_add_person(window, qtbot):
    from poseapp.store import Instance

    fid = window.current_frame_id
    manual = window.project.instances(fid)[0]
    pred = window.project.add_instance(Instance(fid, "lsp14", manual.keypoints, origin="predicted", model_id="m",
                                                joint_scores=np.full(14, 0.7)))
    window.select_joint(pred.id, 2)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_A)
    assert window.project.instance(pred.id).origin == "manual"
    assert [i.id for i in window.project.instances(fid)] == [pred.id]  # the same person: replaced, not copied
    window.undo_stack.undo()
    assert window.project.instance(pred.id).origin == "predicted" and len(window.project.instances(fid)) == 2
    window.canvas.view.setRange(xRange=(0, 147), yRange=(0, 201), padding=0)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_N)
    _drag(window, qtbot, (20, 30), (90, 180))  # N, then a box around the new person
    assert len(window.project.instances(fid)) == 3
    window.undo_stack.undo()
    assert len(window.project.instances(fid)) == 2


def test_joint_table_and_occlusion_queue(window, qtbot):

    project = window.project
    # an accepted prediction whose visibility scores disagree with two of the flags
    fid = window.current_frame_id
    manual = project.instances(fid)[0]
    scores = np.where(manual.keypoints[:, 2] == 2, 0.9, 0.1)
    visible_joint = int(np.flatnonzero(manual.keypoints[:, 2] == 2)[0])
    occluded_joint = int(np.flatnonzero(manual.keypoints[:, 2] == 1)[0])
    scores[visible_joint], scores[occluded_joint] = 0.05, 0.95
    project.update_instance(manual.id, vis_scores=scores, joint_scores=scores)
    qtbot.waitUntil(lambda: window.canvas.joints_item(manual.id) is not None)
    window.select_joint(manual.id, 3)
    assert window.joint_table.rowCount() == 14
    assert window.joint_table.item(3, 0).text() == "left_hip" and window.joint_table.item(3, 5).text() == f"{scores[3]:.2f}"
    window.joint_table.cellClicked.emit(7, 0)
    assert window.selected == (manual.id, 7)

    qtbot.keyClick(window, QtCore.Qt.Key.Key_D)
    view = window.occlusion_view
    assert len(view.items) == 2
    assert "Visibility AP" in view.summary.text()
    reasons = {view.items[0][0].joint, view.items[1][0].joint}
    assert reasons == {visible_joint, occluded_joint}
    assert window.selected in {(manual.id, visible_joint), (manual.id, occluded_joint)}
    first = window.selected
    qtbot.keyClick(window, QtCore.Qt.Key.Key_D)
    assert window.selected != first


def test_video_seek_bar_marks_and_play(window, qtbot, monkeypatch):
    assert not window.seek_bar.isVisible()
    qtbot.keyClick(window, QtCore.Qt.Key.Key_End)
    bar = window.seek_bar
    assert bar.isVisible() and bar.slider.maximum() == 79 and bar.slider.value() == 79
    # a click on the groove at three quarters goes to about frame 59, not a page of frames back from 79
    slider = bar.slider
    qtbot.mouseClick(slider, QtCore.Qt.MouseButton.LeftButton, pos=QtCore.QPoint(int(slider.width() * 0.75), slider.height() // 2))
    assert abs(window.project.frame(window.current_frame_id).index - 59) <= 3
    assert window.jump_to("33") and window.project.frame(window.current_frame_id).index == 33  # Ctrl+G: a frame number
    assert not window.jump_to("80") and "no frame 80 (0 to 79)" in window.statusBar().currentMessage()
    from test_gui_actions import answer_dialogs, trigger

    for said, index in (("frame 21", 21), ("#22", 22), ("Frame 23", 23)):  # as the status bar and the list name them
        answer_dialogs(monkeypatch, text=said)
        trigger(window, "jump")  # Ctrl+G, typed into its box
        assert window.project.frame(window.current_frame_id).index == index
    bar.slider.setValue(10)  # scrubbing shows that frame
    frame = window.project.frame(window.current_frame_id)
    assert frame.index == 10 and window.canvas.image_item.image.shape == (576, 768, 3)
    window.project.set_frame_state(frame.id, "reviewed")
    qtbot.waitUntil(lambda: (10, "reviewed") in bar.slider.marks, timeout=5000)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.project.frame(window.current_frame_id).index >= 13, timeout=10_000)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Space)
    stopped_at = window.current_frame_id
    qtbot.wait(300)
    assert window.current_frame_id == stopped_at
    assert window.jump_to("lsp_im0940")
    assert "lsp_im0940.jpg" in window.frame_info.text() and not bar.isVisible()
    # digits that are a file's name without its extension are that file, not a row number
    from test_gui_actions import import_photo

    import_photo(window, monkeypatch, Path(__file__).resolve().parents[1].parent / "shared" / "data" / "coco_mini_train" /
                 "images" / "000000000790.jpg")
    assert window.jump_to("000000000790") and "000000000790.jpg" in window.frame_info.text()
    assert window.jump_to("3") and window.project.frame(window.current_frame_id).file_name != "000000000790.jpg"


def test_export_results_and_yolo_from_the_window(window, tmp_path):
    from poseapp.store import Instance

    fid = window.current_frame_id
    manual = window.project.instances(fid)[0]
    window.project.add_instance(Instance(fid, "lsp14", manual.keypoints, origin="predicted", model_id="m", score=0.8))
    assert window.export_to(tmp_path / "results.json", "coco-results")
    assert len(json.loads((tmp_path / "results.json").read_text())) == 1
    assert not window.export_to(tmp_path / "yolo", "yolo")  # the demo mixes LSP and COCO skeletons
    assert "one keypoint layout" in window.last_error


def test_rebox_is_an_undoable_edit(window, qtbot):
    inst = window.project.instances(window.current_frame_id)[0]
    window.select_joint(inst.id, 0)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_B)
    roi = window.canvas._box_roi
    assert roi is not None and roi.pos().x() == pytest.approx(inst.bbox[0])
    roi.setPos((inst.bbox[0] + 5, inst.bbox[1] + 3), finish=True)  # what a handle drag ends with
    moved = window.project.instance(inst.id).bbox
    assert moved[0] == pytest.approx(inst.bbox[0] + 5) and moved[1] == pytest.approx(inst.bbox[1] + 3)
    assert window.undo_stack.undoText() == "re-box instance"
    window.undo_stack.undo()
    assert window.project.instance(inst.id).bbox == pytest.approx(inst.bbox)


def test_run_model_on_selected_frames(window, qtbot, tiny_model):
    window.model_panel.add_model(tiny_model)
    selection = window.frame_list.selectionModel()
    for row in (0, 2, 4):
        selection.select(window.model.index(row), QtCore.QItemSelectionModel.SelectionFlag.Select)
    assert len(window.selected_frame_ids()) >= 3
    ids = set(window.selected_frame_ids())
    _run(window, qtbot, window.run_model_on_selection)
    predicted = {fid for fid in ids if any(i.origin == "predicted" for i in window.project.instances(fid))}
    assert predicted == ids


def test_mark_reviewed_is_undoable(window, qtbot):
    fid = window.current_frame_id
    qtbot.keyClick(window, QtCore.Qt.Key.Key_R)
    assert window.project.frame(fid).state == "reviewed"
    qtbot.keyClick(window.canvas, QtCore.Qt.Key.Key_Tab)  # a joint, nudged: the review mark goes, and it is said
    qtbot.keyClick(window.canvas, QtCore.Qt.Key.Key_Right)
    assert window.project.frame(fid).state == "edited"
    assert "no longer marked reviewed (edited now; R marks it again)" in window.statusBar().currentMessage()
    window.undo_stack.undo()
    assert window.project.frame(fid).state == "reviewed"
    window.undo_stack.undo()
    assert window.project.frame(fid).state == "labelled"


def test_r_on_a_frame_of_unaccepted_predictions_says_what_exports_will_do(window, qtbot):
    from poseapp.store import Instance

    fid = window.current_frame_id
    for person in window.project.instances(fid):  # the annotation becomes a prediction nobody accepted
        window.project.delete_instance(person.id)
        window.project.add_instance(Instance(frame_id=fid, skeleton=person.skeleton, keypoints=person.keypoints,
                                             bbox=person.bbox, origin="predicted", model_id="m"))
    window.show_frame(fid)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_R)
    assert window.project.frame(fid).state == "reviewed"
    said = window.statusBar().currentMessage()
    assert "1 person is a prediction nobody accepted: exports leave this frame out until you accept them (A)" in said


def test_a_moved_source_is_reported_once_and_located_from_the_file_menu(qtbot, tmp_path, small_lsp):
    from poseapp.formats import import_source
    from poseapp.store import Project

    configure_pyqtgraph()
    synthetic_mouse()
    path = tmp_path / "p.poseapp"
    with Project.open(path, create=True) as project:
        import_source(project, small_lsp)
    small_lsp.rename(tmp_path / "moved")
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    assert win.open_project(path)
    assert "1 source(s)" in win.last_error and str(small_lsp / "images") in win.last_error
    win.last_error = None
    qtbot.keyClick(win, QtCore.Qt.Key.Key_Right)  # stepping on shows the state without more dialogs
    assert win.last_error is None and "source missing" in win.frame_info.text()
    assert not win.locate_source(win.project.sources()[0].id, tmp_path)  # wrong place: refused, named
    assert "cannot hold images" in win.last_error
    # File > Locate: a wrong pick asks again for the same folder; the folder holding 'images' is taken
    from poseapp.gui import file_dialogs

    picks = iter([str(tmp_path), str(tmp_path / "moved")])
    asked = []
    monkey = pytest.MonkeyPatch()
    monkey.setattr(file_dialogs, "get_existing_directory", lambda parent, title, *a, **k: (asked.append(title), next(picks))[1])
    try:
        win.actions_by_name["locate"].trigger()
    finally:
        monkey.undo()
    assert len(asked) == 2 and "try again" in asked[1]
    assert win.project.sources()[0].path == str(tmp_path / "moved" / "images")
    frame = win.project.frame(win.current_frame_id)
    assert win.canvas.image_item.image.shape == (frame.height, frame.width, 3)
    assert any(a.text() == "&Locate missing sources..." for a in win.actions())
    win.close_project()
    qtbot.wait(50)  # repaints after closing must not reach into the closed project


def test_compare_models_shows_each_model_on_the_same_people(window, qtbot, tmp_path):
    from conftest import make_model_folder

    from poseapp.engine.zoo import resolve_model

    untrained = make_model_folder(tmp_path / "untrained-cascade", name="part_regression-lite")
    paths = [str(resolve_model("default")), str(untrained)]
    window.step(7)  # the COCO image with two people
    job = window.compare_models(paths)
    assert job is not None
    with qtbot.waitSignal(job.finished, timeout=60000):
        pass
    qtbot.waitUntil(lambda: window.comparison is not None and window.comparison.isVisible())
    view = window.comparison
    assert len(view.views) == 2
    assert "recurrent-lite" in view.titles[0] and "LSP val PCK@0.2" in view.titles[0]
    assert "untrained-cascade" in view.titles[1] and "not measured" in view.titles[1]
    frame = window.project.frame(window.current_frame_id)
    for box in view.views:
        joints = [i for i in box.addedItems if type(i).__name__ == "ScatterPlotItem"]
        assert joints, "every panel draws the model's joints"
        x, y = joints[0].getData()
        assert len(x) == 14 and np.all((x > -50) & (x < frame.width + 50)) and np.all((y > -50) & (y < frame.height + 50))
    # a zoom with the mouse wheel in one panel moves all panels together
    qtbot.wait(100)  # the panels have their sizes and show the people
    widths = [np.diff(v.viewRange()[0])[0] for v in view.views]
    first = view.views[0]
    at = view.plots.mapFromScene(first.mapViewToScene(QtCore.QPointF(*np.mean(first.viewRange(), axis=1))))
    viewport = view.plots.viewport()
    wheel = QtGui.QWheelEvent(QtCore.QPointF(at), QtCore.QPointF(viewport.mapToGlobal(at)), QtCore.QPoint(0, 0),
                              QtCore.QPoint(0, 240), QtCore.Qt.MouseButton.NoButton, QtCore.Qt.KeyboardModifier.NoModifier,
                              QtCore.Qt.ScrollPhase.NoScrollPhase, False)
    QtWidgets.QApplication.sendEvent(viewport, wheel)
    centres = [np.mean(v.viewRange(), axis=1) for v in view.views]  # aspect locks may widen one panel a little
    assert centres[1] == pytest.approx(centres[0], abs=2)
    assert all(np.diff(v.viewRange()[0])[0] < 0.9 * w for v, w in zip(view.views, widths))
    assert window.job is None and window.model_panel.run_button.isEnabled()


def test_smoothed_heatmaps_keep_their_peak_in_place():
    from poseapp.gui.canvas import smooth_heatmap

    heat = np.zeros((32, 32), np.float32)
    heat[11, 20] = 1.0  # a peak at cell x=20, y=11
    affine = np.array([[3.5, 0.2, 40.0], [-0.1, 3.5, 12.0]])  # cells -> image, slightly rotated
    big, big_affine = smooth_heatmap(heat, affine)
    assert big.shape == (128, 128) and big.flags.c_contiguous and big.dtype == np.float32
    ys, xs = np.nonzero(big == big.max())
    centre = big_affine @ np.array([xs.mean(), ys.mean(), 1.0])
    np.testing.assert_allclose(centre, affine @ np.array([20.0, 11.0, 1.0]), atol=1e-6)


def test_the_model_card_opens_from_the_model_panel(window, qtbot, tmp_path):
    panel = window.model_panel
    qtbot.mouseClick(panel.card_button, QtCore.Qt.MouseButton.LeftButton)
    card = panel.card_window
    assert card is not None and card.isVisible()
    screen = card.screen().availableGeometry()
    assert card.height() <= screen.height() and card.width() <= screen.width()  # fits the screen (1366x768 in CI)
    text = card.toPlainText()
    assert "Accuracy on the LSP validation split" in text and "feed-forward" in text
    assert "PCK@0.2" in text and "mailto" not in card.toHtml()
    card.grab().save(str(tmp_path / "card.png"))


def test_the_peak_readout_describes_the_selected_person(window, qtbot, tiny_model):
    """On a frame with several predicted people the heatmap panel's peak per step is the selected
    person's (P walks the people), and the readout says which person it is."""
    window.model_panel.add_model(tiny_model)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_End)  # a video frame: several walkers
    window.actions_by_name["run"].trigger()
    qtbot.waitUntil(lambda: window.job is None, timeout=120_000)
    result = window.results.get(window.current_frame_id)
    assert result is not None and len(result.predictions) >= 2
    panel = window.heatmap_panel
    for n in (1, 2):
        qtbot.keyClick(window.canvas, QtCore.Qt.Key.Key_P)
        inst_id = window.selected[0]
        index = [i.id for i in result.instances].index(inst_id)
        assert index == n - 1
        step = panel.stage.value()
        mean = result.predictions[index].stage_scores[step].mean()
        track = result.instances[index].extra.get("track_id")  # a walker is named as the canvas names them
        assert (f"#{track}" if track is not None else f"person {n} of {len(result.predictions)}") in panel.stage_label.text()
        assert f"peak {mean:.2f}" in panel.stage_label.text()


def test_opening_another_project_during_a_run_stops_the_run_cleanly(window, qtbot, tiny_model, monkeypatch, tmp_path):
    """File > Open while a video run goes: the run stops at its current frame, keeps the frames it
    finished, and no "run failed" message comes later from the closed project."""
    from test_gui_actions import answer_dialogs, trigger

    other = tmp_path / "other.poseapp"
    window.project.save_copy(other)
    window.model_panel.add_model(tiny_model)
    first = window.project.path
    qtbot.keyClick(window, QtCore.Qt.Key.Key_End)
    window.seek_bar.slider.setValue(0)
    job = window.run_model_on_source()
    qtbot.waitUntil(lambda: window.model_panel.progress.value() >= 1, timeout=120_000)
    answer_dialogs(monkeypatch, other)
    trigger(window, "open")
    assert window.project.path == other and window.job is None and job.isFinished() and job.was_cancelled
    qtbot.wait(300)  # the run's queued signals arrive
    assert window.last_error is None and not window.results
    assert window.model_panel.run_button.isEnabled()
    window.close_project()
    from poseapp.store import Project

    with Project.open(first, read_only=True) as p:
        assert any(i.origin == "predicted" for f in p.frame_ids() for i in p.instances(f))


def test_the_peak_chart_shows_peaks_above_one(window):
    """A heatmap peak can pass 1 (the joint table showed 1.02 while the chart, fixed at 0..1, was empty)."""
    panel = window.heatmap_panel
    panel.stage.setRange(0, 2)
    panel.stage.setValue(2)
    panel.show_peaks(np.array([0.7, 1.02, 1.31]), ["feed-forward", "iteration 1", "iteration 2"])
    low, high = panel.plot.getViewBox().viewRange()[1]
    assert low <= 0.7 and high >= 1.31
    assert "peak 1.31" in panel.stage_label.text()  # all joints: mean peak 1.31


def test_people_followed_through_a_video_wear_their_track_ids(window, qtbot, tiny_model):
    from test_gui_actions import trigger, wait_job

    window.model_panel.add_model(tiny_model)
    trigger(window, "last")  # the demo video's last frame: nobody annotated there
    selection = window.frame_list.selectionModel()
    last = window.model.row_of(window.current_frame_id)
    for row in (last - 2, last - 1):
        selection.select(window.model.index(row), QtCore.QItemSelectionModel.SelectionFlag.Select)
    frames = window.selected_frame_ids()
    assert len(frames) == 3
    trigger(window, "run_selection")
    wait_job(window, qtbot)
    shown = 0
    for fid in frames:
        window._go_frame(fid)
        tracks = sorted(f"#{i.extra['track_id']}" for i in window.project.instances(fid) if "track_id" in i.extra)
        assert sorted(label.textItem.toPlainText() for label in window.canvas.track_labels) == tracks
        shown += len(tracks)
    assert shown > 0


def test_rebox_is_a_visible_mode_that_ends_and_leaves_joints_draggable(window, qtbot):
    """Issue #25 item 3: after B a joint drag moved the whole box, a drag inside the box moved it
    off the image, and nothing said re-box was on."""
    inst = window.project.instances(window.current_frame_id)[0]
    window.canvas.view.setRange(xRange=(0, 147), yRange=(0, 201), padding=0)
    window.select_joint(inst.id, 0)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_B)
    note = window.canvas.rebox_note
    assert note is not None and "Re-box" in note.textItem.toPlainText() and "Re-box" in window.statusBar().currentMessage()
    # a joint drag inside the box moves the joint, not the box
    x, y = inst.keypoints[1, :2]
    _drag(window, qtbot, (x, y), (x + 6, y - 4))
    after = window.project.instance(inst.id)
    assert after.keypoints[1, 0] == pytest.approx(x + 6, abs=1.0) and after.bbox == pytest.approx(inst.bbox)
    # a drag on the box's empty inside moves nothing
    bx, by, bw, bh = inst.bbox
    empty = min(((bx + bw * fx, by + bh * fy) for fx in (0.1, 0.5, 0.9) for fy in (0.1, 0.5, 0.9)),
                key=lambda p: -np.min(np.hypot(*(after.keypoints[:, :2] - p).T)))
    _drag(window, qtbot, empty, (empty[0] + 30, empty[1] + 30))
    assert window.project.instance(inst.id).bbox == pytest.approx(inst.bbox)
    # Enter ends the mode; B starts it again; Esc ends it too
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Return)
    assert window.canvas._box_roi is None and window.canvas.rebox_note is None
    window.select_joint(inst.id, 0)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_B)
    assert window.canvas._box_roi is not None
    window.actions_by_name["cancel"].trigger()  # Esc
    assert window.canvas._box_roi is None
    qtbot.keyClick(window, QtCore.Qt.Key.Key_B)  # B with the person still selected, and B again ends it
    assert window.canvas._box_roi is not None
    qtbot.keyClick(window, QtCore.Qt.Key.Key_B)
    assert window.canvas._box_roi is None
    window.actions_by_name["rebox"].trigger()
    window.actions_by_name["add"].trigger()  # another tool (N) ends it
    assert window.canvas._box_roi is None
    window.actions_by_name["rebox_done"].setEnabled(True)
    window.actions_by_name["rebox_done"].trigger()  # harmless when re-box is off


def test_after_a_whole_video_run_every_frame_shows_heatmaps_for_the_selected_walker(window, qtbot, tiny_model):
    """Issue #25 item 12: a run over the whole 80-frame video keeps no heatmaps; the panel used to
    say so on some frames and draw every walker's crosses over every joint. Shown on such a frame,
    the maps are recomputed; the steps drawn are the selected walker's, named by their track id."""
    window.model_panel.add_model(tiny_model)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_End)  # the video
    window.model_panel.from_current.setChecked(False)
    window.actions_by_name["run_source"].trigger()  # Ctrl+Shift+R: 80 frames, too many to keep maps
    qtbot.waitUntil(lambda: window.job is None, timeout=300_000)
    video = window.project.frame(window.current_frame_id).source_id
    frame = next(f for f in window.project.frame_ids(source_id=video)[40:]
                 if sum("track_id" in i.extra for i in window.project.instances(f)) >= 2)
    window.results.pop(frame, None)  # as after a run over a whole source (or a new session)
    window._go_frame(frame)
    assert window.results.get(frame) is None  # the Model tab in front: nothing computed for nothing
    tabs = window.side_tabs
    qtbot.mouseClick(tabs.tabBar(), QtCore.Qt.MouseButton.LeftButton, pos=tabs.tabBar().tabRect(1).center())  # Heatmaps
    result = window.results.get(frame)
    assert result is not None and all(p.heatmaps is not None for p in result.predictions)
    assert any(type(i).__name__ == "ImageItem" for i in window.canvas._heat)
    walker = result.instances[1]
    window.select_joint(walker.id, 0)
    crosses = [i for i in window.canvas._heat if type(i).__name__ == "OverlayPoints"]
    assert len(crosses) == 1  # one person's steps, not every walker's
    np.testing.assert_allclose(np.column_stack(crosses[0].getData()), result.predictions[1].stages[-1], atol=1e-4)
    panel = window.heatmap_panel
    assert f"#{walker.extra['track_id']}" in panel.stage_label.text()
    assert "all joints: mean peak" in panel.stage_label.text() and "mean" in panel.joint_box.itemText(0)


def test_accepting_a_prediction_over_a_coco_annotation_keeps_its_coco_id_in_the_export(window, qtbot, tmp_path, coco_json):
    """A prediction accepted over a person the COCO file labels replaces that annotation, and the
    export writes it under the file's annotation id and category (it used to get a new id, so the
    corrected person could not be linked back to the file)."""
    from poseapp.store import Instance

    assert window.import_path(coco_json)
    project = window.project
    people = [i for f in project.frame_ids() for i in project.instances(f)]
    # (the demo holds coco_sample's people too: one whose COCO id no other person has)
    manual = next(i for i in people if i.ext_id is not None and i.skeleton == "coco17" and (i.keypoints[:, 2] > 0).sum() >= 8
                  and sum(o.ext_id == i.ext_id for o in people) == 1)
    moved = manual.keypoints.copy()
    moved[:, 0] += np.where(moved[:, 2] > 0, 3.0, 0.0)  # the model's answer, a little off the labels
    pred = project.add_instance(Instance(manual.frame_id, manual.skeleton, moved, bbox=manual.bbox, origin="predicted",
                                         model_id="recurrent-coco17-large", joint_scores=np.full(17, 0.8)))
    window._go_frame(manual.frame_id)
    window.select_joint(pred.id, int(np.flatnonzero(moved[:, 2] > 0)[0]))
    qtbot.keyClick(window, QtCore.Qt.Key.Key_A)
    accepted = project.instance(pred.id)
    assert accepted.origin == "manual" and accepted.ext_id == manual.ext_id
    out = tmp_path / "out.json"
    assert window.export_to(out)
    ann = next(a for a in json.loads(out.read_text())["annotations"] if a["id"] == manual.ext_id)
    assert ann["category_id"] == manual.category_id
    assert np.allclose(np.array(ann["keypoints"], float).reshape(-1, 3)[:, 0][moved[:, 2] > 0], moved[moved[:, 2] > 0, 0], atol=0.01)
    window.undo_stack.undo()
    assert project.instance(manual.id).ext_id == manual.ext_id and project.instance(pred.id).ext_id is None
