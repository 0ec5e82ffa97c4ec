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
