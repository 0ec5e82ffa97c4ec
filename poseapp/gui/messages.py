"""What the window said: every status-bar message, warning and error of the session, newest first,
in Help > Recent messages (Ctrl+Shift+M). At 1366 px a long message is cut at the status bar's
edge and fades after seconds; here it can be read whole, and copied."""

from __future__ import annotations

import time
from collections import deque

from PySide6 import QtCore, QtWidgets

KEPT = 200  # messages; a session's worth, never a growing store


class MessageLog:
    """Mixed into ``MainWindow``: ``log_message`` records a text; the status bar's messages come in
    by its ``messageChanged`` signal, warnings and errors from ``report_warning``/``report_error``."""

    def _start_message_log(self) -> None:
        self.messages: deque[tuple[float, str, str]] = deque(maxlen=KEPT)  # (time, kind, text)
        self.statusBar().messageChanged.connect(self._status_said)

    def _status_said(self, message: str) -> None:
        # the full text stays readable by hovering while it shows
        self.statusBar().setToolTip(message)
        if message:
            self.log_message("status", message)

    def log_message(self, kind: str, text: str) -> None:
        if self.messages and self.messages[-1][1:] == (kind, text):  # the same message shown again
            return
        self.messages.append((time.time(), kind, text))

    def show_messages(self) -> QtWidgets.QDialog:
        dialog = QtWidgets.QDialog(self)
        dialog.setObjectName("messages")
        dialog.setWindowTitle("Recent messages")
        view = QtWidgets.QPlainTextEdit(dialog)
        view.setReadOnly(True)
        view.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.WidgetWidth)
        lines = [f"{time.strftime('%H:%M:%S', time.localtime(t))}  {'' if kind == 'status' else kind.upper() + ': '}{text}"
                 for t, kind, text in reversed(self.messages)]
        view.setPlainText("\n\n".join(lines) if lines else "Nothing was said yet.")
        layout = QtWidgets.QVBoxLayout(dialog)
        layout.addWidget(QtWidgets.QLabel("Newest first. Select and Ctrl+C to copy."))
        layout.addWidget(view)
        close = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(dialog.close)
        layout.addWidget(close)
        dialog.resize(min(820, max(560, self.width() // 2)), min(600, max(400, self.height() - 120)))
        dialog.view = view
        dialog.show()
        return dialog
