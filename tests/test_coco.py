"""COCO keypoints on the real sample file: lossless round trip, pycocotools, results files."""

import contextlib
import io
import json

import numpy as np
import pytest

from poseapp.formats import export_project, import_source
from poseapp.store import Instance, Project


def _by_id(items):
    return {item["id"]: item for item in items}


def _quiet(fn, *args):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args)


def test_import_then_export_is_identical_field_by_field(project, coco_json, tmp_path):
    summary = import_source(project, coco_json)
    assert (summary.images, summary.instances) == (4, 14)
    out = tmp_path / "export.json"
    export_project(project, "coco", out)
    original = json.loads(coco_json.read_text())
    exported = json.loads(out.read_text())
    for key in ("info", "licenses", "categories"):
        assert exported[key] == original[key], key
    a, b = _by_id(original["annotations"]), _by_id(exported["annotations"])
    assert a.keys() == b.keys()
    for ann_id, ann in a.items():
        for field in ann:
            assert b[ann_id][field] == ann[field], (ann_id, field)
            assert type(b[ann_id][field]) is type(ann[field]), (ann_id, field)  # 81 stays 81, not 81.0
        assert set(b[ann_id]) == set(ann)
    assert _by_id(exported["images"]) == _by_id(original["images"])


def test_cocoeval_of_export_against_original_is_perfect(project, coco_json, tmp_path):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    import_source(project, coco_json)
    out = tmp_path / "export.json"
    export_project(project, "coco", out)
    gt = _quiet(COCO, str(coco_json))
    exported = json.loads(out.read_text())
    # The export's annotations, given a score, are the detections.
    dets = [dict(a, score=1.0) for a in exported["annotations"] if a["num_keypoints"] > 0]
    dt = _quiet(gt.loadRes, dets)
    ev = COCOeval(gt, dt, "keypoints")
    _quiet(ev.evaluate)
    _quiet(ev.accumulate)
    _quiet(ev.summarize)
    assert ev.stats[0] == pytest.approx(1.0)
    # and pycocotools loads the export itself as ground truth
    assert len(_quiet(COCO, str(out)).getAnnIds()) == 14


def test_results_file_scores_predictions_with_cocoeval(project, coco_json, tmp_path):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    import_source(project, coco_json)
    rng = np.random.default_rng(0)
    for inst in list(project.iter_instances(origin="manual")):
        if inst.num_labelled == 0:
            continue
        kps = inst.keypoints.copy()
        kps[:, :2] += rng.normal(0, 2.0, size=(len(kps), 2))  # a good but imperfect model
        kps[:, 2] = np.where(inst.keypoints[:, 2] > 0, 2, 0)
        kps[kps[:, 2] == 0, :2] = 0
        project.add_instance(Instance(inst.frame_id, inst.skeleton, kps, bbox=inst.bbox, origin="predicted",
                                      model_id="noisy", score=0.9, category_id=inst.category_id))
    out = tmp_path / "results.json"
    counts = export_project(project, "coco-results", out)
    assert counts["results"] == 12
    results = json.loads(out.read_text())
    assert set(results[0]) == {"image_id", "category_id", "keypoints", "score", "bbox", "file_name"}  # as `predict` writes them
    gt = _quiet(COCO, str(coco_json))
    ev = COCOeval(gt, _quiet(gt.loadRes, str(out)), "keypoints")
    for step in (ev.evaluate, ev.accumulate, ev.summarize):
        _quiet(step)
    assert 0.5 < ev.stats[0] < 1.0  # 2 px noise on big people: high, not perfect


def test_all_three_visibility_states_survive_edits_and_a_round_trip(project, coco_json, tmp_path):
    import_source(project, coco_json)
    inst = next(i for i in project.iter_instances() if i.num_labelled == 17)
    project.set_keypoint(inst.id, 0, 100.25, 50.5, v=1)
    project.set_keypoint(inst.id, 1, 0, 0, v=0)
    out = tmp_path / "edited.json"
    export_project(project, "coco", out)
    ann = _by_id(json.loads(out.read_text())["annotations"])[inst.ext_id]
    assert ann["keypoints"][:6] == [100.25, 50.5, 1, 0.0, 0.0, 0]
    assert ann["num_keypoints"] == 16
    with Project.open(tmp_path / "again.poseapp", create=True) as again:
        import_source(again, out, image_root=coco_json.parent)  # an export names no absolute folder
        back = next(i for i in again.iter_instances() if i.ext_id == inst.ext_id)
        assert back.keypoints[:, 2].tolist() == project.instance(inst.id).keypoints[:, 2].tolist()
        np.testing.assert_array_equal(back.keypoints, project.instance(inst.id).keypoints)
