"""Person crops: the affine map from an image box to a square network input, used alike by
training (with rotation, scale and flip augmentation) and by the predictor (which maps the
outputs back through its inverse). Pixel-centre convention throughout."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CropTransform:
    matrix: np.ndarray  # 2 x 3, image pixels -> crop pixels
    size: int  # square crop side
    flipped: bool = False

    @property
    def inverse(self) -> np.ndarray:
        full = np.vstack([self.matrix, [0.0, 0.0, 1.0]])
        return np.linalg.inv(full)[:2]

    def to_crop(self, xy: np.ndarray) -> np.ndarray:
        return apply_affine(self.matrix, xy)

    def to_image(self, xy: np.ndarray) -> np.ndarray:
        return apply_affine(self.inverse, xy)


def apply_affine(matrix: np.ndarray, xy: np.ndarray) -> np.ndarray:
    xy = np.asarray(xy, dtype=np.float64)
    return xy @ matrix[:, :2].T + matrix[:, 2]


def box_to_crop(
    bbox: tuple[float, float, float, float], size: int, padding: float = 1.25, rotation_deg: float = 0.0,
    scale: float = 1.0, flip: bool = False, shift: tuple[float, float] = (0.0, 0.0),
) -> CropTransform:
    """The transform that puts ``bbox`` (x, y, w, h), padded by ``padding`` and made square (the
    aspect ratio is kept: the longer side sets the scale), into a ``size`` x ``size`` crop.

    ``scale`` > 1 zooms out (the person looks smaller), ``rotation_deg`` turns the person
    anticlockwise on screen, ``shift`` moves the centre by a fraction of the box side, and
    ``flip`` mirrors the crop horizontally (the caller swaps left/right joints).
    """
    x, y, w, h = bbox
    side = max(w, h, 1.0) * padding * scale
    cx = x + w / 2.0 - 0.5 + shift[0] * side  # box edges -> pixel-centre coordinates
    cy = y + h / 2.0 - 0.5 + shift[1] * side
    k = size / side
    theta = np.deg2rad(rotation_deg)
    cos, sin = np.cos(theta) * k, np.sin(theta) * k
    half = (size - 1) / 2.0
    # image -> centred -> rotate + scale -> crop centre
    matrix = np.array([[cos, sin, 0.0], [-sin, cos, 0.0]])
    matrix[:, 2] = [half - (cos * cx + sin * cy), half - (-sin * cx + cos * cy)]
    if flip:
        matrix = np.array([[-1.0, 0.0, size - 1.0], [0.0, 1.0, 0.0]]) @ np.vstack([matrix, [0, 0, 1]])
    return CropTransform(matrix, size, flip)


def warp(image: np.ndarray, transform: CropTransform, border: int = 0) -> np.ndarray:
    """The crop as a C-contiguous size x size x 3 uint8 array (constant ``border`` outside the image)."""
    import cv2

    out = cv2.warpAffine(
        image, transform.matrix, (transform.size, transform.size), flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT, borderValue=(border, border, border),
    )
    return np.ascontiguousarray(out)


def transform_keypoints(keypoints: np.ndarray, transform: CropTransform, flip_perm: list[int] | None = None) -> np.ndarray:
    """K x 3 image keypoints -> crop keypoints (v kept); on a flip, left and right swap places."""
    out = keypoints.astype(np.float64, copy=True)
    out[:, :2] = transform.to_crop(keypoints[:, :2])
    if transform.flipped:
        if flip_perm is None:
            raise ValueError("a flipped crop needs the skeleton's flip permutation")
        out = out[flip_perm]
    out[out[:, 2] == 0, :2] = 0.0
    return out
