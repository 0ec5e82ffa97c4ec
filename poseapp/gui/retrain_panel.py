"""Retrain: fine-tune the current model on the project's annotations in a separate process
(``poseapp finetune``), reading its JSON-lines progress for live loss and validation PCK plots.
The window never waits on it; Cancel asks the trainer to save and stop."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from poseapp.demo import data_home
from poseapp.engine.finetune_plan import DEFAULT_LR, UNCHECKED
from poseapp.gui.retrain_timing import EpochTimer


def finetuned_name(model: str, stamp: str) -> str:
    """``<model>-ft-<stamp>``, the stamp of an earlier fine-tune replaced, not added to: the loop's
    third model was "recurrent-coco17-large-ft-20261206-132133-ft-20261206-132937", cut in the
    model list (its card keeps the whole chain of models it came from)."""
    return f"{re.sub(r'(-ft-[0-9]{8}-[0-9]{6})+$', '', model)}-ft-{stamp}"


class RetrainPanel(QtWidgets.QWidget):
    model_ready = QtCore.Signal(str, bool)  # folder of the new model, whether the run finished
    failed = QtCore.Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.epochs = QtWidgets.QSpinBox()
        self.epochs.setRange(0, 500)
        # 0 = auto: enough training steps for the project's size (engine/finetune_run.auto_epochs)
        self.epochs.setSpecialValueText("auto")
        self.epochs.setValue(0)
        self.epochs.setToolTip("Passes over the project's people; auto: enough for at least 150 training steps "
                               "(10 to 30 epochs), what measured best on a small COCO project")
        self.lr = QtWidgets.QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 1e-1)
        self.lr.setSingleStep(1e-4)
        self.lr.setValue(DEFAULT_LR)
        self.time_limit = QtWidgets.QDoubleSpinBox()
        self.time_limit.setRange(0.0, 24 * 60.0)
        self.time_limit.setDecimals(1)
        self.time_limit.setSpecialValueText("no limit")
        self.time_limit.setSuffix(" min")
        self.time_limit.setToolTip("Stop (and keep the model so far) after this many minutes")
        self.start_button = QtWidgets.QPushButton("Fine-tune on this project")
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        # after a cancel: nothing is listed unless the user asks for the partial model by this button
        # a short label: beside the two other buttons it must fit the dock at 1366x768
        self.keep_partial_button = QtWidgets.QPushButton("Keep partial")
        self.keep_partial_button.setToolTip("List the cancelled run's model so far, named ...-partial")
        self.keep_partial_button.setVisible(False)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setVisible(False)  # shown once a run starts (an idle "0%" said nothing)
        self.status = QtWidgets.QLabel("Fine-tunes the selected model on this project's annotations.")
        self.status.setWordWrap(True)
        self.loss_plot = pg.PlotWidget(title="training loss")
        self.loss_plot.setLabel("bottom", "step")
        self.loss_curve = self.loss_plot.plot([], [], pen=pg.mkPen("#fdd663", width=2))
        self.pck_plot = pg.PlotWidget(title="validation PCK@0.2 (%)")
        self.pck_plot.setLabel("bottom", "epoch")
        self.pck_curve = self.pck_plot.plot([], [], pen=pg.mkPen("#81c995", width=2), symbol="o", symbolSize=6)
        # the starting model's figure on the same held-out people: is fine-tuning above it?
        self.start_line = pg.InfiniteLine(angle=0, pen=pg.mkPen("#aaaaaa", style=QtCore.Qt.PenStyle.DashLine),
                                          label="start {value:.1f}", labelOpts={"position": 0.1, "color": "#aaaaaa"})
        self.start_line.setVisible(False)
        self.pck_plot.addItem(self.start_line)
        for plot in (self.loss_plot, self.pck_plot):
            plot.setMouseEnabled(x=False, y=False)  # the wheel scrolls the panel, as elsewhere in the dock
            plot.setMinimumHeight(120)
            plot.showGrid(x=True, y=True, alpha=0.3)
            plot.getAxis("left").enableAutoSIPrefix(False)
        form = QtWidgets.QFormLayout()
        form.addRow("Epochs", self.epochs)
        form.addRow("Learning rate", self.lr)
        form.addRow("Time limit", self.time_limit)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.keep_partial_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.loss_plot, 1)
        layout.addWidget(self.pck_plot, 1)
        self.cancel_button.clicked.connect(lambda _checked=False: self.cancel())
        self.keep_partial_button.clicked.connect(lambda _checked=False: self.keep_partial())
        self.process: QtCore.QProcess | None = None
        self.timer = EpochTimer(self)  # the offered run's time per epoch, measured in the background
        self.out: Path | None = None
        self.events: list[dict] = []
        self._buffer = b""
        self._plan_text = ""
        self._val_people = 0
        self._cancelling = False
        self._losses: list[tuple[int, float]] = []
        self._pcks: list[tuple[int, float]] = []

    def start(self, model: str, project: str, plan_text: str = "") -> bool:
        if self.process is not None:
            return False
        self.timer.stop()  # the run needs the core; it reports its own pace
        self._plan_text = plan_text
        self._val_people = 0
        self._cancelling = False
        self.keep_partial_button.setVisible(False)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.out = data_home() / "models" / finetuned_name(Path(model).name, stamp)
        args = ["-m", "poseapp", "finetune", "--model", str(model), "--project", str(project), "--out", str(self.out),
                *(["--epochs", str(self.epochs.value())] if self.epochs.value() else []), "--lr", str(self.lr.value()),
                "--background"]  # one thread, lowest priority: the window's own model runs keep their core
        if self.time_limit.value() > 0:
            args += ["--max-minutes", f"{self.time_limit.value():g}"]
        self.events.clear()
        self._losses.clear()
        self._pcks.clear()
        self._buffer = b""
        self.loss_curve.setData([], [])
        self.pck_curve.setData([], [])
        self.start_line.setVisible(False)
        process = QtCore.QProcess(self)
        process.setProgram(sys.executable)
        process.setArguments(args)
        process.readyReadStandardOutput.connect(self._read)
        process.finished.connect(self._finished)
        self.process = process
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)  # busy until the trainer says how long it will be
        self.progress.setVisible(True)
        self.status.setText(f"Starting: {Path(model).name} on {Path(project).name} ...\n{plan_text}")
        process.start()
        return True

    def reset(self) -> None:
        """Another project: nothing of the last one's run stays on show (a run still going keeps its own)."""
        if self.process is not None:
            return
        self.status.setText("Fine-tunes the selected model on this project's annotations.")
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setVisible(False)
        self.events.clear()
        self._losses.clear()
        self._pcks.clear()
        self.loss_curve.setData([], [])
        self.pck_curve.setData([], [])
        self.start_line.setVisible(False)

    def cancel(self) -> None:
        if self.process is not None:
            self._cancelling = True
            self.status.setText("Stopping after the current step (the trainer saves its state)...")
            self.process.terminate()  # SIGTERM: the trainer checkpoints and exits

    def keep_partial(self) -> Path | None:
        """The cancelled run's model, renamed ...-partial so nobody takes it for a finished one, and listed."""
        if self.out is None or not (self.out / "card.json").is_file():
            return None
        partial = self.out.with_name(self.out.name + "-partial")
        try:
            self.out.rename(partial)
        except OSError as exc:
            self.status.setText(f"The partial model could not be kept: {self.out}: {exc.strerror or exc}")
            return None
        self.out = partial
        self.keep_partial_button.setVisible(False)
        self.status.setText(f"Kept the partial model {partial.name}; it is in the model list (not selected).")
        self.model_ready.emit(str(partial), False)
        return partial

    def _read(self) -> None:
        self._buffer += bytes(self.process.readAllStandardOutput())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            self.events.append(event)
            self._show(event)

    def _show(self, e: dict) -> None:
        kind = e.get("event")
        if kind == "start":
            total = e.get("total_steps") or e["epochs"] * e["steps_per_epoch"]  # a max_steps run ends early
            self.progress.setRange(0, total)
            self._steps_per_epoch = e["steps_per_epoch"]
            self._val_people = e["val_samples"]
            self._val_before = e.get("val_pck_before")
            if isinstance(self._val_before, (int, float)):
                self.start_line.setValue(self._val_before)
                self.start_line.setVisible(True)
            skipped = [line for line in self._plan_text.splitlines() if line.startswith("Skips") or UNCHECKED in line]
            self.status.setText("\n".join([f"Training on {e['train_samples']} people, validating on {e['val_samples']} "
                                           f"held out ({e['device']}).", *skipped]))
        elif kind == "step":
            step = e["epoch"] * self._steps_per_epoch + e["batch"]
            self.progress.setValue(step)
            self._losses.append((step, e["loss"]))
            # a lone point (a one-epoch run logs one step) is drawn as a dot: a line needs two
            self.loss_curve.setData([s for s, _ in self._losses], [v for _, v in self._losses],
                                    symbol="o" if len(self._losses) == 1 else None, symbolSize=6)
            if len(self._losses) == 1:  # auto range centres a lone point in +-0.5: a negative loss axis
                self.loss_plot.setYRange(0.0, 2.0 * max(e["loss"], 1e-6), padding=0)
            elif len(self._losses) == 2:
                self.loss_plot.enableAutoRange(axis="y")
            self.status.setText(f"epoch {e['epoch'] + 1}, step {e['batch']}/{e['batches']}, loss {e['loss']:.4f}, about {e['eta_s']} s left")
        elif kind == "epoch":
            self._pcks.append((e["epoch"] + 1, e["val"]["pck@0.2"]["total"]))
            self.pck_curve.setData([s for s, _ in self._pcks], [v for _, v in self._pcks])

    def _planned_epochs(self) -> int | str:
        """The run's epoch count, as its start event said (the spin box may say auto)."""
        start = next((e for e in self.events if e.get("event") == "start"), None)
        return start["epochs"] if start and "epochs" in start else (self.epochs.value() or "?")

    def _kept_model_note(self) -> tuple[str, bool]:
        """The validation figure of the weights the new model holds (its card's; which epoch they
        are from is the run's ``keep``), beside the starting model's on the same people; and
        whether it beat the starting model there (True when there is nothing to compare)."""
        try:
            card = json.loads((self.out / "card.json").read_text(encoding="utf-8"))
            kept = float(card["metrics"]["validation_crops"]["pck@0.2"]["total"])
        except (OSError, ValueError, KeyError, TypeError):
            return "", True
        people = getattr(self, "_val_people", 0)
        note = f": validation PCK@0.2 {kept:.1f} on {people} held-out {'person' if people == 1 else 'people'}"
        before = getattr(self, "_val_before", None)
        if isinstance(before, (int, float)):
            note += f" (the model it started from: {before:.1f}"
            note += ", so fine-tuning did not help on them)" if kept <= before else ")"
        unchecked = [line for line in self._plan_text.splitlines() if UNCHECKED in line]
        helped = not isinstance(before, (int, float)) or kept > before
        return note + (". " + unchecked[0].rstrip(".") if unchecked else ""), helped

    def _finished(self, code: int, _status) -> None:
        self._read()
        process, self.process = self.process, None
        stderr = bytes(process.readAllStandardError()).decode(errors="replace") if process is not None else ""
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if code == 0:
            self.progress.setRange(0, 100)
            self.progress.setValue(100)
        elif self.progress.maximum() == 0:  # stopped before the trainer said how long it would be
            self.progress.setRange(0, 100)
            self.progress.setValue(0)
        # else the bar stays where the run stopped: the work done is not hidden
        if self._cancelling and self.out is not None and (self.out / "card.json").is_file():
            epochs = sum(e.get("event") == "epoch" for e in self.events)
            self.status.setText(f"Cancelled after {epochs} of {self._planned_epochs()} epoch(s): no new model was listed. "
                                "'Keep partial' lists what it learnt so far, named ...-partial.")
            self.keep_partial_button.setVisible(True)
        elif self.out is not None and (self.out / "card.json").is_file():
            note, helped = self._kept_model_note()
            epochs = sum(e.get("event") == "epoch" for e in self.events)
            done = "Done; " if code == 0 else f"Stopped early after {epochs} of {self._planned_epochs()} epoch(s); "
            # a model that did not beat its start on the held-out people is offered, not put to work
            select = code == 0 and helped
            self.status.setText(done + f"new model {self.out.name}{note}"
                                + ("." if select else "; in the model list (not selected: the model you work with stays)."))
            self.model_ready.emit(str(self.out), select)
        elif self._cancelling:
            self.status.setText("Cancelled before the first epoch ended: no new model was saved.")
        else:
            message = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit code {code}"
            self.status.setText(f"Fine-tuning failed: {message}")
            self.failed.emit(message)
