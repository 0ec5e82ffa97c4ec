"""The window's exports pair with each other and with the CLI's (issue #25 items 5-7): a results
file loads against the COCO file with pycocotools, frames have one name everywhere, and frames
nobody annotated or reviewed are left out unless the user keeps them."""

import json

import numpy as np

import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore  # noqa: E402

from test_gui_actions import answer_dialogs, trigger, wait_job  # noqa: E402
from test_gui_rerun import _select_video_frames  # noqa: E402
from test_gui_whole_image import PHOTO  # noqa: E402


def _export(window, monkeypatch, action, out):
    answer_dialogs(monkeypatch, out)
    trigger(window, action)
    return json.loads(out.read_text())


def test_the_results_export_loads_against_the_coco_export_and_matches_the_cli(window, qtbot, monkeypatch, tmp_path):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    from poseapp.cli import main

    frames = _select_video_frames(window, qtbot, 3)
    trigger(window, "run_selection")
    wait_job(window, qtbot)
    trigger(window, "export_predictions")  # File > COCO export includes predictions
    assert window.actions_by_name["export_predictions"].isChecked()
    coco = _export(window, monkeypatch, "export", tmp_path / "window.json")
    results = _export(window, monkeypatch, "export_results", tmp_path / "results.json")
    assert all({"bbox", "file_name"} <= set(r) for r in results)
    # one name per frame: the results name each video frame as the COCO file does
    names = {i["id"]: i["file_name"] for i in coco["images"]}
    assert all(names[r["image_id"]] == r["file_name"] for r in results)
    video = [r for r in results if "video" in r]
    assert video and all(r["file_name"] == f"pedestrians/{r['frame']:06d}.jpg" for r in video)
    gt = COCO(str(tmp_path / "window.json"))
    dt = gt.loadRes(str(tmp_path / "results.json"))  # failed: "Results do not correspond to current coco set"
    evaluation = COCOeval(gt, dt, "keypoints")
    category = next(c for c in coco["categories"] if c["id"] == results[0]["category_id"])
    evaluation.params.kpt_oks_sigmas = np.array(category["sigmas"])  # LSP-14: the export's sigmas (README)
    evaluation.params.imgIds = sorted({r["image_id"] for r in results})
    evaluation.evaluate()
    # the CLI writes the same files
    path = str(window.project.path)
    assert main(["export", path, "--format", "coco", "--include-predictions", "--out", str(tmp_path / "cli.json")]) == 0
    assert main(["export", path, "--format", "coco-results", "--out", str(tmp_path / "cli-results.json")]) == 0
    assert json.loads((tmp_path / "cli.json").read_text()) == coco
    assert json.loads((tmp_path / "cli-results.json").read_text()) == results
    assert len(frames) == 3


def test_a_coco_export_leaves_out_frames_nobody_annotated_unless_kept(window, qtbot, monkeypatch, data_dir, tmp_path):
    answer_dialogs(monkeypatch, data_dir / PHOTO)
    trigger(window, "import")  # a photo nobody has annotated
    name = PHOTO.rsplit("/", 1)[-1]
    left_out = _export(window, monkeypatch, "export", tmp_path / "a.json")
    assert not any(i["file_name"].endswith(name) for i in left_out["images"])
    assert "images nobody annotated or reviewed, left out" in window.statusBar().currentMessage()
    trigger(window, "export_unlabelled")
    kept = _export(window, monkeypatch, "export", tmp_path / "b.json")
    assert any(i["file_name"].endswith(name) for i in kept["images"])
    # reviewed with nobody on it: a true negative, exported either way
    trigger(window, "export_unlabelled")
    fid = next(f for f in window.project.frame_ids() if (window.project.frame(f).file_name or "").endswith(name))
    window._go_frame(fid)
    qtbot.keyClick(window.canvas, QtCore.Qt.Key.Key_R)
    reviewed = _export(window, monkeypatch, "export", tmp_path / "c.json")
    assert any(i["file_name"].endswith(name) for i in reviewed["images"])


def test_exported_video_frames_can_be_written_beside_the_export_for_other_tools(window, qtbot, monkeypatch, tmp_path):
    """Issue #25 item 6: the export named video frames as files that existed nowhere."""
    from pycocotools.coco import COCO

    from poseapp.media.images import read_image

    _select_video_frames(window, qtbot, 2)
    trigger(window, "run_selection")
    wait_job(window, qtbot)
    trigger(window, "export_predictions")
    trigger(window, "export_frames")  # File > COCO export writes video frames as images beside it
    out = tmp_path / "export" / "coco.json"
    out.parent.mkdir()
    coco = _export(window, monkeypatch, "export", out)
    video = [i for i in coco["images"] if "poseapp_video" in i]
    assert len(video) == 2 and all(i["file_name"] == f"pedestrians/{i['poseapp_video']['frame']:06d}.jpg" for i in video)
    gt = COCO(str(out))
    for image in gt.loadImgs(gt.getImgIds()):  # every name opens, relative to the export's folder
        picture = read_image(out.parent / image["file_name"])
        assert picture.shape[:2] == (image["height"], image["width"])
    again = _export(window, monkeypatch, "export", out)  # a second export keeps the frame files it finds
    assert again["images"] == coco["images"] and "2 video frame files already there, kept" in window.statusBar().currentMessage()
