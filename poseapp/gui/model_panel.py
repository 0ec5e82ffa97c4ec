"""The model panel: which model, on which device, how many iterations; run on the current frame
or on the whole source in the background, with a progress bar and cancel."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from poseapp.gui import file_dialogs
from poseapp.gui.people_row import FROM_FILE, FROM_FILE_LABEL, PEOPLE_SOURCES, PeopleRowMixin

from poseapp.core.accepting import DEFAULT_OCCLUDED_BELOW
from poseapp.engine.model_folder import model_dir, read_card
from poseapp.engine.zoo import default_model_name, list_models


REFINE_TIP = ("After you drag a joint, the model re-runs with the joints you placed as hints and moves the ones "
              "you have not placed (one undo takes back both). E: refine again.")


class ModelPanel(PeopleRowMixin, QtWidgets.QGroupBox):
    run_frame = QtCore.Signal()
    run_source = QtCore.Signal()
    cancel = QtCore.Signal()
    refine_available = QtCore.Signal(bool)  # the chosen model takes hints (and PyTorch has loaded)
    problem = QtCore.Signal(str)  # a box file that cannot be used: the window says why (people_row.py)
    people_changed = QtCore.Signal()  # the People row's source changed (the session keeps it)
    box_file_taken = QtCore.Signal(object)  # the BoxFile the user chose, as checked: the window says what it names
    needs_room = QtCore.Signal(int)  # px more height the panel needs to show a run's note and the Model row both

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__("Model", parent)
        self.model_box = QtWidgets.QComboBox()
        self.model_box.setToolTip("Models shipped in models/ and trained into your poseapp folder")
        # a fine-tuned model's long name must not widen the dock and squeeze the canvas: the box
        # keeps a fixed width, elides the name and shows it whole in the item's tooltip
        self.model_box.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_box.setMinimumContentsLength(10)
        self.model_box.view().setTextElideMode(QtCore.Qt.TextElideMode.ElideMiddle)
        browse = QtWidgets.QPushButton("...")
        browse.setToolTip("Use another model: pick its card.json or weights.safetensors")
        browse.setFixedWidth(28)
        browse.clicked.connect(lambda _checked=False: self._browse())
        self.card_button = QtWidgets.QPushButton("Card")
        self.card_button.setToolTip("The model card: how the model was trained and what it measured")
        self.card_button.setMaximumWidth(56)
        self.card_button.clicked.connect(lambda _checked=False: self.show_card())
        self.card_window: QtWidgets.QTextBrowser | None = None
        self.device_box = QtWidgets.QComboBox()
        self.device_box.addItem("auto", "auto")
        self.device_box.addItem("CPU", "cpu")
        # PyTorch (about 2.5 s to import) loads after the window opens; CUDA devices and whether
        # the model takes hints are filled in then (runtime_loaded)
        self.runtime_ready = False
        self.iterations = QtWidgets.QSpinBox()
        self.iterations.setRange(0, 8)
        self.iterations.setToolTip("Recurrent models: iterations of the recurrent module (0 = feed-forward only)")
        self.occluded_below = QtWidgets.QDoubleSpinBox()
        self.occluded_below.setRange(0.0, 1.0)
        self.occluded_below.setSingleStep(0.05)
        self.occluded_below.setValue(DEFAULT_OCCLUDED_BELOW)
        self.occluded_below.setToolTip("Accepting a prediction (A) flags a joint occluded when the model's "
                                       "visibility score is below this, visible otherwise")
        # which detections become people: the detector, its score threshold, the smallest person
        self.boxes_box = QtWidgets.QComboBox()
        for label, mode in PEOPLE_SOURCES:
            self.boxes_box.addItem(label, mode)
        self.boxes_box.addItem(FROM_FILE_LABEL, FROM_FILE)  # asks for a box file; the file then has its own entry
        self.boxes_box.setToolTip("Where person boxes come from on frames nobody annotated: poseapp's trained person "
                                  "detector, OpenCV's HOG pedestrian detector, the whole image, or your own detector's "
                                  "boxes (a COCO detection results JSON: 'from file...'). A detector that finds nobody "
                                  "gives the whole image")
        self._last_people = 0  # the entry to go back to when 'from file...' is cancelled or refused
        self.min_score = QtWidgets.QDoubleSpinBox()
        self.min_score.setDecimals(2)
        self.min_score.setSingleStep(0.05)
        self.min_score.setToolTip("The detector's score a detection needs to become a person (HOG: its SVM margin)")
        self.min_height = QtWidgets.QSpinBox()
        self.min_height.setRange(0, 2000)
        self.min_height.setSuffix(" px")
        self.min_height.setToolTip("People shorter than this are left out (0: everybody the detector finds)")
        self.boxes_box.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.boxes_box.setMinimumContentsLength(8)  # the row fits the 1366x768 dock
        self.boxes_box.currentIndexChanged.connect(self._boxes_changed)
        self._boxes_changed()
        self.flip_box = QtWidgets.QCheckBox("Flip test")
        self.flip_box.setChecked(True)
        self.flip_box.setToolTip("Average each prediction (and each refinement) with the model's prediction on the "
                                 "mirrored crop: fewer wrong joints for twice the model time. The card gives both figures")
        self.refine_box = QtWidgets.QCheckBox("Refine after a drag")
        self.refine_box.setChecked(True)
        self.refine_box.setToolTip(REFINE_TIP)
        self.refine_note = QtWidgets.QLabel()  # why refinement is off, or may help less, with this model
        self.refine_note.setWordWrap(True)
        self.refine_note.setStyleSheet("color: #9aa0a6")
        self.takes_hints = False
        self.run_button = QtWidgets.QPushButton("Run on frame")
        self.run_button.setToolTip("Predict the people in this frame (Ctrl+R)")
        self.run_all_button = QtWidgets.QPushButton("Run on source")
        self.run_all_button.setToolTip("Predict every frame of this image folder or video in the background")
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.from_current = QtWidgets.QCheckBox("Run on source from the current frame on")
        self.from_current.setChecked(True)
        self.from_current.setToolTip("Unchecked: Run on source starts at the source's first frame")
        self.progress = QtWidgets.QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setValue(0)
        self.progress.setVisible(False)  # shown while a run goes on and after it, never as an idle "0%"
        self.info = QtWidgets.QLabel()
        self.info.setWordWrap(True)
        self.warning = QtWidgets.QLabel()  # about the last run: people too small for the model, another skeleton
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #f28b82")
        self.warning.setVisible(False)
        self.run_button.clicked.connect(lambda _checked=False: self.run_frame.emit())
        self.run_all_button.clicked.connect(lambda _checked=False: self.run_source.emit())
        self.cancel_button.clicked.connect(lambda _checked=False: self.cancel.emit())
        self.model_box.currentIndexChanged.connect(self._model_changed)

        form = QtWidgets.QFormLayout(self)
        # the model's name has the row to itself: at 1366x768 it was cut ("recurrent-lite (defau")
        # beside the Card and ... buttons, which now sit with the device
        self.model_box.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_box.setMinimumContentsLength(12)
        form.addRow("Model", self.model_box)
        settings = QtWidgets.QHBoxLayout()
        settings.addWidget(self.device_box, 1)
        iterations_label = QtWidgets.QLabel("Iter.")
        iterations_label.setToolTip(self.iterations.toolTip())
        iterations_label.setBuddy(self.iterations)
        settings.addWidget(iterations_label)
        settings.addWidget(self.iterations)
        settings.addWidget(self.card_button)
        settings.addWidget(browse)
        form.addRow("Device", settings)
        people = QtWidgets.QHBoxLayout()
        people.addWidget(self.boxes_box, 1)
        people.addWidget(self.min_score)
        people.addWidget(self.min_height)
        form.addRow("People", people)
        # one row for both: the whole panel, the model's name included, fits its tab at 1366x768
        checks = QtWidgets.QHBoxLayout()
        checks.addWidget(self.flip_box)
        checks.addWidget(self.refine_box)
        occluded_label = QtWidgets.QLabel("Occl. <")
        occluded_label.setToolTip(self.occluded_below.toolTip())
        occluded_label.setBuddy(self.occluded_below)
        checks.addWidget(occluded_label)
        checks.addWidget(self.occluded_below)
        form.addRow(checks)
        form.addRow(self.refine_note)
        buttons = QtWidgets.QHBoxLayout()
        for b in (self.run_button, self.run_all_button, self.cancel_button):
            buttons.addWidget(b)
        form.addRow(buttons)
        form.addRow(self.from_current)
        form.addRow(self.progress)
        form.addRow(self.info)
        form.addRow(self.warning)
        self.refresh_models()

    def refresh_models(self) -> None:
        self.model_box.blockSignals(True)
        self.model_box.clear()
        default = default_model_name()
        for folder in list_models():
            # which skeleton it predicts, so a user picks the one for the project's people
            label = folder.name + f"  · {_skeleton_name(folder)}" + ("  (default)" if folder.name == default else "")
            self._add_item(label, str(folder))
            if folder.name == default:
                self.model_box.setCurrentIndex(self.model_box.count() - 1)
        self.model_box.blockSignals(False)
        self._model_changed()

    def add_model(self, folder: str | Path, select: bool = True) -> None:
        folder = str(Path(folder))
        index = self.model_box.findData(folder)
        if index < 0:
            self._add_item(f"{Path(folder).name}  · {_skeleton_name(Path(folder))}", folder)
            index = self.model_box.count() - 1
        if select:
            self.model_box.setCurrentIndex(index)

    def _add_item(self, label: str, folder: str) -> None:
        self.model_box.addItem(label, folder)
        self.model_box.setItemData(self.model_box.count() - 1, folder, QtCore.Qt.ItemDataRole.ToolTipRole)

    def input_size(self) -> int | None:
        """The selected model's input side in pixels (from its card)."""
        path = self.model_path()
        try:
            return int(read_card(path)["input_size"][0]) if path else None
        except Exception:  # noqa: BLE001 - an unreadable card is reported by _model_changed
            return None

    def show_warning(self, text: str | None) -> None:
        self.warning.setMinimumHeight(0)
        self.warning.setText(text or "")
        self.warning.setVisible(bool(text))
        if text:  # at 1366x768 it lies below the dock's fold: scrolled into view once laid out
            QtCore.QTimer.singleShot(0, self._scroll_to_warning)

    def _scroll_to_warning(self) -> None:
        # a wrapped label's height follows its width, which the dock's scroll area does not ask: it
        # is given the height its lines need at the width it has, or the panel squeezes it to a cut line
        if self.warning.isVisible() and self.warning.width() > 0:
            self.warning.setMinimumHeight(self.warning.heightForWidth(self.warning.width()))
        area = self.parentWidget()
        while area is not None and not isinstance(area, QtWidgets.QScrollArea):
            area = area.parentWidget()
        if area is not None and self.warning.isVisible():  # once laid out at its new height
            # scrolled to the note, the Model row went out of view at the top: the window first gives
            # the dock the room it lacks (from the Joints dock), and scrolls only for what is left
            lacking = area.widget().sizeHint().height() - area.viewport().height() if area.widget() is not None else 0
            if lacking > 0:
                self.needs_room.emit(lacking)
            QtCore.QTimer.singleShot(0, lambda: self.warning.isVisible() and area.ensureWidgetVisible(self.warning))

    def model_path(self) -> str | None:
        return self.model_box.currentData()

    def model_paths(self) -> list[str]:
        """Every model in the list, the shipped ones and any the user added."""
        return [self.model_box.itemData(i) for i in range(self.model_box.count())]

    def device(self) -> str:
        return self.device_box.currentData()

    def reset_progress(self, text: str = "") -> None:
        """An empty bar (after a cancel, a failure or a new project), with an optional word on it."""
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setFormat(text or "%p%")
        self.progress.setVisible(bool(text))  # an empty bar says nothing: hidden

    def set_busy(self, busy: bool) -> None:
        if busy:
            self.progress.setVisible(True)
        self.run_button.setEnabled(not busy and self.model_path() is not None)
        self.run_all_button.setEnabled(not busy and self.model_path() is not None)
        self.cancel_button.setEnabled(busy)

    def show_card(self) -> QtWidgets.QTextBrowser | None:
        """The selected model's card (its README: training, per-stage accuracy, examples) in a window."""
        path = self.model_path()
        if path is None:
            return None
        from poseapp.engine.model_card import render

        try:
            text = render(read_card(path))
        except Exception as exc:  # noqa: BLE001 - a broken card is shown, not raised
            text = f"# {Path(path).name}\n\nThe card cannot be read: {exc}"
        if self.card_window is None:
            self.card_window = CardWindow(self)
            screen = (self.screen() or QtWidgets.QApplication.primaryScreen()).availableGeometry()
            self.card_window.resize(min(760, screen.width() - 40), min(820, screen.height() - 60))  # fits 1366x768
        self.card_window.setWindowTitle(f"Model card: {Path(path).name}")
        self.card_window.browser.setSearchPaths([str(path)])  # the card's example images are relative to its folder
        # GitHub-flavoured Markdown would turn 'PCK@0.2' into a mail link; an entity keeps it text
        self.card_window.browser.setMarkdown(text.replace("@", "&#64;"))
        self.card_window.show()
        self.card_window.raise_()
        return self.card_window

    def _browse(self) -> None:
        path, _ = file_dialogs.get_open_file_name(
            self, "Choose a model (its card.json or weights.safetensors)", "", "poseapp model (card.json *.safetensors)"
        )
        if not path:
            return
        folder = model_dir(path)
        try:  # checked before it joins the list: a folder that is no model is refused, named
            read_card(folder)
        except Exception as exc:  # noqa: BLE001 - any unreadable card is the user's to hear about, not a traceback
            self.problem.emit(f"The model was not added: {exc}\nThe models list stays as it was.")
            return
        self.add_model(folder)

    def _model_changed(self) -> None:
        path = self.model_path()
        self.model_box.setToolTip(path or "No model")
        self.set_busy(False)
        self._show_refining(None)
        if path is None:
            self.info.setText("No model found: train one with `poseapp train`.")
            return
        try:
            card = read_card(path)
        except Exception as exc:  # noqa: BLE001 - shown in the panel
            self.info.setText(str(exc))
            return
        self._show_refining(card)
        iterations = card.get("config", {}).get("iterations")
        self.iterations.setEnabled(iterations is not None)
        if iterations is not None:
            self.iterations.setValue(int(iterations))
        pck, pck_flip = (_val_pck(card, key) for key in ("lsp_val", "lsp_val_flip"))
        self.info.setText(
            f"{card.get('architecture')} · {card['skeleton']['name']} · {card['input_size'][0]} px"
            + (f" · LSP val PCK@0.2 {pck:.1f}" if pck is not None else "")
            + (f" ({pck_flip:.1f} with flip test)" if pck_flip is not None else "")
        )

    def runtime_loaded(self) -> None:
        """PyTorch is imported: list its CUDA devices and say what the chosen model offers."""
        if self.runtime_ready:
            return
        import torch

        self.runtime_ready = True
        if torch.cuda.is_available():
            for i in range(torch.cuda.device_count()):
                self.device_box.addItem(f"CUDA {i}: {torch.cuda.get_device_name(i)}", f"cuda:{i}")
        path = self.model_path()
        try:
            self._show_refining(read_card(path) if path else None)
        except Exception:  # noqa: BLE001 - the card's problem is shown by _model_changed already
            self._show_refining(None)

    def _show_refining(self, card: dict | None) -> None:
        """Refinement is offered for models that take hints; the note says when the model was not
        trained with hints (it then has never seen a ground-truth map in its input, and may follow less)."""
        if card is not None and not self.runtime_ready:
            self.takes_hints = False
            self.refine_box.setEnabled(False)
            self.refine_note.setText("Loading PyTorch ...")
            self.refine_note.setVisible(True)
            self.refine_available.emit(False)
            return
        self.takes_hints = False
        if card is not None:
            from poseapp.models.registry import model_class  # after runtime_loaded: no wait

            try:
                self.takes_hints = bool(model_class(card["architecture"]).supports_hints)
            except (KeyError, TypeError):
                pass
        self.refine_box.setEnabled(self.takes_hints)
        self.refine_available.emit(self.takes_hints)
        hints = ((card or {}).get("training") or {}).get("config", {}).get("hints") or 0
        # a row only for what limits refinement; the good news goes to the box's tooltip, so the
        # panel keeps its room at 1366x768 (a run's warning then needs no scroll past the Model row)
        limiting = card is not None and not (self.takes_hints and hints)
        if card is None:
            note = ""
        elif not self.takes_hints:
            note = f"{card.get('architecture', 'This')} models take no hints: no refinement."
        elif not hints:
            note = "This model was not trained with hints: refinement may help less."
        else:
            note = f"Trained with hints ({100 * float(hints):.0f}% of samples)."
        self.refine_note.setText(note)
        self.refine_note.setVisible(limiting)
        self.refine_box.setToolTip(REFINE_TIP + (f" {note}" if note else ""))


def _val_pck(card: dict, key: str) -> float | None:
    """The card's measured PCK@0.2 on the validation split (``poseapp eval --update-card``), if any."""
    return ((card.get("metrics", {}).get(key) or {}).get("pck@0.2") or {}).get("total")


def _skeleton_name(folder: Path) -> str:
    try:
        return str((read_card(folder).get("skeleton") or {}).get("name", "?"))
    except Exception:  # noqa: BLE001 - an unreadable card is reported when the model is chosen
        return "?"


class CardWindow(QtWidgets.QDialog):
    """A model card in a window of its own, with a Close button; Esc closes it too."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("model_card")
        self.setModal(False)
        self.browser = QtWidgets.QTextBrowser(self)
        self.browser.setOpenExternalLinks(True)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:  # noqa: N802 (Qt name)
        if event.key() == QtCore.Qt.Key.Key_Escape:  # the text browser has the focus; Esc closes all the same
            self.close()
        else:
            super().keyPressEvent(event)

    def toPlainText(self) -> str:  # noqa: N802 - as QTextBrowser names it
        return self.browser.toPlainText()

    def toHtml(self) -> str:  # noqa: N802
        return self.browser.toHtml()
