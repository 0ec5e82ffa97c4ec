"""A PoseSample is one person in one image. Specs name where they come from:

    lsp:DIR  lspet:DIR  coco:FILE.json  yolo:DIR  project:FILE.poseapp
    (a bare path is detected: a project file, a COCO JSON, an LSP/LSPET folder ...)
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from poseapp.core.accepting import MIN_SHARED_JOINTS, merged_keypoints, shared_joints
from poseapp.core.errors import DataError
from poseapp.core.skeleton import PRESETS
from poseapp.formats import IMPORTERS, detect_format, read_source
from poseapp.media.relocate import follow_moved_project, missing_sources
from poseapp.store import Project
from poseapp.store.edits import PLACED
from poseapp.store.project_file import is_project_file


@dataclass(frozen=True)
class PoseSample:
    image_path: str
    keypoints: np.ndarray  # K x 3 in image pixels, COCO visibility
    bbox: tuple[float, float, float, float]
    skeleton: str
    key: str  # stable identity for splits, e.g. 'lsp:im0801.jpg'
    image_id: int | None = None  # the dataset's image id (COCO) for results files
    frame_id: int | None = None  # the project frame, when it came from a project
    area: float | None = None  # COCO's segmentation area (the OKS scale); None: use the box area
    video_frame: int | None = None  # set when image_path is a video: the frame that shows the person
    invisible: tuple[int, ...] = ()  # joints the dataset marks not visible without giving a place (LSPET)
    # an accepted prediction of which the user placed no joint: its "truth" is a model's output
    unchecked: bool = False
    # joints labelled by another model (data/extra_labels.py): placed, but with no visibility flag
    visibility_unknown: tuple[int, ...] = ()

    @property
    def image_key(self) -> str:
        """One name per picture: the image file, or the video and frame."""
        return self.image_path if self.video_frame is None else f"{self.image_path}#{self.video_frame}"


def parse_data_spec(spec: str) -> tuple[str, Path]:
    kind, sep, rest = spec.partition(":")
    if sep and (kind in IMPORTERS or kind == "project"):
        return kind, Path(rest)
    path = Path(spec)
    if sep and re.fullmatch(r"[a-z][a-z0-9_-]*", kind) and not path.exists():
        # 'foo:bar': a kind of data poseapp does not know, said as that (not as a missing file 'foo:bar')
        kinds = ", ".join(sorted([k for k, f in IMPORTERS.items() if f.read is not None] + ["project"]))
        raise DataError(path, f"unknown kind of data {kind!r} before ':' (known: {kinds}; or give a path alone)")
    if path.is_file() and is_project_file(path):
        return "project", path
    kind = detect_format(path)
    if kind == "media" or IMPORTERS[kind].read is None:
        names = ", ".join(f.label for f in IMPORTERS.values())
        raise DataError(path, f"not a dataset with keypoints ({names}) nor a project")
    return kind, path


def load_samples(spec: str, manual_only: bool = True) -> list[PoseSample]:
    """Every labelled person in the dataset or project named by ``spec``."""
    kind, path = parse_data_spec(spec)
    if kind == "project":
        return _from_project(path, manual_only)
    batch = read_source(path, kind)
    if not hasattr(batch, "images"):
        raise DataError(path, "a results file holds predictions, not the labelled people training and evaluation need")
    samples = []
    for image in batch.images:
        for n, inst in enumerate(image.instances):
            if inst.origin != "manual" or not np.any(inst.keypoints[:, 2] > 0):
                continue
            bbox = inst.bbox or _extent(inst.keypoints)
            samples.append(PoseSample(
                image_path=str(batch.image_root / image.file_name), keypoints=inst.keypoints, bbox=bbox,
                skeleton=inst.skeleton.name, key=f"{kind}:{image.file_name}#{n}", image_id=image.ext_id,
                area=inst.extra.get("area"), invisible=_invisible(inst.extra),
            ))
    return samples


def _from_project(path: Path, manual_only: bool) -> list[PoseSample]:
    samples = []
    # Read-only: training beside the open window must never write (nor lock) the project.
    with Project.open(path, read_only=True) as project:
        follow_moved_project(project)
        missing = {s.id: s.path for s in missing_sources(project)}
        for inst in project.iter_instances(origin="manual" if manual_only else None):
            if not np.any(inst.keypoints[:, 2] > 0):
                continue
            frame = project.frame(inst.frame_id)
            if frame.source_id in missing:
                raise DataError(path, f"the images of source {frame.source_id} are not at {missing[frame.source_id]}; "
                                "point at their new place with `poseapp relocate` or File > Locate missing sources")
            video = project.source(frame.source_id).kind == "video"
            samples.append(PoseSample(
                image_path=project.frame_path(frame), keypoints=inst.keypoints,
                bbox=inst.bbox or _extent(inst.keypoints), skeleton=inst.skeleton,
                key=f"project:{project.frame_name(frame)}#{inst.id}", image_id=frame.ext_id, frame_id=frame.id,
                area=inst.extra.get("area"), video_frame=frame.index if video else None,
                invisible=_invisible(inst.extra), unchecked=inst.extra.get(PLACED) == [],
            ))
    return samples


def _invisible(extra: dict) -> tuple[int, ...]:
    return tuple(int(j) for j in extra.get("invisible_joints", ()))


def _extent(keypoints: np.ndarray) -> tuple[float, float, float, float]:
    pts = keypoints[keypoints[:, 2] > 0, :2]
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    return (float(x0), float(y0), float(max(x1 - x0, 1.0)), float(max(y1 - y0, 1.0)))


def in_skeleton(samples: list[PoseSample], skeleton: str) -> tuple[list[PoseSample], list[PoseSample], dict[str, int]]:
    """The samples a model of the ``skeleton`` named can learn from, the rest, and how many of the
    first came from each other skeleton.

    A person annotated in another preset skeleton that shares at least MIN_SHARED_JOINTS joint
    names with the model's (COCO-17 people for an LSP-14 model: the 12 limb joints) comes in with
    those joints; the model's other joints (neck, head top) are left not labelled, so the loss and
    PCK leave them out. This is what makes corrections accepted into a COCO-17 annotation (see
    store.edits.AcceptPrediction) teach an LSP-14 model. A skeleton that is no preset takes its own people only.
    """
    usable, other, mapped = [], [], Counter()
    for sample in samples:
        if sample.skeleton == skeleton:
            usable.append(sample)
        elif (converted := _by_joint_names(sample, skeleton)) is not None:
            usable.append(converted)
            mapped[sample.skeleton] += 1
        else:
            other.append(sample)
    return usable, other, dict(mapped)


def _by_joint_names(sample: PoseSample, skeleton: str) -> PoseSample | None:
    """``sample`` in the preset ``skeleton``, by the joints the two share; None when they share too
    few, either is no preset, or none of the shared joints is labelled."""
    source, target = PRESETS.get(sample.skeleton), PRESETS.get(skeleton)
    pairs = shared_joints(source.joints, target.joints) if source is not None and target is not None else []
    if len(pairs) < MIN_SHARED_JOINTS:
        return None
    keypoints = merged_keypoints(sample.keypoints, np.zeros((target.num_joints, 3)), pairs)
    where = dict(pairs)
    invisible = tuple(sorted(where[i] for i in sample.invisible if i in where))
    if not (keypoints[:, 2] > 0).any() and not invisible:
        return None
    return replace(sample, keypoints=keypoints, skeleton=skeleton, invisible=invisible)
