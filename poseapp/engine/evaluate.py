"""``poseapp eval``: a model on a dataset's ground-truth boxes, every metric per iteration/stage.

The JSON written has the keys pck@0.2 (head ... ankle, total, in percent), per_iteration,
visibility_ap, n_images, and also pckh@0.5, pcp, auc, mean_px_error, oks (where the skeleton
has OKS sigmas), visibility_pr.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from poseapp.core.skeleton import Skeleton, skeleton_of
from poseapp.data.samples import PoseSample
from poseapp.engine.dataset import ImageCache, PoseDataset
from poseapp.engine.decoding import decode_output
from poseapp.engine.metrics import (
    average_precision,
    head_sizes,
    mean_pixel_error,
    pck_curve_auc,
    pck_normaliser,
    pck_table,
    pcp,
)
from poseapp.engine.predictor import Predictor
from poseapp.models import normalise_images


def predict_samples(predictor: Predictor, samples: list[PoseSample], iterations: int | None = None,
                    progress: Callable[[int, int], None] | None = None,
                    visibility_out: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(stages (N, T, K, 2) image coordinates, stage scores (N, T, K)), one person per sample, GT boxes.
    ``visibility_out``, when given, receives each person's visibility scores (K,) from a model
    with a visibility head (None for the others)."""
    by_image: dict[str, list[int]] = {}
    for i, s in enumerate(samples):
        by_image.setdefault(s.image_key, []).append(i)
    stages: list[np.ndarray | None] = [None] * len(samples)
    scores: list[np.ndarray | None] = [None] * len(samples)
    visibility: list[np.ndarray | None] = [None] * len(samples)
    done = 0
    pictures = ImageCache(keep=False)
    for idxs in by_image.values():
        image = pictures.get(samples[idxs[0]])
        preds = predictor.predict(image, [samples[i].bbox for i in idxs], iterations=iterations)
        for i, p in zip(idxs, preds):
            stages[i], scores[i] = p.stages, p.stage_scores
            visibility[i] = p.visibility
        done += len(idxs)
        if progress:
            progress(done, len(samples))
    pictures.close_videos()
    if visibility_out is not None:
        visibility_out.extend(visibility)
    return np.stack(stages), np.stack(scores)


def oks_ap(samples: list[PoseSample], pred: np.ndarray, scores: np.ndarray, skeleton: Skeleton) -> dict[str, float] | None:
    """COCO keypoint AP / AP50 / AP75 through pycocotools, with the skeleton's OKS sigmas
    (Skeleton.oks_sigmas: COCO's, or the documented defaults for joints COCO does not name)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    anns, dets = [], []
    image_ids: dict[str, int] = {}
    for i, s in enumerate(samples):
        iid = image_ids.setdefault(s.image_key, len(image_ids) + 1)
        x, y, w, h = s.bbox
        anns.append({"id": i + 1, "image_id": iid, "category_id": 1, "iscrowd": 0, "bbox": list(s.bbox),
                     "area": float(s.area if s.area is not None else w * h),
                     "keypoints": s.keypoints.reshape(-1).tolist(), "num_keypoints": int((s.keypoints[:, 2] > 0).sum())})
        kps = np.column_stack([pred[i], np.ones(len(pred[i]))])
        dets.append({"image_id": iid, "category_id": 1, "keypoints": kps.reshape(-1).tolist(), "score": float(np.mean(scores[i]))})
    images = [{"id": iid, "file_name": path, "width": 1, "height": 1} for path, iid in image_ids.items()]
    gt = {"images": images, "annotations": anns, "categories": [{"id": 1, "name": "person", "keypoints": list(skeleton.joints)}]}
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = gt
        coco.createIndex()
        res = coco.loadRes(dets)
        ev = COCOeval(coco, res, "keypoints")
        ev.params.kpt_oks_sigmas = np.array(skeleton.oks_sigmas())
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return {"ap": float(ev.stats[0]), "ap50": float(ev.stats[1]), "ap75": float(ev.stats[2])}


def stage_metrics(samples, gt: np.ndarray, pred: np.ndarray, scores: np.ndarray, skeleton: Skeleton) -> dict[str, Any]:
    out: dict[str, Any] = {"pck@0.2": pck_table(pred, gt, skeleton, 0.2)}
    heads = head_sizes(gt, skeleton)
    if heads is not None:
        out["pckh@0.5"] = pck_table(pred, gt, skeleton, 0.5, norm=heads)
    out["pcp"] = pcp(pred, gt, skeleton)
    out["auc"] = pck_curve_auc(pred, gt, skeleton)[2]
    out["mean_px_error"] = mean_pixel_error(pred, gt)
    oks = oks_ap(samples, pred, scores, skeleton)
    if oks is not None:
        out["oks"] = oks
    return out


def visibility_metrics(gt: np.ndarray, visibility_scores: np.ndarray) -> dict[str, Any]:
    """AP of the visibility score against visible (v = 2) vs occluded (v = 1) labels."""
    labelled = gt[:, :, 2] > 0
    labels = (gt[:, :, 2] == 2)[labelled]
    ap, precision, recall = average_precision(visibility_scores[labelled], labels)
    occluded_ap, _, _ = average_precision(-visibility_scores[labelled], ~labels)
    step = max(1, len(precision) // 100)
    n = max(len(labels), 1)
    # chance: a score that knows nothing has an AP equal to the share of positives
    return {
        "visibility_ap": ap * 100 if ap == ap else None,
        "occlusion_ap": occluded_ap * 100 if occluded_ap == occluded_ap else None,
        "visibility_ap_chance": 100.0 * labels.sum() / n,
        "occlusion_ap_chance": 100.0 * (~labels).sum() / n,
        "visible": int(labels.sum()), "occluded": int((~labels).sum()),
        "pr_curve": {"precision": precision[::step].round(4).tolist(), "recall": recall[::step].round(4).tolist()},
    }


def evaluate(predictor: Predictor, samples: list[PoseSample], iterations: int | None = None,
             progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    if not samples:
        raise ValueError("nothing to evaluate")
    skeleton = predictor.skeleton()
    if any(s.skeleton != skeleton.name for s in samples):
        # people of another preset skeleton are scored on the joints they share by name (a COCO-17
        # model on LSP people: 12 joints), as training uses them
        from poseapp.core.errors import DataError
        from poseapp.data.samples import in_skeleton

        usable, other, _ = in_skeleton(samples, skeleton.name)
        if not usable:
            raise DataError(samples[0].image_path, f"the data uses the {samples[0].skeleton} skeleton, the model {skeleton.name}")
        samples = usable
    start = time.perf_counter()
    head: list[np.ndarray | None] = []
    stages, scores = predict_samples(predictor, samples, iterations, progress, visibility_out=head)
    seconds = time.perf_counter() - start
    gt = np.stack([s.keypoints for s in samples])
    names = predictor.model.stage_names(stages.shape[1])
    per_stage = [dict(stage=name, **stage_metrics(samples, gt, stages[:, t], scores[:, t], skeleton)) for t, name in enumerate(names)]
    # a visibility head's output when the model has one (issue #28), else the final joint score
    from_head = all(v is not None for v in head) and getattr(predictor.model.config, "visibility_head", False)
    vis = visibility_metrics(gt, np.stack(head) if from_head else scores[:, -1])
    vis["source"] = "visibility head" if from_head else "joint score"
    final = per_stage[-1]
    return {
        "model": predictor.model_id,
        "n_images": len({s.image_key for s in samples}),
        "n_people": len(samples),
        "skeleton": skeleton.name,
        # how the figures are made for this skeleton (a fly's or a mouse's has no torso, nor COCO's sigmas)
        "pck_normalised_by": pck_normaliser(skeleton),
        "oks_sigmas": list(skeleton.oks_sigmas()),
        **{k: v for k, v in final.items() if k != "stage"},
        "per_iteration": per_stage,
        "visibility_ap": vis["visibility_ap"],
        "visibility": vis,
        "iterations": iterations,
        "seconds": round(seconds, 2),
    }


@torch.no_grad()
def evaluate_crops(model, dataset: PoseDataset, device, amp_dtype=None, batch_size: int = 32) -> dict[str, Any]:
    """PCK@0.2 per group, total and per iteration/stage, on un-augmented crops (PCK is invariant to
    the crop's scale and shift, so crop coordinates give the image-coordinate figures)."""
    model.eval()
    codec = model.codec()
    preds, gts = [], []
    for start in range(0, len(dataset), batch_size):
        items = [dataset[i] for i in range(start, min(len(dataset), start + batch_size))]
        images = normalise_images(torch.stack([x[0] for x in items]).to(device))
        with torch.autocast(device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
            output = model(images)
        coords, _ = decode_output(model, output, codec)
        preds.append(coords)
        gts.append(np.stack([x[3].numpy() for x in items]))
    pred = np.concatenate(preds)  # (N, T, K, 2)
    gt = np.concatenate(gts)
    skeleton = skeleton_of(model.config)
    per_stage = [pck_table(pred[:, t], gt, skeleton) for t in range(pred.shape[1])]
    return {
        "pck@0.2": per_stage[-1],
        "per_iteration": [{"stage": name, "pck@0.2_total": table["total"]}
                          for name, table in zip(model.stage_names(pred.shape[1]), per_stage)],
        "n": len(gt),
    }


