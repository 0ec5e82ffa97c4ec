"""The small things a user met in an hour of labelling (issue #25 item 14), each driven as a user
does it: file dialogs that open where the work is, a model card window that closes, Ctrl+G that
says its range, hover and F1 texts that say the right thing, no idle progress bar, Shift+N bones,
and `poseapp info` on a video."""

import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore, QtWidgets  # noqa: E402

from test_gui_actions import _start_placing_joints, trigger  # noqa: E402


def _answer_file_dialog(qtbot, answer, seen):
    """When the real file dialog opens: note the folder it opened in, then choose ``answer``."""
    def respond():
        dialogs = [w for w in QtWidgets.QApplication.topLevelWidgets() if isinstance(w, QtWidgets.QFileDialog) and w.isVisible()]
        if not dialogs:
            QtCore.QTimer.singleShot(50, respond)
            return
        dialog = dialogs[0]
        seen.append(dialog.directory().absolutePath())
        dialog.setDirectory(str(answer.parent))  # the user goes to the folder and types the name
        dialog.findChild(QtWidgets.QLineEdit, "fileNameEdit").setText(answer.name)
        dialog.accept()
    QtCore.QTimer.singleShot(50, respond)


def test_file_dialogs_open_in_the_projects_folder_then_where_the_user_last_chose(window, qtbot, data_dir):
    seen = []
    _answer_file_dialog(qtbot, data_dir / "coco_sample" / "000000000785.jpg", seen)
    trigger(window, "import")  # File > Import, the real dialog
    assert seen[0] == str(window.project.path.parent)  # not the folder poseapp runs from
    assert any((window.project.frame(f).file_name or "").endswith("000000000785.jpg") for f in window.project.frame_ids())
    _answer_file_dialog(qtbot, data_dir / "coco_sample" / "000000040083.jpg", seen)
    trigger(window, "import")
    assert seen[1] == str(data_dir / "coco_sample")  # the folder last chosen in, remembered


def test_the_model_card_window_has_a_close_button_and_esc_closes_it(window, qtbot):
    panel = window.model_panel
    qtbot.mouseClick(panel.card_button, QtCore.Qt.MouseButton.LeftButton)
    card = panel.card_window
    qtbot.waitExposed(card)
    card.activateWindow()  # the user's keys go to the window in front
    qtbot.waitUntil(card.isActiveWindow, timeout=2000)
    qtbot.keyClick(card.browser, QtCore.Qt.Key.Key_Escape)
    assert not card.isVisible()
    qtbot.mouseClick(panel.card_button, QtCore.Qt.MouseButton.LeftButton)
    assert card.isVisible()
    close = card.findChild(QtWidgets.QDialogButtonBox).button(QtWidgets.QDialogButtonBox.StandardButton.Close)
    qtbot.mouseClick(close, QtCore.Qt.MouseButton.LeftButton)
    assert not card.isVisible()


def test_ctrl_g_says_the_valid_range(window, qtbot, monkeypatch):
    prompts = []
    monkeypatch.setattr(QtWidgets.QInputDialog, "getText", staticmethod(lambda *a, **k: (prompts.append(a[2]), ("", False))[1]))
    trigger(window, "jump")
    assert f"0 to {window.model.rowCount() - 1}" in prompts[-1]
    qtbot.keyClick(window, QtCore.Qt.Key.Key_End)  # in the video
    trigger(window, "jump")
    assert "0 to 79" in prompts[-1]
    assert not window.jump_to("9999") or window._in_video()


def test_f1_lists_undo_by_its_name_not_the_live_undo_text(window, qtbot):
    inst = window.project.instances(window.current_frame_id)[0]
    window.select_joint(inst.id, 1)
    trigger(window, "next")  # nudges the joint: the Edit menu's undo now names that edit
    assert window.actions_by_name["undo"].text() != "&Undo"
    names = [name for name, _ in window.shortcut_table()]
    assert "Undo" in names and not any(n.startswith("Undo ") for n in names), names


def test_the_progress_bar_shows_only_while_it_has_something_to_say(window, qtbot, tiny_model):
    bar = window.model_panel.progress
    assert not bar.isVisible()
    window.retrain_dock.raise_()
    assert not window.retrain_panel.progress.isVisible()  # the Retrain tab's too
    window.statusBar().showMessage("x" * 400)  # a message longer than the bar: the frame text gives way
    assert not window.frame_info.isVisible()
    window.statusBar().clearMessage()
    assert window.frame_info.isVisible()
    window.model_panel.add_model(tiny_model)
    trigger(window, "run")
    assert bar.isVisible()
    qtbot.waitUntil(lambda: window.job is None, timeout=120_000)
    assert bar.isVisible()  # the finished run's figure stays until the next


def test_shift_n_draws_the_bones_between_the_joints_placed_so_far(window, qtbot):
    _start_placing_joints(window, qtbot, 2)  # right ankle, then right knee: one bone
    bones = window.canvas._placed_bones
    drawn = sum(0 if curve.getData()[0] is None else len(curve.getData()[0]) for curve in bones.values())
    assert drawn == 2  # one segment: its two ends
    window.escape()


def test_hovering_the_selected_joint_does_not_repeat_its_name(window, qtbot):
    from test_gui_editing import frame_view, viewport_pos

    inst = window.project.instances(window.current_frame_id)[0]
    frame_view(window)
    window.select_joint(inst.id, 13)
    qtbot.mouseMove(window.canvas.viewport(), pos=viewport_pos(window, *inst.keypoints[13, :2]))
    qtbot.wait(50)
    assert not window.canvas.hover_label.isVisible()
    qtbot.mouseMove(window.canvas.viewport(), pos=viewport_pos(window, *inst.keypoints[0, :2]))
    qtbot.waitUntil(lambda: window.canvas.hover_label.isVisible(), timeout=2000)
    assert window.canvas.hover_label.textItem.toPlainText() == "right_ankle"


def test_poseapp_info_describes_a_video(data_dir, capsys):
    from poseapp.cli import main

    assert main(["info", str(data_dir / "video" / "vtest.avi")]) == 0
    out = capsys.readouterr().out
    assert "frames: 795" in out and "768x576" in out


def test_the_people_row_decides_which_detections_become_people(window, qtbot, tiny_model):
    """Issue #27 item 3: the detector, its score threshold and the smallest person, in the window."""
    window.model_panel.add_model(tiny_model)
    panel = window.model_panel
    qtbot.keyClick(window, QtCore.Qt.Key.Key_End)  # a video frame with several walkers
    frame = window.current_frame_id

    def people():
        trigger(window, "run")
        qtbot.waitUntil(lambda: window.job is None, timeout=120_000)
        return [i for i in window.project.instances(frame) if i.origin == "predicted"]

    assert len(people()) >= 2  # HOG at its own threshold
    panel.min_height.setValue(1000)  # nobody is that tall: nobody is a person (the earlier ones stay)
    people()
    assert "predicted 0 people" in window.statusBar().currentMessage()
    panel.boxes_box.setCurrentIndex(panel.boxes_box.findData("whole"))
    assert not panel.min_score.isEnabled()
    assert sum(bool(p.extra.get("whole_image")) for p in people()) == 1
    panel.boxes_box.setCurrentIndex(panel.boxes_box.findData("detector"))
    assert panel.min_score.maximum() == 1.0 and panel.min_score.value() == pytest.approx(0.3)


def test_space_on_a_photo_says_there_is_nothing_to_play(window, qtbot, monkeypatch, data_dir):
    from test_gui_actions import import_photo

    import_photo(window, monkeypatch, data_dir / "coco_mini_train" / "images" / "000000442450.jpg")
    trigger(window, "play")  # Space
    assert window.last_error is None and not window.seek_bar.play_button.isChecked()
    assert "Space plays a video" in window.statusBar().currentMessage()
