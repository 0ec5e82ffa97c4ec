"""The Model tab's People row takes your own detector's boxes (issue #27): "from file..." asks for
a COCO detection results JSON (image_id or file_name, bbox, score), checks it (a bad one is refused
with its name and problem, and the row stays as it was), and the next model runs box people where
the file says, on the frames it names; the frames it does not name are said in the status bar.
The file stays chosen in the next session."""

import json

import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore  # noqa: E402

from conftest import new_window  # noqa: E402

WALKER = [300.0, 150.0, 60.0, 150.0]  # x, y, w, h in the demo clip's 768x576 frames


def choose_box_file(window, monkeypatch, path):
    """The user picks 'from file...' in the People row and then ``path`` in the file dialog."""
    from poseapp.gui import file_dialogs

    monkeypatch.setattr(file_dialogs, "get_open_file_name", lambda *a, **k: (str(path), ""))
    combo = window.model_panel.boxes_box
    combo.setCurrentIndex(combo.findText("from file..."))


def demo_frame(window, video_index):
    """The demo clip's frame ``video_index``, shown."""
    source = next(s for s in window.project.sources() if s.kind == "video")
    frame = window.project.frame_by_index(source.id, video_index)
    window._go_row(window.model.row_of(frame.id))
    return frame.id


def test_a_box_file_boxes_the_people_of_the_frames_it_names(window, qtbot, monkeypatch, tmp_path, tiny_model):
    window.model_panel.add_model(tiny_model)
    boxes = tmp_path / "detections.json"
    boxes.write_text(json.dumps([
        {"file_name": "pedestrians/000076.jpg", "bbox": WALKER, "score": 0.9},  # by the name poseapp gives a frame
        {"image_id": 78, "bbox": WALKER, "score": 0.95},  # frame 77 by its image id (its index + 1, as predict counts)
        {"file_name": "pedestrians/000076.jpg", "bbox": [10, 10, 40, 90], "score": 0.05},  # below the threshold
    ]))
    panel = window.model_panel
    choose_box_file(window, monkeypatch, boxes)
    assert window.last_error is None and panel.boxes_box.currentText() == "file: detections.json"
    assert panel.box_file() == str(boxes.resolve()) and panel.min_score.value() == pytest.approx(0.3)
    assert panel.boxes_box.findText("from file...") == panel.boxes_box.count() - 1  # still there to pick another

    first = demo_frame(window, 76)
    panel.from_current.setChecked(True)
    qtbot.mouseClick(panel.run_all_button, QtCore.Qt.MouseButton.LeftButton)  # frames 76-79 of the clip
    qtbot.waitUntil(lambda: window.job is None, timeout=180_000)
    source = window.project.frame(first).source_id
    people = {i: [p for p in window.project.instances(window.project.frame_by_index(source, i).id) if p.origin == "predicted"]
              for i in range(76, 80)}
    # one walker on each frame the file names, in its box (the 0.05 detection is nobody); none elsewhere
    assert [len(people[i]) for i in range(76, 80)] == [1, 1, 0, 0]
    assert all(list(people[i][0].bbox) == pytest.approx(WALKER) for i in (76, 77))
    message = window.statusBar().currentMessage()
    assert "detections.json does not name 2 of the 4 frames (e.g. pedestrians.mp4 frame 78)" in message


def test_a_box_file_boxes_the_people_of_a_photo_it_names(window, qtbot, monkeypatch, tmp_path, tiny_model, data_dir):
    from test_gui_actions import import_photo, trigger

    photo = data_dir / "coco_mini_train" / "images" / "000000442450.jpg"
    fid = import_photo(window, monkeypatch, photo)
    window.model_panel.add_model(tiny_model)
    people = [[40.0, 60.0, 120.0, 300.0], [300.0, 50.0, 110.0, 320.0]]
    boxes = tmp_path / "photo-detections.json"
    boxes.write_text(json.dumps([{"file_name": photo.name, "bbox": b, "score": 0.9} for b in people]))
    choose_box_file(window, monkeypatch, boxes)
    window._go_frame(fid)
    trigger(window, "run")
    qtbot.waitUntil(lambda: window.job is None, timeout=180_000)
    found = [p for p in window.project.instances(fid) if p.origin == "predicted"]
    # a photo is boxed by the file as a video frame is (it found nobody on photos before)
    assert sorted(list(p.bbox) for p in found) == [pytest.approx(b) for b in people]


def test_a_bad_box_file_is_refused_by_name_and_the_row_stays(window, monkeypatch, tmp_path):
    panel = window.model_panel
    bad = tmp_path / "boxes.json"
    for content, problem in (('[{"image_id": 1, "bbox": [1, 2, 3]}]', "'bbox' must be 4 numbers"),
                             ("{not json", "not a JSON detections file"),
                             ("[]", "lists no detections")):
        bad.write_text(content)
        window.last_error = None
        choose_box_file(window, monkeypatch, bad)
        assert str(bad) in window.last_error and problem in window.last_error, window.last_error
        assert "People still come from trained detector" in window.last_error
        assert panel.boxes_box.currentData() == "detector" and panel.box_file() is None
        assert not any(panel.boxes_box.itemText(i).startswith("file:") for i in range(panel.boxes_box.count()))


def test_cancelling_the_box_file_dialog_leaves_the_row_as_it_was(window, monkeypatch):
    panel = window.model_panel
    panel.boxes_box.setCurrentIndex(panel.boxes_box.findData("whole"))
    choose_box_file(window, monkeypatch, "")
    assert panel.boxes_box.currentData() == "whole" and window.last_error is None


def test_the_box_file_stays_chosen_in_the_next_session(qtbot, tmp_path, monkeypatch):
    boxes = tmp_path / "mine.json"
    boxes.write_text(json.dumps([{"image_id": 1, "bbox": [1, 2, 30, 40], "score": 0.8}]))
    win = new_window(qtbot)
    choose_box_file(win, monkeypatch, boxes)
    win.close()  # (the choice is on disk as it is made; closing saves it too)

    again = new_window(qtbot)
    again.restore_session(open_last=False)
    assert again.model_panel.box_file() == str(boxes.resolve())
    again.close()

    boxes.unlink()  # gone by the session after: the row takes its default and says why
    third = new_window(qtbot)
    third.restore_session(open_last=False)
    assert third.model_panel.box_file() is None and third.model_panel.boxes_box.currentData() == "detector"
    assert "mine.json) is gone or no longer readable" in third.statusBar().currentMessage()
    third.close()


def test_taking_a_box_file_says_what_it_names_and_it_stays_with_its_project(window, qtbot, monkeypatch, tmp_path):
    """On taking a file the status bar says how many detections, how many of the project's frames
    it names and which of its pictures are not here. The file belongs to the project it was chosen
    in: a new project starts on the default detector (and says why), and reopening the first
    project brings its file back."""
    from test_gui_new_project_skeleton import choose_in_new_project
    from test_gui_actions import trigger

    first = window.project.path
    boxes = tmp_path / "detections.json"
    boxes.write_text(json.dumps([
        {"file_name": "pedestrians/000076.jpg", "bbox": WALKER, "score": 0.9},
        {"image_id": 78, "bbox": WALKER, "score": 0.95},
        {"file_name": "elsewhere.jpg", "bbox": WALKER, "score": 0.9},
    ]))
    choose_box_file(window, monkeypatch, boxes)
    message = window.statusBar().currentMessage()
    assert "Boxes from detections.json: 3 detections on 3 pictures; it names 2 of this project's" in message
    assert "1 of its pictures are not in the project ('elsewhere.jpg')" in message

    choose_in_new_project(monkeypatch, tmp_path / "other.poseapp", tmp_path / "unused", pick=0)
    trigger(window, "new")
    assert window.project.path == tmp_path / "other.poseapp"
    panel = window.model_panel
    assert panel.box_file() is None and panel.boxes_box.currentData() == "detector"
    assert "the box file detections.json was chosen for another project" in window.statusBar().currentMessage()

    assert window.open_project(first)
    assert panel.box_file() == str(boxes.resolve())
    assert "people come from detections.json, the box file chosen for this project" in window.statusBar().currentMessage()


def test_a_rerun_at_a_higher_threshold_keeps_what_it_no_longer_finds_says_so_and_ctrl_del_clears_it(
        window, qtbot, monkeypatch, tmp_path, tiny_model, data_dir):
    """A run removes only the people it predicts again, so raising the People threshold and running
    again leaves the earlier run's weaker person: the status bar says so and how to clear them, and
    Ctrl+Del takes every unedited prediction off the frame in one undo step."""
    from test_gui_actions import import_photo, trigger

    photo = data_dir / "coco_mini_train" / "images" / "000000442450.jpg"
    fid = import_photo(window, monkeypatch, photo)
    window.model_panel.add_model(tiny_model)
    boxes = tmp_path / "photo-detections.json"
    boxes.write_text(json.dumps([{"file_name": photo.name, "bbox": [40.0, 60.0, 120.0, 300.0], "score": 0.9},
                                 {"file_name": photo.name, "bbox": [300.0, 50.0, 110.0, 320.0], "score": 0.4}]))
    choose_box_file(window, monkeypatch, boxes)
    window._go_frame(fid)

    def run():
        trigger(window, "run")
        qtbot.waitUntil(lambda: window.job is None, timeout=180_000)
        return [p for p in window.project.instances(fid) if p.origin == "predicted"]

    assert len(run()) == 2
    window.model_panel.min_score.setValue(0.5)
    assert len(run()) == 2  # the 0.9 person predicted again, the 0.4 one kept
    assert "1 earlier prediction not found again stayed (Ctrl+Del" in window.statusBar().currentMessage()
    depth = window.undo_stack.count()
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Delete, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert [p for p in window.project.instances(fid) if p.origin == "predicted"] == []
    assert window.project.frame(fid).state == "unlabelled"  # nothing predicted is left on it
    assert window.undo_stack.count() == depth + 1
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert len([p for p in window.project.instances(fid) if p.origin == "predicted"]) == 2
    assert window.project.frame(fid).state == "predicted"
    trigger(window, "clear_predictions")  # the Edit menu's entry does the same
    assert [p for p in window.project.instances(fid) if p.origin == "predicted"] == []
    trigger(window, "clear_predictions")
    assert window.statusBar().currentMessage() == "No unedited predictions on this frame."


def test_a_run_over_a_corrected_person_says_it_kept_the_correction(window, qtbot, monkeypatch, tmp_path, tiny_model, data_dir):
    """Accepting the run's person makes them a correction; running again predicts nobody new there,
    and says why instead of a bare "predicted 0 people"."""
    from test_gui_actions import import_photo, trigger

    photo = data_dir / "coco_mini_train" / "images" / "000000442450.jpg"
    fid = import_photo(window, monkeypatch, photo)
    window.model_panel.add_model(tiny_model)
    boxes = tmp_path / "one.json"
    boxes.write_text(json.dumps([{"file_name": photo.name, "bbox": [40.0, 60.0, 120.0, 300.0], "score": 0.9}]))
    choose_box_file(window, monkeypatch, boxes)
    window._go_frame(fid)
    trigger(window, "run")
    qtbot.waitUntil(lambda: window.job is None, timeout=180_000)
    person = next(p for p in window.project.instances(fid) if p.origin == "predicted")
    window.select_joint(person.id, 0)
    trigger(window, "accept")
    trigger(window, "run")
    qtbot.waitUntil(lambda: window.job is None, timeout=180_000)
    said = window.statusBar().currentMessage()
    assert "predicted 0 people" in said and "1 corrected person kept as is (a run never predicts over a correction)" in said
    assert [p.id for p in window.project.instances(fid)] == [person.id]
