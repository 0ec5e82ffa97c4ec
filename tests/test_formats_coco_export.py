"""#15 item 5: what a COCO export writes, on the real sample, LSP and the real video."""

import json
import shutil

import numpy as np

from poseapp.formats import export_project, import_source
from poseapp.store import Instance, Project


def _by_id(items):
    return {item["id"]: item for item in items}


def test_unlabelled_joints_are_written_0_0_0_unless_the_file_kept_coordinates(project, coco_json, tmp_path):
    folder = tmp_path / "coco"
    shutil.copytree(coco_json.parent, folder)
    data = json.loads((folder / "test_coco.json").read_text())
    kept = data["annotations"][0]
    j = kept["keypoints"][2::3].index(2)
    kept["keypoints"][3 * j + 2] = 0  # flagged 0 but the position is kept, as some tools write
    kept["num_keypoints"] -= 1
    (folder / "test_coco.json").write_text(json.dumps(data))
    import_source(project, folder / "test_coco.json")
    # An edit in poseapp that unflags a joint leaves its old position in the record.
    other = next(i for i in project.iter_instances() if i.ext_id == data["annotations"][1]["id"])
    kps = other.keypoints.copy()
    labelled = int(np.flatnonzero(kps[:, 2] > 0)[0])
    kps[labelled, 2] = 0
    project.update_instance(other.id, keypoints=kps)
    out = tmp_path / "out.json"
    export_project(project, "coco", out)
    anns = _by_id(json.loads(out.read_text())["annotations"])
    assert anns[kept["id"]]["keypoints"] == kept["keypoints"]  # as the file had it
    assert anns[other.ext_id]["keypoints"][3 * labelled: 3 * labelled + 3] == [0, 0, 0]


def test_no_absolute_path_and_one_person_category(project, coco_json, small_lsp, tmp_path):
    import_source(project, coco_json)
    import_source(project, small_lsp)
    out = tmp_path / "out.json"
    counts = export_project(project, "coco", out)
    text = out.read_text()
    assert str(coco_json.parent) not in text and str(small_lsp) not in text and str(tmp_path) not in text
    doc = json.loads(text)
    assert "poseapp" not in doc
    names = [c["name"] for c in doc["categories"]]
    assert names.count("person") == 1 and len(names) == len(set(names)) == 2
    # the folder the names are relative to is told to the user, not written into the file
    assert "file names relative to" in counts


def test_video_frames_name_their_video_and_frame(project, video_path, coco_json, tmp_path):
    import_source(project, video_path)
    import_source(project, coco_json)
    inst = next(project.iter_instances())
    video_frame = next(f for f in map(project.frame, project.frame_ids()) if f.file_name is None and f.index == 7)
    project.add_instance(Instance(video_frame.id, inst.skeleton, inst.keypoints.copy(), bbox=inst.bbox))
    out = tmp_path / "out.json"
    counts = export_project(project, "coco", out)
    text = out.read_text()
    assert str(video_path) not in text
    entry = next(im for im in json.loads(text)["images"] if "poseapp_video" in im)
    assert entry["poseapp_video"] == {"file": "vtest.avi", "frame": 7}
    assert counts["video frames (see poseapp_video)"] == 1


def test_recomputed_fields_are_listed_and_a_round_trip_keeps_the_originals(project, coco_json, small_lsp, tmp_path):
    folder = tmp_path / "coco"
    shutil.copytree(coco_json.parent, folder)
    data = json.loads((folder / "test_coco.json").read_text())
    data["annotations"][3]["num_keypoints"] += 1  # a file whose count differs from ours (some tools count otherwise)
    data["annotations"][4]["iscrowd"] = 1
    data["annotations"][5]["area"] = 1234.5
    (folder / "test_coco.json").write_text(json.dumps(data))
    import_source(project, folder / "test_coco.json")
    out = tmp_path / "out.json"
    counts = export_project(project, "coco", out)
    assert not any(k.startswith("computed") for k in counts), counts
    back = _by_id(json.loads(out.read_text())["annotations"])
    for ann in data["annotations"]:
        for key in ("num_keypoints", "iscrowd", "area"):
            assert back[ann["id"]][key] == ann[key], (ann["id"], key)
    with Project.open(tmp_path / "lsp.poseapp", create=True) as lsp_project:
        import_source(lsp_project, small_lsp)
        counts = export_project(lsp_project, "coco", tmp_path / "lsp.json")
    assert counts["computed num_keypoints"] == counts["computed area"] == counts["computed iscrowd"] == 6


def test_a_box_made_from_joints_stays_inside_the_photo_and_a_drawn_box_is_written_as_it_is(project, coco_json, tmp_path):
    """An accepted prediction's box follows its joints with COCO's margin; on a person at the
    photo's edge (or with a joint the model put off the picture) that margin reached past the
    image (y 662 in a 640-px photo, from a window walk): now cut to the photo. A box from the
    file keeps its numbers (a lossless round trip)."""
    from poseapp.store.records import CROP_BOX

    import_source(project, coco_json)
    imported = next(i for i in project.iter_instances() if i.bbox is not None)
    frame = project.frame(imported.frame_id)
    kps = imported.keypoints.copy()
    labelled = kps[:, 2] > 0
    kps[labelled, 1] = np.linspace(frame.height - 60.0, frame.height - 2.0, labelled.sum())  # down to the bottom edge
    kps[np.flatnonzero(kps[:, 2] > 0)[0], 0] = frame.width + 8.0  # and one off the picture
    made = project.add_instance(Instance(frame_id=frame.id, skeleton=imported.skeleton, keypoints=kps, bbox=(0, 0, 5, 5),
                                         origin="manual", extra={CROP_BOX: True}))
    assert made.person_box()[1] + made.person_box()[3] > frame.height  # unclipped, it reaches past the photo
    out = tmp_path / "out.json"
    export_project(project, "coco", out)
    data = json.loads(out.read_text())
    original = json.loads(coco_json.read_text())
    new = [a for a in data["annotations"] if a["id"] not in _by_id(original["annotations"])]
    assert len(new) == 1
    x, y, w, h = new[0]["bbox"]
    assert x >= 0 and y >= 0 and x + w == frame.width and y + h == frame.height and new[0]["area"] == w * h
    assert _by_id(data["annotations"])[imported.ext_id]["bbox"] == _by_id(original["annotations"])[imported.ext_id]["bbox"]
