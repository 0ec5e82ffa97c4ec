"""A pose project stored in one SQLite file.

Every edit is its own committed transaction in WAL mode with ``synchronous=FULL``: once a method
returns (and its event has told the views), the edit is on disk and survives a crash or
``kill -9``. Views subscribe to ``project.events``; the store knows nothing of Qt.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from poseapp.core.atomic import remove_stale_temps
from poseapp.core.errors import DamagedProjectError, ProjectError, ProjectLockedError
from poseapp.core.events import EventGroup
from poseapp.core.skeleton import PRESETS, Skeleton
from poseapp.store.project_file import (
    check_project_file, check_version, connect, is_sqlite_file, migrate, project_of_working_file,
    refuse_newer_schema,
)
from poseapp.store.writer_lock import WriterLock, describe_holder, read_holder
from poseapp.store.records import FRAME_STATES, SOURCE_KINDS, Frame, Instance, Source


_FRAME_COLUMNS = "id, source_id, idx, file_name, width, height, state, ext_id, extra"
_INSTANCE_COLUMNS = (
    "id, frame_id, skeleton, keypoints, bbox, origin, model_id, score, joint_scores, vis_scores, "
    "category_id, ext_id, extra"
)


def _new_id(db: sqlite3.Connection, table: str) -> int:
    """The next id of ``table``, never one used before. SQLite gives a new row the largest id + 1,
    so deleting the newest row would let the next insert take its id, and an undo step (or another
    window) naming the deleted row would then reach the new one. A high-water mark in ``meta``
    prevents that, without rebuilding the tables of files made before it."""
    key = f"next_{table}_id"
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    top = db.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()[0]
    new = max(int(row[0]) if row else 0, int(top))
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, str(new + 1)))
    return new


def _dump(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        value = value.tolist()
    return json.dumps(value, allow_nan=False, separators=(",", ":"))


def _frame(row: Sequence[Any]) -> Frame:
    return Frame(
        id=row[0], source_id=row[1], index=row[2], file_name=row[3], width=row[4], height=row[5],
        state=row[6], ext_id=row[7], extra=json.loads(row[8]),
    )


def _instance(row: Sequence[Any]) -> Instance:
    return Instance(
        id=row[0],
        frame_id=row[1],
        skeleton=row[2],
        keypoints=np.array(json.loads(row[3]), dtype=np.float64),
        bbox=tuple(json.loads(row[4])) if row[4] is not None else None,
        origin=row[5],
        model_id=row[6],
        score=row[7],
        joint_scores=np.array(json.loads(row[8])) if row[8] is not None else None,
        vis_scores=np.array(json.loads(row[9])) if row[9] is not None else None,
        category_id=row[10],
        ext_id=row[11],
        extra=json.loads(row[12]),
    )


# project meta key: the skeleton a new project was made to label (File > New asks)
LABEL_SKELETON = "label_skeleton"


class Project:
    """Open with ``Project.open(path)`` (``create=True`` makes a new file when none exists)."""

    def __init__(self, path: Path, db: sqlite3.Connection):
        self.path = path
        self._db = db
        self._lock = threading.RLock()
        self._depth = 0  # nesting of _write() blocks; only the outermost one commits
        self._pending: list[tuple[str, tuple[Any, ...]]] = []
        self._skeletons: dict[str, Skeleton] = {}
        self._writer: WriterLock | None = None
        self.read_only_reason: str | None = None  # why edits are refused, when they are
        self._source_paths: dict[int, str] = {}  # read-only openings: where moved sources were found
        self.events = EventGroup(
            "instance_added", "instance_changed", "instance_removed", "frame_state_changed",
            "sources_changed", "imported",
        )

    # ------------------------------------------------------------------ opening and closing
    @classmethod
    def open(cls, path: str | os.PathLike, create: bool = False, read_only: bool = False,
             program: str | None = None) -> "Project":
        """Open for writing: this process becomes the project's one writer, or ProjectLockedError
        names the process that is. ``read_only=True`` never writes and never blocks a writer; a
        file or folder without write permission opens read-only by itself (``read_only_reason``)."""
        path = Path(path)
        exists = path.exists()
        if not exists and not create:
            raise ProjectError(path, "no such project file")
        if exists:
            check_project_file(path)
        reason = "opened read-only" if read_only else None
        if reason is None and exists and not os.access(path, os.W_OK):
            reason = "the project file is read-only"
        writer = None
        if reason is None:
            try:
                writer = WriterLock.try_acquire(path, program)
            except OSError as exc:
                if not exists:
                    raise ProjectError(path, f"cannot create the project: {exc.strerror}") from None
                reason = f"the project's folder is not writable ({exc.strerror})"
            else:
                if writer is None:
                    holder = read_holder(path)
                    raise ProjectLockedError(path, holder, describe_holder(holder))
        try:
            db = connect(path, read_only=reason is not None)
            if reason is None:
                refuse_newer_schema(path, db)  # before WAL mode rewrites the header of a file we refuse
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = FULL")
                migrate(path, db, new=not exists)
            else:
                check_version(path, db)
        except BaseException as exc:
            with contextlib.suppress(UnboundLocalError, sqlite3.Error):
                db.close()
            if writer is not None:
                writer.release()
            if isinstance(exc, sqlite3.DatabaseError):
                raise ProjectError(path, f"the project file is damaged or not a poseapp project ({exc})") from None
            raise
        project = cls(path, db)
        project._writer = writer
        project.read_only_reason = reason
        return project

    @property
    def read_only(self) -> bool:
        return self.read_only_reason is not None

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                if not self.read_only:
                    # Folding the WAL back into the main file leaves a single self-contained file.
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self._db.close()
                self._db = None  # type: ignore[assignment]
            if self._writer is not None:
                self._writer.release()
                self._writer = None

    def save_copy(self, dest: str | os.PathLike) -> Path:
        """A consistent copy of the project at ``dest``, written beside it and renamed into place."""
        dest = Path(dest)
        if dest.resolve() == self.path.resolve():
            raise ProjectError(dest, "a copy cannot replace the open project itself")
        owner = project_of_working_file(dest)
        if owner is not None:
            raise ProjectError(dest, f"is a working file of the project {owner.name} (SQLite keeps its latest edits "
                                     "there); a copy must go to a new file")
        if dest.exists() and (dest.is_dir() or is_sqlite_file(dest)):
            # another window may hold it, and its -wal would be left beside a different database:
            # a project is never replaced, as an export never replaces one
            what = "a folder" if dest.is_dir() else "a poseapp project (or another database)"
            raise ProjectError(dest, f"is {what}; a copy goes to a new file (delete the old one first to reuse its name)")
        if not dest.parent.is_dir():
            raise ProjectError(dest, f"the folder {dest.parent} does not exist; create it first, or check its name")
        remove_stale_temps(dest)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
        try:
            target = sqlite3.connect(tmp)
            try:
                with self._lock:
                    self._db.backup(target)
                target.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
            finally:
                target.close()
            os.replace(tmp, dest)
        except sqlite3.Error as exc:
            tmp.unlink(missing_ok=True)
            full = "full" in str(exc)
            raise ProjectError(dest, "the disk is full; no copy was written" if full else f"the copy failed ({exc}); nothing was written") from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return dest

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def data_version(self) -> int:
        """SQLite's count of commits made by other connections: a read-only window compares it to
        know that the writer changed the project since it last looked."""
        return int(self._query_one("PRAGMA data_version")[0])

    @property
    def schema_version(self) -> int:
        return int(self._query_one("SELECT value FROM meta WHERE key = 'schema_version'")[0])

    # ------------------------------------------------------------------ transactions and events
    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several edits into one all-or-nothing commit (used by imports)."""
        with self._write():
            yield

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One all-or-nothing commit; its events reach the views only once it is on disk. A commit
        that fails (locked by another program, disk full) raises ProjectError and changes nothing."""
        with self._lock:
            if self._db is None:
                raise ProjectError(self.path, "the project is closed")
            if self.read_only:
                raise ProjectError(self.path, f"{self.read_only_reason}: the change was not saved")
            outermost = self._depth == 0
            if outermost:
                try:
                    self._db.execute("BEGIN IMMEDIATE")
                except sqlite3.Error as exc:
                    raise self._not_saved(exc) from None
            self._depth += 1
            try:
                yield self._db
                if outermost:
                    self._db.execute("COMMIT")
            except BaseException as exc:
                if outermost:
                    self._abandon()
                self._depth -= 1
                if isinstance(exc, sqlite3.Error):
                    raise self._not_saved(exc) from None
                raise
            self._depth -= 1
            if outermost:
                pending, self._pending = self._pending, []
        if outermost:
            for name, args in pending:
                getattr(self.events, name).emit(*args)

    def _abandon(self) -> None:
        """Forget a failed transaction: SQLite may already have rolled it back itself (a full
        disk does), so ROLLBACK only what is still open; its queued events never happened."""
        self._pending.clear()
        self._skeletons.clear()
        if self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")

    def _not_saved(self, exc: sqlite3.Error) -> ProjectError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            holder = describe_holder(read_holder(self.path)) if read_holder(self.path) else "another program"
            text = f"the project file is locked by {holder}"
        elif "full" in text:
            text = "the disk is full (database or disk is full)"
        return ProjectError(self.path, f"the change was not saved: {text}")

    def _notify(self, event: str, *args: Any) -> None:
        self._pending.append((event, args))

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self._lock:
            if self._db is None:
                raise ProjectError(self.path, "the project is closed")
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                # A damaged page is often found only when a query reaches it.
                raise DamagedProjectError(self.path, f"the project file cannot be read: {exc}") from None

    def _query_one(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        rows = self._query(sql, params)
        return rows[0] if rows else None

    # ------------------------------------------------------------------ meta
    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self._query_one("SELECT value FROM meta WHERE key = ?", (key,))
        return json.loads(row[0]) if row else default

    def set_meta(self, key: str, value: Any) -> None:
        if key == "schema_version":
            raise ValueError("schema_version is managed by migrations")
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, _dump(value)))

    # ------------------------------------------------------------------ skeletons and categories
    def ensure_skeleton(self, skeleton: Skeleton) -> str:
        existing = self._query_one("SELECT definition FROM skeletons WHERE name = ?", (skeleton.name,))
        if existing is not None:
            # Same name and joints is the same skeleton, even if a newer preset draws other limbs:
            # the project keeps the definition it has. Other joints under the same name conflict.
            if Skeleton.from_dict(json.loads(existing[0])).joints != skeleton.joints:
                raise ProjectError(self.path, f"a skeleton named {skeleton.name!r} with other joints is already in the project")
            return skeleton.name
        with self._write() as db:
            db.execute(
                "INSERT INTO skeletons (name, definition) VALUES (?, ?)", (skeleton.name, _dump(skeleton.to_dict()))
            )
        return skeleton.name

    def skeleton(self, name: str) -> Skeleton:
        if name not in self._skeletons:
            row = self._query_one("SELECT definition FROM skeletons WHERE name = ?", (name,))
            if row is None:
                if name in PRESETS:
                    return PRESETS[name]
                raise ProjectError(self.path, f"no skeleton named {name!r}")
            self._skeletons[name] = Skeleton.from_dict(json.loads(row[0]))
        return self._skeletons[name]

    def skeleton_names(self) -> list[str]:
        return [r[0] for r in self._query("SELECT name FROM skeletons ORDER BY rowid")]

    def annotated_skeleton(self) -> str | None:
        """The skeleton most of the project's annotated people have, the first stored on a tie;
        before anybody is, the one the project was made to label (``label_skeleton``); else None."""
        row = self._query_one("SELECT skeleton, COUNT(*) AS n, MIN(id) AS first FROM instances WHERE origin = 'manual' "
                              "GROUP BY skeleton ORDER BY n DESC, first LIMIT 1")
        return row[0] if row else self.get_meta(LABEL_SKELETON)

    def annotated_skeletons(self) -> set[str]:
        """Every skeleton some annotated person of the project has."""
        return {r[0] for r in self._query("SELECT DISTINCT skeleton FROM instances WHERE origin = 'manual'")}

    def skeletons_in_source(self, source_id: int) -> list[str]:
        """The skeletons of the annotated people on a source's frames."""
        return [r[0] for r in self._query(
            "SELECT DISTINCT instances.skeleton FROM instances JOIN frames ON frames.id = instances.frame_id "
            "WHERE frames.source_id = ? AND instances.origin = 'manual'", (source_id,))]

    def set_label_skeleton(self, skeleton: Skeleton) -> None:
        """The skeleton new people are labelled in (N, Shift+N) until the project has annotations."""
        with self.transaction():
            self.ensure_skeleton(skeleton)
            self.set_meta(LABEL_SKELETON, skeleton.name)

    def ensure_category(self, category: dict[str, Any], skeleton: Skeleton) -> int:
        """Record a dataset category (kept verbatim for export) and return its id in the project.

        Two datasets often both call their category 1; when the id is taken by a category with
        other keypoints, the newcomer gets a fresh id (the one already stored wins).
        """
        self.ensure_skeleton(skeleton)
        cid = int(category["id"])
        for other_id, other_skeleton, definition in self._query("SELECT id, skeleton, definition FROM categories"):
            other = json.loads(definition)
            if other_skeleton == skeleton.name and other.get("name") == category.get("name") and (
                other.get("keypoints") == category.get("keypoints")
            ):
                return int(other_id)
        if self._query_one("SELECT 1 FROM categories WHERE id = ?", (cid,)) is not None:
            cid = int(self._query_one("SELECT MAX(id) FROM categories")[0]) + 1
            category = dict(category, id=cid)
        with self._write() as db:
            db.execute(
                "INSERT INTO categories (id, skeleton, definition) VALUES (?, ?, ?)",
                (cid, skeleton.name, _dump(category)),
            )
        return cid

    def categories(self) -> list[tuple[dict[str, Any], str]]:
        return [(json.loads(d), s) for s, d in self._query("SELECT skeleton, definition FROM categories ORDER BY id")]

    # ------------------------------------------------------------------ sources
    def add_source(self, kind: str, path: str | os.PathLike, extra: dict[str, Any] | None = None) -> Source:
        if kind not in SOURCE_KINDS:
            raise ValueError(f"source kind must be one of {SOURCE_KINDS}")
        abspath = os.path.abspath(os.fspath(path))
        existing = self.source_by_path(abspath)
        if existing is not None:
            if existing.kind != kind:
                raise ProjectError(self.path, f"{abspath} is already in the project as a {existing.kind} source")
            return existing
        with self._write() as db:
            source_id = _new_id(db, "sources")
            db.execute(
                "INSERT INTO sources (id, kind, path, extra) VALUES (?, ?, ?, ?)", (source_id, kind, abspath, _dump(extra or {}))
            )
            self._notify("sources_changed")
            return Source(source_id, kind, abspath, dict(extra or {}))

    def set_source_path(self, source_id: int, path: str | os.PathLike) -> Source:
        """Point a source at its files' new place (see ``poseapp.media.relocate``, which checks them)."""
        abspath = os.path.abspath(os.fspath(path))
        source = self.source(source_id)
        other = self.source_by_path(abspath)
        if other is not None and other.id != source_id:
            raise ProjectError(self.path, f"{abspath} is already the project's source {other.id}")
        with self._write() as db:
            db.execute("UPDATE sources SET path = ? WHERE id = ?", (abspath, source_id))
            self._notify("sources_changed")
        return Source(source.id, source.kind, abspath, source.extra)

    def use_source_path(self, source_id: int, path: str | os.PathLike) -> Source:
        """Read a source from ``path`` for as long as this opening lasts, without writing the file
        (a read-only opening follows moved data this way)."""
        self._source_paths[source_id] = os.path.abspath(os.fspath(path))
        return self.source(source_id)

    def _source(self, row: Sequence[Any]) -> Source:
        return Source(row[0], row[1], self._source_paths.get(row[0], row[2]), json.loads(row[3]))

    def source(self, source_id: int) -> Source:
        row = self._query_one("SELECT id, kind, path, extra FROM sources WHERE id = ?", (source_id,))
        if row is None:
            raise ProjectError(self.path, f"no source with id {source_id}")
        return self._source(row)

    def source_by_path(self, path: str | os.PathLike) -> Source | None:
        row = self._query_one(
            "SELECT id, kind, path, extra FROM sources WHERE path = ?", (os.path.abspath(os.fspath(path)),)
        )
        return self._source(row) if row else None

    def sources(self) -> list[Source]:
        return [self._source(r) for r in self._query("SELECT id, kind, path, extra FROM sources ORDER BY id")]

    # ------------------------------------------------------------------ frames
    def add_frames(
        self, source_id: int, frames: Iterable[tuple[int, str | None, int, int, int | None, dict[str, Any]]]
    ) -> list[int]:
        """Insert frames given as (index, file_name, width, height, ext_id, extra); returns their ids."""
        ids = []
        with self._write() as db:
            for idx, file_name, width, height, ext_id, extra in frames:
                frame_id = _new_id(db, "frames")
                db.execute(
                    "INSERT INTO frames (id, source_id, idx, file_name, width, height, ext_id, extra) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (frame_id, source_id, idx, file_name, int(width), int(height), ext_id, _dump(extra or {})),
                )
                ids.append(frame_id)
            self._notify("sources_changed")
        return ids

    def frame_exists(self, frame_id: int) -> bool:
        return self._query_one("SELECT 1 FROM frames WHERE id = ?", (frame_id,)) is not None

    def frame(self, frame_id: int) -> Frame:
        row = self._query_one(f"SELECT {_FRAME_COLUMNS} FROM frames WHERE id = ?", (frame_id,))
        if row is None:
            raise ProjectError(self.path, f"no frame with id {frame_id}")
        return _frame(row)

    def frame_by_file(self, source_id: int, file_name: str) -> Frame | None:
        row = self._query_one(
            f"SELECT {_FRAME_COLUMNS} FROM frames WHERE source_id = ? AND file_name = ?", (source_id, file_name)
        )
        return _frame(row) if row else None

    def frame_by_index(self, source_id: int, index: int) -> Frame | None:
        row = self._query_one(f"SELECT {_FRAME_COLUMNS} FROM frames WHERE source_id = ? AND idx = ?", (source_id, index))
        return _frame(row) if row else None

    def max_frame_index(self, source_id: int) -> int:
        row = self._query_one("SELECT MAX(idx) FROM frames WHERE source_id = ?", (source_id,))
        return -1 if row is None or row[0] is None else int(row[0])

    def sources_with_people(self, kind: str, origins: Sequence[str] = ("manual", "predicted")) -> list[int]:
        """Ids of the sources of ``kind`` with at least one person of the given origins."""
        marks = ", ".join("?" * len(origins))
        return [r[0] for r in self._query(
            "SELECT DISTINCT f.source_id FROM frames f JOIN sources s ON s.id = f.source_id "
            f"WHERE s.kind = ? AND EXISTS (SELECT 1 FROM instances i WHERE i.frame_id = f.id AND i.origin IN ({marks}))",
            (kind, *origins))]

    def max_track_id(self, source_id: int) -> int:
        """The largest ``track_id`` of any person stored in the source's frames (0: none), so a new
        run's tracks can be numbered after it and one id never names two people."""
        row = self._query_one(
            "SELECT MAX(CAST(json_extract(i.extra, '$.track_id') AS INTEGER)) FROM instances i "
            "JOIN frames f ON f.id = i.frame_id WHERE f.source_id = ? AND json_type(i.extra, '$.track_id') = 'integer'",
            (source_id,),
        )
        return 0 if row is None or row[0] is None else int(row[0])

    @staticmethod
    def _frame_filter(source_id: int | None, state: str | None) -> tuple[str, list[Any]]:
        clauses, params = [], []
        if source_id is not None:
            clauses.append("source_id = ?")
            params.append(source_id)
        if state is not None:
            clauses.append("state = ?")
            params.append(state)
        return (f" WHERE {' AND '.join(clauses)}" if clauses else ""), params

    def frame_count(self, source_id: int | None = None, state: str | None = None) -> int:
        where, params = self._frame_filter(source_id, state)
        return int(self._query_one(f"SELECT COUNT(*) FROM frames{where}", params)[0])

    def frame_ids(self, source_id: int | None = None, state: str | None = None) -> list[int]:
        """Frame ids in display order (source, then index)."""
        where, params = self._frame_filter(source_id, state)
        return [r[0] for r in self._query(f"SELECT id FROM frames{where} ORDER BY source_id, idx", params)]

    def frame_states(self, source_id: int) -> list[tuple[int, str]]:
        """(index, state) of a source's frames that are not unlabelled: the marks on a seek bar."""
        return [(int(i), st) for i, st in self._query(
            "SELECT idx, state FROM frames WHERE source_id = ? AND state != 'unlabelled' ORDER BY idx", (source_id,))]

    def first_frame(self, source_id: int | None = None) -> Frame | None:
        """The first frame in display order, of the project or of one source."""
        where, params = self._frame_filter(source_id, None)
        row = self._query_one(f"SELECT {_FRAME_COLUMNS} FROM frames{where} ORDER BY source_id, idx LIMIT 1", params)
        return _frame(row) if row else None

    def step_frame(self, frame_id: int, step: int = 1) -> Frame | None:
        """The frame ``step`` places after (or before, when negative) this one, across sources.

        Each hop is an indexed lookup on (source_id, idx), so stepping costs the same in a
        project of ten frames or a million.
        """
        current: Frame | None = self.frame(frame_id)
        forward = step > 0
        cmp, order = (">", "ASC") if forward else ("<", "DESC")
        for _ in range(abs(step)):
            assert current is not None
            row = self._query_one(
                f"SELECT {_FRAME_COLUMNS} FROM frames WHERE source_id = ? AND idx {cmp} ? ORDER BY idx {order} LIMIT 1",
                (current.source_id, current.index),
            )
            while row is None:
                nxt = self._query_one(
                    f"SELECT id FROM sources WHERE id {cmp} ? ORDER BY id {order} LIMIT 1", (current.source_id,)
                )
                if nxt is None:
                    return None
                row = self._query_one(
                    f"SELECT {_FRAME_COLUMNS} FROM frames WHERE source_id = ? ORDER BY idx {order} LIMIT 1", (nxt[0],)
                )
                if row is None:  # an empty source: keep going
                    current = Frame(0, nxt[0], 0, None, 0, 0, "unlabelled")
            current = _frame(row)
        return current

    def frame_path(self, frame: Frame) -> str:
        """The file that holds the frame's pixels (the video file for video frames)."""
        source = self.source(frame.source_id)
        if source.kind == "folder" and frame.file_name is not None:
            return os.path.join(source.path, frame.file_name)
        return source.path

    def frame_name(self, frame: Frame) -> str:
        """How a frame is named to the user: its file, or its video and frame number."""
        return frame.file_name or f"{Path(self.source(frame.source_id).path).name} frame {frame.index}"

    def set_frame_state(self, frame_id: int, state: str) -> None:
        if state not in FRAME_STATES:
            raise ValueError(f"frame state must be one of {FRAME_STATES}")
        with self._write() as db:
            self._set_state(db, frame_id, state)

    def _set_state(self, db: sqlite3.Connection, frame_id: int, state: str) -> None:
        cur = db.execute("UPDATE frames SET state = ? WHERE id = ? AND state != ?", (state, frame_id, state))
        if cur.rowcount:
            self._notify("frame_state_changed", frame_id, state)

    # ------------------------------------------------------------------ instances
    def add_instance(self, instance: Instance, frame_state: str | None = "auto") -> Instance:
        """Insert an instance; the frame becomes 'edited' (manual) or 'predicted' (if it was unlabelled).

        ``frame_state`` overrides that (``None`` leaves the frame's state alone). An instance that
        already has an id is put back under that id (undo of a delete).
        """
        self._check_instance(instance)
        with self._write() as db:
            if instance.id is None:
                instance = instance.copy(id=_new_id(db, "instances"))
            db.execute(
                f"INSERT INTO instances ({_INSTANCE_COLUMNS}, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                self._instance_row(instance),
            )
            stored = instance.copy()
            self._after_instance_edit(db, stored, frame_state)
            self._notify("instance_added", stored)
        return stored

    def add_instances(self, instances: Iterable[Instance], frame_state: str | None = "auto") -> list[Instance]:
        with self._write():
            return [self.add_instance(inst, frame_state) for inst in instances]

    def instance_exists(self, instance_id: int) -> bool:
        return self._query_one("SELECT 1 FROM instances WHERE id = ?", (instance_id,)) is not None

    def instance(self, instance_id: int) -> Instance:
        row = self._query_one(f"SELECT {_INSTANCE_COLUMNS} FROM instances WHERE id = ?", (instance_id,))
        if row is None:
            raise ProjectError(self.path, f"no instance with id {instance_id}")
        return _instance(row)

    def instances(self, frame_id: int) -> list[Instance]:
        rows = self._query(f"SELECT {_INSTANCE_COLUMNS} FROM instances WHERE frame_id = ? ORDER BY id", (frame_id,))
        return [_instance(r) for r in rows]

    def iter_instances(self, origin: str | None = None, batch: int = 2000) -> Iterator[Instance]:
        """All instances in frame display order, read in batches so a big project never sits in
        memory; each batch starts after the last row of the one before (keyset paging, no OFFSET)."""
        cols = ", ".join(f"i.{c.strip()}" for c in _INSTANCE_COLUMNS.split(","))
        where = "i.origin = ? AND " if origin else ""
        last = (-1, -1, -1)  # (source_id, idx, instance id) of the previous row
        while True:
            rows = self._query(
                f"SELECT {cols}, f.source_id, f.idx FROM instances i JOIN frames f ON f.id = i.frame_id "
                f"WHERE {where}(f.source_id, f.idx, i.id) > (?, ?, ?) ORDER BY f.source_id, f.idx, i.id LIMIT ?",
                ((origin,) if origin else ()) + last + (batch,),
            )
            yield from (_instance(r[:-2]) for r in rows)
            if len(rows) < batch:
                return
            last = (rows[-1][-2], rows[-1][-1], rows[-1][0])

    def instance_count(self, origin: str | None = None, model_id: str | None = None) -> int:
        where = [(c, v) for c, v in (("origin", origin), ("model_id", model_id)) if v]
        sql = "SELECT COUNT(*) FROM instances" + (" WHERE " + " AND ".join(f"{c} = ?" for c, _ in where) if where else "")
        return int(self._query_one(sql, tuple(v for _, v in where))[0])

    def prediction_models(self) -> list[str]:
        """The models whose predictions the project holds, by name."""
        return [r[0] for r in self._query("SELECT DISTINCT model_id FROM instances WHERE origin = 'predicted' "
                                          "AND model_id IS NOT NULL ORDER BY model_id")]

    def update_instance(self, instance_id: int, frame_state: str | None = "auto", **changes: Any) -> Instance:
        """Change fields of an instance (keypoints, bbox, origin, ...); returns the new record.
        The record is read inside the write transaction, so the change applies to what is on disk."""
        with self._write() as db:
            old = self.instance(instance_id)
            new = old.copy(**changes)  # re-validates keypoints, bbox and scores
            self._check_instance(new)
            row = self._instance_row(new)
            db.execute(
                "UPDATE instances SET frame_id=?, skeleton=?, keypoints=?, bbox=?, origin=?, model_id=?, score=?, "
                "joint_scores=?, vis_scores=?, category_id=?, ext_id=?, extra=?, updated_at=? WHERE id=?",
                row[1:] + (instance_id,),
            )
            self._after_instance_edit(db, new, frame_state)
            self._notify("instance_changed", old, new)
        return new

    def restore_instance(self, record: Instance, frame_state: str | None = None) -> Instance:
        """Put an instance back exactly as ``record`` (every field; what undo does)."""
        fields = {f.name: getattr(record, f.name) for f in dataclasses.fields(Instance) if f.name != "id"}
        return self.update_instance(record.id, frame_state=frame_state, **fields)

    def set_keypoint(
        self, instance_id: int, joint: int, x: float, y: float, v: int | None = None, frame_state: str | None = "auto"
    ) -> Instance:
        with self._write():  # read and write in one transaction
            keypoints = self.instance(instance_id).keypoints.copy()
            if not 0 <= joint < len(keypoints):
                raise ProjectError(self.path, f"instance {instance_id} has no joint {joint}")
            keypoints[joint, 0], keypoints[joint, 1] = x, y
            if v is not None:
                keypoints[joint, 2] = v
            return self.update_instance(instance_id, frame_state=frame_state, keypoints=keypoints)

    def delete_instance(self, instance_id: int, frame_state: str | None = "auto") -> Instance:
        old = self.instance(instance_id)
        with self._write() as db:
            db.execute("DELETE FROM instances WHERE id = ?", (instance_id,))
            if frame_state == "auto":
                remaining = db.execute("SELECT COUNT(*) FROM instances WHERE frame_id = ?", (old.frame_id,)).fetchone()[0]
                self._set_state(db, old.frame_id, "edited" if remaining else "unlabelled")
            elif frame_state is not None:
                self._set_state(db, old.frame_id, frame_state)
            self._notify("instance_removed", old)
        return old

    def _check_instance(self, instance: Instance) -> None:
        skeleton = self.skeleton(instance.skeleton)
        if len(instance.keypoints) != skeleton.num_joints:
            raise ProjectError(
                self.path,
                f"instance has {len(instance.keypoints)} keypoints but skeleton {skeleton.name!r} has {skeleton.num_joints}",
            )
        if self._query_one("SELECT 1 FROM frames WHERE id = ?", (instance.frame_id,)) is None:
            raise ProjectError(self.path, f"no frame with id {instance.frame_id}")

    def _instance_row(self, inst: Instance) -> tuple:
        return (
            inst.id, inst.frame_id, inst.skeleton, _dump(inst.keypoints),
            _dump(list(inst.bbox)) if inst.bbox is not None else None,
            inst.origin, inst.model_id, inst.score, _dump(inst.joint_scores), _dump(inst.vis_scores),
            inst.category_id, inst.ext_id, _dump(inst.extra), time.time(),
        )

    def _after_instance_edit(self, db: sqlite3.Connection, inst: Instance, frame_state: str | None) -> None:
        if frame_state == "auto":
            if inst.origin == "manual":
                self._set_state(db, inst.frame_id, "edited")
            else:
                db.execute(
                    "UPDATE frames SET state = 'predicted' WHERE id = ? AND state = 'unlabelled'", (inst.frame_id,)
                )
                if db.execute("SELECT changes()").fetchone()[0]:
                    self._notify("frame_state_changed", inst.frame_id, "predicted")
        elif frame_state is not None:
            self._set_state(db, inst.frame_id, frame_state)

    # ------------------------------------------------------------------ summaries
    def stats(self) -> dict[str, Any]:
        states = dict(self._query("SELECT state, COUNT(*) FROM frames GROUP BY state"))
        origins = dict(self._query("SELECT origin, COUNT(*) FROM instances GROUP BY origin"))
        visibility = {0: 0, 1: 0, 2: 0}
        for inst in self.iter_instances(origin="manual"):
            for v, n in zip(*np.unique(inst.keypoints[:, 2].astype(int), return_counts=True)):
                visibility[int(v)] += int(n)
        return {
            "path": str(self.path),
            "schema_version": self.schema_version,
            "sources": [{"id": s.id, "kind": s.kind, "path": s.path, "frames": self.frame_count(s.id)} for s in self.sources()],
            "frames": self.frame_count(),
            "frame_states": {s: states.get(s, 0) for s in FRAME_STATES},
            "instances": {"manual": origins.get("manual", 0), "predicted": origins.get("predicted", 0)},
            "skeletons": self.skeleton_names(),
            "manual_keypoint_visibility": {"not_labelled": visibility[0], "occluded": visibility[1], "visible": visibility[2]},
        }
