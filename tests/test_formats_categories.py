"""#15 item 1: categories as other datasets and tools write them, made from the real COCO sample.

Each test rewrites the sample into the layout of one dataset or tool (CrowdPose's 14 joints
with COCO's skeleton copied, 0-based skeletons of ExLPose / Datumaro / CVAT, Halpe's empty
keypoint list, CVAT's label-per-point export)."""

import json

import pytest

from poseapp.core.errors import DataError
from poseapp.formats import export_project, import_source

# CrowdPose's category as its annotation files ship it: 14 joints, COCO's 17-joint skeleton kept.
CROWDPOSE_JOINTS = [
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "head", "neck",
]
CROWDPOSE_SKELETON = [
    [16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8], [7, 9],
    [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7],
]


def _rewrite(path, fn):
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data))
    return data


def _to_crowdpose(data):
    cat = data["categories"][0]
    data["categories"] = [dict(cat, keypoints=CROWDPOSE_JOINTS, skeleton=CROWDPOSE_SKELETON)]
    for ann in data["annotations"]:
        k = ann["keypoints"]
        joints = [k[3 * j: 3 * j + 3] for j in range(17)]
        # COCO 5..16 are CrowdPose 0..11; the nose stands in for head and the left shoulder for neck.
        ann["keypoints"] = [v for j in joints[5:17] + [joints[0], joints[5]] for v in j]
        ann["num_keypoints"] = sum(1 for j in range(14) if ann["keypoints"][3 * j + 2] > 0)


def test_crowdpose_skeleton_beyond_its_joints_imports_with_a_note_and_round_trips(project, coco_copy, tmp_path):
    original = _rewrite(coco_copy, _to_crowdpose)
    summary = import_source(project, coco_copy)
    assert summary.instances == 14
    assert any("outside 1..14" in n and "ignored" in n for n in summary.notes), summary.notes
    skeleton = project.skeleton(next(project.iter_instances()).skeleton)
    assert skeleton.num_joints == 14 and all(a < 14 and b < 14 for a, b in skeleton.edges)
    out = tmp_path / "back.json"
    export_project(project, "coco", out)
    back = json.loads(out.read_text())
    assert back["categories"] == original["categories"]  # the file's own skeleton, as it was
    by_id = {a["id"]: a for a in back["annotations"]}
    for ann in original["annotations"]:
        assert by_id[ann["id"]]["keypoints"] == ann["keypoints"]


def test_zero_based_skeleton_of_datumaro_and_cvat_exports(project, coco_copy):
    original = json.loads(coco_copy.read_text())["categories"][0]["skeleton"]
    _rewrite(coco_copy, lambda d: d["categories"][0].update(skeleton=[[a - 1, b - 1] for a, b in original]))
    summary = import_source(project, coco_copy)
    assert summary.instances == 14
    assert any("from 0" in n for n in summary.notes)
    skeleton = project.skeleton(next(project.iter_instances()).skeleton)
    assert sorted(skeleton.edges) == sorted((a - 1, b - 1) for a, b in original)


def test_halpe_category_without_keypoint_names_gets_a_generated_layout(project, coco_copy):
    _rewrite(coco_copy, lambda d: d["categories"][0].update(keypoints=[], skeleton=[]))
    summary = import_source(project, coco_copy)
    assert summary.instances == 14
    assert any("lists no keypoint names" in n for n in summary.notes)
    assert next(project.iter_instances()).skeleton == "coco17"


def test_keypoints_of_uneven_length_under_a_nameless_category_say_so(project, coco_copy):
    def damage(data):
        data["categories"][0].update(keypoints=[], skeleton=[])
        data["annotations"][0]["keypoints"] = data["annotations"][0]["keypoints"][:30]

    _rewrite(coco_copy, damage)
    with pytest.raises(DataError) as info:
        import_source(project, coco_copy)
    message = str(info.value)
    assert "lists no keypoint names" in message and "[30, 51]" in message
    assert "not a category" not in message
    assert project.instance_count() == 0


def test_cvat_label_per_point_export_is_explained(project, coco_copy):
    def per_point(data):
        names = data["categories"][0]["keypoints"]
        data["categories"] = [
            {"id": j + 1, "name": name, "supercategory": "", "keypoints": ["1"], "skeleton": []} for j, name in enumerate(names)
        ]
        anns = []
        for ann in data["annotations"]:
            for j in range(17):
                x, y, v = ann["keypoints"][3 * j: 3 * j + 3]
                if v:
                    anns.append({"id": len(anns) + 1, "image_id": ann["image_id"], "category_id": j + 1,
                                 "keypoints": [x, y, v], "num_keypoints": 1, "bbox": [x, y, 0, 0], "iscrowd": 0})
        data["annotations"] = anns

    _rewrite(coco_copy, per_point)
    with pytest.raises(DataError) as info:
        import_source(project, coco_copy)
    assert "CVAT" in str(info.value) and "17 categories" in str(info.value)


def test_a_refused_category_gives_its_cause_not_follow_on_errors(project, coco_copy):
    _rewrite(coco_copy, lambda d: d["categories"][0].update(keypoints="nose,left_eye"))
    with pytest.raises(DataError) as info:
        import_source(project, coco_copy)
    message = str(info.value)
    assert "'keypoints' must be a list of joint names" in message
    assert "is not a category" not in message and "problems" not in message
