"""Person boxes from the datasets we have, and the multi-person training scenes made of them.

LSP and LSPET label one person per photo with 14 joints, not a box: the box is the extent of the
joints, padded for what joints do not reach (hair above the head top, feet below the ankles,
hands beyond the wrists). COCO files give every person's box (crowds as ``iscrowd``).

A training scene (``make_scene``) is a square canvas filled by one photo or a 2 x 2 mosaic of
photos at random scales, on which LSP/LSPET people are pasted (feathered, many sizes down to ~20 px,
overlapping, cut by the canvas edge) together with feathered non-person patches (so that "a pasted
patch" is no cue for "a person"), then flipped and colour/blur jittered. Every random choice comes
from one numpy Generator, so a scene is a function of its seed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from poseapp.core.errors import DataError
from poseapp.data.photo_split import is_validation_only, photo_split
from poseapp.data.splits import LSP_VALIDATION

GREY = 114  # the letterbox fill, also where a scene has no photo


@dataclass
class PersonPhoto:
    path: str
    boxes: np.ndarray  # K x 4 (x, y, w, h): people to find
    ignore: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))  # crowd regions
    source: str = "coco"  # lsp, lspet or coco: LSP/LSPET photos hold one labelled person


# Padding of the joints' extent, as a share of the extent's longer side (what COCO's boxes hold
# beyond the joints: hair above LSP's head top, feet below the ankles, hands beyond the wrists)
PAD_TOP, PAD_BOTTOM, PAD_SIDE = 0.06, 0.07, 0.06


def box_from_joints(xy: np.ndarray, width: int, height: int) -> tuple[float, float, float, float] | None:
    """The padded extent of the joints that lie in the image, clipped to it; None when fewer than 6
    joints are usable (LSPET's crowd workers left some people mostly outside or unlabelled)."""
    good = (xy[:, 0] >= -2) & (xy[:, 1] >= -2) & (xy[:, 0] <= width + 2) & (xy[:, 1] <= height + 2) & ~np.all(xy == 0, axis=1)
    pts = xy[good]
    if len(pts) < 6:
        return None
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    s = max(x1 - x0, y1 - y0, 1.0)
    x0, x1 = max(0.0, x0 - PAD_SIDE * s), min(float(width), x1 + PAD_SIDE * s)
    y0, y1 = max(0.0, y0 - PAD_TOP * s), min(float(height), y1 + PAD_BOTTOM * s)
    if x1 - x0 < 4 or y1 - y0 < 8:
        return None
    return (float(x0), float(y0), float(x1 - x0), float(y1 - y0))


def load_lsp(folder: str | os.PathLike, part: str = "train") -> list[PersonPhoto]:
    """LSP (3 x 14 x N) or LSPET (14 x 3 x N) photos with their person's box. ``part``: 'train'
    leaves out LSP's validation images (im0801-im1000), 'val' keeps only them, 'all' keeps all."""
    import cv2

    from poseapp.formats.lsp import find_mat, load_joints

    folder = Path(folder)
    variant, joints = load_joints(find_mat(folder))
    digits = 4 if variant == "lsp" else 5
    photos = []
    for i in range(len(joints)):
        name = f"im{i + 1:0{digits}d}.jpg"
        is_val = variant == "lsp" and name in LSP_VALIDATION
        if (part == "train" and is_val) or (part == "val" and not is_val):
            continue
        path = folder / "images" / name
        if not path.is_file():
            raise DataError(path, "image named by joints.mat not found")
        shape = _jpeg_shape(path, cv2)
        box = box_from_joints(joints[i, :, :2], shape[1], shape[0])
        if box is not None:
            photos.append(PersonPhoto(str(path), np.array([box]), source=variant))
    return photos


def add_unlabelled_people(photos: list, path: str | os.PathLike) -> int:
    """Add the file's boxes to the LSP/LSPET photos' ignore regions; returns how many were added.
    The file: {"regions": {"lspet:im00001.jpg": [[x, y, w, h], ...], ...}, ...} (image pixels)."""
    path = Path(path)
    try:
        regions = json.loads(path.read_text(encoding="utf-8"))["regions"]
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DataError(path, f"not an unlabelled-people file of scripts/unlabelled_people.py ({exc})") from None
    added = 0
    for photo in photos:
        boxes = regions.get(f"{photo.source}:{Path(photo.path).name}")
        if boxes:
            extra = np.asarray(boxes, dtype=float).reshape(-1, 4)
            photo.ignore = np.vstack([np.asarray(photo.ignore, dtype=float).reshape(-1, 4), extra])
            added += len(extra)
    return added


def _jpeg_shape(path: Path, cv2) -> tuple[int, int]:
    from poseapp.media.images import image_size

    w, h = image_size(path)
    return h, w


def load_coco(annotation_file: str | os.PathLike, part: str = "train") -> list[PersonPhoto]:
    """A COCO file's photos with every person box (crowds as ignore regions). ``part``: 'train'
    leaves out the held-out photos (poseapp.data.photo_split; a validation-only set gives none),
    'val' keeps only them, 'all' keeps all."""
    path = Path(annotation_file)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(path, f"not a readable COCO file ({exc})") from None
    person_ids = {c["id"] for c in data.get("categories", []) if c.get("name") == "person"} or {1}
    images = {im["id"]: im for im in data["images"]}
    train_names, val_names = photo_split(im["file_name"] for im in images.values())
    if is_validation_only(path):
        train_names, val_names = [], train_names + val_names
    wanted = {"train": set(train_names), "val": set(val_names), "all": set(train_names) | set(val_names)}[part]
    per_image: dict[int, tuple[list, list]] = {i: ([], []) for i in images}
    for ann in data["annotations"]:
        if ann.get("category_id") not in person_ids or ann["image_id"] not in per_image:
            continue
        x, y, w, h = (float(v) for v in ann["bbox"])
        if w > 0 and h > 0:
            per_image[ann["image_id"]][1 if ann.get("iscrowd") else 0].append((x, y, w, h))
    photos = []
    for image_id, im in sorted(images.items(), key=lambda kv: kv[1]["file_name"]):
        name = Path(im["file_name"]).name
        if name not in wanted:
            continue
        file = next((p for p in (path.parent / "images" / name, path.parent / name) if p.is_file()), None)
        if file is None:
            raise DataError(path, f"image {name} not found beside the file or in images/")
        boxes, crowd = per_image[image_id]
        photos.append(PersonPhoto(str(file), np.array(boxes, dtype=float).reshape(-1, 4),
                                  np.array(crowd, dtype=float).reshape(-1, 4), "coco"))
    return photos


def load_spec(spec: str, part: str) -> list[PersonPhoto]:
    """lsp:DIR, lspet:DIR or coco:FILE."""
    kind, _, where = spec.partition(":")
    if kind in ("lsp", "lspet"):
        return load_lsp(where, part)
    if kind == "coco":
        return load_coco(where, part)
    raise ValueError(f"data spec {spec!r}: use lsp:DIR, lspet:DIR or coco:FILE")


class ImageBytes:
    """Every photo's encoded bytes in memory (LSPET is 180 MB as JPEG, ~2 GB decoded): a scene
    decodes the few it uses, which costs far less than the network's step."""

    def __init__(self, paths: list[str]):
        self._data = {p: np.fromfile(p, dtype=np.uint8) for p in dict.fromkeys(paths)}

    def __call__(self, path: str) -> np.ndarray:
        import cv2

        image = cv2.imdecode(self._data[path], cv2.IMREAD_COLOR)
        if image is None:
            raise DataError(path, "not a readable image")
        return image


@dataclass(frozen=True)
class SceneOptions:
    size: int = 256  # canvas side in pixels
    mosaic: float = 0.6  # share of scenes that are a 2 x 2 mosaic (else one photo)
    coco_share: float = 0.4  # share of photos drawn from the COCO training photos (all people labelled)
    max_pastes: int = 5  # pasted LSP/LSPET people per scene: 0 .. max_pastes
    max_distractors: int = 2  # feathered non-person patches per scene
    min_person: float = 18.0  # pasted people are min_person .. 0.95 x size tall (log-uniform)
    min_box: float = 10.0  # people shorter than this in the canvas are ignored, not targets
    min_visible: float = 0.35  # a person cut by an edge or covered below this share of its box: ignored


class SceneMaker:
    def __init__(self, photos: list[PersonPhoto], options: SceneOptions, images: ImageBytes | None = None):
        self.options = options
        self.coco = [p for p in photos if p.source == "coco"]
        self.people = [p for p in photos if p.source in ("lsp", "lspet")]
        if not self.people:
            raise ValueError("scenes need LSP or LSPET people to paste")
        self.images = images or ImageBytes([p.path for p in photos])

    def _photo(self, rng: np.random.Generator) -> PersonPhoto:
        if self.coco and rng.random() < self.options.coco_share:
            return self.coco[rng.integers(len(self.coco))]
        return self.people[rng.integers(len(self.people))]

    def __call__(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(H x W x 3 uint8 BGR canvas, K x 4 person boxes, M x 4 ignore boxes)."""
        import cv2

        o = self.options
        t = o.size
        canvas = np.full((t, t, 3), GREY, np.uint8)
        boxes: list[np.ndarray] = []
        ignore: list[np.ndarray] = []
        if rng.random() < o.mosaic:
            cx, cy = (int(v) for v in rng.uniform(0.25 * t, 0.75 * t, 2))
            regions = [(0, 0, cx, cy), (cx, 0, t, cy), (0, cy, cx, t), (cx, cy, t, t)]
        else:
            regions = [(0, 0, t, t)]
        for region in regions:
            self._fill(rng, canvas, region, boxes, ignore)
        for _ in range(rng.integers(0, o.max_distractors + 1)):
            self._distractor(rng, canvas)
        for _ in range(rng.integers(0, o.max_pastes + 1)):
            self._paste_person(rng, canvas, boxes, ignore)
        b = np.array(boxes, dtype=np.float32).reshape(-1, 4)
        g = np.array(ignore, dtype=np.float32).reshape(-1, 4)
        if rng.random() < 0.5:
            canvas = np.ascontiguousarray(canvas[:, ::-1])
            b[:, 0] = t - b[:, 0] - b[:, 2]
            g[:, 0] = t - g[:, 0] - g[:, 2]
        canvas = _jitter(rng, canvas, cv2)
        return canvas, b, g

    # -- pieces
    def _scaled(self, rng, photo: PersonPhoto, region: tuple[int, int]) -> tuple[np.ndarray, float]:
        """The photo resized for a region (w, h). Person photos cover the region (a grey frame around
        a small LSP photo would teach "a framed patch is a person"): their people are as large as
        that makes them, and small people come from COCO's crowds and the pasted people. COCO photos
        cover it too, or 30% of the time (letterboxed inputs have grey borders as well) take a long
        side of 0.4 .. 2.5 canvases, which shows their people small."""
        import cv2

        image = self.images(photo.path)
        h, w = image.shape[:2]
        cover = max(region[0] / w, region[1] / h) * rng.uniform(1.0, 1.6)
        if photo.source == "coco" and rng.random() < 0.3:
            scale = np.exp(rng.uniform(np.log(0.4), np.log(2.5))) * self.options.size / max(h, w)
        elif photo.source == "coco":
            scale = cover
        else:
            person_h = np.exp(rng.uniform(np.log(self.options.min_person), np.log(0.95 * self.options.size)))
            scale = max(person_h / max(photo.boxes[0, 3], 1.0), cover)
        scale = float(np.clip(scale, 0.05, 4.0))
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        return cv2.resize(image, size, interpolation=interp), scale

    def _fill(self, rng, canvas, region, boxes, ignore) -> None:
        x0, y0, x1, y1 = region
        rw, rh = x1 - x0, y1 - y0
        if rw < 2 or rh < 2:
            return
        photo = self._photo(rng)
        image, scale = self._scaled(rng, photo, (rw, rh))
        ih, iw = image.shape[:2]
        ox = rng.uniform(min(0, rw - iw), max(0, rw - iw))
        oy = rng.uniform(min(0, rh - ih), max(0, rh - ih))
        ox, oy = int(round(ox)), int(round(oy))
        # the part of the image that lands in the region
        sx0, sy0 = max(0, -ox), max(0, -oy)
        sx1, sy1 = min(iw, rw - ox), min(ih, rh - oy)
        if sx1 <= sx0 or sy1 <= sy0:
            return
        canvas[y0 + oy + sy0 : y0 + oy + sy1, x0 + ox + sx0 : x0 + ox + sx1] = image[sy0:sy1, sx0:sx1]
        shift = np.array([x0 + ox, y0 + oy, 0, 0], dtype=float)
        for kind, group in ((0, photo.boxes), (1, photo.ignore)):
            for box in group:
                self._add(box * scale + shift, region, boxes, ignore, crowd=kind == 1)

    def _add(self, box, region, boxes, ignore, crowd=False) -> None:
        """Clip a box to the region; a person mostly cut off or tiny is ignored, not a target."""
        x0, y0, x1, y1 = region
        bx0, by0 = max(box[0], x0), max(box[1], y0)
        bx1, by1 = min(box[0] + box[2], x1), min(box[1] + box[3], y1)
        if bx1 - bx0 < 1 or by1 - by0 < 1:
            return
        clipped = np.array([bx0, by0, bx1 - bx0, by1 - by0])
        visible = clipped[2] * clipped[3] / max(box[2] * box[3], 1e-6)
        if crowd or visible < self.options.min_visible or clipped[3] < self.options.min_box:
            ignore.append(clipped)
        else:
            boxes.append(clipped)

    def _paste_person(self, rng, canvas, boxes, ignore) -> None:
        import cv2

        t = self.options.size
        photo = self.people[rng.integers(len(self.people))]
        image = self.images(photo.path)
        ih, iw = image.shape[:2]
        px, py, pw, ph = photo.boxes[0]
        margin = rng.uniform(0.03, 0.25) * max(pw, ph)  # some of the photo's background comes along
        cx0, cy0 = int(max(0, px - margin)), int(max(0, py - margin))
        cx1, cy1 = int(min(iw, px + pw + margin)), int(min(ih, py + ph + margin))
        crop = image[cy0:cy1, cx0:cx1]
        if crop.size == 0:
            return
        target_h = np.exp(rng.uniform(np.log(self.options.min_person), np.log(0.95 * t)))
        scale = min(target_h / ph, 3.0)  # a tiny LSPET person blown up 8x is a blur, not a person
        cw, ch = max(2, round(crop.shape[1] * scale)), max(2, round(crop.shape[0] * scale))
        crop = cv2.resize(crop, (cw, ch), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        crop = _jitter(rng, crop, cv2, light=True)
        if rng.random() < 0.5:
            crop = np.ascontiguousarray(crop[:, ::-1])
            px = cx1 - (px + pw)  # the person's left edge, mirrored, from the crop's left
        else:
            px = px - cx0
        box_in_crop = np.array([px * scale, (py - cy0) * scale, pw * scale, ph * scale])
        # anywhere that keeps 70% of the patch's width and height on the canvas, or its middle when wider
        x = int(rng.uniform(min(-0.3 * cw, t - 0.7 * cw), max(-0.3 * cw, t - 0.7 * cw)))
        y = int(rng.uniform(min(-0.3 * ch, t - 0.7 * ch), max(-0.3 * ch, t - 0.7 * ch)))
        covered = _blend(rng, canvas, crop, x, y, cv2)
        if covered is None:
            return
        # people the pasted patch hides mostly are no longer to be found
        for group in (boxes,):
            keep = []
            for b in group:
                if covered_share(b, covered) > 0.6:
                    ignore.append(b)
                else:
                    keep.append(b)
            group[:] = keep
        self._add(box_in_crop + np.array([x, y, 0, 0]), (0, 0, t, t), boxes, ignore)

    def _distractor(self, rng, canvas) -> None:
        """A feathered patch of a COCO photo where nobody is (or of an LSP/LSPET photo beside its
        person): pasted patches appear with and without people."""
        import cv2

        t = self.options.size
        photo = self._photo(rng)
        image = self.images(photo.path)
        ih, iw = image.shape[:2]
        for _ in range(5):
            w = int(rng.uniform(0.15, 0.6) * iw)
            h = int(rng.uniform(0.15, 0.6) * ih)
            x, y = int(rng.uniform(0, iw - w)), int(rng.uniform(0, ih - h))
            region = np.array([x, y, w, h], dtype=float)
            if w > 4 and h > 4 and all(covered_share(b, region) < 0.05 for b in np.vstack([photo.boxes, photo.ignore])):
                break
        else:
            return
        scale = np.exp(rng.uniform(np.log(20), np.log(0.6 * t))) / max(w, h)
        patch = cv2.resize(image[y : y + h, x : x + w], (max(2, round(w * scale)), max(2, round(h * scale))))
        _blend(rng, canvas, _jitter(rng, patch, cv2, light=True), int(rng.uniform(-0.2 * t, t)), int(rng.uniform(-0.2 * t, t)), cv2)


def covered_share(box, region) -> float:
    """The share of ``box`` (x, y, w, h) inside ``region`` (x, y, w, h)."""
    iw = max(0.0, min(box[0] + box[2], region[0] + region[2]) - max(box[0], region[0]))
    ih = max(0.0, min(box[1] + box[3], region[1] + region[3]) - max(box[1], region[1]))
    return iw * ih / max(box[2] * box[3], 1e-6)


def _blend(rng, canvas, patch, x, y, cv2) -> np.ndarray | None:
    """Paste ``patch`` at (x, y) with feathered edges (a soft rectangle or ellipse); returns the
    canvas region it covers opaquely (x, y, w, h), or None when it lands outside."""
    t_h, t_w = canvas.shape[:2]
    ph, pw = patch.shape[:2]
    alpha = np.zeros((ph, pw), np.float32)
    if rng.random() < 0.5:
        cv2.ellipse(alpha, (pw // 2, ph // 2), (max(1, int(pw * 0.55)), max(1, int(ph * 0.55))), 0, 0, 360, 1.0, -1)
    else:
        alpha[:] = 1.0
    feather = max(1, int(min(pw, ph) * rng.uniform(0.03, 0.15))) | 1
    edge = np.zeros_like(alpha)
    edge[feather // 2 : ph - feather // 2, feather // 2 : pw - feather // 2] = 1.0
    alpha = cv2.GaussianBlur(alpha * edge, (2 * feather + 1, 2 * feather + 1), 0)[:, :, None]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(t_w, x + pw), min(t_h, y + ph)
    if x1 <= x0 or y1 <= y0:
        return None
    a = alpha[y0 - y : y1 - y, x0 - x : x1 - x]
    region = canvas[y0:y1, x0:x1].astype(np.float32)
    canvas[y0:y1, x0:x1] = (region * (1 - a) + patch[y0 - y : y1 - y, x0 - x : x1 - x].astype(np.float32) * a).astype(np.uint8)
    inset = 0.15  # the opaque core: the feathered rim hides little
    return np.array([x + inset * pw, y + inset * ph, (1 - 2 * inset) * pw, (1 - 2 * inset) * ph])


def _jitter(rng, image: np.ndarray, cv2, light: bool = False) -> np.ndarray:
    """Brightness, contrast, saturation; sometimes grey, blurred or noisy (whole scenes only)."""
    out = image.astype(np.float32)
    strength = 0.5 if light else 1.0
    out = out * rng.uniform(1 - 0.35 * strength, 1 + 0.35 * strength) + rng.uniform(-25, 25) * strength
    grey = out.mean(axis=2, keepdims=True)
    out = grey + (out - grey) * rng.uniform(1 - 0.5 * strength, 1 + 0.4 * strength)
    if not light:
        out += rng.uniform(-12, 12, size=3).astype(np.float32)  # colour cast
        if rng.random() < 0.08:
            out[:] = out.mean(axis=2, keepdims=True)
        if rng.random() < 0.15:
            k = int(rng.choice([3, 5]))
            out = cv2.GaussianBlur(out, (k, k), 0)
        if rng.random() < 0.1:
            out += rng.normal(0, rng.uniform(2, 8), size=out.shape).astype(np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)
