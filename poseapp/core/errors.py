"""Error types that carry the file and the problem, so every message a user sees names both."""

from __future__ import annotations

import os


class PoseAppError(Exception):
    """Base class for errors that are shown to the user as-is (no traceback)."""


class DataError(PoseAppError):
    """Bad input data: the file it came from and what is wrong with it."""

    def __init__(self, path: str | os.PathLike | None, problem: str):
        self.path = os.fspath(path) if path is not None else None
        self.problem = problem
        super().__init__(f"{self.path}: {problem}" if self.path else problem)


class ProjectError(PoseAppError):
    """The project file cannot be opened, is damaged, or an edit refers to something absent."""

    def __init__(self, path: str | os.PathLike | None, problem: str):
        self.path = os.fspath(path) if path is not None else None
        self.problem = problem
        super().__init__(f"{self.path}: {problem}" if self.path else problem)


class DamagedProjectError(ProjectError):
    """SQLite found a damaged page while reading the project (often long after it opened)."""


class ProjectLockedError(ProjectError):
    """Another process holds the project for writing: ``holder`` is what its lock file says about
    it, ``holder_text`` the same in words."""

    def __init__(self, path: str | os.PathLike, holder: dict | None, holder_text: str):
        self.holder = holder
        self.holder_text = holder_text
        super().__init__(path, f"open for writing in {holder_text}; close it there first, or open this one read-only")


def describe_os_error(exc: OSError) -> str:
    """'FILE: No space left on device' -- the file first, as every other message has it."""
    problem = exc.strerror or str(exc)
    if exc.filename is None:
        return problem
    target = f" -> {exc.filename2}" if exc.filename2 else ""
    return f"{os.fspath(exc.filename)}{target}: {problem}"
