"""Removing frames or a whole source from a project, undoably: the removal keeps the exact rows
it deleted (sources, frames, their instances) and ``restore`` writes them back with the same ids,
so an undo leaves the file as it was. Plain data, no Qt."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from poseapp.core.errors import ProjectError
from poseapp.store.project import Project

_CHUNK = 500  # SQLite's limit on host parameters is far above this; chunks keep statements small


@dataclass
class Removed:
    """The rows a removal deleted, in the columns' own order."""

    sources: list[tuple] = field(default_factory=list)
    frames: list[tuple] = field(default_factory=list)
    instances: list[tuple] = field(default_factory=list)

    @property
    def frame_ids(self) -> list[int]:
        return [row[0] for row in self.frames]


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def remove_frames(project: Project, frame_ids: Iterable[int], drop_empty_sources: bool = True) -> Removed:
    """Delete these frames and their instances (and a source left without frames); one commit."""
    ids = sorted({int(f) for f in frame_ids})
    removed = Removed()
    if not ids:
        return removed
    with project._write() as db:
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            removed.frames += db.execute(f"SELECT * FROM frames WHERE id IN ({marks})", chunk).fetchall()
            removed.instances += db.execute(f"SELECT * FROM instances WHERE frame_id IN ({marks})", chunk).fetchall()
        if len(removed.frames) != len(ids):
            raise ProjectError(project.path, "some of the frames to remove are not in the project")
        touched = sorted({row[1] for row in removed.frames})
        for chunk in _chunks(ids):
            db.execute(f"DELETE FROM frames WHERE id IN ({','.join('?' * len(chunk))})", chunk)  # instances cascade
        if drop_empty_sources:
            for source_id in touched:
                if db.execute("SELECT 1 FROM frames WHERE source_id = ? LIMIT 1", (source_id,)).fetchone() is None:
                    removed.sources += db.execute("SELECT * FROM sources WHERE id = ?", (source_id,)).fetchall()
                    db.execute("DELETE FROM sources WHERE id = ?", (source_id,))
        project._notify("sources_changed")
    return removed


def remove_source(project: Project, source_id: int) -> Removed:
    return remove_frames(project, project.frame_ids(source_id=source_id))


def restore(project: Project, removed: Removed) -> None:
    """Write back what ``remove_frames`` deleted, with the same ids; one commit."""
    with project._write() as db:
        for table, rows in (("sources", removed.sources), ("frames", removed.frames), ("instances", removed.instances)):
            if rows:
                marks = ",".join("?" * len(rows[0]))
                db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        project._notify("sources_changed")
