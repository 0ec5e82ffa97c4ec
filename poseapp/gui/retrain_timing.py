"""The Retrain tab's time per epoch, measured, never guessed: `poseapp finetune --plan-only
--background` times a few real training steps of the run the tab offers (the same process setup
as the run: one thread, lowest priority), in a process of its own so the window neither waits
(about 5 s with PyTorch's import) nor shares its threads. Each model's figure is kept for the
session: a step's cost depends on the model and the skeleton, not on which people it sees."""

from __future__ import annotations

import json
import sys

from PySide6 import QtCore

from poseapp.engine.finetune_plan import EpochTiming

BATCH_SIZE = 16  # what the window's fine-tuning runs use (`poseapp finetune`'s default)


class EpochTimer(QtCore.QObject):
    measured = QtCore.Signal()  # a figure (or why there is none) is known for a model

    def __init__(self, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self.timings: dict[tuple[str, str], EpochTiming] = {}  # (model folder, skeleton) -> speed
        self.problems: dict[tuple[str, str], str] = {}
        self.process: QtCore.QProcess | None = None
        self._key: tuple[str, str] | None = None
        self._output = b""

    def known(self, model: str, skeleton: str) -> tuple[EpochTiming | None, str | None]:
        """The measured speed of fine-tuning ``model`` into a ``skeleton`` model, or why it could not be measured."""
        return self.timings.get((model, skeleton)), self.problems.get((model, skeleton))

    def busy(self) -> bool:
        return self.process is not None

    def measure(self, model: str, skeleton: str, project: str) -> bool:
        """Start timing (in the background); False when a measurement is going on already."""
        if self.process is not None:
            return False
        self._key, self._output = (model, skeleton), b""
        process = QtCore.QProcess(self)
        process.setProgram(sys.executable)
        process.setArguments(["-m", "poseapp", "finetune", "--model", model, "--project", project, "--plan-only",
                              "--background", "--batch-size", str(BATCH_SIZE)])
        process.readyReadStandardOutput.connect(self._read)
        process.finished.connect(self._finished)
        self.process = process
        process.start()
        return True

    def stop(self) -> None:
        """The window closes (or a real run starts and needs the core): no figure from this one."""
        process, self.process = self.process, None
        if process is not None:
            process.finished.disconnect(self._finished)
            process.kill()
            process.waitForFinished(3000)

    def _read(self) -> None:
        if self.process is not None:
            self._output += bytes(self.process.readAllStandardOutput())

    def _finished(self, code: int, _status) -> None:
        self._read()
        process, self.process = self.process, None
        timing, said = None, None
        for line in self._output.splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(event, dict) and event.get("event") == "plan":
                timing = EpochTiming.from_dict(event["timing"]) if event.get("timing") else None
                # the plan's own line on why the steps could not be timed
                prefix = "Time per epoch: not measured ("
                said = next((t[len(prefix):].rstrip(".)") for t in str(event.get("summary", "")).splitlines()
                             if t.startswith(prefix)), None)
        if timing is not None:
            self.timings[self._key] = timing
            self.problems.pop(self._key, None)
        else:
            stderr = bytes(process.readAllStandardError()).decode(errors="replace").strip() if process else ""
            self.problems[self._key] = said or (stderr.splitlines()[-1] if stderr else f"the timing run ended with exit code {code}")
        self.measured.emit()
