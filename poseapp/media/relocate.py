"""Sources whose files moved: a project stores absolute paths, so after data (or the project with
its data) moves to another folder or machine, the frames must be found again. A project that moved
together with its data is followed automatically; other sources are pointed at their new place by
the user (File > Locate missing sources, or ``poseapp relocate``), after a check that the new place
really holds the source's frames."""

from __future__ import annotations

import os
from pathlib import Path

from poseapp.core.errors import DataError
from poseapp.store import Project, Source

LOCATION_KEY = "location"  # the project file's folder when all its sources were last found


def missing_sources(project: Project) -> list[Source]:
    """Sources whose recorded file or folder is not there, or (a folder) does not hold its first
    image: annotations imported without their images point at a folder that exists all the same."""
    return [s for s in project.sources() if not _exists(s.kind, s.path) or not _first_image_there(project, s)]


def _first_image_there(project: Project, source: Source) -> bool:
    """One stat, so listing the missing sources stays instant on big projects; moving a source
    checks every image (``source_problem``)."""
    if source.kind != "folder":
        return True
    first = project.first_frame(source.id)
    return first is None or first.file_name is None or os.path.isfile(os.path.join(source.path, first.file_name))


def source_problem(project: Project, source: Source, path: str | os.PathLike | None = None) -> str | None:
    """Why ``path`` (by default the source's own path) cannot supply the source's frames; None if it can."""
    path = os.path.abspath(os.fspath(path if path is not None else source.path))
    if not _exists(source.kind, path):
        wanted = {"folder": "a folder", "video": "a video file", "image": "an image file"}[source.kind]
        return f"not {wanted}" if os.path.exists(path) else "no such file or folder"
    if source.kind == "folder":
        names = [project.frame(fid).file_name for fid in project.frame_ids(source.id)]
        absent = [n for n in names if n is not None and not os.path.isfile(os.path.join(path, n))]
        if absent:
            return f"{len(absent)} of the source's {len(names)} images are not in it (first: {absent[0]})"
    elif source.kind == "video":
        from poseapp.media.video import probe_video

        try:
            count = probe_video(path).frame_count
        except DataError as exc:
            return exc.problem
        needed = project.max_frame_index(source.id) + 1
        if count < needed:
            return f"the video has {count} frames; the project has frames up to {needed - 1}"
    return None


def relocate_source(project: Project, source_id: int, path: str | os.PathLike) -> Source:
    """Point one source at ``path`` after checking that every frame of the source is there; a bad
    path raises DataError naming it and changes nothing."""
    source = project.source(source_id)
    problem = source_problem(project, source, path)
    if problem is not None:
        raise DataError(path, f"cannot hold {Path(source.path).name} ({source.kind} source {source.id}): {problem}")
    moved = project.set_source_path(source_id, path)
    remember_location(project)
    return moved


def follow_moved_project(project: Project) -> list[tuple[Source, str]]:
    """When the project file moved together with its data (a copied or renamed folder tree), find
    each missing source at the same place relative to the project and relocate it. Returns the
    (old source, new path) pairs that were fixed."""
    here = str(project.path.resolve().parent)
    before = project.get_meta(LOCATION_KEY)
    fixed = []
    if before and before != here:
        for source in missing_sources(project):
            candidate = os.path.normpath(os.path.join(here, os.path.relpath(source.path, before)))
            if source_problem(project, source, candidate) is None:
                if project.read_only:
                    project.use_source_path(source.id, candidate)
                else:
                    project.set_source_path(source.id, candidate)
                fixed.append((source, candidate))
    remember_location(project)
    return fixed


def remember_location(project: Project) -> None:
    """Record where the project is while every source is found, the base for following a later move."""
    here = str(project.path.resolve().parent)
    if project.read_only:
        return
    if project.get_meta(LOCATION_KEY) != here and not missing_sources(project):
        project.set_meta(LOCATION_KEY, here)


def _exists(kind: str, path: str) -> bool:
    return os.path.isdir(path) if kind == "folder" else os.path.isfile(path)
