"""Train/validation splits. The LSP validation split is fixed: the last 200 images of the LSP
training half (im0801-im1000). No shipped model trains on them, and every model card reports
its metrics there."""

from __future__ import annotations

import re

from poseapp.data.samples import PoseSample

LSP_VALIDATION = frozenset(f"im{n:04d}.jpg" for n in range(801, 1001))


# LSP's own names (im0801.jpg), also as a project or a COCO export keeps them (lsp_im0801.jpg in the
# demo); LSPET's five-digit im00801.jpg never matches
_LSP_NAME = re.compile(r"(?:^|[_-])(im\d{4})\.jpg$")


def is_lsp_validation(sample: PoseSample) -> bool:
    """An LSP validation image, from whatever data it came (an ``lsp:`` folder, a project or a COCO
    file that holds LSP images): no model trains on these, so their figures stay honest."""
    match = _LSP_NAME.search(sample.image_path.replace("\\", "/").rsplit("/", 1)[-1])
    return match is not None and f"{match.group(1)}.jpg" in LSP_VALIDATION


def training_split(samples: list[PoseSample]) -> tuple[list[PoseSample], list[PoseSample], str]:
    """(train, validation, how): LSP's validation images when the data holds any, else every
    20th sample held out (every 5th in a small project), as the trainer and the fine-tune plan use."""
    train, val = split_samples(samples)
    if val:
        return train, val, "LSP training half im0801-im1000"
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
    """(train, validation): LSP's fixed validation images go to validation, everything else trains."""
    train, val = [], []
    for s in samples:
        (val if is_lsp_validation(s) else train).append(s)
    return train, val
