"""Write files and folders so that an interrupted write never replaces a good file with a bad one.

The data goes to a temporary sibling (same directory, so the final rename stays on one file
system and is atomic), is flushed and fsynced, and only then renamed over the destination.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator


def _fsync_dir(directory: Path) -> None:
    # The rename itself lives in the directory entry; without this a power cut can undo it.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _temp_prefix(dest: Path) -> str:
    # The writer's pid in the name tells a later run which leftovers belong to a dead process.
    return f".{dest.name}.{os.getpid()}."


def remove_stale_temps(dest: Path) -> list[Path]:
    """Delete the temporary files and folders that writers of ``dest`` left when they were killed
    (their process is gone); a live writer's are left alone. Returns what was removed."""
    removed = []
    try:
        siblings = list(dest.parent.iterdir())
    except OSError:
        return removed
    for path in siblings:
        pid = _writer_pid(path.name, dest.name)
        if pid is None or pid == os.getpid() or _alive(pid):
            continue
        with contextlib.suppress(OSError):
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
            removed.append(path)
    return removed


def _writer_pid(name: str, dest_name: str) -> int | None:
    """The pid in '.DEST.PID.XXXX.tmp' or '.DEST.old-PID', else None."""
    head = f".{dest_name}."
    if not name.startswith(head):
        return None
    rest = name[len(head):]
    if rest.startswith("old-"):
        digits = rest[4:]
    elif rest.endswith(".tmp"):
        digits = rest.split(".", 1)[0]
    else:
        return None
    return int(digits) if digits.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[Any]:
    """Open a temporary file beside ``path``; on clean exit it replaces ``path``, on error it vanishes."""
    if "w" not in mode:
        raise ValueError("atomic_open only writes")
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(dest)
    fd, tmp_name = tempfile.mkstemp(prefix=_temp_prefix(dest), suffix=".tmp", dir=dest.parent)
    tmp = Path(tmp_name)
    # mkstemp makes the file private (0600); a written export should get the usual permissions.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_json_atomic(path: str | os.PathLike, data: Any, indent: int | None = None) -> None:
    with atomic_open(path, "w") as handle:
        json.dump(data, handle, indent=indent, allow_nan=False)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    with atomic_open(path, "wb") as handle:
        handle.write(data)


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder; on clean exit it takes the place of ``path`` (an old one is removed)."""
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(dest)
    tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(dest), suffix=".tmp", dir=dest.parent))
    # mkdtemp makes it private (0700); an export folder is for other people and tools to read, as
    # any folder the user would make
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if dest.exists():
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        os.replace(dest, old)
    os.replace(tmp, dest)
    _fsync_dir(dest.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
