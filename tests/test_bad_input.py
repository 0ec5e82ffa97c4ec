"""Every kind of bad input gets an error naming the file and the problem, and changes nothing."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from poseapp.core.errors import DataError
from poseapp.formats import import_source


def _snapshot(project):
    return (project.frame_count(), project.instance_count(), len(project.sources()), project.categories())


def _damage(path: Path, fn):
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data))


def _assert_refused(project, path, *needles):
    before = _snapshot(project)
    with pytest.raises(DataError) as info:
        import_source(project, path)
    message = str(info.value)
    assert str(path) in message or str(path.parent) in message, message
    for needle in needles:
        assert needle in message, message
    assert _snapshot(project) == before
    return message


def test_a_good_import_first_so_the_project_is_not_empty(project, coco_copy):
    import_source(project, coco_copy)
    assert project.instance_count() == 14


@pytest.fixture
def seeded(project, lsp_dir):
    """A project with data in it already, so 'changes nothing' is a real claim."""
    import_source(project, lsp_dir)
    return project


def test_truncated_json(seeded, coco_copy):
    text = coco_copy.read_text()
    coco_copy.write_text(text[: len(text) // 2])
    _assert_refused(seeded, coco_copy, "truncated")


def test_malformed_json(seeded, coco_copy):
    coco_copy.write_text('{"images": [}')
    _assert_refused(seeded, coco_copy, "not valid JSON", "line 1")


def test_not_a_coco_document(seeded, coco_copy):
    coco_copy.write_text("[1, 2, 3]")
    _assert_refused(seeded, coco_copy, "JSON object")


def test_wrong_types(seeded, coco_copy):
    _damage(coco_copy, lambda d: d["images"][0].update(width="640"))
    _assert_refused(seeded, coco_copy, "'width' must be a positive integer")
    _damage(coco_copy, lambda d: d.update(annotations={"a": 1}))
    _assert_refused(seeded, coco_copy, "'annotations' must be a list")


def test_keypoints_of_the_wrong_length(seeded, coco_copy):
    _damage(coco_copy, lambda d: d["annotations"][2].update(keypoints=d["annotations"][2]["keypoints"][:48]))
    _assert_refused(seeded, coco_copy, "keypoints has 48 numbers", "51 are needed")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_infinite_numbers(seeded, coco_copy, literal):
    _damage(coco_copy, lambda d: d["annotations"][0]["keypoints"].__setitem__(0, 987654321))
    coco_copy.write_text(coco_copy.read_text().replace("987654321", literal))
    _assert_refused(seeded, coco_copy)


def test_visibility_outside_0_1_2(seeded, coco_copy):
    def bad(d):
        d["annotations"][0]["keypoints"][2] = 3
    _damage(coco_copy, bad)
    _assert_refused(seeded, coco_copy, "visibility must be 0, 1 or 2")


def test_annotation_for_a_missing_image(seeded, coco_copy):
    _damage(coco_copy, lambda d: d["annotations"][0].update(image_id=123456789))
    _assert_refused(seeded, coco_copy, "image_id 123456789 is not an image in the file")


def test_image_file_that_does_not_exist(seeded, coco_copy):
    (coco_copy.parent / "000000040083.jpg").unlink()
    _assert_refused(seeded, coco_copy, "000000040083.jpg does not exist")


@pytest.mark.parametrize("name", ["../secret.jpg", "/etc/passwd", "a/../../b.jpg", "C:\\x.jpg"])
def test_file_name_escaping_the_image_root(seeded, coco_copy, name):
    _damage(coco_copy, lambda d: d["images"][0].update(file_name=name))
    _assert_refused(seeded, coco_copy, "escapes the image folder")


def test_unknown_category(seeded, coco_copy):
    _damage(coco_copy, lambda d: d["annotations"][0].update(category_id=77))
    _assert_refused(seeded, coco_copy, "category_id 77")


def test_duplicate_annotation_ids(seeded, coco_copy):
    _damage(coco_copy, lambda d: d["annotations"][1].update(id=d["annotations"][0]["id"]))
    _assert_refused(seeded, coco_copy, "is used twice")


def test_many_problems_are_listed_together(seeded, coco_copy):
    def bad(d):
        for a in d["annotations"]:
            a["keypoints"] = a["keypoints"][:3]
    _damage(coco_copy, bad)
    message = _assert_refused(seeded, coco_copy, "14 problems", "and 4 more")
    assert message.count("keypoints has 3 numbers") == 10


@pytest.mark.parametrize("shape", [(3, 13, 5), (14, 2, 5), (3, 14)])
def test_mat_of_the_wrong_shape(seeded, tmp_path, shape):
    folder = tmp_path / "badlsp"
    (folder / "images").mkdir(parents=True)
    scipy.io.savemat(folder / "joints.mat", {"joints": np.zeros(shape)})
    _assert_refused(seeded, folder / "joints.mat", "shape")


def test_mat_that_is_not_a_mat(seeded, tmp_path):
    path = tmp_path / "joints.mat"
    path.write_bytes(b"MATLAB? no. " * 20)
    _assert_refused(seeded, path, "not a readable MATLAB")


def test_mat_with_nan(seeded, tmp_path, lsp_dir):
    joints = scipy.io.loadmat(lsp_dir / "joints.mat")["joints"].copy()
    joints[0, 3, 2] = np.nan
    folder = tmp_path / "nanlsp"
    (folder / "images").mkdir(parents=True)
    shutil.copy(lsp_dir / "images" / "im0001.jpg", folder / "images")
    scipy.io.savemat(folder / "joints.mat", {"joints": joints})
    _assert_refused(seeded, folder / "joints.mat", "NaN or infinite", "column 3")
