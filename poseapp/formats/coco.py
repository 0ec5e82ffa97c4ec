"""COCO keypoints JSON import (any category with keypoints); the export is in ``coco_export``.

Lossless means: images, annotations and categories come back field by field as they went in,
unknown fields included (they are kept in the records' ``extra``), with all three visibility
states, so pycocotools scores an export against its original at AP 1.0.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from poseapp.core.errors import DataError
from poseapp.core.skeleton import Skeleton
from poseapp.formats.dataset import (
    MAX_COORDINATE, ImportBatch, ImportedImage, ImportedInstance, Problems, describe, is_coordinate, is_finite_number,
    is_int, safe_relative_path,
)
from poseapp.formats.coco_categories import read_categories
from poseapp.media.images import verify_image
from poseapp.media.video import probe_video

# Fields poseapp models itself; everything else on an image or annotation rides along in ``extra``.
IMAGE_FIELDS = ("id", "file_name", "width", "height")
ANNOTATION_FIELDS = ("id", "image_id", "category_id", "keypoints", "bbox", "num_keypoints", "score")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def load_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(path, "file not found") from None
    except UnicodeDecodeError as exc:
        raise DataError(path, f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise DataError(path, f"cannot read the file: {exc.strerror}") from None
    if not text.strip():
        raise DataError(path, "the file is empty")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        if exc.pos >= len(text.rstrip()):  # the parser ran out of text, not into a wrong character
            raise DataError(path, f"the JSON ends early at {where} (truncated file?)") from None
        raise DataError(path, f"not valid JSON: {exc.msg} ({where})") from None  # msg may end in "at"
    except ValueError as exc:  # NaN / Infinity literals
        raise DataError(path, f"not valid JSON: {exc}") from None
    except RecursionError:
        raise DataError(path, "the JSON is nested too deeply to be a COCO file") from None


def read_coco(
    path: str | Path, image_root: str | Path | None = None, check_files: bool = True, allow_missing_images: bool = False
) -> ImportBatch:
    """Parse and check a COCO keypoints file; images are looked up below ``image_root``.

    The root defaults to the JSON's folder, or an ``images/`` folder beside it when that is
    where the files are. With ``allow_missing_images`` an image file that is not there is
    listed in the batch's notes and imported by name, to be located later (relocate); a file
    that is there must still be a real image inside the image folder.
    """
    path = Path(path)
    data = load_json(path)
    problems = Problems(path)
    if not isinstance(data, dict):
        raise DataError(path, f"a COCO file is a JSON object, this one is a {type(data).__name__}")
    for key in ("images", "annotations", "categories"):
        if key not in data:
            raise DataError(path, f"no '{key}' list: not a COCO keypoints file")
        if not isinstance(data[key], list):
            raise DataError(path, f"'{key}' must be a list, not {type(data[key]).__name__}")
    root = Path(image_root) if image_root is not None else _guess_root(path, data)
    real_root = root.resolve()

    notes: list[str] = []
    categories, refused_categories = read_categories(data["categories"], data["annotations"], problems, notes)
    images: dict[int, ImportedImage] = {}
    refused_images: set[int] = set()  # their annotations are not reported again (one cause, one message)
    missing: list[str] = []
    videos: dict[Path, int | None] = {}  # frame counts of the videos named by poseapp_video, probed once
    for i, image in enumerate(data["images"]):
        parsed = _read_image(image, i, root, problems)
        if parsed is not None and check_files:
            where = f"images[{i}] (id {parsed.ext_id})"
            file = parsed.video[0] if parsed.video else parsed.file_name
            absent = not (root / file).exists()
            if absent and file not in missing:
                missing.append(file)
            if absent and allow_missing_images:
                pass  # listed in the notes below
            elif parsed.video is not None:
                if not _check_video_frame(root / file, parsed.video[1], real_root, where, problems, videos):
                    parsed = None
            elif not _check_image_file(root / parsed.file_name, real_root, where, problems):
                parsed = None
        if parsed is None:
            if isinstance(image, dict) and is_int(image.get("id")):
                refused_images.add(image["id"])
            continue
        if parsed.ext_id in images:
            problems.add(f"images[{i}]: id {parsed.ext_id} is used twice")
            continue
        images[parsed.ext_id] = parsed  # type: ignore[index]

    seen_ids: set[int] = set()
    skipped: dict[int, int] = {}
    for i, ann in enumerate(data["annotations"]):
        if not isinstance(ann, dict):
            problems.add(f"annotations[{i}] is not an object")
            continue
        cid = ann.get("category_id")
        if is_int(cid) and cid in categories and categories[cid][1] is None:
            skipped[cid] = skipped.get(cid, 0) + 1  # a category without keypoints: not pose data
            continue
        if (is_int(ann.get("image_id")) and ann["image_id"] in refused_images) or (is_int(cid) and cid in refused_categories):
            continue  # already reported through its image or category
        inst = _read_annotation(ann, i, categories, images, problems)
        if inst is None:
            continue
        if inst.ext_id in seen_ids:
            problems.add(f"annotations[{i}]: id {inst.ext_id} is used twice")
            continue
        seen_ids.add(inst.ext_id)  # type: ignore[arg-type]
        images[ann["image_id"]].instances.append(inst)
    try:
        problems.raise_if_any()
    except DataError as exc:
        if missing and not allow_missing_images:
            # The window offers "import without them"; the CLI user reads the hint.
            error = DataError(path, f"{exc.problem}\n({len(missing)} image file(s) missing below {root}: name the folder "
                              "they are in with --images DIR, or import with --allow-missing-images to bring their "
                              "annotations in and locate the images later)")
            error.missing_images = missing  # type: ignore[attr-defined]
            error.image_root = root  # type: ignore[attr-defined]  # where they were looked for
            raise error from None
        raise
    if not any(skel is not None for _, skel in categories.values()):
        raise DataError(path, "no category has keypoints: not a COCO keypoints file")

    notes += [
        f"skipped {n} annotation(s) of category {categories[cid][0].get('name')!r}, which has no keypoints"
        for cid, n in skipped.items()
    ]
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        notes.append(f"{len(missing)} image file(s) are not in {root} and were imported without pixels "
                     f"(locate them later with `poseapp relocate`): {shown}")
    return ImportBatch(
        format="coco",
        annotation_file=path,
        image_root=root,
        images=list(images.values()),
        categories=[(cat, skel) for cat, skel in categories.values() if skel is not None],
        meta={k: data[k] for k in ("info", "licenses") if k in data},
        notes=notes,
    )


def _guess_root(path: Path, data: dict[str, Any]) -> Path:
    """The image folder when the user named none: the JSON's folder or the usual images/ beside it.

    A root recorded in the file is only a hint (a downloaded file must not point the import at
    ~/.ssh): it is tried only when it lies inside the JSON's own folder.
    """
    images = data["images"]
    first = next((im.get("file_name") for im in images if isinstance(im, dict)), None)
    candidates = [path.parent, path.parent / "images", path.parent.parent / "images"]
    recorded = data.get("poseapp", {}).get("image_root") if isinstance(data.get("poseapp"), dict) else None
    if isinstance(recorded, str) and recorded:
        hinted = (path.parent / recorded).resolve()
        if hinted == path.parent.resolve() or path.parent.resolve() in hinted.parents:
            candidates.append(hinted)
    if isinstance(first, str):
        for candidate in candidates:
            if (candidate / first).is_file():
                return candidate
    return path.parent


def _read_image(image: Any, i: int, root: Path, problems: Problems) -> ImportedImage | None:
    if not isinstance(image, dict):
        problems.add(f"images[{i}] is not an object")
        return None
    where = f"images[{i}]" + (f" (id {image['id']})" if is_int(image.get("id")) else "")
    ok = True
    if not is_int(image.get("id")):
        problems.add(f"{where}: 'id' must be a 64-bit integer, not {describe(image.get('id'))}")
        ok = False
    for key in ("width", "height"):
        if not is_int(image.get(key)) or image[key] <= 0:
            problems.add(f"{where}: '{key}' must be a positive integer below 2^63, not {describe(image.get(key))}")
            ok = False
    rel = safe_relative_path(image.get("file_name"), root)
    if rel is None:
        problems.add(f"{where}: file_name {image.get('file_name')!r} is empty, absolute or escapes the image folder {root}")
        ok = False
    if not ok:
        return None
    extra = {k: v for k, v in image.items() if k not in IMAGE_FIELDS}
    video = _video_frame(extra.pop("poseapp_video", None), rel, root, where, problems) if "poseapp_video" in image else None
    if "poseapp_video" in image and video is None:
        return None
    if rel != image["file_name"] and video is None:
        extra["file_name"] = image["file_name"]  # keep the spelling for export
    return ImportedImage(rel, image["width"], image["height"], image["id"], extra, video=video)  # type: ignore[arg-type]


def _video_frame(value: Any, rel: str, root: Path, where: str, problems: Problems) -> tuple[str, int] | None:
    """poseapp's export names a video frame ``[PREFIX/]STEM/NNNNNN.jpg`` and adds ``poseapp_video``
    ``{"file": the video's name, "frame": its index}``: the video is ``[PREFIX/]file``."""
    ok = (isinstance(value, dict) and isinstance(value.get("file"), str) and value["file"] and "/" not in value["file"]
          and "\\" not in value["file"] and is_int(value.get("frame")) and value["frame"] >= 0)
    video = safe_relative_path((PurePosixPath(rel).parent.parent / value["file"]).as_posix(), root) if ok else None
    if video is None:
        problems.add(f"{where}: poseapp_video must be {{\"file\": a video's name, \"frame\": an index >= 0}}, "
                     f"not {describe(value)}")
        return None
    return video, int(value["frame"])


def _check_video_frame(file: Path, index: int, real_root: Path, where: str, problems: Problems,
                       videos: dict[Path, int | None]) -> bool:
    """The video exists inside the image folder, decodes, and has the frame."""
    if not file.is_file():
        problems.add(f"{where}: video file {file} does not exist")
        return False
    if real_root not in file.resolve().parents:
        problems.add(f"{where}: {file} is a link outside the image folder {real_root}; refused")
        return False
    if file not in videos:
        try:
            videos[file] = probe_video(file).frame_count
        except DataError as exc:
            problems.add(f"{where}: {exc}")
            videos[file] = None
    count = videos[file]
    if count is None:
        return False
    if index >= count:
        problems.add(f"{where}: frame {index} of {file.name}, which has {count} frames")
        return False
    return True


def _check_image_file(file: Path, real_root: Path, where: str, problems: Problems) -> bool:
    """The image exists, stays inside the image folder once links are followed, and decodes."""
    if not file.is_file():
        problems.add(f"{where}: image file {file} does not exist")
        return False
    real = file.resolve()
    if real_root not in real.parents:
        problems.add(f"{where}: {file} is a link to {real}, outside the image folder {real_root}; refused")
        return False
    try:
        verify_image(file)
    except DataError as exc:
        problems.add(f"{where}: {exc}")
        return False
    return True


def _read_annotation(
    ann: dict, i: int, categories: dict[int, tuple[dict, Skeleton | None]], images: dict[int, ImportedImage], problems: Problems
) -> ImportedInstance | None:
    where = f"annotations[{i}]" + (f" (id {ann['id']})" if is_int(ann.get("id")) else "")
    if not is_int(ann.get("id")):
        problems.add(f"{where}: 'id' must be a 64-bit integer, not {describe(ann.get('id'))}")
        return None
    if not is_int(ann.get("image_id")) or ann["image_id"] not in images:
        problems.add(f"{where}: image_id {ann.get('image_id')!r} is not an image in the file")
        return None
    cid = ann.get("category_id")
    if not is_int(cid) or cid not in categories:
        problems.add(f"{where}: category_id {cid!r} is not a category in the file")
        return None
    category, skeleton = categories[cid]
    assert skeleton is not None
    kps = ann.get("keypoints")
    k = skeleton.num_joints
    if not isinstance(kps, list):
        problems.add(f"{where}: 'keypoints' must be a list of {3 * k} numbers")
        return None
    if len(kps) != 3 * k:
        problems.add(
            f"{where}: keypoints has {len(kps)} numbers, but category {category.get('name')!r} has {k} keypoints "
            f"so {3 * k} are needed"
        )
        return None
    if not all(is_coordinate(v) for v in kps):
        bad = next(v for v in kps if not is_coordinate(v))
        problems.add(f"{where}: keypoints must be finite numbers within +-{MAX_COORDINATE:g} px, found {describe(bad)}")
        return None
    arr = np.array(kps, dtype=np.float64).reshape(k, 3)
    if not np.all(np.isin(arr[:, 2], (0, 1, 2))):
        problems.add(f"{where}: keypoint visibility must be 0, 1 or 2, found {sorted(set(arr[:, 2].tolist()) - {0, 1, 2})}")
        return None
    bbox = ann.get("bbox")
    if bbox is not None:
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(is_coordinate(v) for v in bbox)):
            problems.add(f"{where}: 'bbox' must be 4 numbers [x, y, w, h] within +-{MAX_COORDINATE:g} px, not {describe(bbox, 80)}")
            return None
        if bbox[2] < 0 or bbox[3] < 0:
            problems.add(f"{where}: bbox width and height must not be negative, got {bbox!r}")
            return None
        bbox = tuple(float(v) for v in bbox)
    for key in ("area", "score"):
        if key in ann and not is_finite_number(ann[key]):
            problems.add(f"{where}: '{key}' must be a finite number, not {describe(ann[key])}")
            return None
    if "num_keypoints" in ann and not is_int(ann["num_keypoints"]):
        problems.add(f"{where}: 'num_keypoints' must be a 64-bit integer, not {describe(ann['num_keypoints'])}")
        return None
    extra = {k2: v for k2, v in ann.items() if k2 not in ANNOTATION_FIELDS}
    unlabelled = arr[:, 2] == 0
    # How the file spelled things, so that an untouched export spells them the same: integer
    # keypoints, coordinates kept on joints flagged 0 (COCO writes 0,0,0), its own num_keypoints.
    extra["_coco"] = {
        "int_keypoints": all(is_int(v) for v in kps),
        "v0_coordinates": bool(np.any(arr[unlabelled, :2] != 0)),
    }
    if "num_keypoints" in ann:
        extra["_coco"]["num_keypoints"] = [ann["num_keypoints"], int(np.count_nonzero(~unlabelled))]
    score = ann.get("score")
    return ImportedInstance(
        keypoints=arr, skeleton=skeleton, bbox=bbox, category_id=cid, ext_id=ann["id"], extra=extra,
        origin="predicted" if score is not None else "manual", score=float(score) if score is not None else None,
    )


def detect(source: Path) -> bool:
    """A .json object file, or a folder holding exactly one .json file."""
    if source.is_dir():
        jsons = sorted(source.glob("*.json"))
        return len(jsons) == 1 and detect(jsons[0])
    return source.suffix.lower() == ".json" and source.is_file()


def read(source: Path, options: Any) -> ImportBatch:
    if source.is_dir():
        jsons = sorted(source.glob("*.json"))
        if len(jsons) != 1:
            raise DataError(source, f"expected one COCO .json file in the folder, found {len(jsons)}")
        source = jsons[0]
    return read_coco(source, image_root=options.image_root, allow_missing_images=options.allow_missing_images)
