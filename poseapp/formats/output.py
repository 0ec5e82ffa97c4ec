"""Where exports may be written, and writing them so that failures leave nothing half-done.

An export never replaces a project file, and a folder export only ever replaces a folder that
is empty or that an earlier export of ours made (it carries ``MARKER``): the user's own files
are never deleted. Operating-system failures (read-only folder, full disk, a folder where a
file is expected) become a DataError naming the target, after the temporary file is removed.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from pathlib import Path
from typing import Any, Iterator

from poseapp.core.atomic import atomic_directory, atomic_open
from poseapp.core.errors import DataError
from poseapp.store.project_file import PROJECT_SUFFIX, is_sqlite_file, project_of_working_file

MARKER = ".poseapp-export"


def _is_project_file(path: Path) -> bool:
    """A project, or any database: never overwritten by an export. Asked through SQLite, not by
    opening the file (that would drop this process's locks on a project it has open)."""
    return path.suffix.lower() == PROJECT_SUFFIX or is_sqlite_file(path)


def check_file_target(out: str | os.PathLike, project_path: str | os.PathLike | None = None) -> Path:
    """The resolved path of a single-file export, or a DataError saying why it may not be written."""
    out = Path(out)
    target = out.resolve()
    if project_path is not None and target == Path(project_path).resolve():
        raise DataError(out, "this is the open project; an export must go to a new file")
    if target.is_dir():
        raise DataError(out, "is a folder; give the name of the file to write")
    owner = project_of_working_file(target)
    if owner is not None:
        raise DataError(out, f"is a working file of the project {owner.name} (its latest edits or its lock); "
                             "an export must go to a new file")
    if target.exists() and _is_project_file(target):
        raise DataError(out, "is a poseapp project file; an export will not overwrite a project")
    if not target.exists() and target.suffix.lower() == PROJECT_SUFFIX:
        raise DataError(out, f"an export cannot be named *{PROJECT_SUFFIX} (that is a project file)")
    if not target.parent.is_dir():  # a mistyped folder name must not quietly become a new folder
        raise DataError(out, f"the folder {target.parent} does not exist; create it first, or check its name")
    return target


def check_new_file(out: str | os.PathLike, force: bool) -> Path:
    """The CLI's rule for single-file outputs: an existing file is replaced only with --force (the
    window's file dialog asks instead); a shell typo must not overwrite someone's file. The rules
    of check_file_target come first: a project is refused even with --force."""
    check_file_target(out)
    if not force and Path(out).is_file():
        raise DataError(out, "already exists; pass --force to replace it, or give a new name")
    return Path(out).resolve()


def check_folder_target(out: str | os.PathLike, project_path: str | os.PathLike | None = None) -> Path:
    """The resolved path of a folder export, refusing anything whose replacement would lose user files."""
    out = Path(out)
    target = out.resolve()
    if target.exists() and not target.is_dir():
        kind = "a poseapp project file" if _is_project_file(target) else "a file"
        raise DataError(out, f"is {kind}; a folder export needs a new folder, or one an earlier export made")
    if project_path is not None:
        project = Path(project_path).resolve()
        if target == project or target in project.parents:
            raise DataError(out, f"holds the open project {project_path}; choose a folder of its own")
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents or target == Path.home().resolve():
        raise DataError(out, "is the current, home or a parent folder; export into a new folder")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).is_file():
        raise DataError(
            out, "already holds files that are not a poseapp export; export into a new or empty folder "
            "(poseapp replaces only folders its own exports made)"
        )
    return target


def _os_problem(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full; nothing was written"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "cannot write here (read-only or no permission); nothing was written"
    if exc.errno == errno.EISDIR:
        return "is a folder; give the name of the file to write"
    return f"cannot write: {exc.strerror or exc}; nothing was written"


@contextlib.contextmanager
def os_errors_as_data_errors(out: str | os.PathLike) -> Iterator[None]:
    try:
        yield
    except DataError:
        raise
    except OSError as exc:
        raise DataError(out, _os_problem(exc)) from None


def write_json_export(out: str | os.PathLike, document: Any, project_path: str | os.PathLike | None = None) -> None:
    target = check_file_target(out, project_path)
    with os_errors_as_data_errors(out), atomic_open(target, "w") as handle:
        json.dump(document, handle, allow_nan=False)


def atomic_text_export(out: str | os.PathLike, text: str, project_path: str | os.PathLike | None = None) -> None:
    target = check_file_target(out, project_path)
    with os_errors_as_data_errors(out), atomic_open(target, "w") as handle:
        handle.write(text)


@contextlib.contextmanager
def export_folder(out: str | os.PathLike, project_path: str | os.PathLike | None = None) -> Iterator[Path]:
    """A temporary folder that replaces ``out`` when the block succeeds; it carries our MARKER."""
    target = check_folder_target(out, project_path)
    with os_errors_as_data_errors(out), atomic_directory(target) as tmp:
        (tmp / MARKER).write_text("made by a poseapp export; poseapp may replace this folder\n", encoding="utf-8")
        yield tmp
