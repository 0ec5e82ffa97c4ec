"""YOLO-pose label folders (Ultralytics layout): images/ beside labels/, one .txt per image.

A label line is ``class cx cy w h`` then K keypoints as ``x y`` or ``x y v``, all normalised to
the image size. ``data.yaml`` (when present) gives ``kpt_shape``, ``flip_idx`` and class names.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from poseapp.core.errors import DataError
from poseapp.core.skeleton import Skeleton, preset_for_joint_count
from poseapp.formats.dataset import ImportBatch, ImportedImage, ImportedInstance, Problems
from poseapp.formats.output import export_folder
from poseapp.media.images import list_images, verify_image
from poseapp.store import Project


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(path, f"not readable YAML ({exc})") from None
    if not isinstance(data, dict):
        raise DataError(path, "expected a mapping (kpt_shape, names, ...)")
    return data


def find_layout(source: Path) -> tuple[Path, Path, dict[str, Any]]:
    """(images folder, labels folder, data.yaml contents) for a YOLO dataset folder."""
    config: dict[str, Any] = {}
    root = source
    if source.is_file() and source.suffix in (".yaml", ".yml"):
        config = _read_yaml(source)
        root = source.parent / str(config.get("path", "")) if config.get("path") else source.parent
    else:
        for name in ("data.yaml", "dataset.yaml"):
            if (source / name).is_file():
                config = _read_yaml(source / name)
                break
    images, labels = root / "images", root / "labels"
    if not images.is_dir() or not labels.is_dir():
        raise DataError(root, "a YOLO-pose dataset needs images/ and labels/ folders side by side")
    return images, labels, config


def _skeleton_for(config: dict[str, Any], k: int, where: Path) -> Skeleton:
    preset = preset_for_joint_count(k)
    flip_idx = config.get("flip_idx")
    if preset is not None and (flip_idx is None or preset.flip_permutation() == list(flip_idx)):
        return preset
    pairs = []
    if flip_idx is not None:
        if sorted(flip_idx) != list(range(k)):
            raise DataError(where, f"flip_idx must be a permutation of 0..{k - 1}")
        pairs = [(i, int(j)) for i, j in enumerate(flip_idx) if i < j]
    return Skeleton(name=f"yolo:{k}", joints=tuple(f"kp{i}" for i in range(k)), edges=(), flip_pairs=tuple(pairs))


def _kpt_shape(config: dict[str, Any], yaml_path: Path) -> list[int] | None:
    shape = config.get("kpt_shape")
    if shape is None:
        return None
    ok = (
        isinstance(shape, list) and len(shape) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in shape)
        and 0 < shape[0] <= 1000 and shape[1] in (2, 3)
    )
    if not ok:
        raise DataError(yaml_path, f"kpt_shape must be [K, 2] or [K, 3] with K a joint count, not {shape!r}")
    return shape


def _class_names(config: dict[str, Any], yaml_path: Path) -> dict[int, str]:
    """Ultralytics accepts a list of names or a mapping from class number to name."""
    names = config.get("names")
    if names is None:
        return {0: "person"}
    if isinstance(names, list):
        names = dict(enumerate(names))
    if not isinstance(names, dict) or not names or not all(
        isinstance(k, int) and not isinstance(k, bool) and k >= 0 and isinstance(v, (str, int, float)) for k, v in names.items()
    ):
        raise DataError(yaml_path, f"names must be a list of class names or a mapping {{0: person, ...}}, not {names!r}")
    return {k: str(v) for k, v in names.items()}


def read_yolo(source: str | Path) -> ImportBatch:
    source = Path(source)
    images_dir, labels_dir, config = find_layout(source)
    yaml_path = source if source.is_file() else source / "data.yaml"
    kpt_shape = _kpt_shape(config, yaml_path)
    names = _class_names(config, yaml_path)
    problems = Problems(labels_dir)
    entries = []
    for rel in list_images(images_dir):
        label = labels_dir / Path(rel).with_suffix(".txt")
        rows = []
        if label.is_file():
            for n, line in enumerate(label.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                if line.strip():
                    rows.append((n, line.split()))
        entries.append((rel, label, rows))
    if kpt_shape is None:  # infer from the first label line: 5 + 3K numbers, else 5 + 2K
        first = next((row for _, _, rows in entries for _, row in rows), None)
        if first is None:
            raise DataError(labels_dir, "no label lines and no kpt_shape in data.yaml: cannot tell the joint count")
        n = len(first) - 5
        kpt_shape = [n // 3, 3] if n % 3 == 0 else [n // 2, 2]
    k, dims = int(kpt_shape[0]), int(kpt_shape[1])
    skeleton = _skeleton_for(config, k, yaml_path)
    images = []
    for rel, label, rows in entries:
        width, height = verify_image(images_dir / rel)
        instances = []
        for n, row in rows:
            where = f"{label.relative_to(labels_dir)} line {n}"
            if len(row) != 5 + k * dims:
                problems.add(f"{where}: {len(row)} values, expected {5 + k * dims} (class, box, {k} x {dims} keypoint values)")
                continue
            try:
                values = [float(v) for v in row]
            except ValueError:
                problems.add(f"{where}: not all values are numbers")
                continue
            if not all(math.isfinite(v) for v in values):
                problems.add(f"{where}: NaN or infinite value")
                continue
            cls = values[0]
            if not cls.is_integer() or int(cls) not in names:
                problems.add(f"{where}: class {row[0]} is not in the dataset's names")
                continue
            cx, cy, bw, bh = values[1:5]
            if bw < 0 or bh < 0:
                problems.add(f"{where}: negative box size")
                continue
            pts = np.array(values[5:], dtype=np.float64).reshape(k, dims)
            kps = np.zeros((k, 3))
            kps[:, 0], kps[:, 1] = pts[:, 0] * width, pts[:, 1] * height
            if dims == 3:
                if not np.all(np.isin(pts[:, 2], (0, 1, 2))):
                    problems.add(f"{where}: keypoint visibility must be 0, 1 or 2")
                    continue
                kps[:, 2] = pts[:, 2]
            else:
                kps[:, 2] = np.where((pts[:, 0] != 0) | (pts[:, 1] != 0), 2, 0)
            kps[kps[:, 2] == 0, :2] = 0.0
            bbox = ((cx - bw / 2) * width, (cy - bh / 2) * height, bw * width, bh * height)
            instances.append(ImportedInstance(keypoints=kps, skeleton=skeleton, bbox=bbox, category_id=int(cls) + 1))
        images.append(ImportedImage(file_name=rel, width=width, height=height, instances=instances))
    problems.raise_if_any()
    if not images:
        raise DataError(images_dir, "no images")
    categories = [(skeleton.to_coco_category(int(c) + 1, name=str(nm)), skeleton) for c, nm in sorted(names.items())]
    return ImportBatch(format="yolo", annotation_file=labels_dir, image_root=images_dir, images=images, categories=categories)


def export_yolo(project: Project, out: str | Path, include_predictions: bool = False, copy_images: bool = False) -> dict[str, int]:
    """Write an Ultralytics-style folder: images/ (links to the originals, or copies), labels/, data.yaml.

    Ultralytics finds a label by swapping ``/images/`` for ``/labels/`` in the image path, so the
    images must sit under the export too; links keep that cheap.
    """
    import shutil

    import yaml

    skeletons = {i.skeleton for i in project.iter_instances()}
    if len(skeletons) > 1:
        raise DataError(project.path, f"YOLO-pose holds one keypoint layout per dataset; this project has {sorted(skeletons)}")
    skeleton = project.skeleton(skeletons.pop()) if skeletons else None
    k = skeleton.num_joints if skeleton else 0
    folder_sources = [s for s in project.sources() if s.kind in ("folder", "image")]
    counts = {"images": 0, "labels": 0}
    with export_folder(out, project.path) as tmp:
        for frame_id in project.frame_ids():
            frame = project.frame(frame_id)
            if frame.file_name is None and project.source(frame.source_id).kind == "video":
                continue  # video frames have no image file for a YOLO trainer to read
            insts = [i for i in project.instances(frame_id) if include_predictions or i.origin == "manual"]
            lines = [_label_line(inst, frame.width, frame.height) for inst in insts if inst.box_or_keypoint_extent()]
            original = Path(project.frame_path(frame))
            rel = Path(frame.file_name or original.name)
            if len(folder_sources) > 1:
                rel = Path(f"source{frame.source_id}") / rel
            image_target = tmp / "images" / rel
            label_target = (tmp / "labels" / rel).with_suffix(".txt")
            image_target.parent.mkdir(parents=True, exist_ok=True)
            label_target.parent.mkdir(parents=True, exist_ok=True)
            if copy_images:
                shutil.copy2(original, image_target)
            else:
                try:
                    os.symlink(original.resolve(), image_target)
                except OSError:  # no symlinks on this file system: copy instead
                    shutil.copy2(original, image_target)
            label_target.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
            counts["images"] += 1
            counts["labels"] += len(lines)
        config = {
            "path": ".", "train": "images", "val": "images",
            "kpt_shape": [k, 3],
            "flip_idx": skeleton.flip_permutation() if skeleton else [],
            "names": {0: "person"},
            "kpt_names": list(skeleton.joints) if skeleton else [],
        }
        (tmp / "data.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return counts


def _label_line(inst, width: int, height: int) -> str:
    x, y, w, h = inst.box_or_keypoint_extent()
    values = [f"{(x + w / 2) / width:.6f}", f"{(y + h / 2) / height:.6f}", f"{w / width:.6f}", f"{h / height:.6f}"]
    for px, py, v in inst.keypoints:
        values += [f"{px / width:.6f}", f"{py / height:.6f}", str(int(v))] if v > 0 else ["0", "0", "0"]
    return "0 " + " ".join(values)
