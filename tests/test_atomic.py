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


def test_an_export_folder_gets_normal_permissions(project, coco_json, tmp_path):
    """A YOLO or DeepLabCut export is a folder others read: not the private 0700 of a temp folder."""
    import_source(project, coco_json)
    export_project(project, "yolo", tmp_path / "yolo")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "yolo").stat().st_mode & 0o777 == 0o777 & ~umask


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
    assert sorted(os.listdir(tmp_path)) == sorted(["export.json", "test.poseapp", "test.poseapp-wal", "test.poseapp-shm", "test.poseapp-lock"])


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


def test_the_leftovers_of_a_killed_writer_are_removed_by_the_next_run(tmp_path, coco_json):
    """A kill -9 mid-export (or mid-checkpoint) leaves its hidden temp file and folder; the next
    write of the same target removes them, and never a live writer's."""
    import signal
    import subprocess
    import sys

    from poseapp.cli import main

    project = tmp_path / "p.poseapp"
    assert main(["import", str(coco_json), "--project", str(project)]) == 0
    out = tmp_path / "export.json"
    child = subprocess.Popen(
        [sys.executable, "-c", (
            "import sys, time\n"
            "from poseapp.core.atomic import atomic_open, atomic_directory\n"
            "with atomic_open(sys.argv[1]) as f, atomic_directory(sys.argv[1] + '.yolo'):\n"
            "    f.write('{half'); f.flush(); print('writing', flush=True); time.sleep(600)\n"
        ), str(out)],
        stdout=subprocess.PIPE, text=True,
    )
    assert child.stdout.readline().strip() == "writing"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".export.json"))
    assert len(leftovers) == 2 and all(f".{child.pid}." in n for n in leftovers)
    live = tmp_path / f".export.json.{os.getpid()}.live.tmp"  # this process's own: alive, kept
    live.write_text("mine")

    assert main(["export", str(project), "--format", "coco", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["annotations"]
    assert not (tmp_path / leftovers[0]).exists()
    assert live.exists()
    assert main(["export", str(project), "--format", "yolo", "--out", str(out) + ".yolo"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".export.json")) == [live.name]
