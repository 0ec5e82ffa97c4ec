"""Model outputs -> keypoints in crop pixels and scores, for every iteration or stage. Each model
owns its decoding (``PoseModel.decode``); these are the engine's entry points."""

from __future__ import annotations

import numpy as np
import torch

from poseapp.models.base import decode_stage_maps


def stage_heatmaps(model, output: torch.Tensor) -> np.ndarray | None:
    """(B, T, K, h, w) float32 keypoint maps for display, or None for coordinate models."""
    if model.output_kind != "heatmaps":
        return None
    return model.keypoint_heatmaps(output).float().cpu().numpy()


def decode_maps(maps: np.ndarray, codec) -> tuple[np.ndarray, np.ndarray]:
    """(B, T, K, h, w) maps -> (B, T, K, 2) input-pixel coordinates and (B, T, K) peak scores."""
    return decode_stage_maps(maps, codec)


def decode_output(model, output: torch.Tensor, codec=None) -> tuple[np.ndarray, np.ndarray]:
    """(coords (B, T, K, 2) in input pixels, scores (B, T, K)), as the model decodes its output."""
    return model.decode(output, codec)
