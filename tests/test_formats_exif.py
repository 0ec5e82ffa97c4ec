"""#15 item 6: a JPEG with EXIF Orientation 6 (a phone photo held upright) is sized, boxed and
normalised as it is displayed, which is how OpenCV decodes it. Made from a real LSP image."""

import shutil
import struct

import numpy as np
import yaml

from poseapp.core.skeleton import LSP14
from poseapp.formats import export_project, import_source
from poseapp.media.images import image_size, read_image, verify_image
from poseapp.store import Instance


def _with_orientation(jpeg: bytes, orientation: int) -> bytes:
    entry = struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0)
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1) + entry + struct.pack("<I", 0)
    payload = b"Exif\x00\x00" + tiff
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + app1 + jpeg[2:]


def test_exif_orientation_6_uses_the_displayed_size(project, lsp_dir, tmp_path):
    original = lsp_dir / "images" / "im0001.jpg"
    stored_w, stored_h = image_size(original)
    assert stored_w != stored_h
    folder = tmp_path / "phone"
    folder.mkdir()
    rotated = folder / "upright.jpg"
    rotated.write_bytes(_with_orientation(original.read_bytes(), 6))
    shutil.copy(original, folder / "plain.jpg")

    assert image_size(rotated) == verify_image(rotated) == (stored_h, stored_w)
    assert read_image(rotated).shape[:2] == (stored_w, stored_h)  # OpenCV turns it on decoding

    import_source(project, folder)
    frame = next(project.frame(f) for f in project.frame_ids() if project.frame(f).file_name == "upright.jpg")
    assert (frame.width, frame.height) == (stored_h, stored_w)

    # A person at the bottom-right corner of the displayed picture exports inside [0, 1] and at its place.
    kps = np.zeros((14, 3))
    kps[:, 0], kps[:, 1], kps[:, 2] = frame.width - 2, frame.height - 2, 2
    kps[0, :2] = (1.0, 1.0)
    project.ensure_skeleton(LSP14)
    project.add_instance(Instance(frame.id, "lsp14", kps, bbox=(1.0, 1.0, frame.width - 3.0, frame.height - 3.0)))
    out = tmp_path / "yolo"
    counts = export_project(project, "yolo", out)
    assert "clipped values" not in counts
    values = np.array((out / "labels" / "upright.txt").read_text().split(), dtype=float)
    assert values[5:].reshape(14, 3)[1, 0] == round((frame.width - 2) / frame.width, 6)
    assert yaml.safe_load((out / "data.yaml").read_text())["kpt_shape"] == [14, 3]
