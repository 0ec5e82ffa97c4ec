"""COCO results files: a JSON list of detections ``{image_id, category_id, keypoints, score}``.

mmpose, Ultralytics and pycocotools write them; poseapp writes them for COCOeval. Imported,
each detection becomes a prediction of a named model on the frame the image id names (the ids
a COCO import recorded, the same ones a COCO export writes), to be reviewed and accepted like
poseapp's own. The third number of each joint is a confidence in these files, not a COCO
visibility flag: it is kept as the joint's score, and the joint counts as placed when it is > 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from poseapp.core.errors import DataError
from poseapp.core.skeleton import PRESETS
from poseapp.formats.coco import load_json
from poseapp.formats.coco_export import IdPlan, _number, category_table, frame_file_name, image_root
from poseapp.formats.dataset import Problems, describe, is_coordinate, is_finite_number, is_int
from poseapp.formats.ingest import ImportSummary
from poseapp.formats.output import write_json_export
from poseapp.media.relocate import remember_location
from poseapp.store import Instance, Project
from poseapp.store.records import Frame


@dataclass
class Detection:
    image_id: int
    category_id: int
    keypoints: np.ndarray  # K x 3: x, y, confidence
    score: float
    bbox: tuple[float, float, float, float] | None = None
    # ``poseapp predict`` also names the image (and the video frame): ids are per run, names are not
    file_name: str | None = None
    frame: int | None = None
    track_id: int | None = None  # PoseTrack's field: the person followed through a video
    video: str | None = None  # a video frame's video file (its file_name is then STEM/000123.jpg)


@dataclass
class PredictionsBatch:
    """Checked detections, not yet tied to frames: that needs the project (see ``apply``)."""

    format: str
    annotation_file: Path
    model: str
    detections: list[Detection] = field(default_factory=list)


def detect(source: Path) -> bool:
    """A .json file whose text starts with a list of objects (or an empty list)."""
    if not (source.is_file() and source.suffix.lower() == ".json"):
        return False
    try:
        with open(source, "rb") as handle:
            head = handle.read(64).lstrip()
    except OSError:
        return False
    return head[:1] == b"[" and head[1:].lstrip()[:1] in (b"{", b"]")


def read(source: Path, options: Any) -> PredictionsBatch:
    data = load_json(source)
    if not isinstance(data, list):
        raise DataError(source, "a COCO results file is a JSON list of detections")
    problems = Problems(source)
    detections = []
    for i, item in enumerate(data):
        det = _detection(item, f"[{i}]", problems)
        if det is not None:
            detections.append(det)
    problems.raise_if_any()
    if not detections:
        raise DataError(source, "the results file holds no detections")
    return PredictionsBatch("coco-results", source, options.model or source.stem, detections)


def _detection(item: Any, where: str, problems: Problems) -> Detection | None:
    if not isinstance(item, dict):
        problems.add(f"{where} is not an object")
        return None
    for key in ("image_id", "category_id"):
        if not is_int(item.get(key)):
            problems.add(f"{where}: '{key}' must be an integer, not {describe(item.get(key))}")
            return None
    kps = item.get("keypoints")
    if not isinstance(kps, list) or not kps or len(kps) % 3 or not all(is_coordinate(v) for v in kps):
        problems.add(f"{where}: 'keypoints' must be x, y, score triples of finite numbers, not {describe(kps, 60)}")
        return None
    score = item.get("score")
    if not is_finite_number(score):
        problems.add(f"{where}: 'score' must be a finite number, not {describe(score)}")
        return None
    bbox = item.get("bbox")
    if bbox is not None and not (isinstance(bbox, list) and len(bbox) == 4 and all(is_coordinate(v) for v in bbox)):
        problems.add(f"{where}: 'bbox' must be 4 numbers, not {describe(bbox, 60)}")
        return None
    arr = np.array(kps, dtype=np.float64).reshape(-1, 3)
    name = item.get("file_name") if isinstance(item.get("file_name"), str) and item.get("file_name") else None
    frame = item["frame"] if is_int(item.get("frame")) else None
    if "track_id" in item and not is_int(item["track_id"]):
        problems.add(f"{where}: 'track_id' must be an integer, not {describe(item['track_id'])}")
        return None
    video = item.get("video") if isinstance(item.get("video"), str) and item.get("video") and frame is not None else None
    return Detection(item["image_id"], item["category_id"], arr, float(score), tuple(bbox) if bbox else None, name, frame,
                     item.get("track_id"), video)


def apply(project: Project, batch: PredictionsBatch) -> ImportSummary:
    """File every detection under its frame as a prediction of ``batch.model``; all or nothing."""
    frames = _frames_by_image_id(project)
    names = _frames_by_name(project) if any(d.file_name for d in batch.detections) else {}
    skeletons = {int(cat["id"]): skel for cat, skel in project.categories()}
    problems = Problems(batch.annotation_file)
    instances = []
    presets_used: set[str] = set()  # skeletons the project lacks (a bare video's), known by their joint count
    for n, det in enumerate(batch.detections):
        frame_id = _frame_of(det, frames, names, f"[{n}]", problems)
        if frame_id is None:
            continue
        preset = _preset_for(project, det)
        skeleton = preset or _skeleton_for(project, skeletons, det, f"[{n}]", problems, frame_id)
        if skeleton is None:
            continue
        if preset is not None:
            presets_used.add(preset)
        kps = det.keypoints.copy()
        kps[:, 2] = np.where(det.keypoints[:, 2] > 0, 2, 0)
        instances.append(Instance(
            frame_id=frame_id, skeleton=skeleton, keypoints=kps, bbox=det.bbox, origin="predicted",
            model_id=batch.model, score=det.score, joint_scores=det.keypoints[:, 2].copy(),
            category_id=None if preset is not None else det.category_id,
            extra={"track_id": det.track_id} if det.track_id is not None else {},
        ))
    problems.raise_if_any()
    with project.transaction():
        for name in sorted(presets_used):
            project.ensure_skeleton(PRESETS[name])
        project.add_instances(instances)
    summary = ImportSummary(batch.format, str(batch.annotation_file), images=len({i.frame_id for i in instances}),
                            instances=len(instances), notes=[f"filed as predictions of model {batch.model!r}"])
    remember_location(project)
    project.events.imported.emit(summary)
    return summary


def _frame_of(det: Detection, frames: dict[int, int], names: dict[tuple[str, int | None], list[int]], where: str,
              problems: Problems) -> int | None:
    """The frame a detection belongs to: by its image_id, unless it names its image (``poseapp
    predict`` numbers the images of each run from 1, so its ids match no project): then by that
    name, and a name the id's frame does not have is never filed under the id."""
    by_id = frames.get(det.image_id)
    if det.file_name is None:
        if by_id is None:
            problems.add(f"{where}: image_id {det.image_id} is not an image of this project (import its ground truth first)")
        return by_id
    name = PurePosixPath(det.file_name.replace("\\", "/")).name
    if det.video is not None:  # a video frame: named STEM/000123.jpg, its video in 'video'
        name = PurePosixPath(det.video.replace("\\", "/")).name
    elif det.frame is not None:
        name = name.removesuffix(f"#{det.frame}")  # older predict results named a video frame VIDEO#INDEX
    named = names.get((name, det.frame), [])
    if by_id in named:
        return by_id
    if len(named) == 1:
        return named[0]
    what = det.file_name + (f" frame {det.frame}" if det.frame is not None else "")
    if named:
        problems.add(f"{where}: {what} names {len(named)} images of this project and image_id {det.image_id} none of them; "
                     "import it into a project with one image of that name")
    else:
        problems.add(f"{where}: {what} (image_id {det.image_id}) is not an image of this project (import it first)")
    return None


def _frames_by_name(project: Project) -> dict[tuple[str, int | None], list[int]]:
    """(image file name, None) or (video file name, frame index) -> the project's frames."""
    names: dict[tuple[str, int | None], list[int]] = {}
    videos = {s.id: PurePosixPath(s.path.replace("\\", "/")).name for s in project.sources() if s.kind == "video"}
    for fid in project.frame_ids():
        frame = project.frame(fid)
        key = (PurePosixPath(frame.file_name).name, None) if frame.file_name is not None else (videos.get(frame.source_id, ""), frame.index)
        names.setdefault(key, []).append(fid)
    return names


def _frames_by_image_id(project: Project) -> dict[int, int]:
    ids = IdPlan(project)
    return {ids.image_id(project.frame(fid)): fid for fid in project.frame_ids()}


def _preset_for(project: Project, det: Detection) -> str | None:
    """For a project with no skeleton of this many joints (a video imported bare, then `poseapp
    predict`'s results on it): the one built-in skeleton with that many joints, if one."""
    if any(project.skeleton(s).num_joints == len(det.keypoints) for s in project.skeleton_names()):
        return None
    fits = [name for name, s in PRESETS.items() if s.num_joints == len(det.keypoints)]
    return fits[0] if len(fits) == 1 else None


def _skeleton_for(project: Project, skeletons: dict[int, str], det: Detection, where: str, problems: Problems,
                  frame_id: int | None = None) -> str | None:
    """The skeleton a detection's joints belong to. Its category_id names the dataset's category,
    which the project may have renumbered (two datasets both calling their category 1); when that
    id names another layout, the one layout with this many joints is taken (preferring the
    frame's own people), as the numbers of joints leave no doubt."""
    name = skeletons.get(det.category_id)
    if name is None or project.skeleton(name).num_joints != len(det.keypoints):
        fits = [s for s in project.skeleton_names() if project.skeleton(s).num_joints == len(det.keypoints)]
        if len(fits) > 1 and frame_id is not None:
            on_frame = {i.skeleton for i in project.instances(frame_id)}
            fits = [s for s in fits if s in on_frame] or fits
        if len(fits) == 1:
            return fits[0]
    if name is None:
        problems.add(f"{where}: category_id {det.category_id} is not a category of this project")
        return None
    k = project.skeleton(name).num_joints
    if k != len(det.keypoints):
        problems.add(f"{where}: {len(det.keypoints)} keypoints, but category {det.category_id} ({name}) has {k}")
        return None
    return name


def export_coco_results(project: Project, out: str | Path, model_id: str | None = None) -> dict[str, int]:
    """Predictions as a COCO results list (image_id, category_id, keypoints, score) for COCOeval."""
    check_prediction_model(project, model_id)
    ids = IdPlan(project)
    _, cat_for_skeleton = category_table(project)
    _, roots = image_root(project, {s.id for s in project.sources() if s.kind == "video"})
    results = []
    frames: dict[int, Frame] = {}
    for inst in project.iter_instances(origin="predicted"):
        if model_id is not None and inst.model_id != model_id:
            continue
        frame = frames.get(inst.frame_id) or frames.setdefault(inst.frame_id, project.frame(inst.frame_id))
        score = inst.score
        if score is None:
            score = float(np.mean(inst.joint_scores)) if inst.joint_scores is not None else 1.0
        box = inst.bbox or inst.person_box()
        results.append({
            "image_id": ids.image_id(frame),
            "category_id": inst.category_id if inst.category_id is not None else cat_for_skeleton[inst.skeleton],
            "keypoints": [_number(v) for v in inst.keypoints.reshape(-1)],
            "score": float(score),
            # as `poseapp predict` writes them: the box the model looked in, and the frame's one name
            **({"bbox": [_number(v) for v in box]} if box is not None else {}),
            "file_name": frame_file_name(project, frame, roots),
            **({"video": Path(project.source(frame.source_id).path).name, "frame": frame.index} if frame.file_name is None else {}),
            **({"track_id": track} if is_int(track := inst.extra.get("track_id")) else {}),
        })
    write_json_export(out, results, project.path)
    return {"results": len(results)}


def check_prediction_model(project: Project, model_id: str | None) -> None:
    """A model asked for by name that predicted nothing here is a typo to name, not an empty export."""
    if model_id is not None and model_id not in (models := project.prediction_models()):
        known = ", ".join(models) if models else "none: run a model first"
        raise DataError(project.path, f"no predictions by a model named {model_id!r} (the project's models: {known})")


def export(project: Project, out: Path, options: Any) -> dict[str, int]:
    return export_coco_results(project, out, model_id=options.model)
