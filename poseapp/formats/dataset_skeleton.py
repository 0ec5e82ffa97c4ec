"""The skeleton a dataset file labels its people in, for a new project that labels people the
same way (File > New project, "from a dataset..."): the joint names, limbs and flip pairs
(SLEAP's symmetries) of a COCO keypoints JSON, a SLEAP .slp, a DeepLabCut config.yaml, a Label
Studio JSON or a CVAT XML, exactly as an import of the file would store it. The file is read by
the same registered reader an import uses, so both agree on the skeleton; nothing is imported.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from poseapp.core.errors import DataError
from poseapp.core.skeleton import Skeleton
from poseapp.formats import FORMATS, detect_format, read_source
from poseapp.formats.registry import ImportOptions

# Formats whose files name their joints (YOLO-pose and LSP files carry a joint count or a preset only)
SKELETON_FORMATS = ("coco", "slp", "dlc", "label-studio", "cvat")
# The file dialog's filter for them
DIALOG_FILTER = ("Datasets with a skeleton (*.json *.slp config.yaml *.yaml *.xml);;COCO keypoints JSON (*.json);;"
                 "SLEAP labels (*.slp);;DeepLabCut project (config.yaml);;Label Studio JSON (*.json);;"
                 "CVAT XML (*.xml);;All files (*)")


def skeleton_from_dataset(path: str | Path) -> Skeleton:
    """The skeleton of the dataset at ``path``: the one most of its people are labelled in (the
    first the file lists on a tie, or when nobody is labelled yet). Raises DataError naming the
    file and the problem when it is no such dataset or cannot be read."""
    path = Path(path)
    fmt = detect_format(path)  # a missing file: DataError naming it
    if fmt not in SKELETON_FORMATS:
        what = f"this {FORMATS[fmt].label} file carries no skeleton of its own" if fmt in FORMATS else "this is no dataset file"
        raise DataError(path, f"{what}; choose a COCO keypoints JSON, a SLEAP .slp, a DeepLabCut config.yaml "
                              "or a Label Studio JSON")
    try:
        # the images need not be here: only the skeleton is wanted
        batch = read_source(path, fmt, ImportOptions(allow_missing_images=True))
    except (OSError, ValueError, KeyError, TypeError) as exc:  # a reader's library failing on a damaged file
        raise DataError(path, f"cannot be read as {FORMATS[fmt].label}: {exc}") from None
    skeletons = [skeleton for _, skeleton in getattr(batch, "categories", [])]
    if not skeletons:
        raise DataError(path, "the file defines no skeleton (no category with keypoints)")
    people = Counter(inst.skeleton.name for image in batch.images for inst in image.instances)
    return max(skeletons, key=lambda s: people[s.name])  # max keeps the first of equals
