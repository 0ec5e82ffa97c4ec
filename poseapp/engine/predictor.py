"""Top-down prediction: crop each person from its box, batch the crops, run the model (CUDA,
else MPS, else CPU), decode every iteration or stage, and map keypoints (and heatmaps, for
display) back to image coordinates."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch

from poseapp.core.errors import PoseAppError
from poseapp.engine import checkpoint as ckpt
from poseapp.engine.threads import CorePolicy
from poseapp.engine.decoding import decode_maps, decode_output, stage_heatmaps
from poseapp.media.crops import CropTransform, box_to_crop, warp
from poseapp.models import normalise_images
from poseapp.models.losses import sample_at

Box = tuple[float, float, float, float]
INFERENCE_CORES = CorePolicy()  # one per process: every predictor shares the machine the same way


def best_device(preference: str = "auto") -> torch.device:
    if preference != "auto":
        try:
            device = torch.device(preference)
        except RuntimeError:
            raise PoseAppError(f"unknown device {preference!r}: use auto, cpu, cuda, cuda:N or mps") from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise PoseAppError(f"device {preference!r} asked for, but this machine has no usable CUDA GPU "
                               "(or this torch is a CPU build): use --device cpu or auto")
        if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
            raise PoseAppError(f"device {preference!r} asked for, but there are {torch.cuda.device_count()} CUDA GPUs")
        if device.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise PoseAppError("device 'mps' asked for, but Apple's Metal backend is not available here")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@dataclass
class PersonPrediction:
    box: Box
    keypoints: np.ndarray  # K x 3 in image pixels: x, y, v (2 when the score passes, else 1)
    scores: np.ndarray  # K joint scores of the final stage
    # K visibility scores from a model that predicts occlusion (see Predictor.predicts_occlusion);
    # None from one that does not: its joint score says how sure it is, not whether a joint is hidden
    visibility: np.ndarray | None
    stages: np.ndarray  # (T, K, 2) image coordinates per iteration / stage
    stage_scores: np.ndarray  # (T, K)
    stage_names: list[str]
    heatmaps: np.ndarray | None = None  # (T, K, h, w) crop-space maps, when asked for
    crop: CropTransform | None = None  # to place heatmaps over the image
    heatmap_to_image: np.ndarray | None = None  # 2 x 3 affine: heatmap cells -> image pixels
    cache: "PersonCache | None" = None  # for Predictor.refine, when asked for

    @property
    def score(self) -> float:
        return float(np.mean(self.scores))


@dataclass
class PersonCache:
    """What a re-run with hints needs for one person: the crop, the model's cached features
    (layer-3 features and feed-forward maps for the recurrent model, the pooled image and part
    detections for the cascade), and the current estimate (crop pixels) that places the far end
    of a hinted limb. Made by ``Predictor.predict(..., keep_cache=True)``; ``refine`` updates it.
    Under flip test it also keeps the mirrored crop's features, so a re-run averages both views as
    the first prediction did (else untouched joints would jump by the difference on every drag)."""

    box: Box
    crop: CropTransform
    features: tuple[torch.Tensor, ...]  # each (1, ...) on the predictor's device
    estimate: np.ndarray  # (K, 2) crop pixels, the latest prediction
    flipped: tuple[torch.Tensor, ...] | None = None  # the mirrored crop's features (flip test)


@dataclass
class Predictor:
    model: torch.nn.Module
    card: dict = field(default_factory=dict)
    device: torch.device = torch.device("cpu")
    flip_test: bool = False
    padding: float = 1.25
    batch_size: int = 32
    visible_threshold: float = 0.3
    # CPU threads follow the cores other programs leave idle (see engine/threads.py); False keeps
    # whatever the caller set.
    adapt_threads: bool = True
    # channels_last measured faster on this CPU with identical keypoints (bench/predict.py); bf16
    # autocast was faster still but moved keypoints by up to 0.35 px, so it is not used.
    channels_last: bool = True

    def __post_init__(self) -> None:
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)

    @classmethod
    def from_path(cls, path: str | os.PathLike, device: str = "auto", **kwargs) -> "Predictor":
        dev = best_device(device)
        model, card = ckpt.load_model(path, dev)
        return cls(model, card, dev, **kwargs)

    @property
    def predicts_occlusion(self) -> bool:
        """Whether the model was taught to tell hidden joints from visible ones: a regression model's
        visibility output (trained on the flags), or heatmap maps trained with occluded joints left
        empty (occlusion 'exclude'). Other models' joint scores are confidence, never occlusion."""
        if self.model.output_kind == "coordinates" or getattr(self.model.config, "visibility_head", False):
            return True
        return self.card.get("training", {}).get("config", {}).get("occlusion") == "exclude"

    def _flags_and_visibility(self, scores: np.ndarray, visibility: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """(COCO flags of the predicted joints, visibility scores or None): a joint is flagged
        occluded (1) only by a model that predicts occlusion; otherwise every joint is visible (2).
        ``visibility`` is a visibility head's output; without one, such a model's score is it."""
        if not self.predicts_occlusion:
            return np.full(len(scores), 2.0), None
        visibility = scores.copy() if visibility is None else visibility
        return np.where(visibility >= self.visible_threshold, 2.0, 1.0), visibility

    def _visibility(self, output: torch.Tensor, out_f: torch.Tensor | None, coords: np.ndarray) -> np.ndarray | None:
        """(B, K) visibility from the model's visibility head, read at the final joints ``coords``
        (B, T, K, 2 crop pixels); under flip test the mirrored view's maps are swapped back and
        averaged first, as the heatmaps are. None for a model without the head."""
        logits = self.model.visibility_logits(output)
        if logits is None:
            return None
        if out_f is not None:
            perm = self.skeleton().flip_permutation()
            logits = 0.5 * (logits + torch.flip(self.model.visibility_logits(out_f)[:, perm], dims=[3]))
        points = torch.from_numpy(np.ascontiguousarray(coords[:, -1])).to(logits.device)
        return torch.sigmoid(sample_at(logits, points, self.model.config.input_size)).cpu().numpy()

    @property
    def model_id(self) -> str:
        return self.card.get("name", self.model.registry_name)

    def skeleton(self):
        return ckpt.skeleton_of(self.card) if self.card else None

    @torch.no_grad()
    def predict(self, image: np.ndarray, boxes: Sequence[Box], iterations: int | None = None, keep_heatmaps: bool = False,
                keep_cache: bool = False) -> list[PersonPrediction]:
        """One prediction per box. ``keep_cache`` (models with hints) stores a ``PersonCache`` in
        each prediction's ``cache``, for ``refine``."""
        if keep_cache and not getattr(self.model, "supports_hints", False):
            raise ValueError(f"{self.model.registry_name} models take no hints, so there is nothing to cache")
        if len(boxes) == 0:
            return []
        self._choose_threads()
        size = self.model.config.input_size
        codec = self.model.codec()
        transforms = [box_to_crop(tuple(b), size, padding=self.padding) for b in boxes]
        crops = np.stack([warp(image, t) for t in transforms])
        results: list[PersonPrediction] = []
        for start in range(0, len(crops), self.batch_size):
            chunk = torch.from_numpy(crops[start : start + self.batch_size]).permute(0, 3, 1, 2).contiguous()
            x = normalise_images(chunk.to(self.device))
            if self.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            flipped = out_f = None
            if keep_cache:
                features = self.model.features(x)
                output = self.model.rerun(features, iterations)
                if self.flip_test:
                    flipped = self.model.features(torch.flip(x, dims=[3]))
                    out_f = self.model.rerun(flipped, iterations)
            else:
                output = self.model(x, iterations=iterations)
            coords, scores = decode_output(self.model, output, codec)
            maps = stage_heatmaps(self.model, output)
            if self.flip_test:
                if out_f is None:
                    out_f = self.model(torch.flip(x, dims=[3]), iterations=iterations)
                coords, scores, maps = self._average_flipped(out_f, coords, scores, maps, codec)
            visibility = self._visibility(output, out_f, coords)
            for i in range(coords.shape[0]):
                t = transforms[start + i]
                stages = np.stack([t.to_image(c) for c in coords[i]])
                final_scores = scores[i, -1]
                flags, joint_visibility = self._flags_and_visibility(final_scores, None if visibility is None else visibility[i])
                kps = np.column_stack([stages[-1], flags])
                pred = PersonPrediction(
                    box=tuple(float(v) for v in boxes[start + i]), keypoints=kps, scores=final_scores,
                    visibility=joint_visibility, stages=stages, stage_scores=scores[i],
                    stage_names=self.model.stage_names(coords.shape[1]), crop=t,
                )
                if keep_heatmaps and maps is not None:
                    self._attach_heatmaps(pred, maps[i], t)
                if keep_cache:
                    pred.cache = PersonCache(pred.box, t, tuple(f[i : i + 1] for f in features), coords[i, -1].copy(),
                                             None if flipped is None else tuple(f[i : i + 1] for f in flipped))
                results.append(pred)
        return results

    def _choose_threads(self) -> None:
        if self.adapt_threads and self.device.type == "cpu":
            INFERENCE_CORES.apply()

    def _attach_heatmaps(self, pred: PersonPrediction, maps: np.ndarray, t: CropTransform) -> None:
        pred.heatmaps = maps
        stride = self.model.config.input_size / maps.shape[-1]
        # heatmap cell (u, v) sits at crop pixel ((u + 0.5) * stride - 0.5, ...)
        cell_to_crop = np.array([[stride, 0, 0.5 * stride - 0.5], [0, stride, 0.5 * stride - 0.5], [0, 0, 1]])
        pred.heatmap_to_image = (np.vstack([t.inverse, [0, 0, 1]]) @ cell_to_crop)[:2]

    @torch.no_grad()
    def refine(self, cache: PersonCache, hints: dict[int, tuple[float, float]], iterations: int | None = None,
               keep_heatmaps: bool = False) -> PersonPrediction:
        """Re-run the model's cheap part from ``cache`` with the user's corrections as input.

        ``hints`` maps joint index -> (x, y) in image pixels. Each hinted joint's input map is the
        ground-truth map at its place (and, for the recurrent model, its limbs' maps, whose other
        end is the current estimate), so context moves the joints not corrected yet. Hinted joints
        come back exactly where they were placed, with score 1. Updates ``cache.estimate``. A cache
        made under flip test re-runs the mirrored crop too (mirrored hints) and averages the two."""
        model = self.model
        self._choose_threads()
        k = model.config.num_joints
        bad = [j for j in hints if not 0 <= int(j) < k]
        if bad:
            raise ValueError(f"hinted joint(s) {bad} outside 0..{k - 1}")
        t = cache.crop
        placed = {int(j): t.to_crop(np.asarray(xy, np.float64)[None])[0] for j, xy in hints.items()}
        kps = np.column_stack([cache.estimate, np.full(k, 2.0)])
        for j, xy in placed.items():
            kps[j, :2] = xy
        joints = torch.zeros(1, k, dtype=torch.bool)
        joints[0, list(placed)] = True
        hint_maps = torch.from_numpy(model.encode_hints(kps)).unsqueeze(0).to(self.device)
        hint_mask = model.hint_channels(joints).to(self.device)
        output = model.rerun(cache.features, iterations, hint_maps, hint_mask)
        codec = model.codec()
        coords, scores = decode_output(model, output, codec)
        maps = stage_heatmaps(model, output) if keep_heatmaps or cache.flipped is not None else None
        out_f = None
        if cache.flipped is not None:
            perm = self.skeleton().flip_permutation()
            kps_f = mirror_keypoints(kps, perm, model.config.input_size)
            hint_maps_f = torch.from_numpy(model.encode_hints(kps_f)).unsqueeze(0).to(self.device)
            hint_mask_f = model.hint_channels(joints[:, perm]).to(self.device)
            out_f = model.rerun(cache.flipped, iterations, hint_maps_f, hint_mask_f)
            coords, scores, maps = self._average_flipped(out_f, coords, scores, maps, codec)
        for j, xy in placed.items():  # the user's word is final, in every stage shown
            coords[0, :, j] = xy
        visibility = self._visibility(output, out_f, coords)
        coords, scores = coords[0], scores[0]
        for j in placed:
            scores[:, j] = 1.0
        cache.estimate = coords[-1].copy()
        stages = np.stack([t.to_image(c) for c in coords])
        for j, xy in hints.items():  # exactly as given, without a round trip through the crop transform
            stages[:, int(j)] = np.asarray(xy, np.float64)
        final = scores[-1]
        flags, visibility = self._flags_and_visibility(final, None if visibility is None else visibility[0])
        kps_image = np.column_stack([stages[-1], flags])
        pred = PersonPrediction(
            box=cache.box, keypoints=kps_image, scores=final, visibility=visibility, stages=stages,
            stage_scores=scores, stage_names=model.stage_names(coords.shape[0]), crop=t, cache=cache,
        )
        if keep_heatmaps and maps is not None:
            self._attach_heatmaps(pred, maps[0], t)
        return pred

    def _average_flipped(self, out_f, coords, scores, maps, codec):
        """Flip test: given the mirrored crop's output, swap left/right back and average."""
        skeleton = self.skeleton()
        perm = skeleton.flip_permutation()
        size = self.model.config.input_size
        if maps is not None:
            maps_f = stage_heatmaps(self.model, out_f)[:, :, perm, :, ::-1]
            # the heatmap grid is symmetric under the flip, so the maps average cell by cell
            merged = np.ascontiguousarray(0.5 * (maps + maps_f))
            coords, scores = decode_maps(merged, codec)
            return coords, scores, merged
        c_f, s_f = decode_output(self.model, out_f, codec)
        c_f = mirror_keypoints(c_f, perm, size, axis=2)
        return 0.5 * (coords + c_f), 0.5 * (scores + s_f[:, :, perm]), maps


def mirror_keypoints(points: np.ndarray, perm: list[int], size: int, axis: int = 0) -> np.ndarray:
    """Keypoints (joints along ``axis``, x in the last dimension's first slot) in the horizontally
    mirrored crop of side ``size``: left and right swap (``perm``) and x reflects about the
    centre of the pixel grid. The mirror of the mirror is the original."""
    mirrored = np.take(points, perm, axis=axis).copy()
    mirrored[..., 0] = size - 1 - mirrored[..., 0]
    return mirrored


def time_it(fn, repeat: int = 5) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat
