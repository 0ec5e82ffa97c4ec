"""The held-out photos of a COCO-style photo set: every 4th photo by sorted file name is never
trained on, by the person detector or by a pose model that takes this split.

Fixed by file names alone (no random seed, no annotation order), so any tool that reads the same
folder or JSON file holds out the same photos. ``coco_mini_train`` (80 photos) gives 20 held-out
photos this way; ``coco_sample`` (4 photos) is held out whole (VALIDATION_ONLY_SETS), and LSP's
im0801-im1000 stay held out as everywhere (poseapp.data.splits.is_lsp_validation).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import PurePath

HOLDOUT_EVERY = 4  # 25%: ~20 photos of coco_mini_train, enough people >= 64 px to count
# photo sets that only ever validate, named by the folder that holds their JSON file
VALIDATION_ONLY_SETS = frozenset({"coco_sample"})


def _name(path: str | os.PathLike) -> str:
    return PurePath(os.fspath(path).replace("\\", "/")).name


def photo_split(file_names: Iterable[str | os.PathLike]) -> tuple[list[str], list[str]]:
    """(train, held_out) base names: the photos sorted by base name, every HOLDOUT_EVERY-th (the
    1st, 5th, 9th ...) held out. Duplicate names count once."""
    names = sorted({_name(f) for f in file_names})
    held = names[::HOLDOUT_EVERY]
    held_set = set(held)
    return [n for n in names if n not in held_set], held


def held_out_photos(file_names: Iterable[str | os.PathLike]) -> frozenset[str]:
    """The held-out base names among ``file_names`` (see photo_split)."""
    return frozenset(photo_split(file_names)[1])


def is_validation_only(annotation_file: str | os.PathLike) -> bool:
    """Whether a whole photo set (by the folder of its JSON file) is held out, e.g. coco_sample."""
    return PurePath(os.fspath(annotation_file)).parent.name in VALIDATION_ONLY_SETS
