"""Bring your own boxes (issue #27 item 2): `poseapp predict --boxes FILE.json` takes COCO
detection results, by file name or image id, as MMPose's top-down demo does."""

import json

import pytest

from poseapp.cli import main


def test_predict_takes_a_detections_file_by_name_and_by_image_id(tmp_path, data_dir, capsys):
    photo = data_dir / "coco_sample" / "000000000785.jpg"
    boxes = tmp_path / "dets.json"
    boxes.write_text(json.dumps([
        {"file_name": "000000000785.jpg", "bbox": [280, 40, 230, 380], "score": 0.9, "category_id": 1},
        {"file_name": "000000000785.jpg", "bbox": [10, 10, 60, 120], "score": 0.1, "category_id": 1},  # not a person
    ]))
    out = tmp_path / "res.json"
    assert main(["predict", "--input", str(photo), "--boxes", str(boxes), "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert [r["bbox"] for r in results] == [[280.0, 40.0, 230.0, 380.0]]

    video = data_dir / "video" / "vtest.avi"
    boxes.write_text(json.dumps([
        {"file_name": "vtest/000001.jpg", "bbox": [400, 150, 60, 140], "score": 0.8},  # frame 1 by name
        {"image_id": 3, "bbox": [100, 200, 50, 120], "score": 0.8},  # frame 2 by the run's image id
    ]))
    assert main(["predict", "--input", str(video), "--max-frames", "3", "--boxes", str(boxes), "--out", str(out), "--force"]) == 0
    results = json.loads(out.read_text())
    assert sorted((r["frame"], r["bbox"][0]) for r in results) == [(1, 400.0), (2, 100.0)]  # nobody on frame 0: nobody
    assert all(r["file_name"] == f"vtest/{r['frame']:06d}.jpg" for r in results)


@pytest.mark.parametrize("content, problem", [
    ("{not json", "not a JSON detections file"),
    ('[{"file_name": "a.jpg", "bbox": [1, 2, 3], "score": 1}]', "'bbox' must be 4 numbers"),
    ('[{"bbox": [1, 2, 3, 4], "score": 1}]', "names no picture"),
])
def test_a_bad_box_file_is_refused_by_name_before_any_work(tmp_path, data_dir, capsys, content, problem):
    boxes = tmp_path / "dets.json"
    boxes.write_text(content)
    out = tmp_path / "res.json"
    assert main(["predict", "--input", str(data_dir / "coco_sample" / "000000000785.jpg"), "--boxes", str(boxes),
                 "--out", str(out)]) != 0
    err = capsys.readouterr().err
    assert str(boxes) in err and problem in err and "Traceback" not in err
    assert not out.exists()


def test_predict_takes_the_trained_detector_by_name_and_by_default(tmp_path, data_dir):
    """`--boxes detector`, and no --boxes at all: the registered person detector
    (models/person-detector) boxes the people, several on a photo of several."""
    photo = data_dir / "coco_sample" / "000000196141.jpg"  # held out; the shipped weights find 3 of 4
    for args in (["--boxes", "detector"], []):
        out = tmp_path / f"res{len(args)}.json"
        assert main(["predict", "--input", str(photo), *args, "--out", str(out)]) == 0
        results = json.loads(out.read_text())
        assert len(results) >= 2
        assert results and all(r["bbox"][2] < 640 for r in results)  # its own boxes, not the whole photo


def test_image_id_is_the_coco_id_records_of_one_picture_add_up_and_unused_ones_are_named(tmp_path, data_dir, capsys):
    """COCO detection results name photos by their COCO image id: 790 is 000000000790.jpg, as in
    the file the detector ran on (not the photo's place in the folder). A picture named both by
    file name and by id gets all of its boxes; records naming no picture of the run are said, by
    name, in a warning (they used to be dropped without a word); a file with no detections is refused."""
    import shutil

    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("000000000790.jpg", "000000030752.jpg"):
        shutil.copy(data_dir / "coco_mini_train" / "images" / name, folder / name)
    boxes = tmp_path / "dets.json"
    boxes.write_text(json.dumps([
        {"image_id": 790, "bbox": [8, 111, 194, 267], "score": 0.9},
        {"file_name": "000000030752.jpg", "bbox": [100, 50, 80, 200], "score": 0.9},
        {"image_id": 30752, "bbox": [300, 60, 90, 210], "score": 0.8},
        {"image_id": 5000, "bbox": [1, 1, 50, 100], "score": 0.9},
        {"file_name": "nope.jpg", "bbox": [1, 1, 50, 100], "score": 0.9},
    ]))
    out = tmp_path / "res.json"
    assert main(["predict", "--input", str(folder), "--boxes", str(boxes), "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert sorted((r["image_id"], r["file_name"], r["bbox"][0]) for r in results) == [
        (790, "000000000790.jpg", 8.0), (30752, "000000030752.jpg", 100.0), (30752, "000000030752.jpg", 300.0)]
    err = capsys.readouterr().err
    assert "dets.json names 2 pictures that are not among the 2 pictures run" in err
    assert "'nope.jpg'" in err and "image_id 5000" in err and "Traceback" not in err

    boxes.write_text("[]")
    assert main(["predict", "--input", str(folder), "--boxes", str(boxes), "--out", str(out), "--force"]) != 0
    err = capsys.readouterr().err
    assert str(boxes) in err and "lists no detections" in err


def test_predict_takes_the_likeliest_person_where_nobody_passes_the_threshold(tmp_path, data_dir, capsys):
    """An LSP photo where the shipped detector scores the athlete 0.27 (under the 0.3 threshold):
    `poseapp predict` boxes that likeliest person (not the whole photo) and says so on stderr."""
    out = tmp_path / "res.json"
    photo = data_dir / "lsp_train" / "images" / "im0730.jpg"
    assert main(["predict", "--input", str(photo), "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    x, y, w, h = results[0]["bbox"]
    athlete = (8.0, 8.0, 58.0, 155.0)  # the extent of its labelled joints, padded
    ix = max(0.0, min(x + w, athlete[0] + athlete[2]) - max(x, athlete[0]))
    iy = max(0.0, min(y + h, athlete[1] + athlete[3]) - max(y, athlete[1]))
    assert len(results) == 1 and ix * iy / (w * h + athlete[2] * athlete[3] - ix * iy) >= 0.5
    captured = capsys.readouterr()
    assert json.loads(captured.out.strip().splitlines()[-1])["weak_fallbacks"] == 1
    assert "nobody passed the detector's threshold, so its likeliest person" in captured.err


def test_boxes_that_are_neither_a_detector_nor_a_json_file_are_refused_naming_the_choices(tmp_path, data_dir, capsys):
    out = tmp_path / "res.json"
    assert main(["predict", "--input", str(data_dir / "coco_sample" / "000000000785.jpg"), "--boxes", "adir",
                 "--out", str(out)]) != 0
    err = capsys.readouterr().err
    assert "--boxes takes detector, hog, whole or a COCO detections file (FILE.json)" in err and not out.exists()
