"""Sources whose files moved: followed when the project moved with them, located by the user
otherwise, and a wrong new place is refused without changing anything."""

import shutil
from pathlib import Path

import pytest

from poseapp.cli import main
from poseapp.core.errors import DataError
from poseapp.data import load_samples
from poseapp.formats import import_source
from poseapp.formats.ingest import add_media
from poseapp.media.frames import FrameLoader
from poseapp.media.relocate import follow_moved_project, missing_sources, relocate_source
from poseapp.store import Project


def _project_with_lsp(root, small_lsp):
    data = root / "data" / "lsp"
    shutil.copytree(small_lsp, data)
    path = root / "poses.poseapp"
    with Project.open(path, create=True) as project:
        import_source(project, data)
    return path


def test_a_project_moved_together_with_its_data_finds_it_again(tmp_path, small_lsp):
    _project_with_lsp(tmp_path / "before", small_lsp)
    shutil.move(tmp_path / "before", tmp_path / "after")
    moved = tmp_path / "after" / "poses.poseapp"
    with Project.open(moved) as project:
        assert len(missing_sources(project)) == 1
        fixed = follow_moved_project(project)
        assert [new for _, new in fixed] == [str(tmp_path / "after" / "data" / "lsp" / "images")]
        assert missing_sources(project) == []
        frame = project.frame(project.frame_ids()[0])
        assert FrameLoader(project).read(frame).shape == (frame.height, frame.width, 3)
    # training data from the project is found too (load_samples follows the move itself)
    shutil.move(tmp_path / "after", tmp_path / "again")
    samples = load_samples(f"project:{tmp_path / 'again' / 'poses.poseapp'}")
    assert len(samples) == 6 and all(str(tmp_path / "again") in s.image_path for s in samples)


def test_a_wrong_new_place_is_refused_and_the_right_one_taken(tmp_path, small_lsp):
    path = _project_with_lsp(tmp_path / "proj", small_lsp)
    shutil.move(tmp_path / "proj" / "data", tmp_path / "elsewhere")
    with Project.open(path) as project:
        assert follow_moved_project(project) == []  # not beside the project any more
        [source] = missing_sources(project)
        empty = tmp_path / "empty"
        empty.mkdir()
        with pytest.raises(DataError, match=r"empty: cannot hold images .*6 of the source's 6 images are not in it \(first: im0001.jpg\)"):
            relocate_source(project, source.id, empty)
        with pytest.raises(DataError, match="not a folder"):
            relocate_source(project, source.id, small_lsp / "joints.mat")
        assert project.source(source.id).path == source.path  # unchanged
        with pytest.raises(DataError):
            load_samples(f"project:{path}")  # names the missing images instead of failing on one file
    assert main(["relocate", str(path)]) == 1  # lists the source as missing
    assert main(["relocate", str(path), str(source.id), str(tmp_path / "elsewhere" / "lsp" / "images")]) == 0
    with Project.open(path) as project:
        assert missing_sources(project) == []
        assert len(load_samples(f"project:{path}")) == 6


def test_a_video_must_have_every_frame_the_project_has(tmp_path, video_path):
    clip = tmp_path / "clip.avi"
    shutil.copy(video_path, clip)
    with Project.open(tmp_path / "v.poseapp", create=True) as project:
        add_media(project, clip)
        clip.unlink()
        [source] = missing_sources(project)
        short = Path(__file__).resolve().parent.parent / "resources" / "demo" / "pedestrians.mp4"
        with pytest.raises(DataError, match="the video has 80 frames; the project has frames up to 794"):
            relocate_source(project, source.id, short)
        relocate_source(project, source.id, video_path)
        assert missing_sources(project) == []
