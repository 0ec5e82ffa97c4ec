"""Label Studio JSON exports of keypoint projects (``KeyPointLabels``, with ``RectangleLabels``
boxes grouping each individual's keypoints).

A task's ``data`` names its image (an uploaded file, ``/data/upload/<project>/<hash>-<name>``,
or a local file, ``/data/local-files/?d=<path>``); it is looked up in the image folder (the
JSON's folder by default) by its path, its name, and its name without the upload hash.
Coordinates are percentages of ``original_width`` / ``original_height``: x = value.x * width /
100. A keypoint belongs to the rectangle its ``parentID`` or a relation names, else to the
smallest rectangle it lies in; keypoints of no rectangle form one more individual. A keypoint
Label Studio has is visible (2), a joint it lacks is not labelled (0): Label Studio has no
occlusion flag. The skeleton's joints are the keypoint labels in the order the file first uses
them, named ``custom:<rectangle label>:<K>``. The first annotation of a task that was not
cancelled is read (others are counted in a note); predictions come in as predictions of their
``model_version`` with their score.
"""

from __future__ import annotations

import json
import math
import re
import urllib.parse
from pathlib import Path
from typing import Any

import numpy as np

from poseapp.core.errors import DataError
from poseapp.core.skeleton import Skeleton
from poseapp.formats.dataset import ImportBatch, ImportedImage, ImportedInstance, Problems, box_around

UPLOAD_HASH = re.compile(r"^[0-9a-f]{8}-")


def detect(source: Path) -> bool:
    if not (source.is_file() and source.suffix.lower() == ".json"):
        return False
    try:
        with open(source, "rb") as handle:
            head = handle.read(65536)
    except OSError:
        return False
    return b'"keypointlabels"' in head and (b'"annotations"' in head or b'"predictions"' in head
                                            or b'"completions"' in head)


def _image_ref(task: dict) -> str | None:
    data = task.get("data")
    if not isinstance(data, dict):
        return None
    for key in ("image", "img"):
        if isinstance(data.get(key), str):
            return data[key]
    return next((v for v in data.values() if isinstance(v, str)), None)


def _find_image(ref: str, root: Path) -> tuple[Path | None, str]:
    """The image file a task names, and its name relative to ``root`` (wanted there if missing)."""
    parsed = urllib.parse.urlparse(ref)
    query = urllib.parse.parse_qs(parsed.query)
    path = query["d"][0] if "d" in query else urllib.parse.unquote(parsed.path)
    name = Path(path).name
    candidates = []
    if "d" in query:
        candidates.append(path.lstrip("/"))
    candidates += [name, UPLOAD_HASH.sub("", name)]
    for rel in candidates:
        if rel and (root / rel).is_file():
            return root / rel, Path(rel).as_posix()
    return None, UPLOAD_HASH.sub("", name)


def _results(task: dict) -> tuple[list[tuple[list, str, str | None, float | None]], int]:
    """(result list, origin, model, score) of the task's first annotation and its predictions."""
    out = []
    annotations = [a for a in (task.get("annotations") or task.get("completions") or [])
                   if isinstance(a, dict) and not a.get("was_cancelled")]
    if annotations:
        out.append((annotations[0].get("result") or [], "manual", None, None))
    for pred in task.get("predictions") or []:
        if isinstance(pred, dict):
            score = pred.get("score")
            out.append((pred.get("result") or [], "predicted", str(pred.get("model_version") or "label-studio"),
                        float(score) if isinstance(score, (int, float)) and math.isfinite(score) else None))
    return out, max(0, len(annotations) - 1)


def read_label_studio(path: str | Path, image_root: str | Path | None = None, allow_missing_images: bool = False
                      ) -> ImportBatch:
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as handle:
            tasks = json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(path, f"not a readable Label Studio JSON export: {exc}") from None
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        raise DataError(path, "a Label Studio export is a list of tasks")
    root = Path(image_root) if image_root is not None else path.parent
    problems = Problems(path)
    joints: list[str] = []
    kinds: list[str] = []
    parsed = []  # (image, [(origin, model, score, label, {joint: (x, y)}, box)])
    skipped = 0
    for t_no, task in enumerate(tasks):
        where = f"task {task.get('id', t_no) if isinstance(task, dict) else t_no}"
        if not isinstance(task, dict):
            problems.add(f"{where}: not a task object")
            continue
        ref = _image_ref(task)
        if ref is None:
            problems.add(f"{where}: its data names no image")
            continue
        file, rel = _find_image(ref, root)
        results, extra_annotations = _results(task)
        skipped += extra_annotations
        people = []
        size = None
        for result, origin, model, score in results:
            for person in _people(result, where, problems):
                people.append((origin, model, score) + person[:3])
                size = size or person[3]
                for joint in person[1]:
                    if joint not in joints:
                        joints.append(joint)
                if person[0] not in kinds:
                    kinds.append(person[0])
        if file is None:
            if not allow_missing_images:
                problems.add(f"{where}: image {ref!r} is not in {root}")
                continue
            if size is None:
                problems.add(f"{where}: image {ref!r} is missing and no result says its size")
                continue
            width, height = size
        else:
            from poseapp.media.images import verify_image

            try:
                width, height = verify_image(file)
            except DataError as exc:
                problems.add(f"{where}: {exc}")
                continue
        extra = {"label_studio_task": task["id"]} if isinstance(task.get("id"), int) else {}
        parsed.append((ImportedImage(rel, width, height, extra=extra), people))
    problems.raise_if_any()
    if not joints:
        raise DataError(path, "no keypoints (keypointlabels) in any task")
    label = kinds[0] if len(kinds) == 1 else "label-studio"
    skeleton = Skeleton(f"custom:{label}:{len(joints)}", tuple(joints), ())
    images = []
    for image, people in parsed:
        for origin, model, score, _, points, box in people:
            kps = np.zeros((len(joints), 3))
            for joint, (px, py) in points.items():
                kps[joints.index(joint)] = (px * image.width / 100.0, py * image.height / 100.0, 2)
            bbox = (tuple(v * s / 100.0 for v, s in zip(box, (image.width, image.height, image.width, image.height)))
                    if box is not None else box_around(kps, image.width, image.height))
            image.instances.append(ImportedInstance(kps, skeleton, bbox=bbox, category_id=1, origin=origin, score=score,
                                                    model_id=model))
        images.append(image)
    notes = [f"{skipped} further annotation(s) of tasks already annotated were left out (the first one is read)"] if skipped else []
    return ImportBatch(format="label-studio", annotation_file=path, image_root=root, images=images,
                       categories=[(skeleton.to_coco_category(1, name=label), skeleton)], notes=notes)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) else None


def _people(result: list, where: str, problems: Problems) -> list[tuple[str, dict, tuple | None, tuple | None]]:
    """(rectangle label, {joint: (x%, y%)}, box in %, (width, height)) per individual of one result list."""
    rects: dict[str, dict] = {}
    points: list[dict] = []
    links: dict[str, set[str]] = {}
    for item in result if isinstance(result, list) else []:
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if kind == "rectanglelabels":
            rects[str(item.get("id"))] = item
        elif kind == "keypointlabels":
            points.append(item)
        elif kind == "relation":
            a, b = str(item.get("from_id")), str(item.get("to_id"))
            links.setdefault(a, set()).add(b)
            links.setdefault(b, set()).add(a)
    groups: dict[str | None, dict[str, tuple[float, float]]] = {}
    size = None
    for item in points:
        value = item.get("value") or {}
        labels = value.get("keypointlabels") or []
        x, y = _number(value.get("x")), _number(value.get("y"))
        if not labels or x is None or y is None:
            if labels and value.get("x") is not None:
                problems.add(f"{where}: keypoint {labels[0]!r} has no finite x, y")
            continue
        w, h = _number(item.get("original_width")), _number(item.get("original_height"))
        if w and h:
            size = (int(w), int(h))
        owner = None
        parent = item.get("parentID")
        if parent is not None and str(parent) in rects:
            owner = str(parent)
        else:
            owner = next((r for r in links.get(str(item.get("id")), ()) if r in rects), None)
        if owner is None:
            inside = [(float(r["value"]["width"]) * float(r["value"]["height"]), rid) for rid, r in rects.items()
                      if _inside(x, y, r.get("value") or {})]
            owner = min(inside)[1] if inside else None
        group = groups.setdefault(owner, {})
        if str(labels[0]) in group:
            problems.add(f"{where}: keypoint {labels[0]!r} twice in one individual")
            continue
        group[str(labels[0])] = (x, y)
    people = []
    for rid, rect in rects.items():
        value = rect.get("value") or {}
        box = tuple(_number(value.get(k)) for k in ("x", "y", "width", "height"))
        label = (value.get("rectanglelabels") or ["object"])[0]
        if rid in groups:
            people.append((str(label), groups[rid], box if None not in box else None, size))
    if None in groups:
        people.append(("object" if not rects else str((next(iter(rects.values())).get("value") or {}).get(
            "rectanglelabels", ["object"])[0]), groups[None], None, size))
    return people


def _inside(x: float, y: float, value: dict) -> bool:
    try:
        x0, y0, w, h = (float(value[k]) for k in ("x", "y", "width", "height"))
    except (KeyError, TypeError, ValueError):
        return False
    return x0 <= x <= x0 + w and y0 <= y <= y0 + h


def read(source: Path, options: Any) -> ImportBatch:
    return read_label_studio(source, image_root=options.image_root, allow_missing_images=options.allow_missing_images)
