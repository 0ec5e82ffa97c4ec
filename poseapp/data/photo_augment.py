"""Augmentations for ordinary photos (issue #28): what COCO people have and LSP's athletes lack.

Each is applied to a training crop with its own probability (``PhotoAugmentConfig``) after the
geometric crop, and says what it did to the labels:

- truncation: the picture ends inside the crop (a person cut by the frame); joints beyond the
  edge are no longer labelled, as COCO leaves them;
- occluders: a patch of the crop's own texture pasted over the person; labelled joints under it
  become occluded (flag 1), which also teaches the visibility head;
- distractor: a shifted copy of the crop blended in at one side, another person overlapping this
  one; joints under the copy become occluded;
- small: the crop shrunk 2-4x and scaled back up, the detail a small person has;
- blur: Gaussian or motion blur;
- low_light: darkened with a gamma curve, plus sensor noise.

Visibility flags follow COCO: 0 not labelled, 1 occluded, 2 visible; other values (a joint placed
by another model, an unplaced invisible one) are left alone except where a joint leaves the image.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from poseapp.core.typed_fields import check_field_types

KINDS = ("truncation", "occluders", "distractor", "small", "blur", "low_light")


@dataclass(frozen=True)
class PhotoAugmentConfig:
    truncation: float = 0.0  # probability of each; 0 leaves crops as LSP-era training made them
    occluders: float = 0.0
    distractor: float = 0.0
    small: float = 0.0
    blur: float = 0.0
    low_light: float = 0.0

    def __post_init__(self) -> None:
        check_field_types(self)
        for kind in KINDS:
            if not 0.0 <= getattr(self, kind) <= 1.0:
                raise ValueError(f"photo augmentation {kind} is a probability: 0 to 1, not {getattr(self, kind)}")

    @classmethod
    def only(cls, kind: str, probability: float = 1.0) -> "PhotoAugmentConfig":
        """One augmentation alone (bench/augment_robustness.py measures them one at a time)."""
        if kind not in KINDS:
            raise ValueError(f"unknown photo augmentation {kind!r}; choose from {', '.join(KINDS)}")
        return cls(**{kind: probability})

    @property
    def active(self) -> bool:
        return any(getattr(self, kind) > 0 for kind in KINDS)


def augment_photo(crop: np.ndarray, kps: np.ndarray, config: PhotoAugmentConfig,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(crop, keypoints) after the augmentations ``config`` draws; inputs are not modified."""
    crop, kps = crop.copy(), kps.copy()
    # label-changing ones first, on the sharp picture; then the picture-quality ones over everything
    if rng.random() < config.distractor:
        crop, kps = _distractor(crop, kps, rng)
    if rng.random() < config.occluders:
        for _ in range(int(rng.integers(1, 3))):
            crop, kps = _occluder(crop, kps, rng)
    if rng.random() < config.truncation:
        crop, kps = _truncate(crop, kps, rng)
    if rng.random() < config.small:
        crop = _shrink(crop, rng)
    if rng.random() < config.blur:
        crop = _blur(crop, rng)
    if rng.random() < config.low_light:
        crop = _darken(crop, rng)
    return np.ascontiguousarray(crop), kps


def _labelled(kps: np.ndarray) -> np.ndarray:
    return kps[:, 2] > 0


def _truncate(crop: np.ndarray, kps: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Black out everything beyond a random edge 20-50% into the crop from one side (what the
    crop shows past a photo's border) and unlabel the joints there."""
    size = crop.shape[0]
    cut = int(size * rng.uniform(0.2, 0.5))
    side = int(rng.integers(4))  # 0 left, 1 right, 2 top, 3 bottom
    x, y = kps[:, 0], kps[:, 1]
    if side == 0:
        crop[:, :cut] = 0
        gone = x < cut - 0.5
    elif side == 1:
        crop[:, size - cut:] = 0
        gone = x > size - cut - 0.5
    elif side == 2:
        crop[:cut] = 0
        gone = y < cut - 0.5
    else:
        crop[size - cut:] = 0
        gone = y > size - cut - 0.5
    kps[gone & _labelled(kps)] = 0.0
    return crop, kps


def _occluder(crop: np.ndarray, kps: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """An ellipse of the crop's own texture (taken from elsewhere in it, so no colour gives it
    away), 15-35% of the crop across, centred on a random labelled joint."""
    size = crop.shape[0]
    labelled = np.flatnonzero(_labelled(kps))
    if not len(labelled):
        return crop, kps
    cx, cy = kps[int(rng.choice(labelled)), :2] + rng.normal(0, 0.05 * size, 2)
    ax, ay = (size * rng.uniform(0.075, 0.175, 2)).astype(int) + 1
    mask = np.zeros(crop.shape[:2], np.uint8)
    cv2.ellipse(mask, (int(cx), int(cy)), (int(ax), int(ay)), float(rng.uniform(0, 180)), 0, 360, 1, -1)
    dx, dy = (rng.choice([-1, 1], 2) * size * rng.uniform(0.3, 0.5, 2)).astype(int)
    texture = np.roll(crop, (dy, dx), axis=(0, 1))
    if rng.random() < 0.3:  # a plain object (a bag, a pole) now and then
        texture = np.full_like(crop, rng.integers(0, 256, 3, dtype=np.uint8))
    crop[mask > 0] = texture[mask > 0]
    _occlude_under(mask, kps)
    return crop, kps


def _distractor(crop: np.ndarray, kps: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A copy of the crop shifted 35-60% sideways (and mirrored half the time), feathered into
    the side it came from: someone standing beside this person and partly in front."""
    size = crop.shape[0]
    shift = int(size * rng.uniform(0.35, 0.6)) * (1 if rng.random() < 0.5 else -1)
    other = np.roll(crop, shift, axis=1)
    if rng.random() < 0.5:
        other = other[:, ::-1]
    # the copy covers the band from the crop's edge on the side it came from to 20-35% inwards
    reach = size * rng.uniform(0.2, 0.35)
    xs = np.arange(size, dtype=np.float32)
    inner = reach if shift > 0 else size - reach
    weight = np.clip((reach - xs) / 6.0 + 0.5, 0, 1) if shift > 0 else np.clip((xs - inner) / 6.0 + 0.5, 0, 1)
    alpha = np.broadcast_to(weight[None, :, None], crop.shape)
    crop = (crop * (1 - alpha) + other * alpha).astype(np.uint8)
    _occlude_under((alpha[:, :, 0] > 0.5).astype(np.uint8), kps)
    return crop, kps


def _occlude_under(mask: np.ndarray, kps: np.ndarray) -> None:
    """Flag occluded (1) the visible or occluded labelled joints that ``mask`` covers."""
    size = mask.shape[0]
    for j in range(len(kps)):
        if kps[j, 2] not in (1.0, 2.0):
            continue
        x, y = int(round(kps[j, 0])), int(round(kps[j, 1]))
        if 0 <= x < size and 0 <= y < size and mask[y, x]:
            kps[j, 2] = 1.0


def _shrink(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    size = crop.shape[0]
    small = max(16, int(size / rng.uniform(2.0, 4.0)))
    down = cv2.resize(crop, (small, small), interpolation=cv2.INTER_AREA)
    return cv2.resize(down, (size, size), interpolation=cv2.INTER_LINEAR)


def _blur(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if rng.random() < 0.5:
        return cv2.GaussianBlur(crop, (0, 0), float(rng.uniform(0.8, 2.0)))
    length = int(rng.integers(5, 12))  # motion blur along a random direction
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2] = 1.0 / length
    rot = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), float(rng.uniform(0, 180)), 1.0)
    kernel = cv2.warpAffine(kernel, rot, (length, length))
    return cv2.filter2D(crop, -1, kernel / max(kernel.sum(), 1e-6))


def _darken(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    img = (crop.astype(np.float32) / 255.0) ** rng.uniform(1.5, 3.0) * rng.uniform(0.5, 0.9)
    img += rng.normal(0, rng.uniform(0.005, 0.03), img.shape).astype(np.float32)
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)
