"""Random crops for training: rotation, scaling, flips with left/right swap, colour jitter."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from poseapp.core.typed_fields import check_field_types
from poseapp.media.crops import CropTransform, box_to_crop, transform_keypoints, warp


@dataclass(frozen=True)
class AugmentConfig:
    rotation: float = 40.0  # degrees, uniform in +-rotation
    scale: tuple[float, float] = (0.7, 1.3)
    flip: bool = True
    shift: float = 0.05  # centre jitter, fraction of the box side
    colour: float = 0.2  # brightness / contrast / saturation jitter
    padding: float = 1.25
    # Issue #28 item 5: the share of crops whose box is loosened towards the image's edges (each
    # side by its own random fraction of the way; all the way is the whole image). At run time a
    # photo where the detector finds nobody is one whole-image "person", and a detector's box is
    # rarely the labelled one: a model trained only on labelled boxes loses ~5 points there.
    loose_box: float = 0.0

    def __post_init__(self) -> None:
        check_field_types(self)
        lo, hi = self.scale
        if self.rotation < 0 or self.shift < 0 or self.colour < 0 or not 0 < lo <= hi or self.padding <= 0:
            raise ValueError("rotation, shift and colour must not be negative, scale must be (low, high) "
                             "with 0 < low <= high, and padding positive")
        if not 0.0 <= self.loose_box <= 1.0:
            raise ValueError(f"loose_box is a probability in [0, 1], not {self.loose_box}")

    @classmethod
    def none(cls) -> "AugmentConfig":
        return cls(rotation=0.0, scale=(1.0, 1.0), flip=False, shift=0.0, colour=0.0)


def make_crop(
    image: np.ndarray, keypoints: np.ndarray, bbox, size: int, flip_perm: list[int],
    config: AugmentConfig, rng: np.random.Generator | None,
) -> tuple[np.ndarray, np.ndarray, CropTransform]:
    """(crop uint8 HxWx3, keypoints in crop pixels, transform); ``rng=None`` gives the plain crop."""
    if rng is None:
        transform = box_to_crop(bbox, size, padding=config.padding)
    else:
        if config.loose_box > 0 and rng.random() < config.loose_box:
            bbox = loosen_box(bbox, image.shape[1], image.shape[0], rng)
        transform = box_to_crop(
            bbox, size, padding=config.padding,
            rotation_deg=float(rng.uniform(-config.rotation, config.rotation)) if rng.random() < 0.6 else 0.0,
            scale=float(rng.uniform(*config.scale)),
            flip=bool(config.flip and rng.random() < 0.5),
            shift=(float(rng.uniform(-config.shift, config.shift)), float(rng.uniform(-config.shift, config.shift))),
        )
    crop = warp(image, transform)
    kps = transform_keypoints(keypoints, transform, flip_perm)
    if rng is not None and config.colour > 0:
        crop = jitter_colour(crop, rng, config.colour)
    return crop, kps, transform


def loosen_box(bbox, width: int, height: int, rng: np.random.Generator) -> tuple[float, float, float, float]:
    """``bbox`` (x, y, w, h) with each side moved towards the image's edge by a random fraction of
    the way (1 on every side half the time: the whole image, the app's fallback box). The box
    only grows, so it still holds the person."""
    x0, y0, w, h = bbox
    x1, y1 = x0 + w, y0 + h
    whole = rng.random() < 0.5
    left, top, right, bottom = np.ones(4) if whole else rng.uniform(0.0, 1.0, 4)
    nx0 = x0 - left * max(0.0, x0)
    ny0 = y0 - top * max(0.0, y0)
    nx1 = x1 + right * max(0.0, width - x1)
    ny1 = y1 + bottom * max(0.0, height - y1)
    return float(nx0), float(ny0), float(nx1 - nx0), float(ny1 - ny0)


def jitter_colour(crop: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    img = crop.astype(np.float32)
    img *= 1.0 + rng.uniform(-amount, amount)  # brightness
    mean = img.mean()
    img = (img - mean) * (1.0 + rng.uniform(-amount, amount)) + mean  # contrast
    grey = img.mean(axis=2, keepdims=True)
    img = (img - grey) * (1.0 + rng.uniform(-amount, amount)) + grey  # saturation
    return np.ascontiguousarray(np.clip(img, 0, 255).astype(np.uint8))
