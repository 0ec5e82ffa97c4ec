"""The papers' losses and their shared pieces; each model's ``loss`` method calls its own."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

OCCLUSION_MODES = ("include", "ignore", "exclude")


@dataclass(frozen=True)
class LossConfig:
    occlusion: str = "include"  # recurrent: include, ignore or exclude occluded joints
    foreground_weight: float = 10.0  # heatmap pixels inside a target blob weigh this much more
    foreground_threshold: float = 0.1  # fraction of the peak that counts as foreground
    visibility_weight: float = 0.1  # coordinate models: weight of the visibility term


def _occlusion_targets(target: torch.Tensor, weight: torch.Tensor, visibility: torch.Tensor, limbs, mode: str):
    """Adapt keypoint+part targets for occluded joints (visibility: B x K, COCO flags).

    include: occluded joints are ordinary targets.
    ignore:  no gradient inside their blobs (the network may answer anything there).
    exclude: their target is empty, so any response there is penalised; the heatmap peak then
             scores visibility, which makes the network an occlusion predictor.
    Body parts follow their joints: a part with an occluded end is treated like that joint.
    Joints known to be invisible without a position (visibility < 0, LSPET's flag 0) have no
    target in include and ignore modes; in exclude mode they are what the mode is about: their
    (empty) maps are trained. Returns (target, weight, pixel mask).
    """
    if mode not in OCCLUSION_MODES:
        raise ValueError(f"occlusion mode must be one of {OCCLUSION_MODES}, not {mode!r}")
    occluded = visibility == 1
    unplaced = visibility < 0
    if limbs:
        a = torch.tensor([l[0] for l in limbs], device=visibility.device)
        b = torch.tensor([l[1] for l in limbs], device=visibility.device)
        occluded = torch.cat([occluded, occluded[:, a] | occluded[:, b]], dim=1)
        unplaced = torch.cat([unplaced, unplaced[:, a] | unplaced[:, b]], dim=1)
    pixel_mask = torch.ones_like(target)
    if mode == "exclude":
        target = target * (~(occluded | unplaced))[:, :, None, None]
        weight = torch.maximum(weight, unplaced.to(weight.dtype))
    elif mode == "ignore":
        blobs = target > 0.01 * target.amax(dim=(2, 3), keepdim=True).clamp_min(1e-6)
        pixel_mask = pixel_mask * ~(blobs & occluded[:, :, None, None])
    return target, weight, pixel_mask


def heatmap_mse(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor, pixel_mask: torch.Tensor, cfg: LossConfig, magnitude: float) -> torch.Tensor:
    """Weighted MSE over maps: foreground pixels weigh ``foreground_weight`` so the mostly-zero
    maps do not pull the network to output zero everywhere."""
    fg = (target > cfg.foreground_threshold * magnitude).float()
    pixel_weight = (1.0 + (cfg.foreground_weight - 1.0) * fg) * pixel_mask * weight[:, :, None, None]
    return ((pred.float() - target) ** 2 * pixel_weight).sum() / pixel_weight.sum().clamp_min(1.0)


def recurrent_loss(model, output, target, weight, keypoints, cfg: LossConfig) -> torch.Tensor:
    """MSE after the feed-forward module and after every iteration (auxiliary losses), averaged."""
    target, weight, mask = _occlusion_targets(target, weight, keypoints[:, :, 2], model.config.limbs, cfg.occlusion)
    losses = [heatmap_mse(output[:, t], target, weight, mask, cfg, model.config.magnitude) for t in range(output.shape[1])]
    return torch.stack(losses).mean()


def sample_at(maps: torch.Tensor, points: torch.Tensor, input_size: int) -> torch.Tensor:
    """(B, K, h, w) maps read (bilinearly) at (B, K, 2) crop-pixel points -> (B, K). Heatmap cell
    u sits at crop pixel (u + 0.5) * stride - 0.5, which grid_sample's align_corners=False keeps."""
    grid = (points.float() + 0.5) / input_size * 2.0 - 1.0  # (B, K, 2) in [-1, 1]
    b, k = points.shape[:2]
    # each joint reads its own map: fold joints into the batch
    sampled = F.grid_sample(maps.float().reshape(b * k, 1, *maps.shape[2:]), grid.reshape(b * k, 1, 1, 2),
                            mode="bilinear", padding_mode="border", align_corners=False)
    return sampled.reshape(b, k)


# Crop keypoints flagged this way are labelled (placed) but say nothing of visibility: joints a
# model labelled for us (data/extra_labels.py), which the visibility loss leaves out.
VISIBILITY_UNKNOWN = 3.0


def visibility_loss(logits: torch.Tensor, keypoints: torch.Tensor, input_size: int) -> torch.Tensor:
    """Binary cross-entropy of the visibility logits, read at each labelled joint's true place,
    against its flag: visible (2) is 1, occluded (1) is 0. Joints without a flag say nothing."""
    flags = keypoints[:, :, 2]
    known = (flags == 1) | (flags == 2)
    if not known.any():
        return logits.sum() * 0.0
    read = sample_at(logits, keypoints[:, :, :2], input_size)
    return F.binary_cross_entropy_with_logits(read[known], (flags[known] == 2).float())


def part_regression_loss(model, output, target, weight, keypoints, cfg: LossConfig, phase: str = "joint") -> torch.Tensor:
    """Sigmoid cross-entropy on part disks (visible parts) + L2 on Gaussian confidence maps (all parts)."""
    det_w = weight[:, 0][:, :, None, None].expand_as(target[:, 0])
    detection = F.binary_cross_entropy_with_logits(output[:, 0].float(), target[:, 0], weight=det_w, reduction="sum")
    detection = detection / det_w.sum().clamp_min(1.0)
    ones = torch.ones_like(target[:, 1])
    regression = heatmap_mse(output[:, 1], target[:, 1], weight[:, 1], ones, cfg, model.config.magnitude)
    if phase == "detector":
        return detection
    if phase == "regressor":
        return regression
    return detection + regression


def coordinate_loss(model, output, target, weight, keypoints, cfg: LossConfig, stages: list[int] | None = None,
                    norm: str = "l2") -> torch.Tensor:
    """L2 (the papers') or L1 (what regression pose models train with since: it does not let a few
    far-off joints pull every prediction to the mean pose) on normalised coordinates of labelled
    joints + BCE on the visibility logit, summed over the chosen stages (DeepPose) or over the
    time steps (CNN+LSTM, one output per joint step)."""
    if norm not in ("l1", "l2"):
        raise ValueError(f"coordinate loss must be l1 or l2, not {norm!r}")
    stages = list(range(output.shape[1])) if stages is None else stages
    total = output.new_zeros((), dtype=torch.float32)
    w = weight[:, :, None]
    for s in stages:
        xy = output[:, s, :, :2].float()
        diff = xy - target[:, :, :2]
        error = diff.abs() if norm == "l1" else diff**2
        l2 = (error * w).sum() / w.sum().clamp_min(1.0)
        vis = F.binary_cross_entropy_with_logits(output[:, s, :, 2].float(), target[:, :, 2], weight=weight, reduction="sum")
        total = total + l2 + cfg.visibility_weight * vis / weight.sum().clamp_min(1.0)
    return total
