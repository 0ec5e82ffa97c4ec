"""Files and projects as people expect: drop files on the window, recent projects, close, a window
that reopens where it was left; a readable shortcuts dialog; Esc closes the Compare window."""

import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402

from conftest import new_window  # noqa: E402
from poseapp.demo import ensure_demo_project  # noqa: E402
from poseapp.store import Project  # noqa: E402


def drop(target, paths):
    """What the widget under the cursor gets when files from a file manager are dropped on it
    (Qt hands an ignored drag on to the parents, up to the window)."""
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QtCore.QPointF(target.width() / 2, target.height() / 2)
    enter = QtGui.QDragEnterEvent(pos.toPoint(), QtCore.Qt.DropAction.CopyAction, mime, QtCore.Qt.MouseButton.LeftButton,
                                  QtCore.Qt.KeyboardModifier.NoModifier)
    QtWidgets.QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    event = QtGui.QDropEvent(pos, QtCore.Qt.DropAction.CopyAction, mime, QtCore.Qt.MouseButton.LeftButton,
                             QtCore.Qt.KeyboardModifier.NoModifier)
    QtWidgets.QApplication.sendEvent(target, event)


def test_dropping_a_dataset_and_an_image_folder_imports_them(qtbot, tmp_path, coco_json, small_lsp):
    win = new_window(qtbot)
    win.open_project(tmp_path / "p.poseapp", create=True)
    drop(win.canvas.viewport(), [coco_json])  # onto the image
    qtbot.waitUntil(lambda: win.model is not None and win.model.rowCount() == 4)
    drop(win.frame_list.viewport(), [small_lsp])  # onto the frame list
    qtbot.waitUntil(lambda: win.model is not None and win.model.rowCount() == 4 + 6)
    assert win.last_error is None
    win.close_project()


def test_recent_projects_close_and_reopening_where_the_user_left(qtbot, tmp_path):
    demo = ensure_demo_project(tmp_path / "a")
    other = tmp_path / "b.poseapp"
    Project.open(other, create=True).close()
    win = new_window(qtbot)
    assert win.open_project(demo)
    qtbot.keyClick(win, QtCore.Qt.Key.Key_PageDown)
    frame = win.current_frame_id
    assert win.open_project(other)
    win.recent_menu.aboutToShow.emit()
    names = [a.text() for a in win.recent_menu.actions()]
    assert names == ["b.poseapp", "demo.poseapp"]
    win.recent_menu.actions()[1].trigger()
    assert win.project.path == demo and win.current_frame_id == frame  # back on the frame it showed
    win.actions_by_name["close"].trigger()
    assert win.project is None and win.windowTitle() == "poseapp" and win.model is None
    assert win.statusBar().currentMessage() == "Closed demo.poseapp."
    assert win.open_project(demo)
    from conftest import make_model_folder

    chosen = make_model_folder(tmp_path / "models" / "my-finetuned", seed=3)  # e.g. a model fine-tuned here
    win.model_panel.add_model(chosen)
    win.resize(760, 600)  # within the offscreen screen (800x800): Qt fits restored windows to the screen
    win.retrain_panel.epochs.setValue(25)  # fine-tuning settings the user chose
    win.retrain_panel.time_limit.setValue(3.5)
    win.close()  # the session is saved on closing

    again = new_window(qtbot)
    assert again.restore_session()
    assert again.project.path == demo and again.current_frame_id == frame
    assert (again.width(), again.height()) == (760, 600)
    assert again.model_panel.model_path() == str(chosen)  # the model chosen for this project, again
    assert (again.retrain_panel.epochs.value(), again.retrain_panel.time_limit.value()) == (25, 3.5)
    again.close()


def test_the_shortcuts_dialog_shows_whole_keys_and_the_mouse(qtbot, tmp_path):
    win = new_window(qtbot)
    win.actions_by_name["shortcuts"].trigger()
    dialog = win.findChild(QtWidgets.QDialog, "shortcuts")
    table = dialog.findChild(QtWidgets.QTableWidget)
    qtbot.waitExposed(dialog)
    assert table.columnWidth(1) >= table.sizeHintForColumn(1)  # the key column is not cut
    assert table.columnWidth(0) + table.columnWidth(1) <= table.viewport().width() + 1
    texts = [table.item(r, 1).text() for r in range(table.rowCount())]
    assert "Left drag" in texts and "Wheel" in texts and "Ctrl+Shift+R" in texts
    dialog.grab().save(str(tmp_path / "shortcuts.png"))
    close = dialog.findChild(QtWidgets.QDialogButtonBox).button(QtWidgets.QDialogButtonBox.StandardButton.Close)
    qtbot.mouseClick(close, QtCore.Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def test_esc_closes_the_compare_window(qtbot, tmp_path):
    from poseapp.gui.compare_view import ModelComparison

    win = new_window(qtbot)
    view = ModelComparison(win)
    view.show()
    qtbot.waitExposed(view)
    qtbot.keyClick(view, QtCore.Qt.Key.Key_Escape)
    assert not view.isVisible()


def test_after_a_kill_the_project_reopens_on_the_frame_the_user_was_on(qtbot, tmp_path):
    """The frame is written a moment after the user stops on it, not only on a clean quit: a new
    window (all a kill leaves is what was written) reopens there."""
    demo = ensure_demo_project(tmp_path / "a")
    win = new_window(qtbot)
    assert win.open_project(demo)
    for _ in range(3):
        qtbot.keyClick(win, QtCore.Qt.Key.Key_PageDown)
    frame = win.current_frame_id
    qtbot.wait(1300)  # the user stays on the frame a moment
    # no close, no save_session: as after a kill, the settings file holds what the next opening reads
    from poseapp.gui.settings import user_settings

    assert int(user_settings().value(f"last_frame/{demo.resolve()}")) == frame


def test_after_a_kill_the_next_start_reopens_the_project_with_the_retrain_settings_chosen(qtbot, tmp_path):
    """Issue #25 item 8: the project is remembered when it is opened, and the Retrain tab's
    settings when they change, so a window killed before any clean quit loses neither."""
    from poseapp.gui.settings import user_settings

    demo = ensure_demo_project(tmp_path / "a")
    win = new_window(qtbot)
    assert win.open_project(demo)
    win.retrain_panel.epochs.setValue(17)  # the user's choice, typed in the Retrain tab
    win.retrain_panel.time_limit.setValue(4.5)
    # as after kill -9: nothing saved at quit; a new window reads only what is on disk
    user_settings().sync()
    again = new_window(qtbot)
    try:
        assert again.restore_session()
        assert again.project.read_only and again.project.path == demo  # the first window still holds it
        assert (again.retrain_panel.epochs.value(), again.retrain_panel.time_limit.value()) == (17, 4.5)
    finally:
        again.close_project()
        win.close_project()
