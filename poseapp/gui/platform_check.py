"""Before the first window: on Linux, Qt's X11 platform plugin (xcb) needs system libraries that
the PySide6 wheel does not bring. Without them Qt aborts with "could not load the Qt platform
plugin". Find the missing ones (ldd on the plugin, and libxcb-cursor, which Qt loads at run time)
and name the packages that provide them."""

from __future__ import annotations

import ctypes.util
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

# library -> Debian/Ubuntu package; what a bare Debian 12 lacks for PySide6 6.11's libqxcb.so
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4", "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0", "libxcb-randr.so.0": "libxcb-randr0", "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0", "libxcb-xinerama.so.0": "libxcb-xinerama0", "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-sync.so.1": "libxcb-sync1", "libxcb-xfixes.so.0": "libxcb-xfixes0", "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-render.so.0": "libxcb-render0", "libxcb-util.so.1": "libxcb-util1", "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-glx.so.0": "libxcb-glx0", "libxcb-randr.so": "libxcb-randr0", "libxcb.so.1": "libxcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0", "libxkbcommon.so.0": "libxkbcommon0", "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6", "libSM.so.6": "libsm6", "libICE.so.6": "libice6", "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1", "libOpenGL.so.0": "libopengl0", "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6", "libdbus-1.so.3": "libdbus-1-3", "libglib-2.0.so.0": "libglib2.0-0",
}
RUNTIME_LOADED = ["libxcb-cursor.so.0"]  # dlopen()ed by Qt >= 6.5, so ldd does not list it


def _qt_dir() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "Qt"


def ldd_missing(paths: list[Path], run=subprocess.run) -> list[str]:
    """Libraries ``ldd`` reports 'not found' for any of ``paths``."""
    missing: list[str] = []
    for path in paths:
        if not path.exists():
            continue
        try:
            out = run(["ldd", str(path)], capture_output=True, text=True, timeout=20).stdout
        except (OSError, subprocess.SubprocessError):
            return []  # no ldd: let Qt try
        for name in re.findall(r"^\s*(\S+) => not found", out, flags=re.M):
            if name not in missing:
                missing.append(name)
    return missing


def missing_xcb_libraries(run=subprocess.run, find_library=ctypes.util.find_library) -> list[str]:
    qt = _qt_dir()
    if qt is None:
        return []
    missing = ldd_missing([qt / "plugins" / "platforms" / "libqxcb.so", qt / "lib" / "libQt6XcbQpa.so.6"], run)
    for name in RUNTIME_LOADED:
        if name not in missing and find_library(name[3:].split(".so")[0]) is None:
            missing.append(name)
    return missing


def wants_xcb(environ=os.environ, platform: str = sys.platform) -> bool:
    """Whether Qt will load the xcb plugin: Linux, not told otherwise, and not in a Wayland session."""
    if not platform.startswith("linux"):
        return False
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.split(":")[0].split(";")[0] == "xcb"
    return not environ.get("WAYLAND_DISPLAY")


def platform_problem(environ=os.environ, platform: str = sys.platform, run=subprocess.run,
                     find_library=ctypes.util.find_library) -> str | None:
    """The message to print instead of Qt's abort, or None when the window can open."""
    if not wants_xcb(environ, platform):
        return None
    missing = missing_xcb_libraries(run, find_library)
    if not missing:
        return no_display_problem(environ)
    packages = sorted({DEBIAN_PACKAGES.get(name, name) for name in missing})
    return (
        "poseapp cannot open a window: Qt's X11 platform plugin (xcb) needs system libraries that are not installed:\n"
        f"  {', '.join(missing)}\n"
        "Install them (Debian, Ubuntu):\n"
        f"  sudo apt-get install {' '.join(packages)}\n"
        "(Fedora: sudo dnf install xcb-util-cursor xcb-util-wm xcb-util-keysyms xcb-util-image xcb-util-renderutil)\n"
        "Without a display, run with QT_QPA_PLATFORM=offscreen."
    )


def no_display_problem(environ=os.environ, socket_dir: Path = Path("/tmp/.X11-unix")) -> str | None:
    """Qt aborts (SIGABRT, "could not connect to display") when there is no X server to talk to:
    DISPLAY unset, or a local display whose socket is not there. A remote display (host:N) is
    left for Qt to try."""
    display = environ.get("DISPLAY", "")
    match = re.fullmatch(r"(?:unix)?:(\d+)(?:\.\d+)?", display)
    if display and (match is None or (socket_dir / f"X{match[1]}").exists()):
        return None
    where = f"no X server answers at DISPLAY={display}" if display else "DISPLAY is not set (no X11 session)"
    return (f"poseapp cannot open a window: {where}.\n"
            "Run it in a desktop session (or over ssh -X), or without a display with QT_QPA_PLATFORM=offscreen "
            "(the command-line tools need no display: poseapp --help).")
