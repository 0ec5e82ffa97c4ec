"""Background work that never freezes the window: a QThread running a plain function that
takes ``progress`` and ``cancelled`` callables (the same functions the CLI calls)."""

from __future__ import annotations

import traceback
from typing import Any, Callable

from PySide6 import QtCore

from poseapp.core.errors import PoseAppError


class Job(QtCore.QThread):
    progressed = QtCore.Signal(int, int)
    succeeded = QtCore.Signal(object)
    failed = QtCore.Signal(str)

    def __init__(self, fn: Callable[..., Any], parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self._fn = fn
        self._cancel = False

    def cancel(self) -> None:
        self._cancel = True

    @property
    def was_cancelled(self) -> bool:
        return self._cancel

    def run(self) -> None:  # runs in the worker thread
        try:
            result = self._fn(progress=lambda done, total: self.progressed.emit(done, total), cancelled=lambda: self._cancel)
        except PoseAppError as exc:  # bad input, named with its problem: said to the user, no traceback anywhere
            self.failed.emit(str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a defect: shown to the user, with the traceback in the log
            traceback.print_exc()
            self.failed.emit(f"{type(exc).__name__}: {exc}" if not str(exc).startswith("/") else str(exc))
            return
        self.succeeded.emit(result)
