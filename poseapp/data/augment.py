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
    # Issue #28: the share of crops framed on the person's top part alone (20-60% of the box's
    # height: head and shoulders, or down to the waist), the picture usually ending just below it
    # (a photo's bottom edge). COCO's close-ups are framed so, and the COCO-17 model trained
    # without them got every joint of them wrong (bench/RESULTS.md, session 14).
    close_up: float = 0.0

    def __post_init__(self) -> None:
        check_field_types(self)
        lo, hi = self.scale
        if self.rotation < 0 or self.shift < 0 or self.colour < 0 or not 0 < lo <= hi or self.padding <= 0:
            raise ValueError("rotation, shift and colour must not be negative, scale must be (low, high) "
                             "with 0 < low <= high, and padding positive")
        for name in ("loose_box", "close_up"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} is a probability in [0, 1], not {getattr(self, name)}")

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
        # each draws from rng only when it is on, so configs without it replay as before
        if config.close_up > 0 and rng.random() < config.close_up:
            bbox, image, keypoints = close_up(bbox, image, keypoints, rng)
        elif config.loose_box > 0 and rng.random() < config.loose_box:
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


def close_up(bbox, image: np.ndarray, keypoints: np.ndarray,
             rng: np.random.Generator) -> tuple[tuple[float, float, float, float], np.ndarray, np.ndarray]:
    """(Box, image, keypoints) of a close-up: the box's top 20-60%, as wide as the labelled joints
    there (plus a margin; the box's width when fewer than two are); 70% of the time the image is
    blacked out from just below that part down (a photo's bottom edge) and the joints there stop
    being labelled. The image and keypoints returned are copies when they changed."""
    x0, y0, w, h = (float(v) for v in bbox)
    top = h * float(rng.uniform(0.2, 0.6))
    labelled = keypoints[:, 2] > 0
    inside = labelled & (keypoints[:, 1] <= y0 + top)
    if inside.sum() >= 2:
        lo, hi = keypoints[inside, 0].min(), keypoints[inside, 0].max()
        margin = 0.15 * max(hi - lo, top)
        x0, w = max(x0, lo - margin), min(x0 + w, hi + margin) - max(x0, lo - margin)
    if rng.random() < 0.7:
        cut = int(np.ceil(y0 + top * rng.uniform(1.0, 1.15)))
        if 0 < cut < image.shape[0]:
            image = image.copy()
            image[cut:] = 0
            keypoints = keypoints.copy()
            keypoints[labelled & (keypoints[:, 1] > cut - 0.5)] = 0.0
    return (x0, y0, w, top), image, keypoints


def jitter_colour(crop: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    img = crop.astype(np.float32)
    img *= 1.0 + rng.uniform(-amount, amount)  # brightness
    mean = img.mean()
    img = (img - mean) * (1.0 + rng.uniform(-amount, amount)) + mean  # contrast
    grey = img.mean(axis=2, keepdims=True)
    img = (img - grey) * (1.0 + rng.uniform(-amount, amount)) + grey  # saturation
    return np.ascontiguousarray(np.clip(img, 0, 255).astype(np.uint8))
