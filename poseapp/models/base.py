"""What every pose model offers the engine: its config, its codec, and labelled stages."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from poseapp.models.losses import coordinate_loss


class PoseModel(nn.Module):
    """Heatmap models return (B, T, C, h, w); coordinate models (B, T, K, 3) with x, y in [-0.5, 0.5]
    of the input and a visibility logit. T counts iterations, stages or (for cnn_lstm) 1."""

    registry_name = "?"
    output_kind = "heatmaps"  # or "coordinates"
    # Models that take the user's corrections as input ("hints") implement the hint protocol:
    #   features(x) -> cache           the expensive part, computed once per person
    #   rerun(cache, iterations, hint_maps, hint_mask) -> output, as forward() returns it
    #   hint_channels(joints (B, K) bool) -> (B, C) bool input channels a hinted joint replaces
    #   hint_maps(target) -> (B, C, h, w) the training target's maps that hints copy
    #   encode_hints(keypoints (K, 3) crop px) -> (C, h, w) numpy maps for hints at inference
    # and forward(x, iterations, hint_maps=None, hint_mask=None) == rerun(features(x), ...).
    # In training, forward(x, hint_sampler=f) calls f(first maps, detached) -> (hint_maps, hint_mask)
    # between features and rerun, so hints can depend on the model's own first estimate.
    supports_hints = False

    def __init__(self, config: Any):
        super().__init__()
        self.config = config

    def codec(self):
        raise NotImplementedError

    def map_channel_slots(self) -> list[tuple[str, int, int, str]]:
        """(weight name, dimension, offset, 'maps' or 'joints'[, channels per joint]) of each weight
        whose channels are the skeleton's joints (and limbs), for transfer to another skeleton
        (engine/transfer.py)."""
        raise NotImplementedError(f"{self.registry_name} models cannot move to another skeleton yet")

    def stage_names(self, num_stages: int) -> list[str]:
        return [f"stage {i + 1}" for i in range(num_stages)]

    # Names (prefixes) of weights a model may lack when it grows from a trained parent; see
    # engine/checkpoint.widen_from.
    fresh_weights: tuple[str, ...] = ()

    def visibility_logits(self, output: torch.Tensor) -> torch.Tensor | None:
        """(B, K, h, w) logit maps of "this joint is visible", read at each joint's place, from a
        model with a visibility output separate from its joint scores; None for the others."""
        return None

    def keypoint_heatmaps(self, output: torch.Tensor) -> torch.Tensor:
        """(B, T, K, h, w) keypoint maps for display and decoding (drops part maps, applies sigmoids)."""
        return output[:, :, : self.config.num_joints]

    # ---- training: each architecture owns its loss and its schedule of phases
    def loss(self, output, target, weight, keypoints, cfg, **phase: Any) -> torch.Tensor:
        """The training loss of ``forward``'s output against the codec's targets; ``phase`` holds
        the keyword arguments ``training_phase`` gave for this epoch."""
        raise NotImplementedError

    def training_phase(self, epoch: int, train_config: Any) -> tuple[str, dict[str, Any]]:
        """(phase name, loss keyword arguments) for an epoch; one phase, 'all', unless overridden."""
        return "all", {}

    def frozen_parts(self, phase: str) -> list[nn.Module]:
        """Submodules that do not train in ``phase`` (their batch-norm statistics stay as they are)."""
        return []

    # ---- decoding: output -> (B, T, K, 2) input-pixel coordinates and (B, T, K) scores
    def decode(self, output: torch.Tensor, codec=None) -> tuple[np.ndarray, np.ndarray]:
        """Heatmap models: each stage's keypoint maps through the codec's per-stage decoding, the
        peak heights (divided by the target magnitude) as scores."""
        codec = codec or self.codec()
        return decode_stage_maps(self.keypoint_heatmaps(output).float().cpu().numpy(), codec)


class CoordinateModel(PoseModel):
    """Models that regress normalised coordinates and a visibility logit: (B, T, K, 3)."""

    output_kind = "coordinates"

    def keypoint_heatmaps(self, output: torch.Tensor) -> torch.Tensor:
        raise TypeError(f"{self.registry_name} regresses coordinates: it has no heatmaps")

    def loss(self, output, target, weight, keypoints, cfg, **phase: Any) -> torch.Tensor:
        norm = getattr(self.config, "coordinate_loss", "l2")
        return coordinate_loss(self, output, target, weight, keypoints, cfg, norm=norm, **phase)

    def decode(self, output: torch.Tensor, codec=None) -> tuple[np.ndarray, np.ndarray]:
        """Scores are the sigmoid of the visibility output."""
        return decode_stage_maps(output.float().cpu().numpy(), codec or self.codec())


def decode_stage_maps(maps: np.ndarray, codec) -> tuple[np.ndarray, np.ndarray]:
    """(B, T, K, ...) per-stage outputs (heatmaps, or regressed coordinates) -> (B, T, K, 2)
    input-pixel coordinates and (B, T, K) scores, each stage decoded as its codec says (a
    cascade's first stage holds part-detection disks)."""
    b, t, k = maps.shape[:3]
    coords, scores = np.zeros((b, t, k, 2)), np.zeros((b, t, k))
    for i in range(b):
        for s in range(t):
            coords[i, s], scores[i, s] = codec.decode_stage(maps[i, s], s)
    return coords, scores
