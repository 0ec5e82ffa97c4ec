"""Heatmap decoding: argmax, quarter-pixel refinement, and DARK (Zhang et al., CVPR 2020).

DARK models the peak as a Gaussian, so the log heatmap is a quadratic near its maximum; one
Newton step from the argmax (first and second derivatives by finite differences) recovers the
sub-pixel centre.
"""

from __future__ import annotations

import numpy as np

try:
    import cv2
except ImportError:  # pragma: no cover - opencv is a hard dependency; this keeps the codec importable
    cv2 = None


def argmax_2d(heatmaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(K, 2) integer x, y of each map's maximum and (K,) the maximum values."""
    k, h, w = heatmaps.shape
    flat = heatmaps.reshape(k, -1)
    idx = flat.argmax(axis=1)
    return np.stack([idx % w, idx // w], axis=1).astype(np.float64), flat[np.arange(k), idx]


def refine_quarter(heatmaps: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """Move each peak a quarter pixel toward its higher neighbour (the classic hourglass trick)."""
    k, h, w = heatmaps.shape
    out = coords.copy()
    for j in range(k):
        x, y = int(coords[j, 0]), int(coords[j, 1])
        hm = heatmaps[j]
        if 0 < x < w - 1:
            out[j, 0] += 0.25 * np.sign(hm[y, x + 1] - hm[y, x - 1])
        if 0 < y < h - 1:
            out[j, 1] += 0.25 * np.sign(hm[y + 1, x] - hm[y - 1, x])
    return out


def refine_dark(heatmaps: np.ndarray, coords: np.ndarray, blur_kernel: int = 0) -> np.ndarray:
    """Taylor-expansion refinement on the log heatmap; ``blur_kernel`` > 0 smooths network output first."""
    k, h, w = heatmaps.shape
    maps = heatmaps.astype(np.float64, copy=True)
    if blur_kernel and cv2 is not None:
        for j in range(k):
            peak = maps[j].max()
            maps[j] = cv2.GaussianBlur(maps[j], (blur_kernel, blur_kernel), 0)
            if maps[j].max() > 0:
                maps[j] *= peak / maps[j].max()  # keep the peak height, as DARK's modulation does
    logs = np.log(np.maximum(maps, 1e-10))
    out = coords.copy()
    for j in range(k):
        x, y = int(coords[j, 0]), int(coords[j, 1])
        if not (1 <= x < w - 1 and 1 <= y < h - 1):
            continue
        hm = logs[j]
        dx = 0.5 * (hm[y, x + 1] - hm[y, x - 1])
        dy = 0.5 * (hm[y + 1, x] - hm[y - 1, x])
        dxx = hm[y, x + 1] - 2 * hm[y, x] + hm[y, x - 1]
        dyy = hm[y + 1, x] - 2 * hm[y, x] + hm[y - 1, x]
        dxy = 0.25 * (hm[y + 1, x + 1] - hm[y + 1, x - 1] - hm[y - 1, x + 1] + hm[y - 1, x - 1])
        det = dxx * dyy - dxy * dxy
        if det <= 1e-12 or dxx >= 0 or dyy >= 0:  # not a clean maximum: keep the argmax
            continue
        step_x = -(dyy * dx - dxy * dy) / det
        step_y = -(dxx * dy - dxy * dx) / det
        if abs(step_x) <= 1 and abs(step_y) <= 1:
            out[j, 0] += step_x
            out[j, 1] += step_y
    return out


def decode_heatmaps(heatmaps: np.ndarray, method: str = "dark", blur_kernel: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(K, 2) sub-pixel peak positions in heatmap cells and (K,) peak values (the joint scores)."""
    if heatmaps.ndim != 3:
        raise ValueError(f"heatmaps must be K x H x W, got {heatmaps.shape}")
    coords, scores = argmax_2d(heatmaps)
    if method == "argmax":
        return coords, scores
    if method == "quarter":
        return refine_quarter(heatmaps, coords), scores
    if method == "dark":
        return refine_dark(heatmaps, coords, blur_kernel), scores
    raise ValueError(f"unknown decoding {method!r}; use argmax, quarter or dark")
