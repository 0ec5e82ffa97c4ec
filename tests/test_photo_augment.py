"""Augmentations for ordinary photos (issue #28 item 2), on real COCO training crops: each does
what it says to the picture and to the labels, and a training config names them by field."""

import numpy as np
import pytest

from poseapp.data.augment import AugmentConfig
from poseapp.data.photo_augment import KINDS, PhotoAugmentConfig, augment_photo
from poseapp.data.samples import load_samples
from poseapp.engine.dataset import PoseDataset
from poseapp.engine.train_config import TrainConfig
from poseapp.models import build_model, make_config


@pytest.fixture(scope="module")
def crops(data_dir):
    samples = load_samples(f"coco:{data_dir / 'coco_mini_train/person_keypoints_train2017.json'}")[:12]
    codec = build_model(make_config("recurrent-lite", skeleton="coco17", num_joints=17)).codec()
    plain = PoseDataset(samples, codec, 128, None)
    return [(plain[i][0].permute(1, 2, 0).numpy().copy(), plain[i][3].numpy().astype(np.float64)) for i in range(len(samples))]


def test_each_augmentation_changes_the_picture_and_nothing_without_it(crops):
    crop, kps = crops[0]
    same, same_kps = augment_photo(crop, kps, PhotoAugmentConfig(), np.random.default_rng(0))
    assert np.array_equal(same, crop) and np.array_equal(same_kps, kps)
    for kind in KINDS:
        out, _ = augment_photo(crop, kps, PhotoAugmentConfig.only(kind), np.random.default_rng(1))
        assert out.shape == crop.shape and out.dtype == np.uint8
        assert np.abs(out.astype(int) - crop.astype(int)).mean() > 1.0, kind
    assert np.array_equal(crop, crops[0][0])  # the input is not modified


def test_truncation_unlabels_the_joints_beyond_the_edge_and_blacks_them_out(crops):
    cut_any = 0
    for seed, (crop, kps) in enumerate(crops):
        out, new = augment_photo(crop, kps, PhotoAugmentConfig.only("truncation"), np.random.default_rng(seed))
        lost = (kps[:, 2] > 0) & (new[:, 2] == 0)
        cut_any += lost.sum()
        for j in np.flatnonzero(lost):  # the joint's own pixel is black now
            x, y = kps[j, :2].round().astype(int)
            if 0 <= x < 128 and 0 <= y < 128:
                assert (out[y, x] == 0).all()
        kept = new[:, 2] > 0
        assert np.array_equal(new[kept], kps[kept])
    assert cut_any > 0


def test_occluders_flag_the_joints_they_cover_occluded(crops):
    flagged = 0
    for seed, (crop, kps) in enumerate(crops):
        out, new = augment_photo(crop, kps, PhotoAugmentConfig.only("occluders"), np.random.default_rng(seed))
        became = (kps[:, 2] == 2) & (new[:, 2] == 1)
        flagged += became.sum()
        assert np.array_equal(new[:, :2], kps[:, :2]) and set(np.flatnonzero(new[:, 2] != kps[:, 2])) <= set(np.flatnonzero(became))
    assert flagged > 0


def test_a_training_config_names_them_by_field_and_refuses_the_unknown():
    cfg = TrainConfig(photo_augment={"blur": 0.2, "occluders": 0.5})
    assert cfg.photo_augment_config() == PhotoAugmentConfig(blur=0.2, occluders=0.5)
    with pytest.raises(ValueError, match="photo_augment"):
        TrainConfig(photo_augment={"snow": 0.5})
    with pytest.raises(ValueError, match="probability"):
        TrainConfig(photo_augment={"blur": 1.5})


def test_the_dataset_applies_them_to_training_crops_only_and_replays_them(data_dir):
    samples = load_samples(f"coco:{data_dir / 'coco_mini_train/person_keypoints_train2017.json'}")[:4]
    codec = build_model(make_config("recurrent-lite", skeleton="coco17", num_joints=17)).codec()
    photo = PhotoAugmentConfig.only("low_light")
    train = PoseDataset(samples, codec, 128, AugmentConfig(), photo=photo, seed=3)
    plain_aug = PoseDataset(samples, codec, 128, AugmentConfig(), seed=3)
    evaluation = PoseDataset(samples, codec, 128, None, photo=photo)
    assert train[0][0].float().mean() < 0.8 * plain_aug[0][0].float().mean()  # darker than the same crop without it
    assert np.array_equal(train[0][0].numpy(), train[0][0].numpy())  # the same draw on a resumed epoch
    assert evaluation.photo is None


def test_loose_box_grows_the_box_towards_the_image_edges_and_keeps_the_person(data_dir):
    """Issue #28 item 5: crops whose box is loosened towards the image's edges (half of them the
    whole image, the app's fallback box) on real LSP photos: the person stays inside and looks
    smaller, never larger, than in the labelled box's crop."""
    from poseapp.data.augment import loosen_box, make_crop
    from poseapp.media.images import read_image

    samples = load_samples(f"lsp:{data_dir / 'lsp_train'}")[:8]
    rng = np.random.default_rng(0)
    whole = 0
    for sample in samples:
        image = read_image(sample.image_path)
        h, w = image.shape[:2]
        x, y, bw, bh = sample.bbox
        for _ in range(6):
            nx, ny, nw, nh = loosen_box(sample.bbox, w, h, rng)
            assert nx <= x + 1e-6 and ny <= y + 1e-6 and nx + nw >= x + bw - 1e-6 and ny + nh >= y + bh - 1e-6
            assert nx >= min(0.0, x) and ny >= min(0.0, y) and nx + nw <= max(w, x + bw) + 1e-6
            whole += (nx, ny, nw, nh) == (0.0, 0.0, float(w), float(h))
        no_jitter = dict(rotation=0.0, scale=(1.0, 1.0), flip=False, shift=0.0, colour=0.0)
        flip = list(range(14))
        _, tight, _ = make_crop(image, sample.keypoints, sample.bbox, 128, flip, AugmentConfig(**no_jitter), rng)
        _, loose, _ = make_crop(image, sample.keypoints, sample.bbox, 128, flip, AugmentConfig(**no_jitter, loose_box=1.0), rng)
        span = lambda k: np.ptp(k[k[:, 2] > 0, :2], axis=0).max()  # noqa: E731
        assert span(loose) <= span(tight) + 1e-6
        assert ((loose[:, :2] >= -0.5) & (loose[:, :2] <= 127.5)).all()  # the whole person is in the crop
    assert whole > 0
    from poseapp.core.errors import DataError
    with pytest.raises(DataError, match="loose_box"):
        TrainConfig.from_dict({"data": ["lsp:x"], "augment": {"loose_box": 1.5}})
