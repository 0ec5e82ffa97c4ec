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


def test_close_up_frames_the_top_of_the_person_and_unlabels_what_falls_outside(data_dir):
    """Issue #28: close-up crops (COCO's faces and upper bodies) from real LSP photos: the crop
    is the top 20-60% of the person's box, so the head is larger than in the plain crop, the
    ankles (under that part) are no longer labelled, and the photo ends below the part (black)
    most of the time."""
    from poseapp.data.augment import close_up, make_crop
    from poseapp.media.images import read_image

    samples = load_samples(f"lsp:{data_dir / 'lsp_train'}")[:10]
    rng = np.random.default_rng(3)
    no_jitter = dict(rotation=0.0, scale=(1.0, 1.0), flip=False, shift=0.0, colour=0.0)
    upright = blacked = ankle_gone = 0
    for i, sample in enumerate(samples):
        image = read_image(sample.image_path)
        x, y, bw, bh = sample.bbox
        (cx, cy, cw, ch), cut_image, cut_kps = close_up(sample.bbox, image, sample.keypoints, np.random.default_rng(i))
        assert cy == y and 0.2 * bh <= ch <= 0.6 * bh and cx >= x and cx + cw <= x + bw + 1e-6
        if cut_image is not image:  # the picture ends below the part, and the originals are untouched
            rows = np.flatnonzero(cut_image.reshape(cut_image.shape[0], -1).any(axis=1))
            assert rows.max() < y + 1.15 * ch + 1 and image[int(y + ch) + 2:].any()
            assert not (cut_kps[:, 2] > 0)[cut_kps[:, 1] > rows.max() + 1].any()
            assert (sample.keypoints[:, 2] > 0).sum() > (cut_kps[:, 2] > 0).sum()
            blacked += 1
        flip = list(range(14))
        _, plain, _ = make_crop(image, sample.keypoints, sample.bbox, 128, flip, AugmentConfig(**no_jitter), rng)
        crop, near, _ = make_crop(image, sample.keypoints, sample.bbox, 128, flip, AugmentConfig(**no_jitter, close_up=1.0), rng)
        assert crop.shape == (128, 128, 3)
        head, neck = 13, 12
        if sample.keypoints[head, 1] < sample.keypoints[0, 1]:  # head above the right ankle: upright
            upright += 1
            assert np.hypot(*(near[head, :2] - near[neck, :2])) > np.hypot(*(plain[head, :2] - plain[neck, :2]))
            # the ankle is cut off with the picture, or lies below the crop (the dataset unlabels it)
            ankle_gone += near[0, 2] == 0 or near[0, 1] > 127.5
    assert upright >= 5 and blacked >= 1 and ankle_gone >= 0.7 * upright
    from poseapp.core.errors import DataError
    with pytest.raises(DataError, match="close_up"):
        TrainConfig.from_dict({"data": ["lsp:x"], "augment": {"close_up": -0.1}})


def test_a_dataset_with_close_ups_trains_on_fewer_joints_than_without(data_dir):
    samples = load_samples(f"coco:{data_dir / 'coco_mini_train/person_keypoints_train2017.json'}")[:24]
    codec = build_model(make_config("recurrent-lite", skeleton="coco17", num_joints=17)).codec()
    plain = PoseDataset(samples, codec, 128, AugmentConfig(rotation=0.0))
    near = PoseDataset(samples, codec, 128, AugmentConfig(rotation=0.0, close_up=1.0))
    labelled = lambda ds: sum(int((ds[i][3][:, 2] > 0).sum()) for i in range(len(samples)))  # noqa: E731
    assert labelled(near) < 0.8 * labelled(plain)
