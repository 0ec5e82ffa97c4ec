"""#15 item 7: predictions from other tools, as a COCO results file (mmpose / Ultralytics /
pycocotools style: the third number of each joint is a confidence), made from the real sample."""

import contextlib
import io
import json

import numpy as np
import pytest

from poseapp.cli import main
from poseapp.core.errors import DataError
from poseapp.formats import detect_format, export_project, import_source
from poseapp.store import Project


def _quiet(fn, *args):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args)


def _mmpose_results(coco_json, path):
    """What mmpose's CocoMetric writes: every person, joints with a confidence, a person score."""
    rng = np.random.default_rng(1)
    results = []
    for ann in json.loads(coco_json.read_text())["annotations"]:
        if ann["num_keypoints"] == 0:
            continue
        kps = np.array(ann["keypoints"], dtype=float).reshape(-1, 3)
        kps[:, :2] += rng.normal(0, 1.5, size=(len(kps), 2))
        kps[:, 2] = rng.uniform(0.3, 0.98, size=len(kps))
        results.append({"image_id": ann["image_id"], "category_id": 1, "keypoints": kps.reshape(-1).round(3).tolist(),
                        "score": float(rng.uniform(0.5, 1.0))})
    path.write_text(json.dumps(results))
    return results


def _ap(gt_file, results_file):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    gt = _quiet(COCO, str(gt_file))
    ev = COCOeval(gt, _quiet(gt.loadRes, str(results_file)), "keypoints")
    for step in (ev.evaluate, ev.accumulate, ev.summarize):
        _quiet(step)
    return ev.stats[0]


def test_results_file_imports_as_a_named_models_predictions(tmp_path, coco_json, capsys):
    results_file = tmp_path / "mmpose_results.json"
    results = _mmpose_results(coco_json, results_file)
    assert detect_format(results_file) == "coco-results"
    project_file = tmp_path / "p.poseapp"
    assert main(["import", str(coco_json), "--project", str(project_file)]) == 0
    assert main(["import", str(results_file), "--project", str(project_file), "--model", "hrnet-mmpose"]) == 0
    assert "hrnet-mmpose" in capsys.readouterr().out
    with Project.open(project_file) as project:
        predicted = list(project.iter_instances(origin="predicted"))
        assert len(predicted) == len(results) == 12
        assert {p.model_id for p in predicted} == {"hrnet-mmpose"}
        assert all(p.joint_scores is not None and p.score is not None for p in predicted)
        # Exported again for COCOeval, the model scores what it scored before the round trip.
        export_project(project, "coco-results", tmp_path / "again.json", model="hrnet-mmpose")
        assert _ap(coco_json, tmp_path / "again.json") == pytest.approx(_ap(coco_json, results_file))
    # a model name that predicted nothing here is a typo, named with the models there are, not an empty file
    assert main(["export", str(project_file), "--format", "coco-results", "--model", "hrnet-mmpse",
                 "--out", str(tmp_path / "none.json")]) != 0
    err = capsys.readouterr().err
    assert "no predictions by a model named 'hrnet-mmpse' (the project's models: hrnet-mmpose)" in err
    assert "Traceback" not in err and not (tmp_path / "none.json").exists()
    with Project.open(project_file) as project:
        predicted = list(project.iter_instances(origin="predicted"))
        # Accepting one makes it an annotation like any accepted prediction of ours.
        project.update_instance(predicted[0].id, origin="manual")
        assert project.instance(predicted[0].id).origin == "manual"


def test_results_for_images_not_in_the_project_are_refused_whole(project, coco_json, tmp_path):
    results_file = tmp_path / "results.json"
    _mmpose_results(coco_json, results_file)
    import_source(project, coco_json)
    data = json.loads(results_file.read_text())
    data[3]["image_id"] = 999999
    results_file.write_text(json.dumps(data))
    with pytest.raises(DataError) as info:
        import_source(project, results_file)
    assert "999999" in str(info.value) and "ground truth" in str(info.value)
    assert project.instance_count(origin="predicted") == 0


def test_poseapp_predict_results_land_on_the_images_they_name(tmp_path, small_lsp, video_path, capsys):
    """poseapp predict numbers the images of each run from 1; importing its results filed the
    prediction for im0005 under im0001 (image_id 1). Now the file name decides."""
    import json

    from conftest import make_model_folder
    from poseapp.cli import main
    from poseapp.formats import import_source
    from poseapp.store import Project

    model = make_model_folder(tmp_path / "m")
    out = tmp_path / "p5.json"
    assert main(["predict", "--model", str(model), "--input", str(small_lsp / "images" / "im0005.jpg"), "--out", str(out),
                 "--boxes", "whole"]) == 0
    assert json.loads(out.read_text())[0]["image_id"] == 1
    video_out = tmp_path / "v.json"
    assert main(["predict", "--model", str(model), "--input", str(video_path), "--out", str(video_out), "--boxes", "whole",
                 "--max-frames", "2", "--every", "7"]) == 0
    with Project.open(tmp_path / "p.poseapp", create=True) as project:
        import_source(project, small_lsp)
        import_source(project, video_path)
        import_source(project, out, fmt="coco-results")
        (pred,) = [i for i in project.iter_instances() if i.origin == "predicted"]
        assert project.frame(pred.frame_id).file_name.endswith("im0005.jpg")
        import_source(project, video_out, fmt="coco-results")
        video = project.source_by_path(video_path)
        on = sorted(project.frame(i.frame_id).index for i in project.iter_instances()
                    if i.origin == "predicted" and project.frame(i.frame_id).source_id == video.id)
        assert on == [0, 7]
    (small_lsp / "images" / "im0005.jpg").rename(small_lsp / "images" / "other.jpg")
    with Project.open(tmp_path / "q.poseapp", create=True) as project:
        import_source(project, small_lsp / "images")
        with pytest.raises(Exception, match="im0005.jpg .image_id 1. is not an image of this project"):
            import_source(project, out, fmt="coco-results")
        assert project.instance_count() == 0


def test_predict_results_import_into_a_bare_video_project(tmp_path, video_path, capsys):
    """A video imported on its own has no skeleton nor category: `poseapp predict`'s results on it
    were refused ("category_id 1 is not a category of this project"). The one built-in skeleton
    with that many joints is taken, and the round trip through export holds."""
    import json

    from conftest import make_model_folder
    from poseapp.cli import main

    model = make_model_folder(tmp_path / "m")
    results = tmp_path / "v.json"
    project = tmp_path / "v.poseapp"
    assert main(["import", str(video_path), "--project", str(project)]) == 0
    assert main(["predict", "--model", str(model), "--input", str(video_path), "--out", str(results), "--boxes", "whole",
                 "--max-frames", "2"]) == 0
    records = json.loads(results.read_text())
    for n, record in enumerate(records):  # the walker followed through the video (predict --boxes hog writes it)
        record["track_id"] = 7 + n
    results.write_text(json.dumps(records))
    assert main(["import", str(results), "--project", str(project)]) == 0
    with Project.open(project) as p:
        preds = [i for i in p.iter_instances() if i.origin == "predicted"]
        assert len(preds) == 2 and {i.skeleton for i in preds} == {"lsp14"}
        assert sorted(i.extra["track_id"] for i in preds) == [7, 8]
        assert sorted(p.frame(i.frame_id).index for i in preds) == [0, 1]
    back = tmp_path / "back.json"
    assert main(["export", str(project), "--format", "coco-results", "--out", str(back)]) == 0
    exported = json.loads(back.read_text())
    xy = lambda records: [[v for n, v in enumerate(r["keypoints"]) if n % 3 != 2] for r in records]  # noqa: E731
    assert xy(exported) == xy(json.loads(results.read_text()))  # the third value: a flag out, a score in
    assert [r["track_id"] for r in exported] == [7, 8]  # the track ids go out again (PoseTrack's field)
