"""Target encoders/decoders for every model family."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from poseapp.codecs.decode import decode_heatmaps


@dataclass(frozen=True)
class _Grid:
    input_size: tuple[int, int]  # (width, height) of the network input
    heatmap_size: tuple[int, int]  # (width, height) of its output maps

    @property
    def stride(self) -> tuple[float, float]:
        return (self.input_size[0] / self.heatmap_size[0], self.input_size[1] / self.heatmap_size[1])

    def to_heatmap(self, xy: np.ndarray) -> np.ndarray:
        sx, sy = self.stride
        return np.stack([(xy[..., 0] + 0.5) / sx - 0.5, (xy[..., 1] + 0.5) / sy - 0.5], axis=-1)

    def to_input(self, uv: np.ndarray) -> np.ndarray:
        sx, sy = self.stride
        return np.stack([(uv[..., 0] + 0.5) * sx - 0.5, (uv[..., 1] + 0.5) * sy - 0.5], axis=-1)

    def cells(self) -> tuple[np.ndarray, np.ndarray]:
        w, h = self.heatmap_size
        return np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__, **{k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}}


def _gaussian(grid_x: np.ndarray, grid_y: np.ndarray, centre: np.ndarray, sigma: float, peak: float) -> np.ndarray:
    return peak * np.exp(-((grid_x - centre[0]) ** 2 + (grid_y - centre[1]) ** 2) / (2.0 * sigma**2))


@dataclass(frozen=True)
class GaussianHeatmapCodec(_Grid):
    """One isotropic Gaussian per joint; ``magnitude`` scales the peak (the recurrent paper magnifies
    targets so the mostly-zero maps carry enough signal)."""

    sigma: float = 1.5  # in heatmap cells
    magnitude: float = 1.0
    decoder: str = "dark"

    def encode(self, keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """K x 3 keypoints in input pixels -> (K, h, w) float32 maps and (K,) weights (0 = unlabelled)."""
        gx, gy = self.cells()
        uv = self.to_heatmap(keypoints[:, :2])
        w, h = self.heatmap_size
        maps = np.zeros((len(keypoints), h, w), np.float32)
        weights = np.zeros(len(keypoints), np.float32)
        for j, (centre, v) in enumerate(zip(uv, keypoints[:, 2])):
            if v <= 0:
                continue
            weights[j] = 1.0
            if -3 * self.sigma <= centre[0] <= w - 1 + 3 * self.sigma and -3 * self.sigma <= centre[1] <= h - 1 + 3 * self.sigma:
                maps[j] = _gaussian(gx, gy, centre, self.sigma, self.magnitude)
        return maps, weights

    def decode(self, heatmaps: np.ndarray, method: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(K, h, w) -> (K, 2) input-pixel coordinates and (K,) scores (peak / magnitude)."""
        method = method or self.decoder
        # Network outputs are not perfect Gaussians: DARK's smoothing step helps there.
        uv, peaks = decode_heatmaps(heatmaps[: self.num_maps(heatmaps)], method, blur_kernel=0)
        # a regressed map can dip below zero; as a confidence that means "no evidence": 0
        return self.to_input(uv), np.clip(peaks / self.magnitude, 0.0, None)

    def num_maps(self, heatmaps: np.ndarray) -> int:
        return len(heatmaps)

    def decode_stage(self, heatmaps: np.ndarray, stage: int) -> tuple[np.ndarray, np.ndarray]:
        """The codec protocol's per-stage decoding: every stage holds the same kind of maps."""
        return self.decode(heatmaps)


@dataclass(frozen=True)
class KeypointPartCodec(GaussianHeatmapCodec):
    """Keypoint Gaussians followed by one body-part map per limb: an anisotropic Gaussian at the
    limb's midpoint, long along the limb (half its length times ``part_length_scale``) and
    ``sigma`` wide across it."""

    limbs: tuple[tuple[int, int], ...] = ()
    part_length_scale: float = 0.5
    num_joints: int = 0  # 0: the maps given to decode() minus one per limb

    def encode(self, keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        kmaps, kweights = super().encode(keypoints)
        gx, gy = self.cells()
        uv = self.to_heatmap(keypoints[:, :2])
        w, h = self.heatmap_size
        pmaps = np.zeros((len(self.limbs), h, w), np.float32)
        pweights = np.zeros(len(self.limbs), np.float32)
        for p, (a, b) in enumerate(self.limbs):
            if keypoints[a, 2] <= 0 or keypoints[b, 2] <= 0:
                continue
            pweights[p] = 1.0
            mid = 0.5 * (uv[a] + uv[b])
            vec = uv[b] - uv[a]
            length = float(np.hypot(*vec))
            along = vec / length if length > 1e-6 else np.array([1.0, 0.0])
            dx, dy = gx - mid[0], gy - mid[1]
            s_along = max(self.sigma, self.part_length_scale * length / 2.0)
            t = dx * along[0] + dy * along[1]
            n = -dx * along[1] + dy * along[0]
            pmaps[p] = self.magnitude * np.exp(-(t**2) / (2 * s_along**2) - (n**2) / (2 * self.sigma**2))
        return np.concatenate([kmaps, pmaps]), np.concatenate([kweights, pweights])

    def num_maps(self, heatmaps: np.ndarray) -> int:
        return self.num_joints or len(heatmaps) - len(self.limbs)  # decode keypoints only


@dataclass(frozen=True)
class DiskHeatmapCodec(_Grid):
    """Binary disks of ``radius`` cells around each joint: Bulat's part-detection targets."""

    radius: float = 2.0

    def encode(self, keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        gx, gy = self.cells()
        uv = self.to_heatmap(keypoints[:, :2])
        w, h = self.heatmap_size
        maps = np.zeros((len(keypoints), h, w), np.float32)
        weights = (keypoints[:, 2] > 0).astype(np.float32)
        for j, centre in enumerate(uv):
            if weights[j]:
                maps[j] = ((gx - centre[0]) ** 2 + (gy - centre[1]) ** 2 <= self.radius**2).astype(np.float32)
        return maps, weights

    def decode(self, heatmaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Disk centres: the probability-weighted centroid of a window that follows it (mean shift),
        starting at the maximum; the argmax of a flat disk is its first cell, not its centre."""
        k, h, w = heatmaps.shape
        gx, gy = self.cells()
        coords, scores = decode_heatmaps(heatmaps, "argmax")
        out = coords.copy()
        for j in range(k):
            for _ in range(4):
                near = ((gx - out[j, 0]) ** 2 + (gy - out[j, 1]) ** 2) <= (self.radius + 1) ** 2
                wts = heatmaps[j] * near
                if wts.sum() <= 0:
                    break
                out[j] = [(wts * gx).sum() / wts.sum(), (wts * gy).sum() / wts.sum()]
        return self.to_input(out), scores

    def decode_stage(self, heatmaps: np.ndarray, stage: int) -> tuple[np.ndarray, np.ndarray]:
        return self.decode(heatmaps)


@dataclass(frozen=True)
class PartCascadeCodec(_Grid):
    """Bulat & Tzimiropoulos: disks for the detector stage, Gaussians for the regression stage."""

    radius: float = 2.0
    sigma: float = 1.5
    magnitude: float = 1.0
    decoder: str = "dark"

    @property
    def detector(self) -> DiskHeatmapCodec:
        return DiskHeatmapCodec(self.input_size, self.heatmap_size, self.radius)

    @property
    def regressor(self) -> GaussianHeatmapCodec:
        return GaussianHeatmapCodec(self.input_size, self.heatmap_size, self.sigma, self.magnitude, self.decoder)

    def encode(self, keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(2, K, h, w) targets (disks, Gaussians) and (2, K) weights: the detector learns visible
        parts only (v = 2), the regressor all labelled parts."""
        disks, _ = self.detector.encode(keypoints)
        gauss, gweights = self.regressor.encode(keypoints)
        dweights = (keypoints[:, 2] >= 2).astype(np.float32)  # 3: placed by a model, treated as visible
        return np.stack([disks, gauss]), np.stack([dweights, gweights])

    def decode(self, heatmaps: np.ndarray, method: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.regressor.decode(heatmaps, method)

    def decode_stage(self, heatmaps: np.ndarray, stage: int) -> tuple[np.ndarray, np.ndarray]:
        """Stage 0 holds the detector's part disks, later stages the regressor's Gaussians."""
        return self.detector.decode(heatmaps) if stage == 0 else self.decode(heatmaps)


@dataclass(frozen=True)
class RegressionCodec:
    """Normalised coordinates in [-0.5, 0.5] of the input, plus a per-joint visible flag (DeepPose)."""

    input_size: tuple[int, int]

    def encode(self, keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(K, 3) target: x, y normalised and v in {0, 1} (visible); (K,) weights (labelled)."""
        w, h = self.input_size
        target = np.zeros((len(keypoints), 3), np.float32)
        target[:, 0] = (keypoints[:, 0] + 0.5) / w - 0.5
        target[:, 1] = (keypoints[:, 1] + 0.5) / h - 0.5
        target[:, 2] = (keypoints[:, 2] >= 2).astype(np.float32)  # 3: placed by a model, treated as visible
        return target, (keypoints[:, 2] > 0).astype(np.float32)

    def decode(self, output: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(K, 2+) normalised -> (K, 2) input pixels and (K,) visibility probability (when given)."""
        w, h = self.input_size
        xy = np.stack([(output[:, 0] + 0.5) * w - 0.5, (output[:, 1] + 0.5) * h - 0.5], axis=1)
        scores = 1.0 / (1.0 + np.exp(-output[:, 2])) if output.shape[1] > 2 else np.ones(len(output))
        return xy, scores

    def decode_stage(self, output: np.ndarray, stage: int) -> tuple[np.ndarray, np.ndarray]:
        return self.decode(output)

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "input_size": list(self.input_size)}


CODECS: dict[str, type] = {
    c.__name__: c for c in (GaussianHeatmapCodec, KeypointPartCodec, DiskHeatmapCodec, PartCascadeCodec, RegressionCodec)
}


def build_codec(spec: dict[str, Any]):
    """A codec from its ``to_dict()`` (as stored in model cards): typed, no eval."""
    spec = dict(spec)
    kind = spec.pop("type")
    if kind not in CODECS:
        raise ValueError(f"unknown codec {kind!r}; known: {', '.join(CODECS)}")
    for key in ("input_size", "heatmap_size"):
        if key in spec:
            spec[key] = tuple(spec[key])
    if "limbs" in spec:
        spec["limbs"] = tuple(tuple(l) for l in spec["limbs"])
    return CODECS[kind](**spec)
