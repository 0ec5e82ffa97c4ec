"""Train/validation splits. The LSP validation split is fixed: the last 200 images of the LSP
training half (im0801-im1000). No shipped model trains on them, and every model card reports
its metrics there."""

from __future__ import annotations

import re

from poseapp.data.samples import PoseSample

LSP_VALIDATION = frozenset(f"im{n:04d}.jpg" for n in range(801, 1001))

# COCO photos no model trains on, wherever they come from (a coco: file, a project that imported
# them): every 4th photo of coco_mini_train by sorted name (poseapp.data.photo_split, which the
# person detector holds out too), frozen here as names so that a project holding only some of the
# photos holds out the same ones, and the 4 photos of coco_sample. 17 + 12 people with keypoints.
COCO_VALIDATION = frozenset({
    "000000000790.jpg", "000000063217.jpg", "000000078499.jpg", "000000100667.jpg", "000000116270.jpg",
    "000000133030.jpg", "000000161846.jpg", "000000174632.jpg", "000000194322.jpg", "000000212679.jpg",
    "000000216794.jpg", "000000234748.jpg", "000000281789.jpg", "000000332078.jpg", "000000373381.jpg",
    "000000418049.jpg", "000000433998.jpg", "000000466547.jpg", "000000493652.jpg", "000000538113.jpg",
    # coco_sample, held out whole
    "000000000785.jpg", "000000040083.jpg", "000000196141.jpg", "000000197388.jpg",
})


# LSP's own names (im0801.jpg), also as a project or a COCO export keeps them (lsp_im0801.jpg in the
# demo); LSPET's five-digit im00801.jpg never matches
_LSP_NAME = re.compile(r"(?:^|[_-])(im\d{4})\.jpg$")


def is_lsp_validation(sample: PoseSample) -> bool:
    """An LSP validation image, from whatever data it came (an ``lsp:`` folder, a project or a COCO
    file that holds LSP images): no model trains on these, so their figures stay honest."""
    match = _LSP_NAME.search(sample.image_path.replace("\\", "/").rsplit("/", 1)[-1])
    return match is not None and f"{match.group(1)}.jpg" in LSP_VALIDATION


def is_coco_validation(sample: PoseSample) -> bool:
    """One of the held-out COCO photos (COCO_VALIDATION), by its file name."""
    return sample.image_path.replace("\\", "/").rsplit("/", 1)[-1] in COCO_VALIDATION


def is_validation(sample: PoseSample) -> bool:
    return is_lsp_validation(sample) or is_coco_validation(sample)


def training_split(samples: list[PoseSample]) -> tuple[list[PoseSample], list[PoseSample], str]:
    """(train, validation, how): LSP's and COCO's held-out images when the data holds any, else
    every 20th sample held out (every 5th in a small project), as the trainer and the fine-tune plan use."""
    train, val = split_samples(samples)
    # a project of held-out photos only (the COCO sample) still fine-tunes, on its own split below
    if val and train:
        lsp, coco = sum(map(is_lsp_validation, val)), sum(map(is_coco_validation, val))
        names = ([f"LSP training half im0801-im1000 ({lsp} people)"] if lsp else []) + (
            [f"held-out COCO photos ({coco} people)"] if coco else [])
        return train, val, " and ".join(names) if coco else "LSP training half im0801-im1000"
    train, val = holdout_split(samples)
    return train, val, f"every {holdout_every(len(samples))}th"


# A project's people are few; holding out every 5th one (by a stable key order) keeps at least
# a few people out of training, so the validation figure is not one person's 0 or 100.
HOLDOUT_EVERY_SMALL = 5
HOLDOUT_EVERY_LARGE = 20
SMALL_PROJECT = 100


def holdout_every(n_samples: int) -> int:
    """Hold out every Nth sample for validation: more often in a small project."""
    return HOLDOUT_EVERY_SMALL if n_samples < SMALL_PROJECT else HOLDOUT_EVERY_LARGE


def holdout_split(samples: list[PoseSample]) -> tuple[list[PoseSample], list[PoseSample]]:
    ordered = sorted(samples, key=lambda s: s.key)
    val = ordered[:: holdout_every(len(samples))]
    held = {s.key for s in val}
    return [s for s in samples if s.key not in held], val


def split_samples(samples: list[PoseSample]) -> tuple[list[PoseSample], list[PoseSample]]:
    """(train, validation): the fixed validation images (LSP's, COCO's) go to validation, everything else trains."""
    train, val = [], []
    for s in samples:
        (val if is_validation(s) else train).append(s)
    return train, val
