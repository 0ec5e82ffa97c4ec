"""Joints a dataset lacks, labelled by name from a file made once by another model: the nose,
eyes and ears of LSP and LSPET people (scripts/face_labels.py, MediaPipe's pose landmarker), so a
COCO-17 model learns its face joints from 11,000 athletes and not from COCO's 69 training people
alone. The file says what it holds; its README how good the labels are.

File (.npz): ``joints`` the joint names; one array per dataset kind (``lsp``, ``lspet``) of shape
(images, joints, 3): x, y in image pixels and a score in [0, 1]; NaN where there is no label.
Image n of the kind is its n-th image (im0001.jpg is row 0), as LSP's joints.mat numbers them.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np

from poseapp.core.errors import DataError
from poseapp.core.skeleton import PRESETS
from poseapp.data.samples import PoseSample

_NUMBER = re.compile(r"im(\d+)\.jpg$")


def load_extra_labels(path: str | Path) -> tuple[tuple[str, ...], dict[str, np.ndarray]]:
    """(joint names, {dataset kind: (images, joints, 3)}), checked."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            names = tuple(str(n) for n in data["joints"])
            # the tables are the (images, joints, 3) arrays; a file may carry others (per-joint status ...)
            tables = {k: np.asarray(data[k], dtype=np.float64) for k in data.files
                      if k not in ("joints", "meta") and data[k].ndim == 3 and data[k].shape[1:] == (len(names), 3)}
    except FileNotFoundError:
        raise DataError(path, "extra joint labels not found") from None
    except (KeyError, ValueError, OSError) as exc:
        raise DataError(path, f"not an extra-labels file ({exc})") from None
    if not tables:
        raise DataError(path, f"no (images, {len(names)}, 3) table of labels in it")
    return names, tables


def add_extra_labels(samples: list[PoseSample], path: str | Path, min_score: float) -> tuple[list[PoseSample], int]:
    """``samples`` with the file's joints filled in where the sample's skeleton has a joint of that
    name, the sample leaves it unlabelled, and the label's score is at least ``min_score``
    (visible, flag 2). Returns the samples and how many joints were filled."""
    names, tables = load_extra_labels(path)
    out, filled = [], 0
    for sample in samples:
        kind, _, rest = sample.key.partition(":")
        match = _NUMBER.search(rest.split("#", 1)[0])
        skeleton = PRESETS.get(sample.skeleton)
        if kind not in tables or match is None or skeleton is None:
            out.append(sample)
            continue
        row = int(match.group(1)) - 1
        table = tables[kind]
        if not 0 <= row < len(table):
            out.append(sample)
            continue
        keypoints = sample.keypoints.copy()
        unknown = list(sample.visibility_unknown)
        for j, name in enumerate(names):
            if name not in skeleton.joints:
                continue
            k = skeleton.index(name)
            x, y, score = table[row, j]
            if keypoints[k, 2] == 0 and np.isfinite(x) and np.isfinite(y) and score >= min_score:
                keypoints[k] = (x, y, 2.0)
                unknown.append(k)
                filled += 1
        # placed, but the labelling model's score is no visibility flag: the visibility loss skips them
        out.append(replace(sample, keypoints=keypoints, visibility_unknown=tuple(unknown)) if unknown else sample)
    return out, filled
