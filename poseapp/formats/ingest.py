"""Bringing sources into a project: a checked dataset batch, or bare images, folders and videos."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from poseapp.core.errors import DataError
from poseapp.formats.dataset import ImportBatch, ImportedImage, ImportedInstance
from poseapp.media.images import is_image_file, is_video_file, list_images, verify_image
from poseapp.media.relocate import remember_location
from poseapp.media.video import probe_video
from poseapp.store import Frame, Instance, Project
from poseapp.store.records import FRAME_STATES


@dataclass
class ImportSummary:
    format: str
    source: str
    images: int = 0
    new_frames: int = 0
    instances: int = 0
    notes: list[str] = field(default_factory=list)
    video_frames: int = 0  # frames of a new video beyond those the file labels (all come in, to browse)

    def __str__(self) -> str:
        what = "frame" if self.format == "video" else "image"
        text = (
            f"imported {self.source} as {self.format}: {_count(self.images, what)} "
            f"({_count(self.new_frames, 'new frame')}), {_count(self.instances, 'person instance')}"
        )
        if self.video_frames:  # a walk read "1 new frame" of a project that had 1,100 more
            text += f"; with the rest of the video, {_count(self.video_frames, 'more frame')} to browse"
        return "\n".join([text] + [f"note: {n}" for n in self.notes])


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


DUPLICATE_POLICIES = ("skip", "add", "refuse")


def apply_batch(project: Project, batch: ImportBatch, duplicates: str = "skip") -> ImportSummary:
    """Add a batch's images and instances in one transaction: all of it, or (on any error) none.

    Importing the same file twice would double every person. An instance already in the project
    (same source folder, same image, same annotation id; or, for formats without ids, the same
    joints) is skipped and counted (``duplicates="skip"``), refused (``"refuse"``), or added
    anyway (``"add"``).
    """
    if duplicates not in DUPLICATE_POLICIES:
        raise ValueError(f"duplicates must be one of {DUPLICATE_POLICIES}")
    summary = ImportSummary(batch.format, str(batch.annotation_file), notes=list(batch.notes))
    skipped = 0
    with project.transaction():
        category_ids = {int(cat["id"]): project.ensure_category(cat, skel) for cat, skel in batch.categories}
        # a file's own settings, kept for its format's export (the first file's, as a project has one)
        if batch.meta and batch.format in ("coco", "dlc") and project.get_meta(batch.format) is None:
            project.set_meta(batch.format, batch.meta)
        still = [image for image in batch.images if image.video is None]
        source = project.add_source("folder", batch.image_root, {"format": batch.format}) if still or not batch.images else None
        next_index = project.max_frame_index(source.id) + 1 if source is not None else 0
        # poseapp's own export names each frame's state (reviewed, edited, ...): set, not kept as a field
        states = {id(image): image.extra.pop("poseapp_state", None) for image in batch.images}
        video_frames, summary.video_frames = _video_frames(project, batch)
        for image in batch.images:
            state = states[id(image)]
            if image.video is not None:
                frame, made = video_frames[image.video]
                frame_id = frame.id
                summary.new_frames += made
            elif (frame := project.frame_by_file(source.id, image.file_name)) is None:
                frame_id = project.add_frames(
                    source.id, [(next_index, image.file_name, image.width, image.height, image.ext_id, image.extra)]
                )[0]
                next_index += 1
                summary.new_frames += 1
            else:
                frame_id = frame.id
            summary.images += 1
            present = project.instances(frame_id) if frame is not None and duplicates != "add" else []
            for inst in image.instances:
                if any(_same(inst, old) for old in present):
                    if duplicates == "refuse":
                        raise DataError(batch.annotation_file, f"{image.file_name}: annotation "
                                        f"{inst.ext_id if inst.ext_id is not None else ''} is already in the project "
                                        "(this file was imported before)")
                    skipped += 1
                    continue
                project.ensure_skeleton(inst.skeleton)
                project.add_instance(
                    Instance(
                        frame_id=frame_id, skeleton=inst.skeleton.name, keypoints=inst.keypoints, bbox=inst.bbox,
                        origin=inst.origin, score=inst.score, category_id=category_ids.get(inst.category_id, inst.category_id),
                        ext_id=inst.ext_id, joint_scores=inst.joint_scores, model_id=inst.model_id,
                        extra=inst.extra,
                    ),
                    frame_state="labelled" if inst.origin == "manual" else "auto",
                )
                summary.instances += 1
            if state in FRAME_STATES and state != project.frame(frame_id).state:
                project.set_frame_state(frame_id, state)
    if skipped:
        summary.notes.append(f"{skipped} annotation(s) were already in the project (same file, image and annotation id) "
                             "and were skipped")
    remember_location(project)
    project.events.imported.emit(summary)
    return summary


def _video_frames(project: Project, batch: ImportBatch) -> tuple[dict[tuple[str, int], tuple[Frame, bool]], int]:
    """The project frames of the batch's video frames, (frame, whether it is new). A video new to
    the project comes in with all its frames, as importing the video would, the frames the file
    names keeping their COCO ids and fields; a video not found gets only the frames named (Locate
    finds it later); frames of a video already in the project are used as they are. Also how many
    frames came in that the file does not name."""
    wanted: dict[str, dict[int, ImportedImage]] = {}
    for image in batch.images:
        if image.video is not None:
            wanted.setdefault(image.video[0], {})[image.video[1]] = image
    frames: dict[tuple[str, int], tuple[Frame, bool]] = {}
    extra_frames = 0
    for rel, by_index in wanted.items():
        path = batch.image_root / rel
        info = probe_video(path) if path.is_file() else None
        source = project.source_by_path(path) or project.add_source(
            "video", path, {"fps": info.fps, "frame_count": info.frame_count} if info is not None else {})
        fresh = project.frame_count(source.id) == 0 and info is not None
        indices = range(info.frame_count) if fresh else [i for i in sorted(by_index) if project.frame_by_index(source.id, i) is None]
        rows = []
        for i in indices:
            image = by_index.get(i)
            width, height = (image.width, image.height) if image is not None else (info.width, info.height)
            rows.append((i, None, width, height, image.ext_id if image is not None else None, image.extra if image is not None else {}))
        project.add_frames(source.id, rows)
        made = {row[0] for row in rows}
        extra_frames += len(made - set(by_index))
        for i in by_index:
            frames[(rel, i)] = (project.frame_by_index(source.id, i), i in made)
    return frames, extra_frames


def _check_images(folder: Path, names: list[str]) -> tuple[list[tuple[str, tuple[int, int]]], list[tuple[str, str]]]:
    """The folder's images that decode, with their sizes, and the others with their problems."""
    readable, unreadable = [], []
    for name in names:
        try:
            readable.append((name, verify_image(folder / name)))
        except DataError as exc:
            unreadable.append((name, exc.problem))
    return readable, unreadable


def _listed(problems: list[tuple[str, str]], shown: int = 10) -> str:
    text = "; ".join(f"{name}: {problem}" for name, problem in problems[:shown])
    return text + (f"; and {len(problems) - shown} more" if len(problems) > shown else "")


def _same(new: ImportedInstance, old: Instance) -> bool:
    if new.ext_id is not None or old.ext_id is not None:
        return new.ext_id == old.ext_id and new.origin == old.origin
    return new.origin == old.origin and new.skeleton.name == old.skeleton and np.array_equal(new.keypoints, old.keypoints)


def add_media(project: Project, path: str | Path) -> ImportSummary:
    """Add an image file, an image folder or a video with no annotations."""
    summary = _add_media(project, Path(path))
    remember_location(project)
    return summary


def _add_media(project: Project, path: Path) -> ImportSummary:
    if not path.exists():
        raise DataError(path, "no such file or folder")
    if path.is_dir():
        names = list_images(path)
        if not names:
            raise DataError(path, "the folder holds no images")
        readable, unreadable = _check_images(path, names)  # all checked before any is added
        if not readable:
            raise DataError(path, f"none of its {_count(len(names), 'image')} can be read; "
                            + _listed(unreadable))
        with project.transaction():
            source = project.add_source("folder", path)
            start = project.max_frame_index(source.id) + 1
            fresh = [(n, s) for n, s in readable if project.frame_by_file(source.id, n) is None]
            project.add_frames(source.id, [(start + i, n, w, h, None, {}) for i, (n, (w, h)) in enumerate(fresh)])
        summary = ImportSummary("folder", str(path), len(readable), len(fresh))
        if unreadable:
            # One cut-off file in a folder of thousands should not cost the user the other frames;
            # it is named, with its problem, and left out (importing the folder again adds it once fixed).
            summary.notes.append(f"left out {_count(len(unreadable), 'unreadable image')}: " + _listed(unreadable))
        return summary
    if is_video_file(path):
        info = probe_video(path)
        with project.transaction():
            source = project.add_source("video", path, {"fps": info.fps, "frame_count": info.frame_count})
            have = project.frame_count(source.id)
            project.add_frames(
                source.id, [(i, None, info.width, info.height, None, {}) for i in range(have, info.frame_count)]
            )
        return ImportSummary("video", str(path), info.frame_count, info.frame_count - have)
    if is_image_file(path):
        width, height = verify_image(path)
        with project.transaction():
            source = project.add_source("image", path)
            new = 0 if project.frame_count(source.id) else 1
            if new:
                project.add_frames(source.id, [(0, path.name, width, height, None, {})])
        return ImportSummary("image", str(path), 1, new)
    raise DataError(path, "not an image, an image folder, a video or a dataset poseapp can read")
