"""COCO keypoints export.

What the file holds, beyond the COCO fields:
  * joints flagged 0 are written 0,0,0 (the COCO convention), unless the annotation came from
    a file that kept coordinates on such joints: then they are written as that file had them;
  * ``num_keypoints``, ``area`` and ``iscrowd`` are kept from the imported file while the
    annotation's joints are as imported; otherwise computed (the export's counts say how many);
  * file names are relative to the folder the images share; no local absolute path is written
    (the counts name that folder for the user: re-import with ``--images FOLDER``);
  * a video frame has no image file: its entry is named ``<video stem>/<frame:06d>.jpg`` (the
    name frame extraction tools give it) and carries ``poseapp_video``: ``{"file": the video's
    name, "frame": the 0-based frame index}``, so the pixels can be found in the video.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from poseapp.formats.output import write_json_export
from poseapp.media.video import video_frame_name
from poseapp.store import Project
from poseapp.store.records import CROP_BOX, Frame, Instance


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else float(value)


class IdPlan:
    """COCO ids for frames and instances.

    A record keeps the id it was imported with, unless an earlier record (by row id) already
    holds it (LSP and LSPET both number their images from 1); every other record gets a fresh
    id above all imported ones.
    """

    def __init__(self, project: Project):
        self.frame_ids = self._plan(project, "frames")
        self.instance_ids = self._plan(project, "instances")

    @staticmethod
    def _plan(project: Project, table: str) -> tuple[dict[int, int], int]:
        top = project._query_one(f"SELECT MAX(ext_id) FROM {table}")[0] or 0
        keep = dict(project._query(f"SELECT MIN(id), ext_id FROM {table} WHERE ext_id IS NOT NULL GROUP BY ext_id"))
        return keep, int(top)

    @staticmethod
    def _id(plan: tuple[dict[int, int], int], row_id: int) -> int:
        keep, offset = plan
        return keep.get(row_id, offset + row_id)

    def image_id(self, frame: Frame) -> int:
        return self._id(self.frame_ids, frame.id)

    def annotation_id(self, inst: Instance) -> int:
        return self._id(self.instance_ids, int(inst.id or 0))


def category_table(project: Project) -> tuple[list[dict], dict[str, int]]:
    """Categories to export, and the category id for instances that carry none (by skeleton).

    A skeleton that no stored category describes gets one, named as the skeleton is (a skeleton of
    the user's own, ``custom:walker:5``: ``walker``), a preset's ``person``; a name some exported
    category has already (two categories both named ``person`` with different joints confuse
    every reader) becomes ``<name>_<skeleton>``.
    """
    categories = [cat for cat, _ in project.categories()]  # as imported: a file's own categories stay as they were
    by_skeleton: dict[str, int] = {}
    for cat, skel in project.categories():
        by_skeleton.setdefault(skel, int(cat["id"]))
    next_id = max([int(c["id"]) for c in categories], default=0) + 1
    used = [skel for skel in project.skeleton_names() if skel not in by_skeleton and _has_instances(project, skel)]
    for name in used:
        taken = {c.get("name") for c in categories}
        own = name.split(":")[1] if name.startswith("custom:") and name.count(":") == 2 and name.split(":")[1] else "person"
        label = own if own not in taken else f"{own}_{name.replace(':', '_')}"
        categories.append(project.skeleton(name).to_coco_category(next_id, name=label))
        by_skeleton[name] = next_id
        next_id += 1
    return categories, by_skeleton


def _has_instances(project: Project, skeleton: str) -> bool:
    return project._query_one("SELECT 1 FROM instances WHERE skeleton = ? LIMIT 1", (skeleton,)) is not None


def _image_entry(project: Project, frame: Frame, ids: IdPlan, roots: dict[int, str]) -> dict[str, Any]:
    entry = dict(frame.extra)
    if frame.state in ("reviewed", "edited"):  # what a re-import cannot tell from the people on it
        entry["poseapp_state"] = frame.state  # (a file as imported stays identical: labelled is derived)
    entry.pop("file_name", None)
    if frame.file_name is None:  # a video frame: see the module docstring
        entry["poseapp_video"] = {"file": Path(project.source(frame.source_id).path).name, "frame": frame.index}
    entry.update({"id": ids.image_id(frame), "file_name": frame_file_name(project, frame, roots),
                  "width": frame.width, "height": frame.height})
    return entry


def clip_box(box, width: float, height: float) -> tuple[float, float, float, float]:
    """(x, y, w, h) cut to the image (0, 0, width, height)."""
    x0, y0 = max(0.0, float(box[0])), max(0.0, float(box[1]))
    x1, y1 = min(float(width), float(box[0]) + float(box[2])), min(float(height), float(box[1]) + float(box[3]))
    return x0, y0, max(0.0, x1 - x0), max(0.0, y1 - y0)


def keypoint_list(inst: Instance) -> list:
    coco = inst.extra.get("_coco") or {}
    kps = inst.keypoints.copy()
    if not coco.get("v0_coordinates"):
        kps[kps[:, 2] == 0, :2] = 0.0
    flat = kps.reshape(-1)
    if coco.get("int_keypoints") and np.all(flat == np.round(flat)):
        return [int(v) for v in flat]
    return [int(v) if i % 3 == 2 else float(v) for i, v in enumerate(flat)]


def annotation_entry(
    inst: Instance, image_id: int, ann_id: int, category_id: int, computed: dict[str, int] | None = None,
    image_size: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """One annotation; ``computed`` counts the fields that were not in the imported file as they
    are. A box made from the joints (``CROP_BOX``) is clipped to ``image_size`` (width, height):
    its margin, or a joint the model put off the picture, must not reach past the image; a box
    drawn or imported is written as it is."""
    computed = computed if computed is not None else {}
    coco = inst.extra.get("_coco") or {}
    entry = {k: v for k, v in inst.extra.items() if k != "_coco"}
    bbox = inst.person_box() or (0.0, 0.0, 0.0, 0.0)
    if image_size is not None and (inst.bbox is None or inst.extra.get(CROP_BOX)):
        bbox = clip_box(bbox, *image_size)
    original = coco.get("num_keypoints")
    if original is not None and original[1] == inst.num_labelled:
        num = original[0]  # the file's own count, while the joints are as imported
    else:
        num = inst.num_labelled
        computed["num_keypoints"] = computed.get("num_keypoints", 0) + 1
    for key, value in (("area", _number(bbox[2] * bbox[3])), ("iscrowd", 0)):
        if key not in entry:
            entry[key] = value
            computed[key] = computed.get(key, 0) + 1
    entry.update({
        "id": ann_id,
        "image_id": image_id,
        "category_id": category_id,
        "keypoints": keypoint_list(inst),
        "num_keypoints": num,
        "bbox": [_number(v) for v in bbox],
    })
    return entry


def image_root(project: Project, videos: set[int] = frozenset()) -> tuple[str | None, dict[int, str]]:
    """The folder export file names are relative to, and each source's prefix below it; the video
    sources in ``videos`` (those with frames in the export) count too, so that a re-import finds
    a video frame's video at PREFIX/``poseapp_video.file``."""
    bases = {
        s.id: (s.path if s.kind == "folder" else os.path.dirname(s.path))
        for s in project.sources() if s.kind in ("folder", "image") or s.id in videos
    }
    if not bases:
        return None, {}
    common = os.path.commonpath(list(bases.values()))
    prefixes = {sid: (Path(base).relative_to(common).as_posix() + "/" if base != common else "") for sid, base in bases.items()}
    return common, prefixes


def _relative_to_export(project: Project, folder: Path) -> dict[int, str]:
    """Each image source's prefix relative to the export's folder (``../photos/`` ...); a video's
    frames are written below the folder itself."""
    prefixes = {}
    for source in project.sources():
        if source.kind in ("folder", "image"):
            base = source.path if source.kind == "folder" else os.path.dirname(source.path)
            relative = Path(os.path.relpath(base, folder)).as_posix()
            prefixes[source.id] = "" if relative == "." else relative + "/"
        else:
            prefixes[source.id] = ""
    return prefixes


def _write_video_frames(project: Project, images: list[dict], folder: Path) -> tuple[int, int]:
    """Each exported video frame as a JPEG at its file name below ``folder``: (written, kept)."""
    from poseapp.media.images import write_image
    from poseapp.media.video import VideoReader

    readers: dict[str, VideoReader] = {}
    videos = {Path(s.path).name: s.path for s in project.sources() if s.kind == "video"}  # once, not per frame
    written = kept = 0
    try:
        for entry in images:
            video = entry.get("poseapp_video")
            if not video:
                continue
            target = folder / entry["file_name"]
            if target.exists():
                kept += 1
                continue
            path = videos[video["file"]]
            reader = readers.get(path) or readers.setdefault(path, VideoReader(path, cache_size=2))
            target.parent.mkdir(parents=True, exist_ok=True)
            write_image(target, reader.read(int(video["frame"])))
            written += 1
    finally:
        for reader in readers.values():
            reader.close()
    return written, kept


def exported_frame(frame: Frame, people: list[Instance], keep_unlabelled: bool = False) -> bool:
    """Whether a frame goes into a COCO export: one with people in it, or one a user marked
    reviewed (an empty reviewed frame is a true negative); a frame nobody annotated or reviewed
    only with ``keep_unlabelled``, and never a bare video frame, which would only bloat the file."""
    if people or frame.state == "reviewed":
        return True
    return keep_unlabelled and frame.file_name is not None


def export_coco(project: Project, out: str | Path, include_predictions: bool = False, keep_unlabelled: bool = False,
                write_frames: bool = False) -> dict[str, Any]:
    """Write the project's annotations (and, ``include_predictions``, its predictions) as one
    COCO keypoints file (atomically). A frame nobody annotated or reviewed is left out unless
    ``keep_unlabelled``: a consumer reads an image with nobody on it as 'nobody here'.
    ``write_frames``: every exported video frame is written as a JPEG beside the file, at its
    name (``<video stem>/<frame:06d>.jpg``), and every file name is relative to the file's folder,
    so any COCO tool opens the frames; a frame file already there is kept, never overwritten."""
    ids = IdPlan(project)
    categories, cat_for_skeleton = category_table(project)
    origins = ("manual", "predicted") if include_predictions else ("manual",)
    root, roots = image_root(project, set(project.sources_with_people("video", origins)))
    if write_frames:
        root, roots = str(Path(out).resolve().parent), _relative_to_export(project, Path(out).resolve().parent)
    images, annotations = [], []
    computed: dict[str, int] = {}
    video_frames = left_out = 0
    for frame_id in project.frame_ids():
        frame = project.frame(frame_id)
        insts = [i for i in project.instances(frame_id) if i.origin in origins]
        if not exported_frame(frame, insts, keep_unlabelled):
            left_out += frame.file_name is not None
            continue
        images.append(_image_entry(project, frame, ids, roots))
        video_frames += frame.file_name is None
        for inst in insts:
            cid = inst.category_id if inst.category_id is not None else cat_for_skeleton[inst.skeleton]
            annotations.append(annotation_entry(inst, ids.image_id(frame), ids.annotation_id(inst), cid, computed,
                                                (frame.width, frame.height) if frame.width and frame.height else None))
    document: dict[str, Any] = {}
    meta = project.get_meta("coco", {}) or {}
    for key in ("info", "licenses"):
        if key in meta:
            document[key] = meta[key]
    document.update({"images": images, "annotations": annotations, "categories": categories})
    written = kept = 0
    if write_frames:
        written, kept = _write_video_frames(project, images, Path(root))
    write_json_export(out, document, project.path)
    counts: dict[str, Any] = {"images": len(images), "annotations": len(annotations), "categories": len(categories)}
    if write_frames:
        counts["video frames written beside it"] = written
        if kept:
            counts["video frame files already there, kept"] = kept
    counts.update({f"computed {k}": n for k, n in computed.items()})
    if video_frames:
        counts["video frames (see poseapp_video)"] = video_frames
    if left_out:
        counts["images nobody annotated or reviewed, left out"] = left_out
    if root is not None:
        counts["file names relative to"] = root
    return counts


def export(project: Project, out: Path, options: Any) -> dict[str, Any]:
    return export_coco(project, out, include_predictions=options.include_predictions, keep_unlabelled=options.keep_unlabelled,
                       write_frames=options.write_frames)


def frame_file_name(project: Project, frame: Frame, roots: dict[int, str]) -> str:
    """The one name a frame has in every file poseapp writes (COCO export, results, predict):
    an image's file name below the images' shared folder; for a video frame
    ``<video stem>/<frame:06d>.jpg`` (0-based, the name frame extraction tools give it)."""
    if frame.file_name is not None:
        return roots.get(frame.source_id, "") + (frame.extra.get("file_name") or frame.file_name)
    return roots.get(frame.source_id, "") + video_frame_name(project.source(frame.source_id).path, frame.index)

