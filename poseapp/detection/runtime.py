"""The trained detector behind engine/detector.py's "detector": an image in, person boxes out.

The image is letterboxed: its long side scaled to ``input_size``, the short side padded (grey,
bottom and right) only up to a multiple of 32, so a 640 x 480 photo runs at 384 x 288, not 384 x 384.
"""

from __future__ import annotations

import os

import numpy as np

from poseapp.detection.evaluate import iou_matrix
from poseapp.detection.scenes import GREY

Box = tuple[float, float, float, float]


def letterbox(image: np.ndarray, size: int) -> tuple[np.ndarray, float]:
    """(H' x W' x 3 uint8, scale): long side ``size``, both sides padded to a multiple of 32."""
    import cv2

    h, w = image.shape[:2]
    scale = size / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    pw, ph = -(-nw // 32) * 32, -(-nh // 32) * 32
    out = np.full((ph, pw, 3), GREY, np.uint8)
    out[:nh, :nw] = resized
    return out, scale


def box_nms(boxes: np.ndarray, threshold: float) -> np.ndarray:
    """Indices kept, boxes (N x 5: x y w h score) sorted by score already."""
    keep: list[int] = []
    ious = iou_matrix(boxes[:, :4], boxes[:, :4])
    for i in range(len(boxes)):
        if all(ious[i, k] < threshold for k in keep):
            keep.append(i)
    return np.array(keep, dtype=int)


def as_bgr(image: np.ndarray) -> np.ndarray:
    """uint8 H x W x 3 BGR from what callers hand in (grey, BGRA, floats)."""
    import cv2

    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    elif image.shape[2] == 1:
        image = cv2.cvtColor(image[:, :, 0], cv2.COLOR_GRAY2BGR)
    return image


class CenterNetPersonDetector:
    """Finds people of any size from ~20 px tall in the letterboxed input up to the whole image."""

    # threshold: the heatmap peak a person needs; nms_iou: a couple standing close overlaps by
    # IoU ~0.5 and must stay two people, two peaks on one person overlap far more
    def __init__(self, weights: str | os.PathLike | None = None, threshold: float = 0.3, nms_iou: float = 0.65,
                 input_size: int | None = None, device: str = "cpu", max_people: int = 100, upscale: float = 1.0,
                 flip: bool = True):
        from poseapp.detection import weights as store

        self.model, self.card = store.load(weights or store.SHIPPED)
        self.model.to(device)
        self.device = device
        self.threshold = threshold
        self.nms_iou = nms_iou
        # The scale it learnt: its training scenes' size (256), not the config's 384. Run at 384,
        # the shipped weights found 0.41 of LSP's held-out people (their boxes 0.7x too short: a
        # person filling the input is taller than any in training); at 256, 0.94 (bench/RESULTS.md).
        # ``upscale`` (video: engine.detector.detector_upscale) looks at the picture that much larger.
        learnt = self.card.get("training", {}).get("scenes", {}).get("size") or self.model.config.input_size
        if upscale <= 0:
            raise ValueError(f"upscale must be positive, not {upscale}")
        self.input_size = int(input_size or 32 * max(2, round(learnt * upscale / 32)))
        if self.input_size % 32:
            raise ValueError(f"input_size must be a multiple of 32, not {self.input_size}")
        self.max_people = max_people
        # the mirror image too, averaged: on the held-out photos at 0.3 the same recall with fewer
        # false people (COCO precision 0.63 -> 0.77, LSP 0.956 -> 0.971), for ~1.8x the time
        self.flip = flip

    # A photo where nobody reaches the threshold still gets one person (a pose tool is given photos
    # of people): its likeliest detection down to this score, before the whole image. Through the
    # pipeline on the held-out photos (bench/RESULTS.md, session 13): COCO R/P 0.393/0.407 with the
    # whole image -> 0.429/0.444; LSP val 0.995/0.966 -> 1.000/0.971.
    fallback_threshold = 0.1

    def detect(self, image: np.ndarray) -> list[tuple[Box, float]]:
        """[((x, y, w, h), score)] in image pixels, best first, of an RGB image (the registry's
        interface: what poseapp reads from files and videos). The network learnt from OpenCV's
        BGR scenes; fed RGB it found 0.26 of LSP's held-out people instead of 0.41."""
        return run_detector(self.model, bgr_from_rgb(image), self.input_size, self.threshold, self.nms_iou,
                            self.max_people, self.device, self.flip)


def bgr_from_rgb(image: np.ndarray) -> np.ndarray:
    """An RGB(A) picture in OpenCV's channel order (alpha dropped); grey stays grey."""
    if image.ndim == 3 and image.shape[2] >= 3:
        return np.ascontiguousarray(image[:, :, 2::-1])
    return image


def flip_averaged(model, x):
    """The network's outputs on ``x`` and on its mirror image, averaged (CenterNet's flip test):
    the centre heatmap (as probabilities) and the box sizes; the offsets are the unmirrored
    pass's, as a mirrored offset points to the neighbouring cell's edge."""
    import torch

    both = model(torch.cat([x, x.flip(-1)]))
    plain = {k: v[:1] for k, v in both.items()}
    mirrored = {k: v[1:].flip(-1) for k, v in both.items()}
    prob = 0.5 * (torch.sigmoid(plain["heatmap"].float()) + torch.sigmoid(mirrored["heatmap"].float()))
    return {"heatmap": torch.logit(prob.clamp(1e-6, 1 - 1e-6)),
            "size": 0.5 * (plain["size"].float() + mirrored["size"].float()), "offset": plain["offset"]}


def run_detector(model, image: np.ndarray, input_size: int, threshold: float, nms_iou: float,
                 max_people: int = 100, device: str = "cpu", flip: bool = False) -> list[tuple[Box, float]]:
    """One network's person boxes on one image (the detector above, and validation in training);
    ``flip`` also runs the mirror image and averages (twice the time)."""
    import torch

    from poseapp.detection.model import decode

    if image.size == 0 or min(image.shape[:2]) < 2:
        return []
    image = as_bgr(image)
    h, w = image.shape[:2]
    # a picture smaller than the input is not enlarged: its people would outgrow the scale learnt
    boxed, scale = letterbox(image, min(input_size, max(64, -(-max(h, w) // 32) * 32)))
    x = torch.from_numpy(boxed).permute(2, 0, 1)[None].to(device)
    with torch.inference_mode():
        x = model.normalise(x)
        out = flip_averaged(model, x) if flip else model(x)
        found = decode(out, model.config.stride, threshold, max_people)[0].cpu().numpy()
    if len(found) == 0:
        return []
    found = found[box_nms(found, nms_iou)]
    result = []
    for x0, y0, bw, bh, score in found:
        # back to image pixels, clipped to the image
        x0, y0, x1, y1 = x0 / scale, y0 / scale, (x0 + bw) / scale, (y0 + bh) / scale
        x0, y0, x1, y1 = max(0.0, x0), max(0.0, y0), min(float(w), x1), min(float(h), y1)
        if x1 - x0 >= 2 and y1 - y0 >= 2:
            result.append(((float(x0), float(y0), float(x1 - x0), float(y1 - y0)), float(score)))
    return result
