import numpy as np
import pytest

from poseapp.core.errors import DataError
from poseapp.formats import detect_format, export_project, import_source
from poseapp.store import Project


def test_yolo_export_then_import_keeps_keypoints_and_visibility(project, small_lsp, tmp_path):
    import_source(project, small_lsp)
    inst = project.iter_instances().__next__()
    project.set_keypoint(inst.id, 4, 0, 0, v=0)  # one of each visibility state
    out = tmp_path / "yolo"
    counts = export_project(project, "yolo", out)
    assert counts == {"images": 6, "labels": 6, "images copied": 6}
    assert detect_format(out) == "yolo"
    assert (out / "images" / "im0001.jpg").exists() and (out / "labels" / "im0001.txt").exists()
    with Project.open(tmp_path / "y.poseapp", create=True) as again:
        import_source(again, out)
        originals = {project.frame(i.frame_id).file_name: i for i in project.iter_instances()}
        for back in again.iter_instances():
            frame = again.frame(back.frame_id)
            orig = originals[frame.file_name]
            assert back.skeleton == "lsp14"
            np.testing.assert_array_equal(back.keypoints[:, 2], orig.keypoints[:, 2])
            # six decimals of a normalised coordinate: well under 0.001 px on these images
            np.testing.assert_allclose(back.keypoints[:, :2], orig.keypoints[:, :2], atol=1e-3)
            np.testing.assert_allclose(back.bbox, orig.bbox, atol=1e-3)


def test_yolo_export_refuses_mixed_skeletons(project, small_lsp, coco_json, tmp_path):
    import_source(project, small_lsp)
    import_source(project, coco_json)
    with pytest.raises(DataError, match="one keypoint layout"):
        export_project(project, "yolo", tmp_path / "y")
    assert not (tmp_path / "y").exists()


@pytest.mark.parametrize(
    "line, problem",
    [
        ("0 0.5 0.5 0.2 0.2 0.1 0.1", "values, expected"),
        ("0 0.5 0.5 0.2 0.2 " + " ".join(["nan 0.1 2"] * 14), "NaN"),
        ("3 0.5 0.5 0.2 0.2 " + " ".join(["0.1 0.1 2"] * 14), "class 3"),
        ("0 0.5 0.5 0.2 0.2 " + " ".join(["0.1 0.1 5"] * 14), "visibility"),
        ("0 0.5 0.5 0.2 0.2 " + " ".join(["0.1 x 2"] * 14), "not all values are numbers"),
    ],
)
def test_bad_label_lines_name_file_and_line(project, small_lsp, tmp_path, line, problem):
    import_source(project, small_lsp)
    out = tmp_path / "yolo"
    export_project(project, "yolo", out)
    (out / "labels" / "im0003.txt").write_text("0 0.5 0.5 0.2 0.2 " + " ".join(["0.1 0.1 2"] * 14) + "\n" + line + "\n")
    with Project.open(tmp_path / "fresh.poseapp", create=True) as fresh:
        with pytest.raises(DataError) as info:
            import_source(fresh, out)
        assert "im0003.txt line 2" in str(info.value) and problem in str(info.value)
        assert fresh.frame_count() == 0


def test_yolo_export_writes_annotated_video_frames_as_images_and_counts_what_it_leaves_out(project, small_lsp, video_path, tmp_path):
    """A person annotated on a video frame used to vanish from a YOLO export (only "video frames
    left out" was said); now the frame is written as an image with its label, and people whose
    pixels cannot be had are counted as left out."""
    from poseapp.media.images import read_image
    from poseapp.media.video import VideoReader
    from poseapp.store import Instance

    import_source(project, small_lsp)
    import_source(project, video_path)
    video = project.source_by_path(video_path)
    frame = project.frame_by_index(video.id, 5)
    kps = np.column_stack([np.linspace(300, 360, 14), np.linspace(100, 300, 14), np.full(14, 2.0)])
    project.add_instance(Instance(frame.id, "lsp14", kps, bbox=(290.0, 90.0, 80.0, 220.0)))
    out = tmp_path / "yolo"
    counts = export_project(project, "yolo", out)
    assert counts["video frames written as images"] == 1 and counts["video frames without people left out"] == 794
    written = out / "images" / f"source{video.id}" / "vtest" / "000005.jpg"
    assert written.is_file() and read_image(written).shape == (frame.height, frame.width, 3)
    reader = VideoReader(video_path)
    try:
        assert np.abs(read_image(written).astype(int) - reader.read(5).astype(int)).mean() < 3  # JPEG of the same frame
    finally:
        reader.close()
    with Project.open(tmp_path / "back.poseapp", create=True) as again:
        import_source(again, out)
        back = [i for i in again.iter_instances() if again.frame(i.frame_id).file_name.endswith("000005.jpg")]
        assert len(back) == 1
        np.testing.assert_allclose(back[0].keypoints, kps, atol=1e-3)
    (small_lsp / "images" / "im0002.jpg").unlink()  # a missing image with a person on it
    counts = export_project(project, "yolo", tmp_path / "yolo2")
    assert counts["people left out: their image is missing"] == 1 and counts["missing images left out"] == 1


def test_images_nobody_annotated_are_left_out_and_a_reviewed_empty_frame_is_a_true_negative(project, small_lsp, tmp_path):
    """An empty label file tells Ultralytics "nobody here": written for a frame the user reviewed
    and found empty, never for an image nobody looked at (a false negative in training)."""
    import_source(project, small_lsp)
    fids = project.frame_ids()
    for inst in list(project.iter_instances()):
        if inst.frame_id in fids[:2]:
            project.delete_instance(inst.id)  # two images with nobody annotated ...
    project.set_frame_state(fids[1], "reviewed")  # ... the second looked at and found empty
    out = tmp_path / "yolo"
    counts = export_project(project, "yolo", out)
    assert counts["images"] == 5 and counts["images without annotations left out (not reviewed)"] == 1
    first, second = (project.frame(f).file_name.rsplit(".", 1)[0] for f in fids[:2])
    assert not (out / "labels" / f"{first}.txt").exists() and not (out / "images" / f"{first}.jpg").exists()
    assert (out / "labels" / f"{second}.txt").read_text() == ""


def test_a_reviewed_frame_holding_only_unaccepted_predictions_is_not_written_as_empty(project, small_lsp, tmp_path):
    """R on a frame whose person the model found but nobody accepted: an empty label file would
    say "nobody here" about a visible person. It is left out and counted instead."""
    from poseapp.store import Instance

    import_source(project, small_lsp)
    fid = project.frame_ids()[0]
    person = project.instances(fid)[0]
    project.delete_instance(person.id)
    project.add_instance(Instance(frame_id=fid, skeleton=person.skeleton, keypoints=person.keypoints, bbox=person.bbox,
                                  origin="predicted", model_id="m"))
    project.set_frame_state(fid, "reviewed")
    out = tmp_path / "yolo"
    counts = export_project(project, "yolo", out)
    assert counts["reviewed images left out: their people are unaccepted predictions"] == 1
    stem = project.frame(fid).file_name.rsplit(".", 1)[0]
    assert not (out / "labels" / f"{stem}.txt").exists() and not (out / "images" / f"{stem}.jpg").exists()


def test_mixed_skeletons_name_where_each_layout_is(project, small_lsp, coco_json, tmp_path):
    import_source(project, small_lsp)
    import_source(project, coco_json)
    with pytest.raises(DataError) as info:
        export_project(project, "yolo", tmp_path / "y")
    assert "lsp14 people (e.g. on" in str(info.value) and "coco17 people (e.g. on" in str(info.value)


def test_a_project_with_nobody_annotated_is_refused_with_the_way_out(project, small_lsp, tmp_path):
    """kpt_shape [0, 3] made a dataset no pose model trains on; now nothing is written and the
    message says how to get people into it."""
    import_source(project, small_lsp)
    for inst in list(project.iter_instances()):
        project.delete_instance(inst.id)
    out = tmp_path / "yolo"
    with pytest.raises(DataError) as info:
        export_project(project, "yolo", out)
    assert "no annotated people to export" in str(info.value) and "--include-predictions" in str(info.value)
    assert not out.exists()
