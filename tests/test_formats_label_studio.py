"""Label Studio keypoint JSON in (issue #26 item 4).

There is no Label Studio sample in ../shared/data: the export is written here the way Label
Studio writes it (a task list; ``data.image`` an upload path with its hash prefix; results of
type ``rectanglelabels`` and ``keypointlabels`` in percent of ``original_width`` /
``original_height``, keypoints tied to their rectangle by ``parentID``, or lying inside it)
from two real people of a COCO photo, whose pixel keypoints must come back to within 1e-6.
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from poseapp.core.errors import DataError
from poseapp.formats import detect_format, export_project, import_source, read_source
from poseapp.store import Project

COCO = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "coco_sample"
IMAGE_ID = 40083  # 000000040083.jpg, 500 x 333, two people with keypoints


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not there (see ../shared/data/README.md)")
    return path


@pytest.fixture
def exported(tmp_path):
    """(Label Studio JSON, the COCO people it was made from, joint names)."""
    doc = json.loads(_need(COCO / "test_coco.json").read_text())
    image = next(im for im in doc["images"] if im["id"] == IMAGE_ID)
    people = [a for a in doc["annotations"] if a["image_id"] == IMAGE_ID and a["num_keypoints"] > 0]
    joints = doc["categories"][0]["keypoints"]
    shutil.copy(COCO / image["file_name"], tmp_path / image["file_name"])
    w, h = image["width"], image["height"]
    result = []
    for n, person in enumerate(people):
        x, y, bw, bh = person["bbox"]
        rect_id = f"r{n}Xk2Lq9"
        result.append({
            "original_width": w, "original_height": h, "image_rotation": 0,
            "value": {"x": x / w * 100, "y": y / h * 100, "width": bw / w * 100, "height": bh / h * 100, "rotation": 0,
                      "rectanglelabels": ["person"]},
            "id": rect_id, "from_name": "individuals", "to_name": "img-1", "type": "rectanglelabels", "origin": "manual",
        })
        kps = np.array(person["keypoints"], float).reshape(-1, 3)
        for j, (px, py, v) in enumerate(kps):
            if v == 0:
                continue
            point = {
                "original_width": w, "original_height": h, "image_rotation": 0,
                "value": {"x": px / w * 100, "y": py / h * 100, "width": 0.5, "keypointlabels": [joints[j]]},
                "id": f"k{n}_{j}abc", "from_name": "kp-1", "to_name": "img-1", "type": "keypointlabels",
                "origin": "manual",
            }
            if n == 0:  # the first person's keypoints name their rectangle; the second's lie inside it
                point["parentID"] = rect_id
            result.append(point)
    tasks = [{
        "id": 7, "annotations": [{
            "id": 21, "completed_by": 1, "result": result, "was_cancelled": False, "ground_truth": False,
            "created_at": "2024-05-02T10:11:12.345678Z", "updated_at": "2024-05-02T10:15:01.000001Z", "lead_time": 212.3,
            "prediction": {}, "result_count": 0, "task": 7, "project": 3,
        }],
        "file_upload": f"8f3a2c1b-{image['file_name']}", "drafts": [], "predictions": [],
        "data": {"img": f"/data/upload/3/8f3a2c1b-{image['file_name']}"},
        "meta": {}, "created_at": "2024-05-02T10:00:00.000000Z", "updated_at": "2024-05-02T10:15:01.000001Z",
        "inner_id": 1, "total_annotations": 1, "cancelled_annotations": 0, "total_predictions": 0, "project": 3,
    }]
    path = tmp_path / "project-3-at-2024-05-02-10-20-1a2b3c4d.json"
    path.write_text(json.dumps(tasks, indent=1))
    return path, people, joints


def test_detected_and_read(exported):
    path, people, joints = exported
    assert detect_format(path) == "label-studio"
    batch = read_source(path)
    assert len(batch.images) == 1 and batch.images[0].file_name == "000000040083.jpg"
    got = batch.images[0].instances
    assert len(got) == len(people) == 2
    for inst, person in zip(got, people):
        want = np.array(person["keypoints"], float).reshape(-1, 3)
        order = [inst.skeleton.joints.index(j) for j in joints if j in inst.skeleton.joints]
        kps = np.zeros_like(want)
        names = [j for j in joints if j in inst.skeleton.joints]
        for name, k in zip(names, order):
            kps[joints.index(name)] = inst.keypoints[k]
        labelled = want[:, 2] > 0
        assert np.allclose(kps[labelled, :2], want[labelled, :2], atol=1e-6, rtol=0)  # percent -> pixels
        assert np.all(kps[labelled, 2] == 2) and np.all(kps[~labelled] == 0)  # a missing joint stays missing
        assert inst.bbox == pytest.approx(tuple(person["bbox"]), abs=1e-6)


def test_import_then_coco_export(exported, tmp_path):
    path, people, joints = exported
    project = Project.open(tmp_path / "p.poseapp", create=True)
    summary = import_source(project, path)
    assert summary.instances == 2
    before = (project.frame_count(), project.instance_count())
    assert import_source(project, path).instances == 0  # the same file again adds nobody
    assert (project.frame_count(), project.instance_count()) == before
    out = tmp_path / "coco.json"
    export_project(project, "coco", out)
    doc = json.loads(out.read_text())
    names = doc["categories"][0]["keypoints"]
    for ann, person in zip(doc["annotations"], people):
        got = np.array(ann["keypoints"], float).reshape(-1, 3)
        want = np.array(person["keypoints"], float).reshape(-1, 3)
        for j, name in enumerate(joints):
            if want[j, 2] > 0:
                assert np.allclose(got[names.index(name), :2], want[j, :2], atol=1e-6, rtol=0)
    project.close()


def test_bad_export_is_refused_and_changes_nothing(exported, project):
    path, _, _ = exported
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    with pytest.raises(DataError) as info:
        import_source(project, path)
    assert str(path) in str(info.value) and "Label Studio" in str(info.value)
    tasks = json.loads(text)
    tasks[0]["data"]["img"] = "/data/upload/3/0badf00d-gone.jpg"
    path.write_text(json.dumps(tasks))
    with pytest.raises(DataError, match="gone.jpg"):
        import_source(project, path)
    assert project.frame_count() == 0 and project.instance_count() == 0
