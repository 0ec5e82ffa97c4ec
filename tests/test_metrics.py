"""Metrics against hand-computed cases and against pycocotools on the real COCO sample."""

import contextlib
import io

import numpy as np
import pytest

from poseapp.core.skeleton import COCO17, LSP14
from poseapp.engine.metrics import average_precision, mean_pixel_error, pck_curve_auc, pck_table, pcp, torso_sizes


def _lsp_pose():
    """A stick figure whose torso (left shoulder to right hip) is exactly 100 px."""
    kps = np.zeros((14, 3))
    kps[:, 2] = 2
    kps[9, :2] = [0, 0]  # left shoulder
    kps[2, :2] = [60, 80]  # right hip: 100 px away
    for j in range(14):
        if j not in (2, 9):
            kps[j, :2] = [10 * j, 5 * j]
    return kps


def test_pck_hand_computed():
    gt = _lsp_pose()[None]
    assert torso_sizes(gt, LSP14)[0] == pytest.approx(100.0)
    pred = gt.copy()
    pred[0, 6, 0] += 19.9  # right wrist: within 0.2 x 100 -> correct
    pred[0, 11, 0] += 20.1  # left wrist: just outside -> wrong
    pred[0, 13, 1] += 50  # head top: wrong
    table = pck_table(pred, gt, LSP14, 0.2)
    assert table["wrist"] == pytest.approx(50.0)
    assert table["head"] == pytest.approx(50.0)
    assert table["shoulder"] == 100.0
    assert table["total"] == pytest.approx(100 * 12 / 14)


def test_pck_skips_unlabelled_joints():
    gt = _lsp_pose()[None]
    gt[0, 0, 2] = 0
    pred = gt.copy()
    pred[0, 0, :2] += 500  # wrong, but unlabelled: not counted
    assert pck_table(pred, gt, LSP14)["total"] == 100.0
    assert pck_table(pred, gt, LSP14)["ankle"] == 100.0


def test_pcp_and_auc_and_pixel_error():
    gt = _lsp_pose()[None]
    pred = gt.copy()
    assert pcp(pred, gt, LSP14) == 100.0
    a, b = LSP14.edges[0]
    length = np.linalg.norm(gt[0, a, :2] - gt[0, b, :2])
    pred[0, a, 0] += 0.6 * length  # one end past half the limb: this part fails
    others = sum(1 for e in LSP14.edges if a in e)
    assert pcp(pred, gt, LSP14) == pytest.approx(100 * (len(LSP14.edges) - others) / len(LSP14.edges))
    alphas, values, auc = pck_curve_auc(gt, gt, LSP14)
    assert values[0] == 100.0 and auc == pytest.approx(100.0)  # perfect at every threshold, even 0
    shifted = gt.copy()
    shifted[0, :, 0] += 10  # 10 px = 0.1 torso: correct from alpha 0.1 on
    _, values, auc = pck_curve_auc(shifted, gt, LSP14)
    assert values[alphas < 0.1 - 1e-9].max() == 0.0 and values[alphas >= 0.1 - 1e-9].min() == 100.0
    assert auc == pytest.approx(50.0, abs=3.0)
    assert mean_pixel_error(shifted, gt) == pytest.approx(10.0)


def test_average_precision_hand_computed():
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    labels = np.array([1, 0, 1, 0])
    ap, precision, recall = average_precision(scores, labels)
    # recall steps at rank 1 (P = 1) and rank 3 (P = 2/3): AP = 0.5 * 1 + 0.5 * 2/3
    assert ap == pytest.approx(0.5 + 0.5 * 2 / 3)
    assert recall[-1] == 1.0
    assert average_precision(np.array([0.1, 0.9]), np.array([0, 1]))[0] == 1.0


def test_oks_ap_matches_pycocotools_on_the_real_sample(coco_json):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    from poseapp.data import load_samples
    from poseapp.engine.evaluate import oks_ap

    samples = load_samples(f"coco:{coco_json}")
    rng = np.random.default_rng(0)
    pred = np.stack([s.keypoints[:, :2] + rng.normal(0, 4, (17, 2)) for s in samples])
    scores = np.full((len(samples), 17), 0.9)
    ours = oks_ap(samples, pred, scores, COCO17)

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(coco_json))
        # the same predictions, on the file's own image ids and with the file's own boxes
        dets = [{"image_id": s.image_id, "category_id": 1, "score": 0.9,
                 "keypoints": np.column_stack([p, np.ones(17)]).reshape(-1).tolist()} for s, p in zip(samples, pred)]
        ev = COCOeval(gt, gt.loadRes(dets), "keypoints")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    assert ours["ap"] == pytest.approx(ev.stats[0], abs=1e-6)
    assert ours["ap50"] == pytest.approx(ev.stats[1], abs=1e-6)
    assert 0.3 < ours["ap"] < 1.0
