"""Imports refuse hostile or broken files with a clear error and change nothing (#10 item 7 and the
format-level bad inputs). Every file here is made from the real COCO sample, LSP images or the
real YOLO layout, then damaged in one way."""

import json
import shutil
import struct
import zlib
from pathlib import Path

import pytest

from poseapp.cli import main
from poseapp.formats import export_project
from poseapp.store import Project


def _counts(path):
    with Project.open(path) as project:
        return project.frame_count(), project.instance_count(), len(project.sources())


def _refused(project_file, source, capsys, *needles, extra=()):
    before = _counts(project_file)
    assert main(["import", str(source), "--project", str(project_file), *extra]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert str(source) in err or str(Path(source).parent) in err, err
    for needle in needles:
        assert needle in err, err
    assert _counts(project_file) == before
    return err


def _edit(path, fn):
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data))


def test_recorded_image_root_cannot_point_the_import_elsewhere(project_file, coco_copy, tmp_path, capsys):
    secret = tmp_path / "home" / ".ssh"
    secret.mkdir(parents=True)
    (secret / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n")

    def point_at_secret(data):
        data["images"][0]["file_name"] = "id_rsa"
        data["poseapp"] = {"image_root": str(secret)}

    _edit(coco_copy, point_at_secret)
    err = _refused(project_file, coco_copy, capsys, "id_rsa")
    assert "does not exist" in err


def test_a_symlink_leaving_the_image_folder_is_refused(project_file, coco_copy, tmp_path, lsp_dir, capsys):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.copy(lsp_dir / "images" / "im0001.jpg", outside / "real.jpg")
    data = json.loads(coco_copy.read_text())
    name = data["images"][0]["file_name"]
    (coco_copy.parent / name).unlink()
    (coco_copy.parent / name).symlink_to(outside / "real.jpg")
    _refused(project_file, coco_copy, capsys, "outside the image folder")


def test_a_file_that_is_not_an_image_is_refused(project_file, coco_copy, capsys):
    data = json.loads(coco_copy.read_text())
    (coco_copy.parent / data["images"][1]["file_name"]).write_bytes(b"ssh-ed25519 AAAAC3Nza not a picture\n" * 20)
    _refused(project_file, coco_copy, capsys, data["images"][1]["file_name"], "not a readable image")


def test_a_four_byte_jpeg_is_refused_in_a_coco_file_and_on_its_own(project_file, coco_copy, capsys):
    data = json.loads(coco_copy.read_text())
    jpeg = coco_copy.parent / data["images"][2]["file_name"]
    jpeg.write_bytes(b"\xff\xd8\xff\xe0")
    _refused(project_file, coco_copy, capsys, "not a readable image")
    _refused(project_file, jpeg, capsys, "not a readable image")


def _header_only_jpeg(real: Path, width: int, height: int) -> bytes:
    data = real.read_bytes()
    sos = data.index(b"\xff\xda")
    header = bytearray(data[:sos])
    sof = max(header.find(b"\xff\xc0"), header.find(b"\xff\xc2"))
    header[sof + 5: sof + 9] = struct.pack(">HH", height, width)
    return bytes(header)


def _png(width: int, height: int) -> bytes:
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def test_header_only_and_empty_images_are_refused(project_file, tmp_path, lsp_dir, capsys):
    folder = tmp_path / "shots"
    folder.mkdir()
    (folder / "huge.jpg").write_bytes(_header_only_jpeg(lsp_dir / "images" / "im0001.jpg", 20000, 20000))
    (folder / "empty.png").write_bytes(_png(0, 0))
    err = _refused(project_file, folder, capsys, "huge.jpg", "20000 x 20000", "empty.png", "0 x 0")
    assert "none of its 2 images can be read" in err
    _refused(project_file, folder / "huge.jpg", capsys, "20000 x 20000")  # the file on its own


def test_a_folder_import_leaves_out_its_unreadable_images_and_names_them(project_file, tmp_path, lsp_dir, capsys):
    folder = tmp_path / "shots"
    folder.mkdir()
    shutil.copy(lsp_dir / "images" / "im0002.jpg", folder / "good.jpg")
    (folder / "huge.jpg").write_bytes(_header_only_jpeg(lsp_dir / "images" / "im0001.jpg", 20000, 20000))
    (folder / "empty.png").write_bytes(_png(0, 0))
    frames, instances, sources = _counts(project_file)
    assert main(["import", str(folder), "--project", str(project_file)]) == 0
    out = capsys.readouterr().out
    assert "1 image (1 new frame)" in out and "left out 2 unreadable images" in out
    assert "huge.jpg: " in out and "20000 x 20000" in out and "empty.png: " in out and "0 x 0" in out
    assert _counts(project_file) == (frames + 1, instances, sources + 1)
    with Project.open(project_file) as project:
        added = [f for f in map(project.frame, project.frame_ids()) if f.file_name in ("good.jpg", "huge.jpg", "empty.png")]
    assert [f.file_name for f in added] == ["good.jpg"]


def test_integers_too_large_for_sqlite(project_file, coco_copy, capsys):
    _edit(coco_copy, lambda d: d["annotations"][0].update(id=2**64))
    _refused(project_file, coco_copy, capsys, "64-bit integer")
    _edit(coco_copy, lambda d: (d["annotations"][0].update(id=1), d["images"][0].update(id=10**400)))
    _refused(project_file, coco_copy, capsys, "64-bit integer")


def test_json_nested_200k_deep(project_file, tmp_path, capsys):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    _refused(project_file, deep, capsys, "nested too deeply")


def test_a_bbox_of_1e200_is_refused_at_import(project_file, coco_copy, capsys, tmp_path):
    _edit(coco_copy, lambda d: d["annotations"][0].update(bbox=[0, 0, 1e200, 1e200]))
    _refused(project_file, coco_copy, capsys, "bbox")
    # and so every later export still works
    with Project.open(project_file) as project:
        export_project(project, "coco", tmp_path / "still.json")


@pytest.fixture
def yolo_export(tmp_path, project_file):
    out = tmp_path / "yolo"
    with Project.open(project_file) as project:
        export_project(project, "yolo", out)
    return out


@pytest.mark.parametrize("line, needle", [
    ("names: person", "names must be"),
    ("kpt_shape: [a, 3]", "kpt_shape must be"),
    ("kpt_shape: [14, 7]", "kpt_shape must be"),
])
def test_bad_yolo_data_yaml(project_file, yolo_export, line, needle, capsys):
    import yaml

    config = yaml.safe_load((yolo_export / "data.yaml").read_text())
    config.pop(line.split(":")[0])
    text = yaml.safe_dump(config) + line + "\n"
    (yolo_export / "data.yaml").write_text(text)
    _refused(project_file, yolo_export / "data.yaml", capsys, needle)
