"""The project file itself: connecting to it (read-write, read-only, immutable), telling a poseapp
project from other files without changing them, its SQLite working files, and schema migrations.
project.py holds what is stored inside."""

from __future__ import annotations

import json
import os
import sqlite3
import time
import urllib.parse
from pathlib import Path

from poseapp.core.errors import ProjectError
from poseapp.store import schema

PROJECT_SUFFIX = ".poseapp"
_BUSY_SECONDS = 2.0  # how long an edit waits for another program's write lock before it fails visibly


def connect(path: Path, read_only: bool) -> sqlite3.Connection:
    # Through a URI so that a read-only connection is one (mode=ro): it can never checkpoint and
    # delete the WAL under the writer, nor switch a foreign file's journal mode.
    uri = f"file:{urllib.parse.quote(os.path.abspath(path))}?mode={'ro' if read_only else 'rwc'}"
    try:
        db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=_BUSY_SECONDS)
        db.execute("PRAGMA foreign_keys = ON")
        if read_only:
            try:
                db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            except sqlite3.OperationalError as exc:
                if "readonly" not in str(exc) and "unable to open" not in str(exc):
                    raise
                db.close()
                db = connect_immutable(path, uri)
    except sqlite3.OperationalError as exc:
        raise ProjectError(path, f"cannot open the project: {exc}") from None
    return db


def connect_immutable(path: Path, uri: str) -> sqlite3.Connection:
    """A project in a folder nobody may write to cannot get the shared-memory file a WAL reader
    needs; when its WAL is empty or gone (a clean close leaves it so), the main file is the whole
    project and SQLite may read it as immutable."""
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise ProjectError(path, f"cannot be read here: its folder is read-only and its latest edits are still in "
                           f"{wal.name}; copy the project with that file to a folder you can write to")
    db = sqlite3.connect(f"{uri}&immutable=1", uri=True, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA foreign_keys = ON")
    return db


def check_project_file(path: str | os.PathLike) -> None:
    """Refuse (ProjectError) anything but a poseapp project, changing nothing: the header's
    application id is read through a read-only SQLite connection, never by opening the file
    ourselves (that would drop this process's SQLite locks on a project it has open)."""
    path = Path(path)
    if path.is_dir():
        raise ProjectError(path, "a folder, not a poseapp project file")
    if path.is_file() and path.stat().st_size == 0:
        raise ProjectError(path, "an empty file, not a poseapp project")
    probe = None
    made = [f for f in working_files(path) if not f.exists()]  # what the probe may leave behind
    try:
        probe = connect(path, read_only=True)
        app_id = probe.execute("PRAGMA application_id").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        if probe is not None:
            probe.close()
            probe = None
        remove_made(made)
        if "not a database" in str(exc):
            raise ProjectError(path, "not a poseapp project (the file is not an SQLite database)") from None
        raise ProjectError(path, f"the project file cannot be read: {exc}") from None
    finally:
        if probe is not None:
            probe.close()
    if app_id != schema.APPLICATION_ID:
        raise ProjectError(path, "an SQLite database, but not a poseapp project (another program's file; left unchanged)")


def is_sqlite_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` holds an SQLite database (any program's), asked through a read-only SQLite
    connection rather than by opening the file ourselves (see check_project_file)."""
    path = Path(path)
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return False
        probe = connect(path, read_only=True)
    except (OSError, ProjectError, sqlite3.DatabaseError):  # not a database (found by the read-only probe)
        return False
    try:
        probe.execute("PRAGMA schema_version").fetchone()
        return True
    except sqlite3.DatabaseError:
        return False
    finally:
        probe.close()


def is_project_file(path: str | os.PathLike) -> bool:
    try:
        check_project_file(path)
    except ProjectError:
        return False
    return True


def check_version(path: Path, db: sqlite3.Connection) -> None:
    """A read-only opening cannot migrate: it reads the schema this code writes, or refuses."""
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    version = int(json.loads(row[0])) if row else 0
    if version != schema.current_version():
        advice = "open it once for writing to upgrade it" if version < schema.current_version() else "update poseapp"
        raise ProjectError(
            path, f"the project has schema version {version} and this poseapp reads {schema.current_version()}; {advice}")


def refuse_newer_schema(path: Path, db: sqlite3.Connection) -> None:
    """A project written by a newer poseapp is refused before anything is written to it."""
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "meta" not in tables:
        return  # a new file, or one _migrate refuses
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is not None and int(json.loads(row[0])) > schema.current_version():
        raise ProjectError(path, f"the project has schema version {int(json.loads(row[0]))}, newer than this poseapp "
                                 f"understands ({schema.current_version()}); update poseapp")


WORKING_FILE_SUFFIXES = ("-wal", "-shm", "-journal", "-lock")


def working_files(path: Path) -> list[Path]:
    return [Path(f"{path}-wal"), Path(f"{path}-shm")]


def remove_made(made: list[Path]) -> None:
    """A refused file is left as it was: the empty -wal (and its -shm) that SQLite made while
    finding that out go too. A -wal with content, or one that was there before, is never ours."""
    wal = next((f for f in made if f.name.endswith("-wal")), None)
    if wal is None or not wal.exists() or wal.stat().st_size:
        return
    for f in made:
        f.unlink(missing_ok=True)


def project_of_working_file(path: str | os.PathLike) -> Path | None:
    """The project whose SQLite working file (-wal, -shm, -journal) or writer lock ``path`` is, if
    that project exists: writing such a file loses the project's latest edits or its lock."""
    path = Path(path)
    for suffix in WORKING_FILE_SUFFIXES:
        if path.name.endswith(suffix) and len(path.name) > len(suffix):
            owner = path.with_name(path.name[: -len(suffix)])
            if owner.is_file():
                return owner
    return None


def migrate(path: Path, db: sqlite3.Connection, new: bool) -> None:
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if tables and "meta" not in tables:
        raise ProjectError(path, "an SQLite database, but not a poseapp project (no meta table)")
    if "meta" in tables:
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            raise ProjectError(path, "not a poseapp project (no schema version)")
        version = int(json.loads(row[0]))
    else:
        version = 0
    target = schema.current_version()
    if version > target:
        raise ProjectError(
            path, f"the project has schema version {version}, newer than this poseapp understands ({target}); update poseapp"
        )
    if version == target:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        while version < target:
            schema.MIGRATIONS[version](db)
            version += 1
        if version == 1 and "meta" not in tables:
            db.execute("INSERT INTO meta (key, value) VALUES ('created', ?)", (json.dumps(time.time()),))
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (json.dumps(version),))
        db.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
