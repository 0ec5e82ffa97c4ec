"""The Model tab's People row: where person boxes come from on frames nobody annotated (OpenCV's
HOG detector, poseapp's trained detector, the whole image, or your own detector's boxes from a
COCO detection results file), the detector's score threshold and the smallest person.

"from file..." asks for the file and checks it before anything changes (engine/box_file.py reads
it); the file then has its own entry, and model runs box people where it says (FrameBoxes in
engine/frame_runner.py). The choice is kept in the session (gui/session.py)."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore

from poseapp.engine.detector import DEFAULT_DETECTOR
from poseapp.gui import file_dialogs

# (label, engine/detector.py name or "whole") offered in the People row, engine.detector's
# DEFAULT_DETECTOR first: the entry a new window starts on
PEOPLE_SOURCES = tuple(sorted((("trained detector", "detector"), ("HOG detector", "hog"), ("whole image", "whole")),
                              key=lambda source: source[1] != DEFAULT_DETECTOR))
# each detector's score scale: (lowest, highest, default threshold)
SCORE_RANGES = {"hog": (0.0, 5.0, 1.2), "detector": (0.0, 1.0, 0.3)}
# a box file's detector scores from 0 to 1, and MMPose's demo keeps boxes from 0.3 (engine/box_file.py)
FILE_SCORE_RANGE = (0.0, 1.0, 0.3)
FROM_FILE, FROM_FILE_LABEL = "from-file", "from file..."


class PeopleRowMixin:
    """Of ``ModelPanel`` (which provides boxes_box, min_score, min_height and the problem and
    people_changed signals)."""

    def _boxes_changed(self) -> None:
        """Each detector's scores have their own scale: the threshold box takes its range and default.
        'from file...' asks for the file (and goes back to the entry before when none is taken)."""
        mode = self.boxes_box.currentData()
        if mode == FROM_FILE:
            self._back_to(self._last_people)
            self._ask_box_file()
            return
        self._last_people = self.boxes_box.currentIndex()
        low, high, default = SCORE_RANGES.get(mode, FILE_SCORE_RANGE if self.box_file() else (0.0, 1.0, 0.0))
        self.min_score.setRange(low, high)
        self.min_score.setValue(default)
        self.min_score.setEnabled(mode != "whole")
        self.min_height.setEnabled(mode != "whole")
        self.people_changed.emit()

    def _back_to(self, index: int) -> None:
        self.boxes_box.blockSignals(True)
        self.boxes_box.setCurrentIndex(index)
        self.boxes_box.blockSignals(False)

    def _ask_box_file(self) -> None:
        path, _ = file_dialogs.get_open_file_name(
            self, "Person boxes from your detector (COCO detection results: image_id or file_name, bbox, score)", "",
            "COCO detection results (*.json);;All files (*)")
        if path:
            self.use_box_file(path)

    def use_box_file(self, path: str | Path, report: bool = True) -> bool:
        """Take person boxes from ``path`` (COCO detection results) on the next model runs. The file
        is checked first: a bad one is refused with the file and the problem (``problem``, unless
        ``report`` is False) and the People row stays as it was."""
        from poseapp.core.errors import DataError
        from poseapp.engine.box_file import BoxFile

        path = Path(path).resolve()
        try:
            if path.suffix.lower() != ".json":
                raise DataError(path, "a box file is a COCO detection results JSON file (.json)")
            checked = BoxFile(path)
            if checked.pictures == 0:
                raise DataError(path, "the file lists no detections: no picture would get a box")
        except DataError as exc:
            if report:
                self.problem.emit(f"The box file was not taken: {exc}\nPeople still come from "
                                  f"{self.boxes_box.currentText()}.")
            return False
        index = self._file_entry()
        label = f"file: {path.name}"
        if index < 0:  # one file at a time, listed just before 'from file...'
            index = self.boxes_box.count() - 1
            self.boxes_box.insertItem(index, label, str(path))
        else:
            self.boxes_box.setItemText(index, label)
            self.boxes_box.setItemData(index, str(path))
        self.boxes_box.setItemData(index, str(path), QtCore.Qt.ItemDataRole.ToolTipRole)
        if self.boxes_box.currentIndex() == index:
            self._boxes_changed()  # another file in the same entry: said to the session all the same
        else:
            self.boxes_box.setCurrentIndex(index)
        if report:
            self.box_file_taken.emit(checked)  # the file as read here: the window says what it names
        return True

    def _file_entry(self) -> int:
        modes = {mode for _, mode in PEOPLE_SOURCES} | {FROM_FILE}
        return next((i for i in range(self.boxes_box.count()) if self.boxes_box.itemData(i) not in modes), -1)

    def box_file(self) -> str | None:
        """The box file in use (the People row's current entry), else None."""
        index = self._file_entry()
        return self.boxes_box.itemData(index) if index >= 0 and index == self.boxes_box.currentIndex() else None

    def people_source(self) -> str:
        """The People row's choice as the session keeps it: a detector's name, 'whole', or the box file's path."""
        return self.boxes_box.currentData()

    def set_people_source(self, mode: str) -> bool:
        """Choose a detector or 'whole' (or a box file by its path, checked first); False when it is
        none of those (a file since gone or broken: the row stays as it is)."""
        index = self.boxes_box.findData(mode)
        if mode in {m for _, m in PEOPLE_SOURCES} and index >= 0:
            self.boxes_box.setCurrentIndex(index)
            return True
        return mode != FROM_FILE and Path(mode).suffix.lower() == ".json" and self.use_box_file(mode, report=False)

    def people_options(self) -> dict:
        """predict_frames' keywords for where people come from."""
        mode = self.boxes_box.currentData()
        return {"boxes": mode, "min_score": None if mode == "whole" else float(self.min_score.value()),
                "min_height": float(self.min_height.value())}
