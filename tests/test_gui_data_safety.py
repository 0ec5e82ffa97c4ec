"""The window's side of issue #10: a second window on a held project opens read-only and says who
holds it; file dialogs never open the project file (which would drop this process's SQLite locks)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6 import QtCore, QtWidgets  # noqa: E402

from test_gui_actions import answer_dialogs, trigger  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def _posix_lock_held(path: Path) -> bool:
    """Whether this process holds a POSIX (fcntl) lock on ``path``'s inode, as /proc/locks lists it."""
    inode = os.stat(path).st_ino
    with open("/proc/locks", encoding="ascii") as handle:
        for line in handle:
            fields = line.split()
            if "POSIX" in fields and str(os.getpid()) in fields and any(f.endswith(f":{inode}") for f in fields):
                return True
    return False


@pytest.mark.skipif(not os.path.exists("/proc/locks"), reason="reads the kernel's lock table (Linux)")
def test_a_file_dialog_on_the_projects_folder_leaves_its_locks_alone(window, qtbot, monkeypatch):
    """Qt's stock dialog opens every listed file to sniff its type, and that close drops SQLite's
    locks on the open project; the window's dialogs (gui/file_dialogs.py) list by name only."""
    path = window.project.path
    window.project.instance_count()
    assert _posix_lock_held(path)
    monkeypatch.chdir(path.parent)  # the dialog opens on the folder holding the project

    def dismiss():
        for widget in QtWidgets.QApplication.topLevelWidgets():
            if isinstance(widget, QtWidgets.QFileDialog) and widget.isVisible():
                qtbot.waitUntil(lambda: widget.findChild(QtWidgets.QListView) is not None)
                QtWidgets.QApplication.processEvents()
                widget.reject()
                return
        QtCore.QTimer.singleShot(50, dismiss)

    for action in ("export", "import", "open"):  # Ctrl+E then Esc, as the issue did
        QtCore.QTimer.singleShot(300, dismiss)  # the user looks at the listing, then presses Esc
        trigger(window, action)
        assert _posix_lock_held(path), action


HOLDER = (
    "import sys\n"
    "from poseapp.store import Project\n"
    "p = Project.open(sys.argv[1], program='poseapp window')\n"
    "print('held', flush=True)\n"
    "for line in sys.stdin:  # a frame id: the holder marks it reviewed (an edit the reader should see)\n"
    "    p.set_frame_state(int(line), 'reviewed')\n"
    "    print('done', flush=True)\n"
)


def test_a_second_window_opens_a_held_project_read_only_and_names_the_holder(window, qtbot, monkeypatch, tmp_path):
    path = window.project.path
    window.close_project()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert holder.stdout.readline().strip() == "held"
        answer_dialogs(monkeypatch, path)
        trigger(window, "open")
        assert window.project is not None and window.project.read_only
        banner = window.read_only_banner
        assert banner.isVisible() and f"poseapp window (process {holder.pid}" in banner.text()
        inst = window.project.instances(window.current_frame_id)[0]
        before = inst.keypoints.copy()
        trigger(window, "next_joint")
        trigger(window, "far_right")  # an edit: refused, said, and nothing changes
        assert window.undo_stack.count() == 0
        assert "was not made" in (window.last_error or "") and str(holder.pid) in window.last_error
        assert "disk is full" not in window.last_error and "reopen it here" in window.last_error  # not "try again"
        assert "this window cannot save to" in window.last_error and "in this window" not in window.last_error
        np.testing.assert_array_equal(window.project.instance(inst.id).keypoints, before)
        window.last_error = None
        trigger(window, "run")  # Ctrl+R: refused up front (it used to fail after the run, with a traceback)
        assert window.job is None and "could not store its predictions" in (window.last_error or "")
        assert "model runs are not saved" in banner.text()
        window._go_row(3)
        here = window.current_frame_id
        other = window.model.frame_id(5)
        assert "[reviewed]" not in window.model.data(window.model.index(5))
        holder.stdin.write(f"{other}\n")  # the writer edits: this window's list follows
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "done"
        qtbot.waitUntil(lambda: "[reviewed]" in window.model.data(window.model.index(5)), timeout=10_000)
        holder.kill()  # the other program lets go (here: dies): the banner offers to edit here
        holder.wait()
        qtbot.waitUntil(lambda: "Edit here" in banner.text(), timeout=10_000)
        banner.linkActivated.emit("reopen")  # what a click on the link sends
        assert not window.project.read_only and not banner.isVisible() and window.current_frame_id == here
    finally:
        holder.kill()
        holder.wait()
    window.close_project()
    assert not window.read_only_banner.isVisible()
    assert window.open_project(path) and not window.project.read_only  # the holder is gone: this window writes


def test_a_bug_in_a_slot_reaches_the_user_as_a_message_naming_a_crash_report(window, qtbot, monkeypatch):
    from poseapp.gui.app import install_excepthook

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    install_excepthook(window)

    def broken():
        raise ZeroDivisionError("a bug of ours")

    monkeypatch.setattr(window, "mark_reviewed", broken)
    button = QtWidgets.QPushButton("broken", window)
    button.clicked.connect(lambda: window.mark_reviewed())
    qtbot.mouseClick(button, QtCore.Qt.MouseButton.LeftButton)
    message = window.last_error or ""
    assert "ZeroDivisionError: a bug of ours" in message and "crash-" in message
    report = Path(message.split("details are in ")[1].split(";")[0])
    assert report.is_file() and "Traceback" in report.read_text()


def test_a_project_with_a_damaged_page_is_refused_on_opening_not_left_half_open(window, qtbot, monkeypatch, tmp_path):
    """File > Open on a project whose pages are garbled: a message naming the file, no crash report,
    no half-open window on it, and the file left as it is."""
    from poseapp.gui.app import install_excepthook

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    install_excepthook(window)
    damaged = tmp_path / "damaged.poseapp"
    window.project.save_copy(damaged)
    size = damaged.stat().st_size
    with open(damaged, "r+b") as handle:  # two pages near the end: frames and instances
        handle.seek(size - 3 * 4096)
        handle.write(bytes(range(256)) * 32)
    before = damaged.read_bytes()
    answer_dialogs(monkeypatch, damaged)
    trigger(window, "open")
    qtbot.wait(100)
    message = window.last_error or ""
    assert "damaged.poseapp" in message and "bug" not in message and "crash-" not in message
    qtbot.waitUntil(lambda: window.project is None, timeout=5000)  # closed, not left half-open to fail on every step
    after = damaged.read_bytes()
    # every page as it was; of the header only the journal mode (WAL, as every opening for writing
    # sets it) and the change counters that switch bumps
    assert after[100:] == before[100:]
    assert {i for i in range(100) if after[i] != before[i]} <= {18, 19, 24, 25, 26, 27, 92, 93, 94, 95}
