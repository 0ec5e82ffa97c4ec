"""On a Linux desktop without Qt's xcb libraries, ``poseapp`` names the missing packages instead
of dying with Qt's "could not load the Qt platform plugin"."""

import subprocess
import sys
from pathlib import Path

import pytest

from poseapp.gui.platform_check import missing_xcb_libraries, no_display_problem, platform_problem, wants_xcb

LDD_OUT = """\tlinux-vdso.so.1 (0x00007ffd)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f)
"""


def fake_ldd(*_args, **_kwargs):
    return subprocess.CompletedProcess([], 0, stdout=LDD_OUT, stderr="")


def test_the_message_names_each_missing_library_and_its_package():
    message = platform_problem({"DISPLAY": ":0"}, "linux", run=fake_ldd, find_library=lambda name: None)
    assert "libxcb-icccm.so.4" in message and "libxcb-cursor.so.0" in message
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in message


def test_no_message_when_qt_will_not_use_xcb_or_nothing_is_missing():
    assert not wants_xcb({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not wants_xcb({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert not wants_xcb({}, "darwin")
    assert wants_xcb({"QT_QPA_PLATFORM": "xcb"}, "linux")
    found = subprocess.CompletedProcess([], 0, stdout="\tlibxcb.so.1 => /lib/libxcb.so.1\n", stderr="")
    assert platform_problem({"DISPLAY": "remote:0"}, "linux", run=lambda *a, **k: found, find_library=lambda n: n) is None


def _start_poseapp_on_xcb(display: str, home: Path) -> subprocess.CompletedProcess:
    """`poseapp gui` as a user's shell starts it, on X at ``display``."""
    repo = Path(__file__).resolve().parent.parent
    env = {"PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "xcb", "DISPLAY": display, "POSEAPP_HOME": str(home),
           "PYTHONPATH": str(repo)}
    return subprocess.run([sys.executable, "-m", "poseapp", "gui"], capture_output=True, text=True, timeout=120, env=env,
                          cwd=str(repo))


@pytest.mark.skipif(not sys.platform.startswith("linux") or not missing_xcb_libraries(), reason="this machine has every xcb library")
def test_poseapp_on_this_machine_prints_the_packages_instead_of_qts_abort(tmp_path):
    out = _start_poseapp_on_xcb(":0", tmp_path)
    assert out.returncode == 1
    assert "sudo apt-get install" in out.stderr and "could not load the Qt platform plugin" not in out.stderr


def test_no_x_server_is_said_plainly_instead_of_qts_abort(tmp_path):
    (tmp_path / "X1").touch()  # display :1 has a server socket, :0 has none
    assert no_display_problem({"DISPLAY": ":1"}, socket_dir=tmp_path) is None
    assert no_display_problem({"DISPLAY": "unix:1.0"}, socket_dir=tmp_path) is None
    assert no_display_problem({"DISPLAY": "host:0"}, socket_dir=tmp_path) is None  # remote: Qt tries it
    assert "no X server answers at DISPLAY=:0" in no_display_problem({"DISPLAY": ":0"}, socket_dir=tmp_path)
    assert "QT_QPA_PLATFORM=offscreen" in no_display_problem({}, socket_dir=tmp_path)


@pytest.mark.skipif(not sys.platform.startswith("linux") or Path("/tmp/.X11-unix/X97").exists(), reason="display :97 exists")
def test_poseapp_without_an_x_server_says_so_and_exits_1(tmp_path):
    out = _start_poseapp_on_xcb(":97", tmp_path)
    assert out.returncode == 1, out.stderr
    assert ("no X server answers at DISPLAY=:97" in out.stderr or "sudo apt-get install" in out.stderr)
    assert "could not load the Qt platform plugin" not in out.stderr and "Traceback" not in out.stderr
