"""Writes go to a temporary file first: an interrupted write never replaces a good file."""

import json
import os

import pytest

from poseapp.core.atomic import atomic_directory, atomic_open, write_json_atomic
from poseapp.formats import export_project, import_source


def test_failed_write_keeps_the_old_file_and_leaves_no_temporaries(tmp_path):
    target = tmp_path / "out.json"
    write_json_atomic(target, {"good": True})
    with pytest.raises(RuntimeError):
        with atomic_open(target) as handle:
            handle.write('{"half": ')
            raise RuntimeError("disk full, power cut, ...")
    assert json.loads(target.read_text()) == {"good": True}
    assert os.listdir(tmp_path) == ["out.json"]


def test_written_file_gets_normal_permissions(tmp_path):
    target = tmp_path / "out.json"
    write_json_atomic(target, [])
    mode = target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def test_interrupted_export_keeps_the_previous_export(project, coco_json, tmp_path, monkeypatch):
    import_source(project, coco_json)
    out = tmp_path / "export.json"
    export_project(project, "coco", out)
    before = out.read_bytes()

    real_dump = json.dump

    def dump_then_die(obj, fp, **kw):
        fp.write(json.dumps(obj)[:1000])  # part of the document is on disk ...
        raise KeyboardInterrupt  # ... when the user hits Ctrl+C

    monkeypatch.setattr(json, "dump", dump_then_die)
    with pytest.raises(KeyboardInterrupt):
        export_project(project, "coco", out)
    monkeypatch.setattr(json, "dump", real_dump)
    assert out.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == sorted(["export.json", "test.poseapp", "test.poseapp-wal", "test.poseapp-shm"])


def test_atomic_directory_replaces_whole_folders(tmp_path):
    target = tmp_path / "folder"
    with atomic_directory(target) as tmp:
        (tmp / "a.txt").write_text("first")
    with pytest.raises(ValueError):
        with atomic_directory(target) as tmp:
            (tmp / "b.txt").write_text("half")
            raise ValueError
    assert os.listdir(target) == ["a.txt"]
    with atomic_directory(target) as tmp:
        (tmp / "c.txt").write_text("second")
    assert os.listdir(target) == ["c.txt"]
    assert os.listdir(tmp_path) == ["folder"]
