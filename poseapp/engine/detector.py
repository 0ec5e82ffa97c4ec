"""Person detectors behind one small interface, and in video, boxes that follow the previous
frame's pose.

A detector is any object with ``detect(image) -> [((x, y, w, h), score), ...]``: the image an
H x W x 3 uint8 RGB array, as poseapp's media layer reads every picture and video frame (a
detector trained on OpenCV's BGR turns it round itself), the boxes in its pixels, best first. ``DETECTORS`` names them:

    "hog"       OpenCV's built-in HOG people detector (Dalal & Triggs): upright walkers >= 128 px
    "detector"  the CenterNet-style network trained here (poseapp/detection/), its weights shipped
                in models/person-detector/

Adding a detector is one file with its class plus one line in DETECTORS ("module:Class"): the
module is imported only when the detector is made, so the window opens before torch loads.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol

import numpy as np

Box = tuple[float, float, float, float]


class PersonDetector(Protocol):
    def detect(self, image: np.ndarray) -> list[tuple[Box, float]]:
        """[((x, y, w, h), score)] in image pixels, best first."""
        ...


# name -> "module:attribute" of a class (or factory) taking the detector's options as keywords
# (each takes ``upscale``: see detector_upscale)
DETECTORS: dict[str, str] = {
    "hog": "poseapp.engine.detector:HogPersonDetector",
    "detector": "poseapp.detection.runtime:CenterNetPersonDetector",
}

# Where person boxes come from unless the user says otherwise (predict --boxes, the People row).
# The trained detector: on held-out photos it finds people HOG misses (COCO recall/precision 0.36 /
# 0.77 against HOG's 0.04 / 0.04 with its whole-image fallback; LSP 0.99 / 0.97 against 0.83 /
# 0.83), single-person sports photos keep their pose accuracy (LSP PCK@0.2 73.8 against 73.8),
# and on vtest.avi it follows walkers with 20 ids instead of 58 (bench/RESULTS.md, session 12).
DEFAULT_DETECTOR = "detector"


def make_detector(name: str, **options: Any) -> PersonDetector:
    """The detector registered as ``name``, made with ``options`` (e.g. threshold=0.4)."""
    if name not in DETECTORS:
        raise ValueError(f"no person detector named {name!r}; known: {', '.join(sorted(DETECTORS))}")
    module, _, attribute = DETECTORS[name].partition(":")
    factory = getattr(importlib.import_module(module), attribute)
    try:
        return factory(**options)
    except TypeError as exc:
        raise ValueError(f"person detector {name!r} does not take these options {sorted(options)}: {exc}") from None

# Video footage like vtest.avi shows walkers ~100 px tall, under HOG's 128 px window: at 1.5x the
# detector finds most of them. Photos usually frame people larger, where 1x is faster and enough.
# The trained detector looks at video at 1.5x its learnt 256 px too (384: 21 ids on vtest's first
# 300 frames and 4.2 people a frame, against 20 and 3.6 at 256).
VIDEO_UPSCALE = 1.5


def detector_upscale(is_video: bool) -> float:
    """The one place that decides the detector's scale, for the CLI and the GUI alike."""
    return VIDEO_UPSCALE if is_video else 1.0


class HogPersonDetector:
    """Finds upright people of roughly 64 x 128 px and larger; ``upscale`` helps with small ones."""

    # SVM margins on vtest.avi: walkers 1.6-3.9, false boxes (a doorway, a building facade) 0.6-1.2
    def __init__(self, upscale: float = 1.0, threshold: float = 1.2, nms_iou: float = 0.4):
        import cv2

        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        self.upscale = upscale
        self.threshold = threshold
        self.nms_iou = nms_iou

    def detect(self, image: np.ndarray) -> list[tuple[Box, float]]:
        """[(x, y, w, h), score] in image pixels, best first."""
        import cv2

        if image.size == 0:
            return []
        work = image
        if self.upscale != 1.0:
            work = cv2.resize(image, None, fx=self.upscale, fy=self.upscale, interpolation=cv2.INTER_LINEAR)
        rects, weights = self._hog.detectMultiScale(_hog_safe(work), winStride=(8, 8), padding=_PADDING, scale=1.05)
        boxes = [(tuple(float(v) / self.upscale for v in r), float(w)) for r, w in zip(rects, np.ravel(weights))]
        boxes = [b for b in boxes if b[1] >= self.threshold]
        return non_max_suppression(boxes, self.nms_iou)


_WINDOW = (64, 128)  # the default people detector's window, width x height
_PADDING = (8, 8)


def _hog_safe(image: np.ndarray) -> np.ndarray:
    """What ``detectMultiScale`` accepts without crashing the process: 8-bit, 1 or 3 channels, at
    least the window plus padding in each direction. OpenCV 4.14 segfaults on smaller images (a
    71 x 156 LSP photo) and aborts on a 1 x 1 one, so small images get a black border below and to
    the right, which moves no box."""
    import cv2

    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    elif image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    need_w, need_h = _WINDOW[0] + 2 * _PADDING[0], _WINDOW[1] + 2 * _PADDING[1]
    h, w = image.shape[:2]
    if w < need_w or h < need_h:
        image = cv2.copyMakeBorder(image, 0, max(0, need_h - h), 0, max(0, need_w - w), cv2.BORDER_CONSTANT, value=0)
    return np.ascontiguousarray(image)


def iou(a: Box, b: Box) -> float:
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0.0, min(ax1, bx1) - max(a[0], b[0]))
    ih = max(0.0, min(ay1, by1) - max(a[1], b[1]))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def non_max_suppression(boxes: list[tuple[Box, float]], threshold: float) -> list[tuple[Box, float]]:
    kept: list[tuple[Box, float]] = []
    for box, score in sorted(boxes, key=lambda b: -b[1]):
        if all(iou(box, k[0]) < threshold for k in kept):
            kept.append((box, score))
    return kept


def box_from_pose(keypoints: np.ndarray, scores: np.ndarray | None = None, min_score: float = 0.2, pad: float = 0.2) -> Box | None:
    """The box a tracked person will occupy next frame: the padded extent of their confident joints."""
    good = keypoints[:, 2] > 0 if scores is None else scores >= min_score
    pts = keypoints[good, :2]
    if len(pts) < 3:
        return None
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    return (float(x0 - pad * w), float(y0 - pad * h), float(w * (1 + 2 * pad)), float(h * (1 + 2 * pad)))
