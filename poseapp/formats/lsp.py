"""LSP and LSP Extended ``joints.mat`` files.

The two sets store their flag the opposite way round:
  LSP     3 x 14 x N, flag 1 = occluded (the joint is still annotated)  -> v = 1, else v = 2
  LSPET  14 x 3 x N, flag 1 = visible                                   -> v = 2, else v = 0
In LSPET a flag of 0 never comes with a position (in the shared file all 16,787 such joints
have x <= 0, mostly exactly 0), so those joints import as "not labelled" with x = y = 0
rather than as occluded joints at a made-up place. That they were marked not visible is kept in
the instance's ``invisible_joints`` (exported to COCO as an extra annotation field): the
exclude-occluded training mode teaches the network to show no peak for them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from poseapp.core.errors import DataError
from poseapp.core.skeleton import LSP14
from poseapp.formats.dataset import ImportBatch, ImportedImage, ImportedInstance, box_around
from poseapp.media.images import verify_image


def find_mat(source: Path) -> Path:
    mat = source / "joints.mat" if source.is_dir() else source
    if not mat.is_file():
        raise DataError(mat, "no joints.mat here")
    return mat


def load_joints(mat_path: Path) -> tuple[str, np.ndarray]:
    """('lsp' | 'lspet', N x 14 x 3 array of x, y, raw flag); the layout tells the variant."""
    import scipy.io

    try:
        contents = scipy.io.loadmat(str(mat_path))
    except Exception as exc:  # scipy raises several types for damaged files
        raise DataError(mat_path, f"not a readable MATLAB .mat file ({exc})") from None
    if "joints" not in contents:
        raise DataError(mat_path, f"no 'joints' matrix (found {sorted(k for k in contents if not k.startswith('__'))})")
    joints = np.asarray(contents["joints"])
    if joints.ndim != 3 or not np.issubdtype(joints.dtype, np.number):
        raise DataError(mat_path, f"'joints' must be a 3-D numeric array, got shape {joints.shape}")
    if joints.shape[:2] == (3, 14):
        variant, arr = "lsp", np.transpose(joints, (2, 1, 0))
    elif joints.shape[:2] == (14, 3):
        variant, arr = "lspet", np.transpose(joints, (2, 0, 1))
    else:
        raise DataError(
            mat_path, f"'joints' has shape {joints.shape}; LSP uses (3, 14, N) and LSP Extended (14, 3, N)"
        )
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise DataError(mat_path, f"joint {bad[1]} of column {bad[0] + 1} is NaN or infinite")
    flags = arr[:, :, 2]
    if not np.all(np.isin(flags, (0, 1))):
        raise DataError(mat_path, "visibility flags must be 0 or 1")
    return variant, arr


def to_coco_visibility(variant: str, raw: np.ndarray) -> np.ndarray:
    """N x 14 x 3 with COCO v (see the module docstring for the mapping)."""
    out = raw.copy()
    flag = raw[:, :, 2]
    if variant == "lsp":
        out[:, :, 2] = np.where(flag == 1, 1, 2)
    else:
        missing = flag == 0
        out[:, :, 2] = np.where(missing, 0, 2)
        out[missing, :2] = 0.0
    return out


def read_lsp(source: str | Path, variant: str | None = None) -> ImportBatch:
    """An LSP-style folder (joints.mat + images/) or the .mat itself; imports the images present."""
    source = Path(source)
    mat = find_mat(source)
    found, raw = load_joints(mat)
    if variant is not None and variant != found:
        expected = "(3, 14, N)" if variant == "lsp" else "(14, 3, N)"
        raise DataError(mat, f"asked for {variant}, but the joints layout is {found}'s; {variant} uses {expected}")
    joints = to_coco_visibility(found, raw)
    folder = mat.parent / "images" if (mat.parent / "images").is_dir() else mat.parent
    digits = 4 if found == "lsp" else 5
    images = []
    for column in range(len(joints)):
        name = _image_name(folder, column + 1, digits)
        if name is None:
            continue
        width, height = verify_image(folder / name)
        kps = joints[column]
        extra = {}
        if found == "lspet" and np.any(raw[column, :, 2] == 0):
            extra["invisible_joints"] = [int(j) for j in np.flatnonzero(raw[column, :, 2] == 0)]
        images.append(ImportedImage(
            file_name=name, width=width, height=height, ext_id=column + 1,
            instances=[ImportedInstance(keypoints=kps, skeleton=LSP14, bbox=box_around(kps, width, height), extra=extra)],
        ))
    if not images:
        raise DataError(folder, f"none of the {len(joints)} images named in {mat.name} is here")
    notes = []
    if len(images) < len(joints):
        notes.append(f"{len(joints) - len(images)} of {len(joints)} columns have no image here and were left out")
    return ImportBatch(format=found, annotation_file=mat, image_root=folder, images=images, notes=notes)


def _image_name(folder: Path, number: int, digits: int) -> str | None:
    # Both spellings occur in redistributed copies; the set's own width is tried first.
    for width in (digits, 4 if digits == 5 else 5):
        for suffix in (".jpg", ".png", ".jpeg"):
            name = f"im{number:0{width}d}{suffix}"
            if (folder / name).is_file():
                return name
    return None


def detect(variant: str):
    """A detector for one variant: a joints.mat (or a folder holding one) in that variant's layout."""

    def claims(source: Path) -> bool:
        mat = source / "joints.mat" if source.is_dir() else source
        if mat.suffix.lower() != ".mat" or not mat.is_file():
            return False
        try:
            return load_joints(mat)[0] == variant
        except DataError:
            return variant == "lsp"  # a broken .mat is reported by the LSP reader, naming the problem

    return claims


def reader(variant: str):
    def read(source: Path, options) -> ImportBatch:
        return read_lsp(source, variant=variant)

    return read
