"""The main window driven through its real widgets with pytest-qt (offscreen)."""

import json

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore  # noqa: E402

from poseapp.demo import ensure_demo_project  # noqa: E402
from poseapp.gui.app import configure_pyqtgraph  # noqa: E402
from poseapp.gui.main_window import MainWindow  # noqa: E402


@pytest.fixture
def window(qtbot, tmp_path):
    configure_pyqtgraph()
    win = MainWindow()
    win.resize(1100, 700)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    assert win.open_project(ensure_demo_project(tmp_path))
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
    scatters = [i for i in window.canvas._overlay if type(i).__name__ == "ScatterPlotItem"]
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


def test_edit_in_the_store_updates_canvas_and_list(window):
    project = window.project
    inst = project.instances(window.current_frame_id)[0]
    project.set_keypoint(inst.id, 13, 5.0, 6.0, v=1)
    scatter = next(i for i in window.canvas._overlay if type(i).__name__ == "ScatterPlotItem")
    xs, ys = scatter.getData()
    assert (5.0, 6.0) in set(zip(xs.tolist(), ys.tolist()))
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


def test_shortcuts_are_listed_in_help(window):
    table = dict(window.shortcut_table())
    for action in ("Next frame", "Previous frame", "Import dataset or media", "Export COCO keypoints", "Keyboard shortcuts"):
        assert table.get(action), action
    dialog = window.show_shortcuts()
    assert dialog.isVisible()
    dialog.close()


def test_screenshot_of_the_main_window(window, tmp_path):
    window._go_row(6)
    path = tmp_path / "main_window.png"
    assert window.grab().save(str(path))
    assert path.stat().st_size > 50_000
