"""PyTorch loads after the window opens: importing it (with the models) takes about 2.5 s of a
4 s start on this machine, and nothing on screen needs it until a model runs. A thread imports
it; the model panel hears when it is ready. Anything that needs torch sooner imports it itself,
and Python's import lock makes that wait for the thread's import instead of starting a second."""

from __future__ import annotations

import importlib
import sys
import threading

from PySide6 import QtCore

RUNTIME_MODULE = "poseapp.models"  # torch and every architecture's registration


class RuntimeLoader(QtCore.QObject):
    loaded = QtCore.Signal()
    failed = QtCore.Signal(str)

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if RUNTIME_MODULE in sys.modules:  # already there (a test, or the CLI imported it)
            self.loaded.emit()
            return
        self._thread = threading.Thread(target=self._load, name="poseapp-load-torch", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        """Before the window imports torch-backed modules itself: two threads importing the same
        packages at once can meet in Python's import locks (a _DeadlockError in one of them)."""
        if self._thread is not None:
            self._thread.join()

    def _load(self) -> None:
        try:
            importlib.import_module(RUNTIME_MODULE)
        except Exception as exc:  # noqa: BLE001 - said in the window; the slot that needs torch says it again
            self.failed.emit(f"PyTorch could not be loaded: {exc}")
            return
        self.loaded.emit()  # queued to the window's thread: the receiver lives there
