"""Broken images and removing frames: a truncated JPEG is left out of a folder import and named; an image
that breaks later is marked in the list, never a dialog on every visit or import; frames and
sources can be removed and the removal undone."""

import shutil

import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore, QtWidgets  # noqa: E402

from test_gui_actions import answer_dialogs, trigger  # noqa: E402


@pytest.fixture
def folder_with_a_truncated_jpeg(tmp_path, lsp_dir):
    folder = tmp_path / "shots"
    folder.mkdir()
    for n in (1, 2, 3):
        shutil.copy(lsp_dir / "images" / f"im{n:04d}.jpg", folder / f"im{n:04d}.jpg")
    data = (lsp_dir / "images" / "im0004.jpg").read_bytes()
    (folder / "im0004.jpg").write_bytes(data[: len(data) // 2])  # a copy cut off half-way
    return folder


def test_a_truncated_jpeg_is_left_out_of_a_folder_import_and_named(window, qtbot, monkeypatch, folder_with_a_truncated_jpeg):  # noqa: F811
    frames = window.project.frame_count()
    answer_dialogs(monkeypatch, folder_with_a_truncated_jpeg)
    trigger(window, "import_folder")
    # The readable images come in; the cut-off one is named with its problem, in a box the user sees.
    assert window.last_error is None
    assert "im0004.jpg" in window.last_warning and "not a readable image" in window.last_warning
    boxes = [w for w in QtWidgets.QApplication.topLevelWidgets() if isinstance(w, QtWidgets.QMessageBox) and w.isVisible()]
    assert any("im0004.jpg" in b.text() for b in boxes)
    names = {window.project.frame(window.model.frame_id(r)).file_name for r in range(window.model.rowCount())}
    assert window.project.frame_count() == frames + 3 and window.model.rowCount() == frames + 3
    assert "im0004.jpg" not in names and {"im0001.jpg", "im0002.jpg", "im0003.jpg"} <= names
    for b in boxes:
        b.close()


def test_an_image_broken_after_import_is_marked_never_a_dialog_per_visit(window, qtbot, monkeypatch,  # noqa: F811
                                                                        tmp_path, lsp_dir, coco_json):
    folder = tmp_path / "shots"
    folder.mkdir()
    for n in (1, 2, 3):
        shutil.copy(lsp_dir / "images" / f"im{n:04d}.jpg", folder / f"im{n:04d}.jpg")
    answer_dialogs(monkeypatch, folder)
    trigger(window, "import_folder")
    assert window.last_error is None
    data = (folder / "im0002.jpg").read_bytes()
    (folder / "im0002.jpg").write_bytes(data[: len(data) // 2])  # the file got cut off since (a failed copy, a full disk)
    assert window.jump_to("im0002.jpg")  # visiting it: said in the status bar and the list, no dialog
    row = window.model.row_of(window.current_frame_id)
    assert "[broken image]" in window.model.data(window.model.index(row))
    assert "broken image" in window.frame_info.text() and window.last_error is None
    for _ in range(2):
        qtbot.keyClick(window, QtCore.Qt.Key.Key_Left)
        qtbot.keyClick(window, QtCore.Qt.Key.Key_Right)
    answer_dialogs(monkeypatch, coco_json)
    trigger(window, "import")  # a later import does not bring the old problem back up
    assert window.last_error is None
    frames = window.project.frame_count()
    window.jump_to("im0002.jpg")
    broken = window.current_frame_id
    row = window.model.row_of(broken)
    following = window.model.frame_id(row + 1)
    trigger(window, "remove_frames")
    assert window.project.frame_count() == frames - 1 and broken not in window.project.frame_ids()
    assert window.model.rowCount() == frames - 1
    assert window.current_frame_id == following  # the next frame, not the list's first
    trigger(window, "undo")
    assert window.project.frame_count() == frames and broken in window.project.frame_ids()


def test_removing_a_source_takes_its_frames_and_people_and_undoes(window, qtbot):  # noqa: F811
    stats = window.project.stats()
    trigger(window, "last")  # a video frame
    video = window.project.frame(window.current_frame_id).source_id
    trigger(window, "remove_source")
    assert video not in {s.id for s in window.project.sources()}
    assert window.project.frame_count() == 88 - 80 and window.model.rowCount() == 8
    assert window.current_frame_id in window.project.frame_ids()
    trigger(window, "undo")
    assert window.project.stats() == stats and window.model.rowCount() == 88
    trigger(window, "redo")
    assert window.project.frame_count() == 8
