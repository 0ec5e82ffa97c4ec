"""File > New > Define your own skeleton: the joints, limbs and left/right pairs of a skeleton no
preset or dataset file has (core/skeleton_text.py reads them). A mistake is said in the dialog,
which stays open with what was typed, until OK reads a skeleton or the user cancels."""

from __future__ import annotations

from PySide6 import QtWidgets

from poseapp.core.skeleton import Skeleton
from poseapp.core.skeleton_text import skeleton_from_text

EXAMPLE = {  # greyed hints in the empty fields
    "joints": "snout\nleft_ear\nright_ear\nneck\ntail_base\ntail_tip",
    "limbs": "snout-left_ear\nsnout-right_ear\nsnout-neck\nneck-tail_base\ntail_base-tail_tip",
    "pairs": "left_ear-right_ear",
}


class SkeletonDialog(QtWidgets.QDialog):
    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("define_skeleton")
        self.setWindowTitle("Define your own skeleton")
        self.skeleton: Skeleton | None = None
        self.name = QtWidgets.QLineEdit()
        self.name.setPlaceholderText("mouse")
        self.joints, self.limbs, self.pairs = (QtWidgets.QPlainTextEdit() for _ in range(3))
        for field, key in ((self.joints, "joints"), (self.limbs, "limbs"), (self.pairs, "pairs")):
            field.setPlaceholderText(EXAMPLE[key])
            field.setTabChangesFocus(True)  # Tab goes to the next field, as in any form
        form = QtWidgets.QFormLayout()
        form.setRowWrapPolicy(QtWidgets.QFormLayout.RowWrapPolicy.WrapAllRows)  # labels above: the fields get the width
        form.addRow("Name", self.name)
        form.addRow("Joints (one a line)", self.joints)
        form.addRow("Limbs (joint-joint)", self.limbs)
        form.addRow("Left/right pairs (mirror images: a flip swaps them)", self.pairs)
        self.problem = QtWidgets.QLabel()
        self.problem.setObjectName("skeleton_problem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #d93025")
        self.problem.setVisible(False)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.resize(520, 560)

    def accept(self) -> None:
        try:
            self.skeleton = skeleton_from_text(self.name.text(), self.joints.toPlainText(), self.limbs.toPlainText(),
                                               self.pairs.toPlainText())
        except ValueError as exc:
            self.problem.setText(f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
            self.problem.setVisible(True)
            return  # stays open, with what was typed
        super().accept()

    @classmethod
    def ask(cls, parent: QtWidgets.QWidget | None = None) -> Skeleton | None:
        dialog = cls(parent)
        return dialog.skeleton if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted else None
