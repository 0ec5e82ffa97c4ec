"""One writer per project: an exclusive ``flock`` on ``PROJECT-lock``, beside the -wal and -shm files.

Why not SQLite's own locks alone: they are POSIX ``fcntl`` locks, which the kernel drops for the
whole process as soon as *any* file descriptor of the project file is closed in it (a file
dialog sniffing the file type is enough). Another process then believes it is the last
connection and checkpoints and deletes the WAL under the live window ("How To Corrupt An SQLite
Database File", 2.2). ``flock`` locks belong to one open file description and survive that, so
the writer holds one on a separate file for as long as the project is open, and every other
process opens the project read-only (a read-only connection never deletes the WAL). The lock
file names its holder so a refused opener can say who it is.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: no flock; SQLite's own locking is all there is there.
    fcntl = None  # type: ignore[assignment]

LOCK_SUFFIX = "-lock"


def lock_path(project_path: str | os.PathLike) -> Path:
    return Path(f"{os.fspath(project_path)}{LOCK_SUFFIX}")


def describe_holder(info: dict[str, Any] | None) -> str:
    if not info:
        return "another process"
    since = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.get("since", 0)))
    where = f" on {info['host']}" if info.get("host") and info["host"] != socket.gethostname() else ""
    return f"{info.get('program', 'poseapp')} (process {info.get('pid', '?')}{where}, since {since})"


def read_holder(project_path: str | os.PathLike) -> dict[str, Any] | None:
    """What the lock file says about its holder (None when there is none or it is unreadable)."""
    try:
        return json.loads(lock_path(project_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def holder_gone(project_path: str | os.PathLike) -> bool:
    """Whether the writer a read-only opening deferred to has let go: its lock file is gone (a
    clean close unlinks it), or names a process of this host that no longer runs (a crash). Asked
    without taking the lock, so a writer opening at that moment is never refused because of it."""
    info = read_holder(project_path)
    if not lock_path(project_path).exists():
        return True
    if not info or info.get("host") != socket.gethostname() or not isinstance(info.get("pid"), int):
        return False
    try:
        os.kill(info["pid"], 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _program() -> str:
    """'poseapp import', 'poseapp window', or the script's name: what the refused user is told."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    if name in ("__main__.py", "poseapp"):
        command = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else "window"
        return f"poseapp {command}"
    return name


class WriterLock:
    """Held by the one process that may write the project; ``release`` (or process death) frees it."""

    def __init__(self, path: Path, fd: int | None):
        self.path = path
        self._fd = fd

    @classmethod
    def try_acquire(cls, project_path: str | os.PathLike, program: str | None = None) -> "WriterLock | None":
        """The lock, or None when another process holds it. Raises OSError when the lock file
        cannot be made (a read-only folder): the caller then opens the project read-only."""
        path = lock_path(project_path)
        if fcntl is None:
            return cls(path, None)
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return None
            # The previous holder may have unlinked the file between our open and our flock:
            # then we hold a lock on a file nobody else can find, so start again.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time(), "program": program or _program()}
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(info).encode())
        return cls(path, fd)

    def release(self) -> None:
        if self._fd is None:
            return
        # Unlink while still holding the lock, so a waiter that opened the old file sees it vanish.
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        os.close(self._fd)
        self._fd = None
