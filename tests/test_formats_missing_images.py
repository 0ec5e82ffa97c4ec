"""#15 item 2: annotations without their images, imported when the user asks, listed, located later."""

import json
import shutil

import pytest

from poseapp.cli import main
from poseapp.core.errors import DataError
from poseapp.formats import import_source
from poseapp.store import Project

try:
    from PySide6 import QtCore
except ImportError:  # the GUI tests skip themselves
    QtCore = None


@pytest.fixture
def half_the_images(tmp_path, coco_json):
    """The real sample file with two of its four images not downloaded yet."""
    folder = tmp_path / "coco"
    shutil.copytree(coco_json.parent, folder)
    names = [im["file_name"] for im in json.loads(coco_json.read_text())["images"]]
    for name in names[:2]:
        (folder / name).unlink()
    return folder / "test_coco.json", names[:2]


def test_missing_images_are_refused_by_default_naming_only_the_cause(project, half_the_images):
    path, missing = half_the_images
    with pytest.raises(DataError) as info:
        import_source(project, path)
    message = str(info.value)
    assert all(name in message for name in missing)
    assert "is not an image in the file" not in message  # no follow-on errors from their annotations
    assert f"missing below {path.parent}" in message and "--images DIR" in message  # where it looked, and the way out
    assert project.frame_count() == 0


def test_allow_missing_images_imports_them_listed_and_locatable_later(tmp_path, half_the_images, coco_json, capsys):
    path, missing = half_the_images
    project_file = tmp_path / "p.poseapp"
    assert main(["import", str(path), "--project", str(project_file), "--allow-missing-images"]) == 0
    out = capsys.readouterr().out
    assert "2 image file(s) are not in" in out and all(name in out for name in missing)
    with Project.open(project_file) as project:
        assert (project.frame_count(), project.instance_count()) == (4, 14)
        frames = [project.frame(f) for f in project.frame_ids()]
        absent = [f for f in frames if f.file_name in missing]
        assert len(absent) == 2 and all(f.width > 0 for f in absent)  # sizes from the file
    # The images turn up in another folder: relocate the source, then every frame has its pixels.
    found = tmp_path / "downloaded"
    shutil.copytree(coco_json.parent, found)
    with Project.open(project_file) as project:
        source = project.sources()[0].id
    assert main(["relocate", str(project_file), str(source), str(found)]) == 0
    with Project.open(project_file) as project:
        from poseapp.media.images import read_image

        for f in project.frame_ids():
            frame = project.frame(f)
            assert read_image(project.frame_path(frame)).shape[:2] == (frame.height, frame.width)


def test_allow_missing_images_still_refuses_a_bad_image_that_is_there(project, half_the_images):
    path, missing = half_the_images
    names = [im["file_name"] for im in json.loads(path.read_text())["images"]]
    (path.parent / names[3]).write_bytes(b"\xff\xd8\xff\xe0")
    with pytest.raises(DataError, match="not a readable image"):
        import_source(project, path, allow_missing_images=True)


def test_the_window_offers_to_import_without_the_missing_images(qtbot, tmp_path, half_the_images):
    pytest.importorskip("pytestqt")
    from poseapp.gui.app import configure_pyqtgraph
    from poseapp.gui.main_window import MainWindow

    configure_pyqtgraph()
    path, missing = half_the_images
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.open_project(tmp_path / "w.poseapp", create=True)
    assert not window.import_path(path)
    box = window.missing_images_box
    assert all(name in box.text() for name in missing) and str(path.parent) in box.text()  # where it looked
    assert window.project.frame_count() == 0
    anyway = next(b for b in box.buttons() if b.text() == "Import without images")
    qtbot.mouseClick(anyway, QtCore.Qt.MouseButton.LeftButton)
    assert (window.project.frame_count(), window.project.instance_count()) == (4, 14)
    # the folder exists but lacks the images: it is listed as missing, so it can be located
    from poseapp.media.relocate import missing_sources

    assert [s.path for s in missing_sources(window.project)] == [str(path.parent)]
    window.close()


def test_the_window_imports_from_an_image_folder_the_user_names(qtbot, tmp_path, coco_json, monkeypatch):
    """The GUI's --images: a COCO file exported away from its images (file names relative to the
    image folder) is imported with the folder the user picks in the message box."""
    pytest.importorskip("pytestqt")
    from poseapp.gui import file_dialogs
    from poseapp.gui.app import configure_pyqtgraph
    from poseapp.gui.main_window import MainWindow

    configure_pyqtgraph()
    alone = tmp_path / "exports" / "annotations.json"
    alone.parent.mkdir()
    shutil.copy(coco_json, alone)  # the JSON without its images
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.open_project(tmp_path / "w.poseapp", create=True)
    assert not window.import_path(alone)
    box = window.missing_images_box
    monkeypatch.setattr(file_dialogs, "get_existing_directory", lambda *a, **k: str(coco_json.parent))
    choose = next(b for b in box.buttons() if b.text() == "Choose image folder...")
    qtbot.mouseClick(choose, QtCore.Qt.MouseButton.LeftButton)
    assert (window.project.frame_count(), window.project.instance_count()) == (4, 14)
    from poseapp.media.relocate import missing_sources

    assert missing_sources(window.project) == []
    window.close()
