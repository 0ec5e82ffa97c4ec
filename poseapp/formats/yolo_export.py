"""YOLO-pose export that Ultralytics reads as it is.

  * Each image sits under ``images/`` and its label where Ultralytics looks for it
    (``yolo.label_path``), also when COCO file names carry folders (PoseTrack's ``images/val/...``).
  * Coordinates are normalised and clipped into [0, 1] (Ultralytics drops label files outside);
    the counts say how many values were clipped.
  * Classes are the project's categories for the layout (AP-10K's horses stay ``horse``).
  * ``data.yaml`` has no ``path``: Ultralytics then takes the yaml's own folder as the root,
    which stays right when the export is moved or unzipped elsewhere.
  * Images nobody annotated are left out (an empty label file means "nobody here" to Ultralytics,
    a false negative for an image never looked at); a frame marked reviewed with nobody on it is
    written with its empty label, a true negative.
  * Video frames with people are written as JPEG images (``STEM/NNNNNN.jpg``, the names COCO
    exports give them); the counts say how many, and how many people had to be left out (a
    missing image or video), so none go silently.
  * Images are copied, so a moved or zipped export keeps them. ``link_images`` hard-links them
    instead (no extra space; but Ultralytics re-saves JPEGs it finds truncated, and through a
    link that rewrites the original). Never symlinks, which break when the export moves.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from poseapp.core.errors import DataError, PoseAppError
from poseapp.formats.output import export_folder
from poseapp.media.frames import FrameLoader
from poseapp.media.images import write_image
from poseapp.formats.yolo import label_path
from poseapp.store import Project


def _classes(project: Project, skeleton: str) -> tuple[dict[int | None, int], dict[int, str]]:
    """({project category id (None: none) -> class}, {class -> name}) for the one layout exported."""
    cats = sorted((int(c["id"]), str(c.get("name", "person"))) for c, s in project.categories() if s == skeleton)
    if not cats:
        return {None: 0}, {0: "person"}
    index = {cid: n for n, (cid, _) in enumerate(cats)}
    index[None] = 0  # an instance drawn in poseapp without a category: the layout's first class
    return index, {n: name for n, (_, name) in enumerate(cats)}


def _image_rel(file_name: str, source_id: int, several_sources: bool) -> PurePosixPath:
    rel = PurePosixPath(file_name)
    if len(rel.parts) > 1 and rel.parts[0] == "images":  # PoseTrack's images/val/...: not images/images/
        rel = PurePosixPath(*rel.parts[1:])
    return PurePosixPath(f"source{source_id}") / rel if several_sources else rel


def _place_image(original: Path, target: Path, link: bool) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    if link:
        try:
            os.link(original, target)
            return "linked"
        except OSError:  # another file system, or links not allowed: copy instead
            pass
    shutil.copy2(original, target)
    return "copied"


def _clip(values: np.ndarray) -> tuple[np.ndarray, int]:
    clipped = np.clip(values, 0.0, 1.0)
    return clipped, int(np.count_nonzero(clipped != values))


def label_line(inst, cls: int, width: int, height: int) -> tuple[str, int]:
    """One label line and how many of its values had to be clipped into [0, 1]."""
    x, y, w, h = inst.person_box()
    x0, y0 = np.clip([x / width, y / height], 0.0, 1.0)
    x1, y1 = np.clip([(x + w) / width, (y + h) / height], 0.0, 1.0)
    clipped = int((x0, y0, x1, y1) != (x / width, y / height, (x + w) / width, (y + h) / height))
    values = [f"{(x0 + x1) / 2:.6f}", f"{(y0 + y1) / 2:.6f}", f"{x1 - x0:.6f}", f"{y1 - y0:.6f}"]
    for px, py, v in inst.keypoints:
        if v > 0:
            (nx, ny), n = _clip(np.array([px / width, py / height]))
            clipped += n
            values += [f"{nx:.6f}", f"{ny:.6f}", str(int(v))]
        else:
            values += ["0", "0", "0"]
    return f"{cls} " + " ".join(values), clipped


def export_yolo(project: Project, out: str | Path, include_predictions: bool = False, link_images: bool = False) -> dict[str, Any]:
    """Write an Ultralytics-style folder: images/, labels/ and data.yaml (see the module docstring)."""
    import yaml

    origins = ("manual", "predicted") if include_predictions else ("manual",)
    per_skeleton: dict[str, list[int]] = {}
    for inst in project.iter_instances():
        if inst.origin in origins:
            per_skeleton.setdefault(inst.skeleton, []).append(inst.frame_id)
    skeletons = sorted(per_skeleton)
    if len(skeletons) > 1:
        where = "; ".join(f"{len(frames)} {name} people (e.g. on {project.frame_name(project.frame(frames[0]))})"
                          for name, frames in sorted(per_skeleton.items(), key=lambda kv: len(kv[1])))
        raise DataError(project.path, f"YOLO-pose holds one keypoint layout per dataset; this project has {skeletons}: "
                                      f"{where}. Delete the people of one layout (or export COCO, which keeps both)")
    if not skeletons:
        # kpt_shape [0, 3] would make a dataset Ultralytics cannot train a pose model on
        raise DataError(project.path, "no annotated people to export: a YOLO-pose dataset needs its people's keypoint "
                                      "layout" + ("" if include_predictions else "; accept predictions (A), or export them "
                                                  "too (poseapp export --include-predictions)"))
    skeleton = project.skeleton(skeletons[0])
    classes, names = _classes(project, skeleton.name)
    videos = set(project.sources_with_people("video", origins))
    several = len([s for s in project.sources() if s.kind in ("folder", "image") or s.id in videos]) > 1
    counts: dict[str, Any] = {"images": 0, "labels": 0}

    def count(key: str, n: int = 1) -> None:
        counts[key] = counts.get(key, 0) + n

    loader = FrameLoader(project)
    try:
        with export_folder(out, project.path) as tmp:
            for frame_id in project.frame_ids():
                frame = project.frame(frame_id)
                everyone = project.instances(frame_id)
                people = [i for i in everyone if i.origin in origins and i.person_box()]
                if frame.file_name is None:  # a video frame: written as an image when it has people
                    if not people:
                        count("video frames without people left out")
                        continue
                    video = Path(project.source(frame.source_id).path)
                    image_target = tmp / "images" / _image_rel(f"{video.stem}/{frame.index:06d}.jpg", frame.source_id, several)
                    try:
                        write_image(image_target, loader.read(frame))
                    except PoseAppError:
                        count("people left out: their video cannot be read", len(people))
                        continue
                    count("video frames written as images")
                else:
                    if not people and frame.state != "reviewed":
                        # an empty label file tells Ultralytics "nobody here": only a frame the user
                        # reviewed is known to be empty; an unlabelled one would teach false negatives
                        count("images without annotations left out (not reviewed)")
                        continue
                    if not people and any(i.origin not in origins for i in everyone):
                        # reviewed, but the people on it are predictions nobody accepted: not empty
                        count("reviewed images left out: their people are unaccepted predictions")
                        continue
                    original = Path(project.frame_path(frame))
                    if not original.is_file():
                        count("missing images left out")
                        if people:
                            count("people left out: their image is missing", len(people))
                        continue
                    image_target = tmp / "images" / _image_rel(frame.file_name, frame.source_id, several)
                    count(f"images {_place_image(original, image_target, link_images)}")
                lines = []
                for inst in people:
                    line, clipped = label_line(inst, classes.get(inst.category_id, 0), frame.width, frame.height)
                    lines.append(line)
                    if clipped:
                        count("clipped values", clipped)
                label_target = label_path(image_target)
                label_target.parent.mkdir(parents=True, exist_ok=True)
                label_target.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
                counts["images"] += 1
                counts["labels"] += len(lines)
            config = {
                "train": "images", "val": "images",
                "kpt_shape": [skeleton.num_joints, 3],
                "flip_idx": skeleton.flip_permutation(),
                "names": names,
                "kpt_names": {c: list(skeleton.joints) for c in names},
            }
            (tmp / "data.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    finally:
        loader.close()
    return counts


def export(project: Project, out: Path, options: Any) -> dict[str, Any]:
    return export_yolo(project, out, include_predictions=options.include_predictions, link_images=options.link_images)
