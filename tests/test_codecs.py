"""Every codec: encode then decode returns the keypoints, within a stated sub-pixel tolerance."""

import numpy as np
import pytest

from poseapp.codecs import (
    DiskHeatmapCodec, GaussianHeatmapCodec, KeypointPartCodec, PartCascadeCodec, RegressionCodec, build_codec,
)
from poseapp.core.skeleton import LSP14

RNG = np.random.default_rng(7)


def _keypoints(n=14, size=128, margin=10):
    kps = np.column_stack([RNG.uniform(margin, size - margin, n), RNG.uniform(margin, size - margin, n), np.full(n, 2.0)])
    kps[3, 2] = 1  # occluded joints are still encoded
    return kps


# Tolerances in input pixels at stride 4: DARK recovers a Gaussian's centre exactly (up to
# float error); quarter-pixel refinement is within a quarter cell + half a cell of argmax error.
@pytest.mark.parametrize("method, tolerance", [("dark", 1e-3), ("quarter", 1.0 + 1e-6), ("argmax", 2.0 + 1e-6)])
def test_gaussian_round_trip(method, tolerance):
    codec = GaussianHeatmapCodec((128, 128), (32, 32), sigma=1.5, magnitude=3.0)
    for _ in range(20):
        kps = _keypoints()
        maps, weights = codec.encode(kps)
        assert maps.shape == (14, 32, 32) and maps.dtype == np.float32
        xy, scores = codec.decode(maps, method)
        assert np.abs(xy - kps[:, :2]).max() <= tolerance
        # peak / magnitude: a centre half a cell off in x and y samples exp(-0.5 / (2 sigma^2)) = 0.895
        assert np.all(scores <= 1.0 + 1e-6) and np.all(scores >= np.exp(-0.5 / (2 * 1.5**2)) - 1e-6)


def test_unlabelled_joints_get_empty_maps_and_zero_weight():
    codec = GaussianHeatmapCodec((128, 128), (32, 32))
    kps = _keypoints()
    kps[5] = [0, 0, 0]
    maps, weights = codec.encode(kps)
    assert weights[5] == 0 and maps[5].max() == 0 and weights.sum() == 13


def test_keypoint_part_codec_adds_limb_maps_at_midpoints():
    codec = KeypointPartCodec((128, 128), (32, 32), sigma=1.5, limbs=LSP14.edges)
    kps = _keypoints()
    maps, weights = codec.encode(kps)
    assert maps.shape == (14 + len(LSP14.edges), 32, 32)
    xy, _ = codec.decode(maps)  # decodes the 14 keypoints only
    assert xy.shape == (14, 2) and np.abs(xy - kps[:, :2]).max() < 1e-3
    a, b = LSP14.edges[0]
    mid = codec.to_heatmap((kps[a, :2] + kps[b, :2]) / 2)
    peak = np.unravel_index(maps[14].argmax(), maps[14].shape)
    assert abs(peak[1] - mid[0]) <= 1 and abs(peak[0] - mid[1]) <= 1
    # anisotropic: the map is longer along the limb than across it
    assert (maps[14] > 0.5).sum() > np.pi * 1.5**2
    kps[a, 2] = 0
    _, weights = codec.encode(kps)
    assert weights[14] == 0


def test_disk_round_trip_within_0_3_cells():
    codec = DiskHeatmapCodec((128, 128), (32, 32), radius=2.0)
    kps = _keypoints()
    maps, weights = codec.encode(kps)
    assert set(np.unique(maps)) <= {0.0, 1.0}
    xy, _ = codec.decode(maps)
    # a radius-2 disk of whole cells has its centroid within 0.27 cells of the true centre
    # (measured over 2,000 random placements); at stride 4 that is 1.2 input pixels
    assert np.abs(xy - kps[:, :2]).max() <= 0.3 * 4


def test_cascade_codec_detector_learns_visible_parts_only():
    codec = PartCascadeCodec((128, 128), (32, 32))
    kps = _keypoints()
    targets, weights = codec.encode(kps)
    assert targets.shape == (2, 14, 32, 32)
    assert weights[0, 3] == 0 and weights[1, 3] == 1  # joint 3 is occluded
    xy, _ = codec.decode(targets[1])
    assert np.abs(xy - kps[:, :2]).max() < 1e-3


def test_regression_round_trip_is_exact():
    codec = RegressionCodec((128, 128))
    kps = _keypoints()
    target, weights = codec.encode(kps)
    assert np.all(np.abs(target[:, :2]) <= 0.5)
    assert target[3, 2] == 0 and target[0, 2] == 1
    xy, _ = codec.decode(target[:, :2])
    np.testing.assert_allclose(xy, kps[:, :2], atol=1e-4)


@pytest.mark.parametrize("codec", [
    GaussianHeatmapCodec((96, 128), (24, 32), sigma=2.0),
    KeypointPartCodec((128, 128), (32, 32), limbs=((0, 1),)),
    PartCascadeCodec((64, 64), (16, 16)),
    RegressionCodec((220, 220)),
])
def test_codecs_serialise_to_plain_json(codec):
    import json

    assert build_codec(json.loads(json.dumps(codec.to_dict()))) == codec


def _stage_targets(codec, kps):
    """What each stage of a model using ``codec`` is trained to output, stage by stage."""
    target, _ = codec.encode(kps)
    if isinstance(codec, PartCascadeCodec):
        return [target[0], target[1]]  # disks, then Gaussians
    if isinstance(codec, RegressionCodec):
        return [target[:, :2], target[:, :2]]
    return [target, target]


@pytest.mark.parametrize("codec, tolerance", [
    (GaussianHeatmapCodec((128, 128), (32, 32)), 1e-3),
    (KeypointPartCodec((128, 128), (32, 32), limbs=tuple(LSP14.edges), num_joints=14), 1e-3),
    (DiskHeatmapCodec((128, 128), (32, 32)), 1.2),  # 0.3 cells at stride 4
    (PartCascadeCodec((128, 128), (32, 32)), 1.2),
    (RegressionCodec((128, 128)), 1e-4),
])
def test_every_codec_shares_the_per_stage_protocol_and_round_trips(codec, tolerance):
    """encode, then decode_stage on each stage's own target, gives the keypoints back."""
    for _ in range(5):
        kps = _keypoints()
        for stage, maps in enumerate(_stage_targets(codec, kps)):
            xy, scores = codec.decode_stage(maps, stage)
            assert xy.shape == (14, 2) and scores.shape == (14,)
            assert np.abs(xy - kps[:, :2]).max() <= tolerance, (type(codec).__name__, stage)
