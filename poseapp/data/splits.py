"""Train/validation splits. The LSP validation split is fixed: the last 200 images of the LSP
training half (im0801-im1000). No shipped model trains on them, and every model card reports
its metrics there."""

from __future__ import annotations

import re

from poseapp.data.samples import PoseSample

LSP_VALIDATION = frozenset(f"im{n:04d}.jpg" for n in range(801, 1001))


def is_lsp_validation(sample: PoseSample) -> bool:
    match = re.search(r"(im\d{4})\.jpg$", sample.image_path)
    return sample.key.startswith("lsp:") and match is not None and f"{match.group(1)}.jpg" in LSP_VALIDATION


def split_samples(samples: list[PoseSample]) -> tuple[list[PoseSample], list[PoseSample]]:
    """(train, validation): LSP's fixed validation images go to validation, everything else trains."""
    train, val = [], []
    for s in samples:
        (val if is_lsp_validation(s) else train).append(s)
    return train, val
