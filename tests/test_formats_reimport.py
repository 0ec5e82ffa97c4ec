"""#15 item 3: importing the same file again must not double every person."""

import pytest

from poseapp.cli import main
from poseapp.core.errors import DataError
from poseapp.formats import import_source
from poseapp.store import Project


def test_reimporting_the_same_coco_file_skips_what_is_there(project, coco_json):
    import_source(project, coco_json)
    summary = import_source(project, coco_json)
    assert (project.frame_count(), project.instance_count()) == (4, 14)
    assert summary.instances == 0
    assert any("14 annotation(s) were already in the project" in n for n in summary.notes)


def test_reimport_can_be_refused_or_forced(project, coco_json):
    import_source(project, coco_json)
    with pytest.raises(DataError, match="already in the project"):
        import_source(project, coco_json, duplicates="refuse")
    assert project.instance_count() == 14
    import_source(project, coco_json, duplicates="add")
    assert project.instance_count() == 28


def test_reimporting_lsp_without_annotation_ids_skips_identical_people(project, small_lsp):
    import_source(project, small_lsp)
    import_source(project, small_lsp)
    assert project.instance_count() == 6


def test_cli_reimport_says_what_it_skipped(tmp_path, coco_json, capsys):
    path = tmp_path / "p.poseapp"
    assert main(["import", str(coco_json), "--project", str(path)]) == 0
    assert main(["import", str(coco_json), "--project", str(path)]) == 0
    out = capsys.readouterr().out
    assert "already in the project" in out and "14 instances" in out.splitlines()[-1]
    with Project.open(path) as project:
        assert project.instance_count() == 14


def test_annotated_video_frames_come_back_as_frames_of_their_video_from_a_coco_export(tmp_path, video_path, small_lsp):
    """COCO has no video frames; poseapp's export names each annotated one STEM/NNNNNN.jpg with
    ``poseapp_video``. Re-importing that file finds the video again (its people on the same frame
    index of a video source, its COCO ids kept), and exporting again gives the same file."""
    import json
    import shutil

    import numpy as np

    from poseapp.formats import export_project
    from poseapp.store import Instance

    data = tmp_path / "data"
    (data / "clips").mkdir(parents=True)
    shutil.copy(video_path, data / "clips" / "walk.avi")
    shutil.copytree(small_lsp, data / "lsp")
    out = tmp_path / "out"
    out.mkdir()
    kps = np.column_stack([np.linspace(100, 200, 14), np.linspace(50, 250, 14), np.full(14, 2.0)])
    kps[3, 2] = 1
    with Project.open(tmp_path / "a.poseapp", create=True) as a:
        import_source(a, data / "lsp")
        import_source(a, data / "clips" / "walk.avi")
        video = a.source_by_path(data / "clips" / "walk.avi")
        frame = a.frame_by_index(video.id, 5)
        a.add_instance(Instance(frame.id, "lsp14", kps, bbox=(90.0, 40.0, 120.0, 220.0), extra={"track_id": 4}))
        export_project(a, "coco", out / "first.json")
        people = a.instance_count()
    first = json.loads((out / "first.json").read_text())
    entry = next(im for im in first["images"] if "poseapp_video" in im)
    assert entry["file_name"] == "clips/walk/000005.jpg" and entry["poseapp_video"] == {"file": "walk.avi", "frame": 5}

    with Project.open(tmp_path / "b.poseapp", create=True) as b:
        summary = import_source(b, out / "first.json", image_root=data)
        assert b.instance_count() == people and summary.instances == people
        video = b.source_by_path(data / "clips" / "walk.avi")
        assert video is not None and video.kind == "video" and b.frame_count(video.id) == 795  # the whole video, as imported
        (person,) = b.instances(b.frame_by_index(video.id, 5).id)
        np.testing.assert_array_equal(person.keypoints, kps)
        assert person.extra.get("track_id") == 4
        export_project(b, "coco", out / "second.json")
    assert json.loads((out / "second.json").read_text()) == first  # lossless both ways


def test_a_coco_file_naming_a_missing_video_is_refused_naming_it_or_imported_without_pixels(tmp_path, video_path):
    import json

    entry = {"id": 7, "file_name": "walk/000003.jpg", "width": 768, "height": 576, "poseapp_video": {"file": "walk.avi", "frame": 3}}
    doc = {"images": [entry], "annotations": [{"id": 1, "image_id": 7, "category_id": 1, "keypoints": [10, 10, 2] * 14,
                                                "num_keypoints": 14, "bbox": [0, 0, 20, 20], "area": 400, "iscrowd": 0}],
           "categories": [{"id": 1, "name": "person", "keypoints": [f"j{i}" for i in range(14)], "skeleton": []}]}
    path = tmp_path / "v.json"
    path.write_text(json.dumps(doc))
    with Project.open(tmp_path / "p.poseapp", create=True) as p:
        with pytest.raises(DataError, match="walk.avi"):
            import_source(p, path)
        assert p.frame_count() == 0
        import_source(p, path, allow_missing_images=True)
        (source,) = p.sources()
        assert source.kind == "video" and p.frame_by_index(source.id, 3) is not None and p.instance_count() == 1
    bad = dict(doc, images=[dict(entry, poseapp_video={"file": "../walk.avi", "frame": -1})])
    path.write_text(json.dumps(bad))
    with Project.open(tmp_path / "q.poseapp", create=True) as q:
        with pytest.raises(DataError, match="poseapp_video must be"):
            import_source(q, path)


def test_reviewed_and_edited_frames_keep_their_state_through_a_coco_export(project, coco_json, tmp_path):
    """The COCO export is lossless for the frame states a re-import cannot derive from the people."""
    import json

    from poseapp.formats import export_project

    import_source(project, coco_json)
    fids = project.frame_ids()
    project.set_frame_state(fids[0], "reviewed")
    inst = project.instances(fids[1])[0]
    project.set_keypoint(inst.id, 0, 5.0, 5.0)  # an edit: the frame becomes edited
    out = tmp_path / "export.json"
    export_project(project, "coco", out)
    states = {project.frame(f).file_name: project.frame(f).state for f in fids}
    with Project.open(tmp_path / "again.poseapp", create=True) as again:
        import_source(again, out, image_root=coco_json.parent)
        back = {again.frame(f).file_name: again.frame(f).state for f in again.frame_ids()}
        assert back == states and {"reviewed", "edited"} <= set(back.values())
        assert all("poseapp_state" not in again.frame(f).extra for f in again.frame_ids())  # a state, not a field
        out2 = tmp_path / "export2.json"
        export_project(again, "coco", out2)
    strip = lambda d: {k: v for k, v in d.items() if k not in ("info",)}  # noqa: E731
    assert strip(json.loads(out2.read_text())) == strip(json.loads(out.read_text()))
