"""What every pose model offers the engine: its config, its codec, and labelled stages."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


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
    supports_hints = False

    def __init__(self, config: Any):
        super().__init__()
        self.config = config

    def codec(self):
        raise NotImplementedError

    def stage_names(self, num_stages: int) -> list[str]:
        return [f"stage {i + 1}" for i in range(num_stages)]

    def keypoint_heatmaps(self, output: torch.Tensor) -> torch.Tensor:
        """(B, T, K, h, w) keypoint maps for display and decoding (drops part maps, applies sigmoids)."""
        return output[:, :, : self.config.num_joints]
