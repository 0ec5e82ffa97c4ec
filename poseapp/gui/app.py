"""Start the Qt application."""

from __future__ import annotations

import sys

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from poseapp import __version__


def configure_pyqtgraph() -> None:
    # Images are numpy row-major (H x W x C); pyqtgraph defaults to column-major.
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True, background="#202124", foreground="#e8eaed")


def application() -> QtWidgets.QApplication:
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName("poseapp")
    app.setApplicationVersion(__version__)
    configure_pyqtgraph()
    return app  # type: ignore[return-value]


def install_excepthook(window) -> None:
    """A bug in a slot reaches the user as one message naming a crash report, not as a traceback
    on the terminal (and the window goes on: the edit in hand was saved or refused before)."""
    from poseapp.core.crash_report import write_crash_report
    from poseapp.core.errors import DamagedProjectError, PoseAppError

    def report(kind, value, tb) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        if isinstance(value, DamagedProjectError) and window.project is not None and value.path == str(window.project.path):
            # every later read may hit the same page: close it rather than leave the window half-working
            # (after the slot that raised has returned: its widgets may still be using the project)
            damaged = window.project
            if getattr(window, "_closing_damaged", None) is damaged:
                return  # one message for one damaged file
            window._closing_damaged = damaged
            QtCore.QTimer.singleShot(0, lambda: window.close_project() if window.project is damaged else None)
            window.report_error(f"{value}\nThe project was closed. What you saw applied before this was saved; "
                                "open a copy or a backup, or try `sqlite3 FILE .recover`.")
            return
        if isinstance(value, PoseAppError):  # a file's problem, not a bug
            window.report_error(str(value))
            return
        try:
            raise value.with_traceback(tb)
        except BaseException:  # noqa: BLE001 - write_crash_report reads the exception being handled
            where = write_crash_report("window", sys.argv[1:])
        window.report_error(f"poseapp hit a bug ({kind.__name__}: {value}). What you saw applied is saved. "
                            f"The details are in {where}; please report them.")

    sys.excepthook = report


def run_app(project_path: str | None = None) -> int:
    from poseapp.gui.platform_check import platform_problem

    problem = platform_problem()
    if problem:  # instead of Qt's abort with "could not load the Qt platform plugin"
        print(problem, file=sys.stderr)
        return 1
    app = application()
    from poseapp.gui.main_window import MainWindow

    window = MainWindow()
    install_excepthook(window)
    window.resize(1280, 720)
    window.restore_session(open_last=not project_path)  # layout, and the last project unless one is named
    window.show()
    if project_path:
        window.open_project(project_path)
    return app.exec()
