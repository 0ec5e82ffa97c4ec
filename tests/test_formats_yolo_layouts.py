"""#15 items 4 and 8: YOLO-pose exports Ultralytics reads, and Ultralytics / Roboflow layouts in.

Ultralytics' own checks run when the package can be imported (``verify_image_label``,
``img2label_paths``, ``check_det_dataset``); the same rules are also reimplemented here so the
test means something where it is not installed:
  * a label is the image path with its last ``/images/`` replaced by ``/labels/``, suffix .txt;
  * every label value is >= 0 and every box / keypoint coordinate <= 1;
  * the class is below the number of names; a line has 5 + K * ndim columns.
"""

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from poseapp.formats import detect_format, export_project, import_source
from poseapp.media.images import list_images
from poseapp.store import Project

AP10K_JOINTS = [
    "left_eye", "right_eye", "nose", "neck", "root_of_tail", "left_shoulder", "left_elbow", "left_front_paw",
    "right_shoulder", "right_elbow", "right_front_paw", "left_hip", "left_knee", "left_back_paw", "right_hip",
    "right_knee", "right_back_paw",
]


def _ultralytics():
    os.environ.setdefault("YOLO_CONFIG_DIR", "/tmp")
    try:
        from ultralytics.data import utils
    except Exception:  # not installed here, or its own dependencies missing
        return None
    return utils


def _img2label(path: str) -> str:
    """Ultralytics' img2label_paths, reimplemented."""
    sa, sb = f"{os.sep}images{os.sep}", f"{os.sep}labels{os.sep}"
    return sb.join(path.rsplit(sa, 1)).rsplit(".", 1)[0] + ".txt"


def _check_like_ultralytics(out: Path) -> dict:
    config = yaml.safe_load((out / "data.yaml").read_text())
    assert "path" not in config or not Path(str(config["path"])).is_absolute()
    k, ndim = config["kpt_shape"]
    names = config["names"]
    images = [out / config["train"] / rel for rel in list_images(out / config["train"])]
    assert images
    lines = 0
    for image in images:
        label = Path(_img2label(str(image)))
        assert label.is_file(), label
        assert out.resolve() in label.resolve().parents
        assert not image.is_symlink()
        for row in label.read_text().splitlines():
            values = np.array(row.split(), dtype=float)
            assert len(values) == 5 + k * ndim
            assert values.min() >= 0 and values[1:5].max() <= 1
            assert values[5:].reshape(k, ndim)[:, :2].max() <= 1
            assert int(values[0]) in names
            lines += 1
    utils = _ultralytics()
    if utils is not None:  # the real thing
        assert utils.img2label_paths([str(i) for i in images]) == [_img2label(str(i)) for i in images]
        data = utils.check_det_dataset(str(out / "data.yaml"))
        assert Path(data["train"]).resolve() == (out / "images").resolve()
        for image in images:
            result = utils.verify_image_label((str(image), _img2label(str(image)), "", True, len(names), k, ndim, False))
            assert result[8] == 0, result[-1]  # not corrupt
    return {"images": len(images), "lines": lines, "names": names}


@pytest.fixture
def posetrack_like(tmp_path, coco_json):
    """The COCO sample laid out like PoseTrack: file names with folders, images/val/<video>/<frame>.jpg."""
    folder = tmp_path / "posetrack"
    data = json.loads(coco_json.read_text())
    for n, image in enumerate(data["images"]):
        rel = f"images/val/000342_mpii_test/{n:06d}.jpg"
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(coco_json.parent / image["file_name"], folder / rel)
        image["file_name"] = rel
    (folder / "annotations").mkdir()
    (folder / "annotations" / "val.json").write_text(json.dumps(data))
    return folder / "annotations" / "val.json"


def test_posetrack_file_names_export_where_ultralytics_looks(project, posetrack_like, tmp_path):
    import_source(project, posetrack_like, image_root=posetrack_like.parent.parent)
    out = tmp_path / "yolo"
    export_project(project, "yolo", out)
    checked = _check_like_ultralytics(out)
    assert checked["images"] == 4 and checked["lines"] == 14  # every person with a box, joints or not
    assert (out / "labels" / "val" / "000342_mpii_test" / "000000.txt").is_file()


def test_coordinates_outside_the_image_are_clipped(project, small_lsp, tmp_path):
    import_source(project, small_lsp)
    inst = next(project.iter_instances())
    frame = project.frame(inst.frame_id)
    project.set_keypoint(inst.id, 0, -7.0, frame.height + 12.0, v=2)
    out = tmp_path / "yolo"
    counts = export_project(project, "yolo", out)
    assert counts["clipped values"] >= 2
    _check_like_ultralytics(out)


def test_ap10k_animal_classes_are_kept(project, coco_json, tmp_path):
    folder = tmp_path / "ap10k"
    shutil.copytree(coco_json.parent, folder)
    data = json.loads(coco_json.read_text())
    skeleton = [[1, 2], [1, 3], [2, 3], [3, 4], [4, 5], [4, 6], [6, 7], [7, 8], [4, 9], [9, 10], [10, 11],
                [5, 12], [12, 13], [13, 14], [5, 15], [15, 16], [16, 17]]
    data["categories"] = [
        {"id": 1, "name": "antelope", "supercategory": "Bovidae", "keypoints": AP10K_JOINTS, "skeleton": skeleton},
        {"id": 2, "name": "horse", "supercategory": "Equidae", "keypoints": AP10K_JOINTS, "skeleton": skeleton},
    ]
    for n, ann in enumerate(data["annotations"]):
        ann["category_id"] = 1 + n % 2
    (folder / "test_coco.json").write_text(json.dumps(data))
    import_source(project, folder / "test_coco.json")
    out = tmp_path / "yolo"
    export_project(project, "yolo", out)
    checked = _check_like_ultralytics(out)
    assert checked["names"] == {0: "antelope", 1: "horse"}
    classes = {line.split()[0] for txt in (out / "labels").rglob("*.txt") for line in txt.read_text().splitlines()}
    assert classes == {"0", "1"}
    with Project.open(tmp_path / "back.poseapp", create=True) as back:
        import_source(back, out / "data.yaml")
        assert sorted(c["name"] for c, _ in back.categories()) == ["antelope", "horse"]


def test_export_survives_being_moved(project, small_lsp, tmp_path):
    import_source(project, small_lsp)
    export_project(project, "yolo", tmp_path / "yolo")
    moved = tmp_path / "elsewhere" / "moved"
    moved.parent.mkdir()
    shutil.move(tmp_path / "yolo", moved)
    shutil.rmtree(small_lsp)  # the originals are gone too
    _check_like_ultralytics(moved)
    with Project.open(tmp_path / "back.poseapp", create=True) as back:
        assert import_source(back, moved).instances == 6


def _roboflow_layout(root: Path, source: Path) -> None:
    """What Roboflow's "YOLOv8" download holds: data.yaml beside train/ valid/ test/ folders."""
    config = yaml.safe_load((source / "data.yaml").read_text())
    images = sorted((source / "images").iterdir())
    for split, chosen in (("train", images[:4]), ("valid", images[4:5]), ("test", images[5:])):
        for image in chosen:
            (root / split / "images").mkdir(parents=True, exist_ok=True)
            (root / split / "labels").mkdir(parents=True, exist_ok=True)
            shutil.copy(image, root / split / "images" / image.name)
            shutil.copy(_img2label(str(image)), root / split / "labels" / (image.stem + ".txt"))
    config.update(train="../train/images", val="../valid/images", test="../test/images", nc=1, names=["person"])
    (root / "data.yaml").write_text(yaml.safe_dump(config))


@pytest.mark.parametrize("point_at", ["folder", "yaml"])
def test_roboflow_layout_imports_labels_with_images(project, small_lsp, tmp_path, point_at):
    with Project.open(tmp_path / "src.poseapp", create=True) as src:
        import_source(src, small_lsp)
        export_project(src, "yolo", tmp_path / "yolo")
    root = tmp_path / "roboflow"
    _roboflow_layout(root, tmp_path / "yolo")
    source = root if point_at == "folder" else root / "data.yaml"
    assert detect_format(source) == "yolo"
    summary = import_source(project, source)
    assert (summary.images, summary.instances) == (6, 6)
    names = sorted(project.frame(f).file_name for f in project.frame_ids())
    assert names[0].startswith("test/images/") and any(n.startswith("valid/images/") for n in names)


def test_ultralytics_split_layout_with_a_path_pointing_elsewhere(project, small_lsp, tmp_path):
    with Project.open(tmp_path / "src.poseapp", create=True) as src:
        import_source(src, small_lsp)
        export_project(src, "yolo", tmp_path / "yolo")
    root = tmp_path / "coco8-pose"
    for split, sl in (("train", slice(0, 4)), ("val", slice(4, None))):
        for image in sorted((tmp_path / "yolo" / "images").iterdir())[sl]:
            (root / "images" / split).mkdir(parents=True, exist_ok=True)
            (root / "labels" / split).mkdir(parents=True, exist_ok=True)
            shutil.copy(image, root / "images" / split / image.name)
            shutil.copy(_img2label(str(image)), root / "labels" / split / (image.stem + ".txt"))
    config = yaml.safe_load((tmp_path / "yolo" / "data.yaml").read_text())
    # as Ultralytics ships coco8-pose.yaml: a path on the machine that made it
    config.update(path="/content/datasets/coco8-pose", train="images/train", val="images/val")
    (root / "coco8-pose.yaml").write_text(yaml.safe_dump(config))
    summary = import_source(project, root / "coco8-pose.yaml")
    assert (summary.images, summary.instances) == (6, 6)
    assert any("used the yaml's own folder" in n for n in summary.notes)
