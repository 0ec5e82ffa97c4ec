"""Exports never destroy user data (#10 items 5 and 6) and fail cleanly (read-only, full disk)."""

import errno
import hashlib
import os
from pathlib import Path

import pytest

from poseapp.cli import main
from poseapp.core.errors import DataError
from poseapp.formats import export_project, import_source
from poseapp.store import Project


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("fmt", ["coco", "yolo", "coco-results"])
def test_export_onto_the_project_itself_is_refused(project_file, fmt, capsys):
    before = _digest(project_file)
    assert main(["export", str(project_file), "--format", fmt, "--out", str(project_file)]) == 1
    err = capsys.readouterr().err
    assert str(project_file) in err and "project" in err and "Traceback" not in err
    assert project_file.is_file() and _digest(project_file) == before
    with Project.open(project_file) as project:
        assert project.instance_count() == 6


def test_export_onto_another_project_file_is_refused(project_file, tmp_path, small_lsp, capsys):
    other = tmp_path / "other.poseapp"
    with Project.open(other, create=True) as project:
        import_source(project, small_lsp)
    before = _digest(other)
    assert main(["export", str(project_file), "--format", "coco", "--out", str(other)]) == 1
    assert "project" in capsys.readouterr().err
    assert _digest(other) == before


def test_yolo_export_never_deletes_a_folder_of_user_files(project_file, tmp_path, capsys):
    documents = tmp_path / "my_documents"
    documents.mkdir()
    (documents / "thesis.txt").write_text("three years of work")
    assert main(["export", str(project_file), "--format", "yolo", "--out", str(documents)]) == 1
    err = capsys.readouterr().err
    assert str(documents) in err and "not a poseapp export" in err
    assert (documents / "thesis.txt").read_text() == "three years of work"


def test_yolo_export_replaces_its_own_earlier_export(project_file, tmp_path):
    out = tmp_path / "export"
    with Project.open(project_file) as project:
        export_project(project, "yolo", out)
        (out / "labels" / "stale.txt").write_text("")
        export_project(project, "yolo", out)
    assert not (out / "labels" / "stale.txt").exists()
    assert (out / "data.yaml").is_file()


def test_yolo_export_to_dot_is_refused_without_leftovers(project_file, tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("mine")
    monkeypatch.chdir(work)
    assert main(["export", str(project_file), "--format", "yolo", "--out", "."]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "folder" in err
    assert sorted(p.name for p in work.iterdir()) == ["notes.txt"]


def test_coco_export_to_a_folder_path_says_so(project_file, tmp_path, capsys):
    folder = tmp_path / "a_folder"
    folder.mkdir()
    assert main(["export", str(project_file), "--format", "coco", "--out", str(folder)]) == 1
    err = capsys.readouterr().err
    assert str(folder) in err and "is a folder" in err
    assert list(folder.iterdir()) == []


def test_export_into_a_read_only_folder_is_a_clear_error(project_file, tmp_path, monkeypatch):
    import poseapp.core.atomic as atomic

    def refuse(*args, **kwargs):  # what a read-only folder answers (the tests run as root, which chmod cannot stop)
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(atomic.tempfile, "mkstemp", refuse)
    out = tmp_path / "ro" / "export.json"
    out.parent.mkdir()
    with Project.open(project_file) as project, pytest.raises(DataError) as info:
        export_project(project, "coco", out)
    assert str(out) in str(info.value) and "read-only" in str(info.value)


def test_export_onto_a_full_disk_keeps_the_old_file_and_leaves_no_temp(project_file, tmp_path, monkeypatch):
    import poseapp.core.atomic as atomic

    out = tmp_path / "out" / "export.json"
    out.parent.mkdir()
    with Project.open(project_file) as project:
        export_project(project, "coco", out)
        before = _digest(out)

        def full(fd):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(atomic.os, "fsync", full)
        with pytest.raises(DataError) as info:
            export_project(project, "coco", out)
    assert "disk is full" in str(info.value)
    assert _digest(out) == before
    assert sorted(os.listdir(out.parent)) == ["export.json"]


def test_an_export_into_a_folder_that_does_not_exist_is_refused_not_made(project_file, tmp_path):
    out = tmp_path / "exprots" / "export.json"  # a typo of an existing folder's name
    (tmp_path / "exports").mkdir()
    with Project.open(project_file) as project, pytest.raises(DataError, match="does not exist"):
        export_project(project, "coco", out)
    assert not out.parent.exists()


@pytest.mark.parametrize("fmt", ["coco", "coco-results"])
def test_cli_single_file_export_keeps_an_existing_file_unless_forced(project_file, tmp_path, fmt, capsys):
    out = tmp_path / "notes.json"
    out.write_text("someone's file\n")
    assert main(["export", str(project_file), "--format", fmt, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert str(out) in err and "--force" in err and "Traceback" not in err
    assert out.read_text() == "someone's file\n"
    assert main(["export", str(project_file), "--format", fmt, "--out", str(out), "--force"]) == 0
    assert out.read_text().startswith("{") or out.read_text().startswith("[")
