"""LSP and LSP Extended from ../shared/data, with their opposite visibility flags."""

import json

import numpy as np
import pytest
import scipy.io

from poseapp.formats import detect_format, export_project, import_source
from poseapp.formats.lsp import read_lsp


def _visibility_counts(project):
    counts = {0: 0, 1: 0, 2: 0}
    for inst in project.iter_instances():
        for v, n in zip(*np.unique(inst.keypoints[:, 2].astype(int), return_counts=True)):
            counts[int(v)] += int(n)
    return counts


def test_lsp_train_flag_1_is_occluded(project, lsp_dir):
    assert detect_format(lsp_dir) == "lsp"
    summary = import_source(project, lsp_dir)
    assert (summary.images, summary.instances) == (1000, 1000)
    counts = _visibility_counts(project)
    # 990 of the 14,000 joints carry flag 1 (7.07%); all are annotated, so none is 'not labelled'.
    assert counts == {0: 0, 1: 990, 2: 13010}
    assert 100 * counts[1] / 14000 == pytest.approx(7.07, abs=0.01)


def test_lsp_columns_match_images(project, lsp_dir):
    import_source(project, lsp_dir)
    raw = scipy.io.loadmat(lsp_dir / "joints.mat")["joints"]  # 3 x 14 x N
    for frame_id in project.frame_ids()[::97]:
        frame = project.frame(frame_id)
        column = int(frame.file_name[2:6]) - 1
        inst = project.instances(frame_id)[0]
        np.testing.assert_allclose(inst.keypoints[:, :2], raw[:2, :, column].T)
        assert frame.ext_id == column + 1
        x, y, w, h = inst.bbox
        assert 0 <= x and 0 <= y and x + w <= frame.width + 1e-9 and y + h <= frame.height + 1e-9


def test_lsp_folder_with_fewer_images_than_columns(project, small_lsp, lsp_dir):
    summary = import_source(project, small_lsp)
    assert summary.images == 6
    assert any("994 of 1000 columns" in n for n in summary.notes)
    raw = scipy.io.loadmat(lsp_dir / "joints.mat")["joints"]
    frame = next(project.frame(f) for f in project.frame_ids() if project.frame(f).file_name == "im0998.jpg")
    np.testing.assert_allclose(project.instances(frame.id)[0].keypoints[:, :2], raw[:2, :, 997].T)


def test_five_digit_names_are_matched_too(tmp_path, lsp_dir):
    import shutil

    folder = tmp_path / "five"
    (folder / "images").mkdir(parents=True)
    shutil.copy(lsp_dir / "joints.mat", folder)
    shutil.copy(lsp_dir / "images" / "im0007.jpg", folder / "images" / "im00007.jpg")
    batch = read_lsp(folder)
    assert [(im.file_name, im.ext_id) for im in batch.images] == [("im00007.jpg", 7)]


def test_lsp_asked_as_lspet_is_refused(lsp_dir):
    from poseapp.core.errors import DataError

    with pytest.raises(DataError, match="lsp's"):
        read_lsp(lsp_dir, variant="lspet")


@pytest.mark.slow
def test_lspet_flag_1_is_visible_and_exports_10000_images(project, lspet_dir, tmp_path):
    from pycocotools.coco import COCO

    assert detect_format(lspet_dir) == "lspet"
    summary = import_source(project, lspet_dir)
    assert (summary.images, summary.instances) == (10000, 10000)
    counts = _visibility_counts(project)
    raw = scipy.io.loadmat(lspet_dir / "joints.mat")["joints"]  # 14 x 3 x N
    assert counts[2] == int((raw[:, 2, :] == 1).sum()) == 123213
    assert counts[0] == int((raw[:, 2, :] == 0).sum()) == 16787  # flag 0 carries no position here
    assert counts[1] == 0
    out = tmp_path / "lspet.json"
    export_project(project, "coco", out)
    coco = COCO(str(out))
    assert len(coco.getImgIds()) == 10000 and len(coco.getAnnIds()) == 10000
    doc = json.loads(out.read_text())
    assert doc["categories"][0]["keypoints"][0] == "right_ankle"
    first = coco.loadAnns(coco.getAnnIds(imgIds=[1]))[0]
    np.testing.assert_allclose(np.array(first["keypoints"]).reshape(14, 3)[1:, :2], raw[1:, :2, 0])
