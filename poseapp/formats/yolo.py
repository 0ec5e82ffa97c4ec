"""YOLO-pose datasets as Ultralytics and Roboflow lay them out; the export is in ``yolo_export``.

A label line is ``class cx cy w h`` then K keypoints as ``x y`` or ``x y v``, all normalised to
the image size. ``data.yaml`` gives ``kpt_shape``, ``flip_idx``, class ``names`` and the split
folders (``train: images/train`` or Roboflow's ``train: ../train/images``). An image's label is
where Ultralytics looks for it (``label_path``): the last ``/images/`` of the image path
replaced by ``/labels/``, the suffix by ``.txt``.

Accepted layouts: the ``data.yaml`` file or its folder, with the split folders it names, or
with no yaml ``images/`` + ``labels/`` (optionally in split sub-folders) or ``train/images`` +
``train/labels``, ``valid/...``, ``test/...`` (Roboflow). A ``path`` in the yaml is only a hint:
image folders must lie inside the folder the yaml is in.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from poseapp.core.errors import DataError
from poseapp.core.skeleton import Skeleton, preset_for_joint_count
from poseapp.formats.dataset import ImportBatch, ImportedImage, ImportedInstance, Problems
from poseapp.media.images import list_images, verify_image

SPLITS = ("train", "val", "test")
YAML_NAMES = ("data.yaml", "dataset.yaml")


def label_path(image: Path) -> Path:
    """Ultralytics' ``img2label_paths`` for one image."""
    text = image.as_posix()
    head, sep, tail = text.rpartition("/images/")
    if not sep:
        raise ValueError(f"{image} has no /images/ folder in its path")
    return Path(f"{head}/labels/{tail}").with_suffix(".txt")


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DataError(path, f"not readable YAML ({exc})") from None
    if not isinstance(data, dict):
        raise DataError(path, "expected a mapping (kpt_shape, names, train, val, ...)")
    return data


def _yaml_in(folder: Path) -> Path | None:
    return next((folder / n for n in YAML_NAMES if (folder / n).is_file()), None)


def detect(source: Path) -> bool:
    if source.is_file():
        return source.suffix.lower() in (".yaml", ".yml")
    if not source.is_dir():
        return False
    return _yaml_in(source) is not None or bool(_folders_without_yaml(source))


def _inside(path: Path, root: Path) -> bool:
    real, base = path.resolve(), root.resolve()
    return real == base or base in real.parents


def _folders_without_yaml(root: Path) -> list[Path]:
    """Image folders of a layout with no yaml: images/ beside labels/, or Roboflow's split folders."""
    found = []
    if (root / "images").is_dir() and (root / "labels").is_dir():
        found.append(root / "images")
    for split in ("train", "valid", "val", "test"):
        if (root / split / "images").is_dir() and (root / split / "labels").is_dir():
            found.append(root / split / "images")
    return found


def _split_folders(yaml_path: Path, config: dict[str, Any]) -> tuple[Path, list[Path], list[str]]:
    """(dataset root, image folders, notes) from a data.yaml, resolved the way Ultralytics does."""
    notes = []
    base = yaml_path.parent
    root = base
    hinted = config.get("path")
    if isinstance(hinted, str) and hinted:
        candidate = base / hinted
        if candidate.is_dir() and _inside(candidate, base):
            root = candidate
        else:
            notes.append(f"data.yaml path {hinted!r} is not a folder inside {base}; used the yaml's own folder")
    folders: list[Path] = []
    for split in SPLITS:
        entries = config.get(split)
        for entry in entries if isinstance(entries, list) else [entries] if entries else []:
            if not isinstance(entry, str):
                raise DataError(yaml_path, f"{split} must name a folder of images, not {entry!r}")
            folder = root / entry
            if not folder.exists() and entry.startswith("../"):
                folder = root / entry[3:]  # Roboflow writes ../train/images next to its data.yaml
            if not folder.is_dir():
                notes.append(f"{split} folder {entry!r} is not there (looked at {folder}); skipped")
                continue
            if not _inside(folder, base):
                raise DataError(yaml_path, f"{split} folder {entry!r} lies outside {base}; refused")
            if folder.resolve() not in [f.resolve() for f in folders]:
                folders.append(folder)
    if not folders:
        folders = _folders_without_yaml(root)
    return root, folders, notes


def find_layout(source: Path) -> tuple[Path, list[Path], dict[str, Any], Path, list[str]]:
    """(dataset root, image folders, data.yaml contents, yaml path or labels folder, notes)."""
    yaml_path = source if source.is_file() else _yaml_in(source)
    if yaml_path is not None:
        config = _read_yaml(yaml_path)
        root, folders, notes = _split_folders(yaml_path, config)
    else:
        config, root, notes = {}, source, []
        folders = _folders_without_yaml(source)
        yaml_path = source
    if not folders:
        raise DataError(yaml_path, "no image folders: a YOLO-pose dataset needs images/ beside labels/ "
                        "(or the train/val folders its data.yaml names)")
    return root, folders, config, yaml_path, notes


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


def _skeleton_for(config: dict[str, Any], k: int, where: Path) -> Skeleton:
    preset = preset_for_joint_count(k)
    flip_idx = config.get("flip_idx")
    names = config.get("kpt_names")
    if isinstance(names, dict):  # Ultralytics 8.3 writes {0: [names]} per class
        names = next(iter(names.values()), None)
    if preset is not None and (flip_idx is None or preset.flip_permutation() == list(flip_idx)):
        if not isinstance(names, list) or list(names) == list(preset.joints):
            return preset
    pairs = []
    if flip_idx is not None:
        if not isinstance(flip_idx, list) or sorted(flip_idx) != list(range(k)):
            raise DataError(where, f"flip_idx must be a permutation of 0..{k - 1}")
        pairs = [(i, int(j)) for i, j in enumerate(flip_idx) if i < j]
    joints = tuple(str(n) for n in names) if isinstance(names, list) and len(names) == k else tuple(f"kp{i}" for i in range(k))
    return Skeleton(name=f"yolo:{k}", joints=joints, edges=(), flip_pairs=tuple(pairs))


def _entries(root: Path, folders: list[Path]) -> list[tuple[str, Path, Path, list]]:
    """(file name relative to the root, image, label file, label rows) for every image."""
    entries = []
    for folder in folders:
        for rel in list_images(folder):
            image = folder / rel
            label = label_path(image)
            rows = []
            if label.is_file():
                for n, line in enumerate(label.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                    if line.strip():
                        rows.append((n, line.split()))
            entries.append((image.relative_to(root).as_posix(), image, label, rows))
    return entries


def read_yolo(source: str | Path) -> ImportBatch:
    source = Path(source)
    root, folders, config, yaml_path, notes = find_layout(source)
    kpt_shape = _kpt_shape(config, yaml_path)
    names = _class_names(config, yaml_path)
    for folder in folders:
        if not _inside(folder, root):
            raise DataError(yaml_path, f"image folder {folder} lies outside {root}; refused")
    base = folders[0] if len(folders) == 1 else root  # file names as short as one source allows
    entries = _entries(base, folders)
    if kpt_shape is None:  # infer from the first label line: 5 + 3K numbers, else 5 + 2K
        first = next((row for *_, rows in entries for _, row in rows), None)
        if first is None:
            raise DataError(yaml_path, "no label lines and no kpt_shape in data.yaml: cannot tell the joint count")
        n = len(first) - 5
        kpt_shape = [n // 3, 3] if n % 3 == 0 else [n // 2, 2]
    k, dims = int(kpt_shape[0]), int(kpt_shape[1])
    skeleton = _skeleton_for(config, k, yaml_path)
    problems = Problems(yaml_path)
    images = []
    for rel, image, label, rows in entries:
        if not _inside(image, root):
            problems.add(f"{rel}: a link to {image.resolve()}, outside {root}; refused")
            continue
        width, height = verify_image(image)
        instances = [
            inst for n, row in rows
            if (inst := _instance(row, f"{_shown(label, root)} line {n}", k, dims, names, skeleton, width, height, problems))
        ]
        images.append(ImportedImage(file_name=rel, width=width, height=height, instances=instances))
    problems.raise_if_any()
    if not images:
        raise DataError(yaml_path, "no images in " + ", ".join(str(f) for f in folders))
    categories = [
        (skeleton.to_coco_category(int(c) + 1, name=str(nm), supercategory=str(nm)), skeleton)
        for c, nm in sorted(names.items())
    ]
    return ImportBatch(format="yolo", annotation_file=yaml_path, image_root=base, images=images,
                       categories=categories, notes=notes)


def _shown(label: Path, root: Path) -> str:
    try:
        return label.relative_to(root).as_posix()
    except ValueError:
        return str(label)


def _instance(row, where, k, dims, names, skeleton, width, height, problems) -> ImportedInstance | None:
    if len(row) != 5 + k * dims:
        problems.add(f"{where}: {len(row)} values, expected {5 + k * dims} (class, box, {k} x {dims} keypoint values)")
        return None
    try:
        values = [float(v) for v in row]
    except ValueError:
        problems.add(f"{where}: not all values are numbers")
        return None
    if not all(math.isfinite(v) for v in values):
        problems.add(f"{where}: NaN or infinite value")
        return None
    cls = values[0]
    if not cls.is_integer() or int(cls) not in names:
        problems.add(f"{where}: class {row[0]} is not in the dataset's names")
        return None
    cx, cy, bw, bh = values[1:5]
    if bw < 0 or bh < 0:
        problems.add(f"{where}: negative box size")
        return None
    if any(abs(v) > 1000 for v in values[1:]):
        problems.add(f"{where}: values must be normalised to the image (0..1)")
        return None
    pts = np.array(values[5:], dtype=np.float64).reshape(k, dims)
    kps = np.zeros((k, 3))
    kps[:, 0], kps[:, 1] = pts[:, 0] * width, pts[:, 1] * height
    if dims == 3:
        if not np.all(np.isin(pts[:, 2], (0, 1, 2))):
            problems.add(f"{where}: keypoint visibility must be 0, 1 or 2")
            return None
        kps[:, 2] = pts[:, 2]
    else:
        kps[:, 2] = np.where((pts[:, 0] != 0) | (pts[:, 1] != 0), 2, 0)
    kps[kps[:, 2] == 0, :2] = 0.0
    bbox = ((cx - bw / 2) * width, (cy - bh / 2) * height, bw * width, bh * height)
    return ImportedInstance(keypoints=kps, skeleton=skeleton, bbox=bbox, category_id=int(cls) + 1)


def read(source: Path, options: Any) -> ImportBatch:
    return read_yolo(source)
