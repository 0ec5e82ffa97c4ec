"""Model outputs -> keypoints in crop pixels and scores, for every iteration or stage."""

from __future__ import annotations

import numpy as np
import torch

from poseapp.codecs import PartCascadeCodec


def stage_heatmaps(model, output: torch.Tensor) -> np.ndarray | None:
    """(B, T, K, h, w) float32 keypoint maps for display, or None for coordinate models."""
    if model.output_kind != "heatmaps":
        return None
    return model.keypoint_heatmaps(output).float().cpu().numpy()


def decode_maps(maps: np.ndarray, codec) -> tuple[np.ndarray, np.ndarray]:
    """(B, T, K, h, w) maps -> (B, T, K, 2) input-pixel coordinates and (B, T, K) peak scores.
    A cascade's first stage holds part-detection disks and is decoded as such."""
    b, t, k = maps.shape[:3]
    coords, scores = np.zeros((b, t, k, 2)), np.zeros((b, t, k))
    for i in range(b):
        for s in range(t):
            dec = codec.detector if isinstance(codec, PartCascadeCodec) and s == 0 else codec
            coords[i, s], scores[i, s] = dec.decode(maps[i, s])
    return coords, scores


def decode_output(model, output: torch.Tensor, codec=None) -> tuple[np.ndarray, np.ndarray]:
    """(coords (B, T, K, 2) in input pixels, scores (B, T, K)).

    Heatmap scores are the peak heights (divided by the target magnitude); coordinate models
    score each joint with the sigmoid of its visibility output.
    """
    codec = codec or model.codec()
    if model.output_kind == "heatmaps":
        return decode_maps(stage_heatmaps(model, output), codec)
    out = output.float().cpu().numpy()
    b, t, k = out.shape[:3]
    coords, scores = np.zeros((b, t, k, 2)), np.zeros((b, t, k))
    for i in range(b):
        for s in range(t):
            coords[i, s], scores[i, s] = codec.decode(out[i, s])
    return coords, scores
