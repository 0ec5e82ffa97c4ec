"""#15 item 2: annotations without their images, imported when the user asks, listed, located later."""

import json
import shutil

import pytest

from poseapp.cli import main
from poseapp.core.errors import DataError
from poseapp.formats import import_source
from poseapp.store import Project


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
    assert all(name in box.text() for name in missing)
    assert window.project.frame_count() == 0
    box.accept()  # "Yes": import the annotations anyway
    assert (window.project.frame_count(), window.project.instance_count()) == (4, 14)
    window.close()
